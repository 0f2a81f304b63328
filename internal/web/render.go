package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"math"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/i18n"
	"sipas/internal/index"
	"sipas/internal/report"
	"sipas/internal/survey"
)

// page is the data every template gets; Data carries the page's own.
type page struct {
	Lang   string
	Title  string
	Switch []langLink // the same page in each other language; none hides the switch
	Kind   string     // message pages: "ok" or "warn"
	Body   string
}

// langLink is one entry of the language switch.
type langLink struct {
	Code  string // hreflang
	Name  string // the language's own name
	Label string // "Switch to English", in that language
	URL   string
}

func (s *Server) loadStatic() error {
	s.static = map[string]string{}
	return fs.WalkDir(s.cfg.Assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(s.cfg.Assets, p)
		if err != nil {
			return fmt.Errorf("web: static: %w", err)
		}
		sum := sha256.Sum256(b)
		s.static[p[len("static/"):]] = hex.EncodeToString(sum[:])[:10]
		return nil
	})
}

// funcs are the template functions: the language's words and formats, and small helpers.
func (s *Server) funcs() template.FuncMap {
	m := template.FuncMap{
		"t": s.msgs.T,
		"asset": func(name string) (string, error) {
			h, ok := s.static[name]
			if !ok {
				return "", fmt.Errorf("no static file %q", name)
			}
			return "/static/" + name + "?v=" + h, nil
		},
		"upperFirst": i18n.UpperFirst,
		// svg marks a chart of report.AspectChartSVG or TrendChartSVG safe: they escape every
		// text they hold and write only fixed markup and numbers.
		"svg": func(s string) template.HTML { return template.HTML(s) },
		// langQuery is "" for the default language, else "?lang=CODE", for links and actions.
		"langQuery":   s.langQuery,
		"defaultLang": func() string { return s.msgs.Default().Code },
		"ratio":       func(a, b int) float64 { return float64(a) / float64(b) },
		"sub":         func(a, b int) int { return a - b },
		"inc":         func(i int) int { return i + 1 },
		"upper":       strings.ToUpper,
		// levels and channels are the one lists of dataset, for the filter forms.
		"levels":   func() []string { return dataset.Levels },
		"roles":    func() []auth.Role { return auth.Roles },
		"channels": func() []string { return dataset.Channels },
		"list":     func(v ...string) []string { return v },
		// basis names the basis of a report.Line: "stratified" or "unweighted".
		"basis": func(stratified bool) string {
			if stratified {
				return index.BasisStratified
			}
			return index.BasisUnweighted
		},
		"dict":  dict,
		"float": toFloat,
		"aspectTitle": func(q *survey.Questionnaire, id, l string) string {
			if q == nil {
				return id
			}
			for _, a := range q.Aspects {
				if a.ID == id {
					return a.Title.In(l)
				}
			}
			return id
		},
	}
	maps.Copy(m, s.formatFuncs())
	return m
}

// formatFuncs write numbers and dates in a language's conventions; the first argument is the
// language code. pctp and ptsp take the report's nullable numbers: nil is written "–".
func (s *Server) formatFuncs() template.FuncMap {
	nullable := func(format func(l *i18n.Locale, f float64, d int) string) func(string, *float64, int) string {
		return func(l string, f *float64, d int) string {
			if f == nil {
				return "–"
			}
			return format(s.msgs.Locale(l), *f, d)
		}
	}
	meta := func(l string) report.Meta { return report.Meta{L: s.msgs.Locale(l)} }
	return template.FuncMap{
		// pvalue is "p = 0,012" or "p < 0,001", never "p = 0,000"; pnum the same without "p".
		"pvalue": func(l string, p *float64) string { return meta(l).PValue(p) },
		"pnum":   func(l string, p *float64) string { return meta(l).PNumber(p) },
		// pointsci is a change's interval in points, the unit once: "[−0,6; +2,7 điểm phần trăm]".
		"pointsci": func(l string, ch *index.Change) string { return meta(l).PointsCI(ch) },
		// signed is a difference in points without its unit, for a column that names it: "+4,2".
		"signed": nullable((*i18n.Locale).SignedPoints),
		"pct":    func(l string, f float64, d int) string { return s.msgs.Locale(l).Percent(f, d) },
		"num":    func(l string, f float64, d int) string { return s.msgs.Locale(l).Number(f, d) },
		"points": func(l string, f float64, d int) string { return s.msgs.Locale(l).Points(f, d) },
		"pctp":   nullable((*i18n.Locale).Percent),
		"ptsp":   nullable((*i18n.Locale).Points),
		"date":   func(l string, t time.Time) string { return s.msgs.Locale(l).Date(t) },
		"datetime": func(l string, t time.Time) string {
			return s.msgs.Locale(l).Date(t) + " " + calendar.In(t).Format("15:04")
		},
	}
}

