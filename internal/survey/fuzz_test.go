package survey_test

import (
	"encoding/json"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"sipas/internal/survey"
	"sipas/surveys"
)

func sipasQuestionnaire(tb testing.TB) *survey.Questionnaire {
	tb.Helper()
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		tb.Fatal(err)
	}
	q, err := cat.Get(survey.DefaultID)
	if err != nil {
		tb.Fatal(err)
	}
	return q
}

// FuzzParseForm feeds ParseForm whatever a hostile client can put in a form body (a raw
// query string) and checks that it never panics and that what it accepts is exactly what was
// sent, within the questionnaire's limits. The seed corpus is in testdata/fuzz/FuzzParseForm.
func FuzzParseForm(f *testing.F) {
	q := sipasQuestionnaire(f)
	for _, s := range []string{
		"A1=4&A2=5&B1=1&comment=t%E1%BB%91t",
		"A1=4&A1=5",
		"A1=6&B1=0&C1=-1&D1=4.0",
		"A1=&B1=3&lang=en",
		"Q1=Q1_1&Q1=Q1_3&Q1=Q1_1",
		"Q1=NOPE&X9=1",
		"comment=%FF%FE&A1=3",
		"comment=a%0D%0Ab&comment=c",
		"%FF=1",
		"A1=%EF%BC%94", // a fullwidth digit 4
		"",
	} {
		f.Add(s)
	}
	codes := q.Codes()
	f.Fuzz(func(t *testing.T, raw string) {
		vals, _ := url.ParseQuery(raw) // what parses is what a handler would see
		resp, verrs := q.ParseForm(vals, "lang")
		if verrs != nil {
			if len(verrs) == 0 {
				t.Fatal("empty, non-nil ValidationErrors")
			}
			for field, key := range verrs {
				if key == "" || !strings.HasPrefix(key, "error.") {
					t.Errorf("field %q: message key %q", field, key)
				}
				if _, sent := vals[field]; field != "_form" && !sent {
					t.Errorf("error on field %q that was not sent", field)
				}
			}
			if resp.Answers != nil || resp.Comment != "" || resp.Expectations != nil {
				t.Errorf("a refused form returned a response: %+v", resp)
			}
			return
		}
		if len(resp.Answers) != len(codes) {
			t.Fatalf("%d answers for %d questions", len(resp.Answers), len(codes))
		}
		for i, a := range resp.Answers {
			want := uint8(0)
			if v := vals[codes[i]]; len(v) == 1 && v[0] != "" {
				want = v[0][0] - '0'
			}
			if a > 5 || a != want {
				t.Errorf("%s = %d, sent %q", codes[i], a, vals[codes[i]])
			}
		}
		if !utf8.ValidString(resp.Comment) || utf8.RuneCountInString(resp.Comment) > q.MaxComment() ||
			strings.Contains(resp.Comment, "\r\n") || resp.Comment != strings.TrimSpace(resp.Comment) {
			t.Errorf("comment %q is not normalised or too long", resp.Comment)
		}
		if e := q.Expectation; e != nil {
			if len(resp.Expectations) > e.MaxChoices {
				t.Errorf("%d expectations, at most %d", len(resp.Expectations), e.MaxChoices)
			}
			for i, c := range resp.Expectations {
				if !slices.ContainsFunc(e.Options, func(o survey.Option) bool { return o.Code == c }) || slices.Index(resp.Expectations, c) != i {
					t.Errorf("expectation %q unknown or repeated: %v", c, resp.Expectations)
				}
			}
		}
		// The stored form reads back to the same answers.
		enc := survey.EncodeAnswers(codes, resp.Answers)
		back := make([]uint8, len(codes))
		if err := q.DecodeAnswers(enc, back); err != nil || !slices.Equal(back, resp.Answers) {
			t.Errorf("EncodeAnswers/DecodeAnswers: %q → %v, %v; want %v", enc, back, err, resp.Answers)
		}
	})
}

// FuzzParse feeds Parse arbitrary questionnaire definitions (an administrator's upload) and
// checks that it never panics, and that what it accepts is consistent and survives a JSON
// round trip. The seeds are the shipped definitions and the corpus in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	names, err := fs.Glob(surveys.FS, "*.json")
	if err != nil || len(names) == 0 {
		f.Fatalf("no shipped definitions: %v", err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(surveys.FS, n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"x"}`))
	f.Add([]byte(`{"id":"x","version":"1"} {}`))
	f.Add([]byte("{\n\"id\": 7\n}"))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := survey.Parse("fuzz.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "survey: fuzz.json: ") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		codes := q.Codes()
		if len(codes) == 0 {
			t.Fatal("accepted a questionnaire without questions")
		}
		for i, c := range codes {
			if p, ok := q.Position(c); !ok || p != i {
				t.Errorf("Position(%q) = %d, %v; want %d", c, p, ok, i)
			}
			if q.AspectOf(c) == "" || !q.IsIndex(c) {
				t.Errorf("question %q has no aspect or is not an index", c)
			}
		}
		if !q.IsIndex("overall") {
			t.Error(`"overall" is not an index`)
		}
		again, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		q2, err := survey.Parse("again.json", again)
		if err != nil {
			t.Fatalf("re-encoded definition refused: %v", err)
		}
		if !slices.Equal(q2.Codes(), codes) || q2.MaxComment() != q.MaxComment() || q2.ID != q.ID || q2.Version != q.Version {
			t.Errorf("round trip changed the questionnaire")
		}
		// A form answering everything with 3 is valid for any accepted questionnaire.
		form := url.Values{}
		for _, c := range codes {
			form.Set(c, "3")
		}
		if _, verrs := q.ParseForm(form); verrs != nil {
			t.Errorf("a complete valid form is refused: %v", verrs)
		}
	})
}
