package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"sipas/assets"
	"sipas/internal/report"
	"sipas/internal/survey"
)

// zeroData is the data each page template is rendered with: the zero value of the type its
// handler passes. A new template needs an entry here (the test says so), which is the point:
// every page must render from zero-value data without a template error.
func zeroData() map[string]any {
	return map[string]any{
		"message.html": page{},
		// The survey handler always has a questionnaire; everything else is zero.
		"survey.html": surveyPage{Survey: &survey.Questionnaire{}},
		// Officials' pages.
		"login.html":            loginPage{},
		"admin_account.html":    accountPage{},
		"admin_dashboard.html":  dashboardPage{D: &report.Dashboard{}}, // the handler always has one
		"admin_users.html":      usersPage{},
		"admin_keys.html":       keysPage{},
		"admin_data.html":       dataPage{Kind: "agencies"}, // always one of the three kinds
		"admin_surveys.html":    surveysPage{},
		"admin_integrity.html":  integrityPage{},
		"admin_audit.html":      auditPage{},
		"admin_comments.html":   commentsPage{},
		"admin_samplesize.html": samplePage{},
		"admin_communes.html":   communesPage{},
		// Kiosks, sticker sheets, token secrets (kiosk.go); kiosk pages always have a questionnaire.
		"kiosk.html":          kioskPage{Survey: &survey.Questionnaire{}},
		"kiosk_survey.html":   kioskPage{Survey: &survey.Questionnaire{}},
		"kiosk_done.html":     kioskPage{Survey: &survey.Questionnaire{}},
		"kiosk_enrol.html":    kioskEnrolPage{},
		"admin_kiosks.html":   kiosksPage{},
		"admin_sheets.html":   sheetsPage{},
		"admin_secrets.html":  secretsPage{},
		"admin_webhooks.html": webhooksPage{},
		"admin_webhook.html":  webhookPage{},
	}
}

func TestTemplatesAreRegistered(t *testing.T) {
	ts := newTestServer(t)
	entries, err := fs.ReadDir(assets.FS, "templates")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no templates")
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir():
			t.Errorf("templates/%s is a directory: parseTemplates only reads templates/*.html", name)
		case path.Ext(name) != ".html":
			t.Errorf("templates/%s is not *.html, so it is never parsed", name)
		default:
			if _, ok := ts.srv.pages[name]; ok {
				continue
			}
			// Not a page: the layout or a partial, whose templates every page must include.
			alone, err := template.New(name).Funcs(ts.srv.funcs()).ParseFS(assets.FS, "templates/"+name)
			if err != nil {
				t.Errorf("templates/%s: %v", name, err)
				continue
			}
			var defined []string
			for _, d := range alone.Templates() {
				if d.Name() != name && d.Tree != nil {
					defined = append(defined, d.Name())
				}
			}
			if len(defined) == 0 {
				t.Errorf("templates/%s is neither a page nor a partial defining templates", name)
			}
			for page, tmpl := range ts.srv.pages {
				for _, d := range defined {
					if tmpl.Lookup(d) == nil {
						t.Errorf("page %s lacks template %q of templates/%s", page, d, name)
					}
				}
			}
		}
	}
	for name := range ts.srv.pages {
		if _, err := fs.Stat(assets.FS, "templates/"+name); err != nil {
			t.Errorf("page %s has no file: %v", name, err)
		}
	}
}

func TestTemplatesExecuteWithZeroData(t *testing.T) {
	ts := newTestServer(t)
	data := zeroData()
	for name, tmpl := range ts.srv.pages {
		t.Run(name, func(t *testing.T) {
			d, ok := data[name]
			if !ok {
				t.Fatalf("no zero-value data for %s in templates_test.go: add its page type to zeroData", name)
			}
			for _, lang := range []string{"", "vi", "en"} {
				d := withLang(d, lang)
				var buf bytes.Buffer
				if err := tmpl.ExecuteTemplate(&buf, "layout", d); err != nil {
					t.Fatalf("execute with zero data (lang %q): %v", lang, err)
				}
				checkHTML(t, buf.Bytes())
			}
		})
	}
}