// dict builds a map from key, value pairs, to pass several values to a partial.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict needs pairs")
	}
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		k, _ := kv[i].(string)
		m[k] = kv[i+1]
	}
	return m, nil
}

// toFloat converts a count to a float for num and pct; anything else is NaN ("–").
func toFloat(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return math.NaN()
}

// parseTemplates builds one template set per page: layout.html, the partials (*.part.html,
// since embedding skips files whose names start with "_") and the page. Every file under
// templates/ must parse.
func (s *Server) parseTemplates() error {
	names, err := fs.Glob(s.cfg.Assets, "templates/*.html")
	if err != nil {
		return fmt.Errorf("web: templates: %w", err)
	}
	var partials []string
	for _, n := range names {
		if strings.HasSuffix(n, ".part.html") {
			partials = append(partials, n)
		}
	}
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		b := path.Base(n)
		if b == "layout.html" || strings.HasSuffix(b, ".part.html") {
			continue
		}
		files := append([]string{"templates/layout.html"}, partials...)
		files = append(files, n)
		t, err := template.New(b).Funcs(s.funcs()).ParseFS(s.cfg.Assets, files...)
		if err != nil {
			return fmt.Errorf("web: template %s: %w", b, err)
		}
		s.pages[b] = t
	}
	return nil
}

// render executes a page into a buffer first, so a template error is a clean 500 instead of
// half a page.
func (s *Server) render(c echo.Context, status int, name string, p any) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// locale is the request's language: ?lang=CODE of a language of the registry, else the
// default (Vietnamese).
func (s *Server) locale(c echo.Context) *i18n.Locale { return s.msgs.Locale(c.QueryParam("lang")) }

// lang is the code of the request's language.
func (s *Server) lang(c echo.Context) string { return s.locale(c).Code }

// langQuery is the query that keeps language l on a link or form action: "" for the default
// language, "?lang=CODE" for another.
func (s *Server) langQuery(l string) string {
	if l == s.msgs.Default().Code {
		return ""
	}
	return "?lang=" + l
}

// switchLinks is the language switch of the current page: the same path and query in every
// other language, without a flash message, and for an agency user without the agency (their
// pages are about their own agency whatever was asked).
func (s *Server) switchLinks(c echo.Context) []langLink {
	cur := s.lang(c)
	return s.languageLinks(cur, func(code string) string {
		q := c.Request().URL.Query()
		q.Del("lang")
		if code != s.msgs.Default().Code {
			q.Set("lang", code)
		}
		q.Del("flash")
		if official(c).Role == auth.RoleAgency {
			q.Del("agency")
		}
		if len(q) == 0 {
			return c.Request().URL.Path
		}
		return c.Request().URL.Path + "?" + q.Encode()
	})
}

// languageLinks lists every language but cur, each with the URL link gives it.
func (s *Server) languageLinks(cur string, link func(code string) string) []langLink {
	var out []langLink
	for _, l := range s.msgs.Locales() {
		if l.Code != cur {
			out = append(out, langLink{Code: l.Code, Name: l.Name, Label: l.T("lang.switch_label"), URL: link(l.Code)})
		}
	}
	return out
}

// message renders the one-message page (thanks, already used, not found, errors).
func (s *Server) message(c echo.Context, status int, kind, key string) error {
	l := s.lang(c)
	return s.render(c, status, "message.html", page{
		Lang: l, Title: s.msgs.T(l, key+".title"), Body: s.msgs.T(l, key+".body"),
		Kind: kind, Switch: s.switchLinks(c),
	})
}