// TestSurveyTemplateWithEverything renders the survey with a real questionnaire, an error on
// every field and every value chosen: the largest page a citizen can get.
func TestSurveyTemplateWithEverything(t *testing.T) {
	ts := newTestServer(t)
	q := ts.q
	errs := survey.ValidationErrors{"comment": survey.ErrKeyTooLong}
	vals := map[string]int{}
	for i, code := range q.Codes() {
		errs[code] = survey.ErrKeyChoose
		vals[code] = 1 + i%5
	}
	chosen := map[string]bool{}
	if q.Expectation != nil {
		errs[q.Expectation.Code] = survey.ErrKeyTooMany
		for _, o := range q.Expectation.Options {
			chosen[o.Code] = true
		}
	}
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			p := surveyPage{
				page:   page{Lang: lang, Title: q.Title.In(lang), Switch: []langLink{{Code: "xx", Name: "X", Label: "to X", URL: "/s/X"}}},
				Survey: q, AgencyName: `Sở "Tư pháp" <tỉnh> & Minh Giang`, Action: "/s/X",
				Errors: errs, Values: vals, Chosen: chosen, Comment: "</textarea><script>alert(1)</script>",
			}
			var buf bytes.Buffer
			if err := ts.srv.pages["survey.html"].ExecuteTemplate(&buf, "layout", p); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			checkHTML(t, buf.Bytes())
			for _, code := range q.Codes() {
				if !strings.Contains(out, `id="`+code+`-e"`) {
					t.Errorf("no error element %s-e", code)
				}
				if !strings.Contains(out, fmt.Sprintf(`name="%s" value="%d" checked`, code, vals[code])) {
					t.Errorf("%s=%d not checked again", code, vals[code])
				}
			}
			for _, bad := range []string{"<script>", `<tỉnh>`, "</textarea><script"} {
				if strings.Contains(out, bad) {
					t.Errorf("output contains unescaped %q", bad)
				}
			}
			if !strings.Contains(out, "&lt;/textarea&gt;&lt;script&gt;") {
				t.Error("the comment is not echoed escaped into the textarea")
			}
			if got, want := strings.Count(out, `type="radio"`), len(q.Codes())*(len(q.Scale)+1); got != want {
				t.Errorf("%d radio buttons, want %d (scale + not applicable for each question)", got, want)
			}
		})
	}
}

// withLang sets the Lang of the embedded page of d (a struct value), if it has one.
func withLang(d any, lang string) any {
	v := reflect.New(reflect.TypeOf(d)).Elem()
	v.Set(reflect.ValueOf(d))
	if f := v.FieldByName("Lang"); f.IsValid() && f.CanSet() && f.Kind() == reflect.String {
		f.SetString(lang)
	}
	return v.Interface()
}

// voidElements have no end tag.
var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true,
}

// messageKey looks like an i18n key that was not translated (T returns unknown keys as is).
var messageKey = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// checkHTML checks that b is a well-formed HTML document: a doctype, every non-void element
// closed in order, no duplicate attribute, unique ids, label for= and aria-describedby naming
// existing ids, and no untranslated message key in the text.
func checkHTML(t *testing.T, b []byte) {
	t.Helper()
	if _, err := html.Parse(bytes.NewReader(b)); err != nil {
		t.Fatalf("html.Parse: %v", err)
	}
	if !bytes.HasPrefix(bytes.ToLower(b), []byte("<!doctype html>")) {
		t.Errorf("output does not start with <!doctype html>: %.40q", b)
	}
	z := html.NewTokenizer(bytes.NewReader(b))
	var stack []string
	ids := map[string]int{}
	var refs []string // ids referred to
	offset := 0
	line := func() int { return 1 + bytes.Count(b[:offset], []byte("\n")) }
	for {
		tt := z.Next()
		offset += len(z.Raw())
		if tt == html.ErrorToken {
			if err := z.Err(); err != io.EOF {
				t.Errorf("tokenizer: %v", err)
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			seen := map[string]bool{}
			for _, a := range tok.Attr {
				if seen[a.Key] {
					t.Errorf("line %d: <%s> has attribute %s twice", line(), tok.Data, a.Key)
				}
				seen[a.Key] = true
				switch a.Key {
				case "id":
					ids[a.Val]++
					if ids[a.Val] == 2 {
						t.Errorf("line %d: id %q is used twice", line(), a.Val)
					}
				case "for", "aria-describedby", "aria-labelledby":
					refs = append(refs, strings.Fields(a.Val)...)
				}
				if messageKey.MatchString(a.Val) && (a.Key == "aria-label" || a.Key == "title" || a.Key == "placeholder" || a.Key == "alt") {
					t.Errorf("line %d: %s=%q looks like an untranslated message key", line(), a.Key, a.Val)
				}
			}
			if tt == html.StartTagToken && !voidElements[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			if voidElements[tok.Data] {
				t.Errorf("line %d: end tag </%s> of a void element", line(), tok.Data)
				continue
			}
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				t.Errorf("line %d: </%s> closes %v", line(), tok.Data, stack)
				if i := slices.Index(stack, tok.Data); i >= 0 {
					stack = stack[:i]
				}
				continue
			}
			stack = stack[:len(stack)-1]
		case html.TextToken:
			if s := strings.TrimSpace(tok.Data); messageKey.MatchString(s) {
				t.Errorf("line %d: text %q looks like an untranslated message key", line(), s)
			}
		}
	}
	if len(stack) > 0 {
		t.Errorf("elements never closed: %v", stack)
	}
	for _, r := range refs {
		if ids[r] == 0 {
			t.Errorf("for/aria reference %q names no element", r)
		}
	}
}
