// Package i18n is the one language registry of sipas: the list of languages it speaks with
// their conventions (Languages), and one catalogue per language (assets/i18n/<code>.json)
// holding every word any surface shows: pages, the kiosk, the CSV/XLSX/PDF exports, sticker
// sheets and the CLI's report titles.
//
// Adding a language is a catalogue file plus one line in Languages: Load refuses a catalogue
// that lacks a key of the default one, has one it does not, or whose message takes other
// arguments, so a missing translation fails at start, never on a page. Questionnaire wording
// is data of its own (survey.Text, one entry per language in surveys/*.json).
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"sipas/internal/calendar"
)

// Language is one language sipas speaks and how it writes numbers and dates.
type Language struct {
	Code      string // primary subtag and catalogue name: "vi" is i18n/vi.json; ?lang=vi
	Name      string // the language's own name, shown in the language switch: "Tiếng Việt"
	Tag       string // the full tag written into exports (Content-Language, PDF, XLSX): "vi-VN"
	Decimal   string // decimal separator: ","
	Thousands string // digit group separator: "."
	Date      string // Go layout of a date: "02/01/2006"
	Percent   string // how a percentage is written, %s the number: "%s%%"
	Points    string // how a difference in percentage points is written, %s the signed number
}

// Languages is the registry: every language, the default (Vietnamese) first. A new language
// is one line here and its catalogue in assets/i18n.
var Languages = []Language{
	{Code: "vi", Name: "Tiếng Việt", Tag: "vi-VN", Decimal: ",", Thousands: ".", Date: "02/01/2006", Percent: "%s%%", Points: "%s điểm phần trăm"},
	{Code: "en", Name: "English", Tag: "en", Decimal: ".", Thousands: ",", Date: "2006-01-02", Percent: "%s%%", Points: "%s percentage points"},
}

// Default is the code of the default language: pages without ?lang=, and the fallback of
// questionnaire wording.
const Default = "vi"

// Locale is one language with its catalogue: what every surface needs to speak it.
type Locale struct {
	Language
	msgs map[string]string
}

// NewLocale returns a locale of lang with the messages msgs (key → text); a nil msgs makes a
// bare locale, whose T returns keys, with lang's number and date conventions.
func NewLocale(lang Language, msgs map[string]string) *Locale {
	return &Locale{Language: lang, msgs: msgs}
}

// T returns the text of key, its verbs filled with args as by fmt.Sprintf. An unknown key
// returns the key itself, which the template tests catch.
func (l *Locale) T(key string, args ...any) string {
	s, ok := l.msgs[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether the catalogue has key.
func (l *Locale) Has(key string) bool {
	_, ok := l.msgs[key]
	return ok
}

// Number writes f with the given decimals in the language's separators: "1.234,5" in
// Vietnamese, "1,234.5" in English; a minus sign (−) before negatives, "–" for NaN and ±Inf.
func (l *Locale) Number(f float64, decimals int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	s := strconv.FormatFloat(math.Abs(f), 'f', decimals, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if f < 0 && strings.Trim(s, "0.") != "" {
		b.WriteString("−")
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(l.Thousands)
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString(l.Decimal)
		b.WriteString(frac)
	}
	return b.String()
}

// Percent writes a fraction as a percentage: 0.875 → "87,5%" (vi) or "87.5%" (en).
func (l *Locale) Percent(fraction float64, decimals int) string {
	return fmt.Sprintf(l.Language.Percent, l.Number(fraction*100, decimals))
}

// SignedPoints writes a difference of fractions in percentage points as a signed number
// without its unit, for a table column that names it: "+4,2".
func (l *Locale) SignedPoints(diff float64, decimals int) string {
	s := l.Number(diff*100, decimals)
	if diff > 0 && strings.Trim(s, "0"+l.Decimal+l.Thousands) != "" {
		s = "+" + s
	}
	return s
}

// Points writes a difference of fractions in percentage points with its sign and unit:
// "+4,2 điểm phần trăm" (vi), "+4.2 percentage points" (en): GLOSSARY.md
// never writes "%" for a difference.
func (l *Locale) Points(diff float64, decimals int) string {
	return fmt.Sprintf(l.Language.Points, l.SignedPoints(diff, decimals))
}

// Date writes t's calendar date in Vietnam (calendar.Zone): 25/11/2026 in Vietnamese,
// 2026-11-25 in English.
func (l *Locale) Date(t time.Time) string { return calendar.In(t).Format(l.Language.Date) }

// Catalog is every language of the registry with its catalogue.
type Catalog struct {
	locales []*Locale
	byCode  map[string]*Locale
}

// Load reads i18n/<code>.json from fsys for every language of langs (i18n.Languages when
// none are given; the first is the default) and checks that every catalogue has the keys of
// the first, no others, and the same format verbs in each message.
func Load(fsys fs.FS, langs ...Language) (*Catalog, error) {
	if len(langs) == 0 {
		langs = Languages
	}
	c := &Catalog{byCode: map[string]*Locale{}}
	for _, lang := range langs {
		data, err := fs.ReadFile(fsys, "i18n/"+lang.Code+".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		msgs := map[string]string{}
		if err := json.Unmarshal(data, &msgs); err != nil {
			return nil, fmt.Errorf("i18n: %s.json: %w", lang.Code, err)
		}
		if _, dup := c.byCode[lang.Code]; dup {
			return nil, fmt.Errorf("i18n: language %q is listed twice", lang.Code)
		}
		l := NewLocale(lang, msgs)
		c.locales = append(c.locales, l)
		c.byCode[lang.Code] = l
	}
	first := c.locales[0]
	for _, l := range c.locales[1:] {
		if err := sameKeys(first, l); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// sameKeys checks that b has exactly the keys of a, each with the same format verbs.
func sameKeys(a, b *Locale) error {
	for key, text := range a.msgs {
		other, ok := b.msgs[key]
		if !ok {
			return fmt.Errorf("i18n: %s.json lacks key %q", b.Code, key)
		}
		if va, vb := verbs(text), verbs(other); !slices.Equal(va, vb) {
			return fmt.Errorf("i18n: %s.json: %q takes %q, %s.json's takes %q", b.Code, key, vb, a.Code, va)
		}
	}
	for key := range b.msgs {
		if _, ok := a.msgs[key]; !ok {
			return fmt.Errorf("i18n: %s.json lacks key %q", a.Code, key)
		}
	}
	return nil
}

// verbs returns the verb letters of a format string in order of their arguments, so that
// "%[2]d … %[1]s" and "%s … %d" take the same arguments. A "%" followed by a space or a
// punctuation mark is text ("95% confidence"): messages are formatted only when given
// arguments, and those use "%%".
func verbs(s string) []string {
	var out []string
	next := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		j := i + 1
		arg := -1
		if j < len(s) && s[j] == '[' {
			end := strings.IndexByte(s[j:], ']')
			if end < 0 {
				break
			}
			if n, err := strconv.Atoi(s[j+1 : j+end]); err == nil {
				arg = n - 1
			}
			j += end + 1
		}
		for j < len(s) && strings.IndexByte("+-#0123456789.", s[j]) >= 0 {
			j++
		}
		if j >= len(s) {
			break
		}
		if s[j] == '%' {
			i = j
			continue
		}
		if !('a' <= s[j] && s[j] <= 'z' || 'A' <= s[j] && s[j] <= 'Z') {
			continue // "95%." or "95% –": a percent sign in text
		}
		i = j
		if arg < 0 {
			arg = next
		}
		next = arg + 1
		for len(out) <= arg {
			out = append(out, "")
		}
		out[arg] = string(s[j])
	}
	return out
}

// Locales returns every locale, the default first.
func (c *Catalog) Locales() []*Locale { return c.locales }

// Default returns the default locale.
func (c *Catalog) Default() *Locale { return c.locales[0] }

// Locale returns the locale a request asks for: its primary subtag, case-insensitively
// ("en", "EN", "en-GB" are English), or the default locale for anything else.
func (c *Catalog) Locale(asked string) *Locale {
	code, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(asked)), "-")
	code, _, _ = strings.Cut(code, "_")
	if l, ok := c.byCode[code]; ok {
		return l
	}
	return c.Default()
}

// Has reports whether code is a language of the catalogue.
func (c *Catalog) Has(code string) bool {
	_, ok := c.byCode[code]
	return ok
}

// Codes lists the language codes, the default first.
func (c *Catalog) Codes() []string {
	out := make([]string, len(c.locales))
	for i, l := range c.locales {
		out[i] = l.Code
	}
	return out
}

// T returns the text of key in the language lang (as Locale picks it), for templates.
func (c *Catalog) T(lang, key string, args ...any) string { return c.Locale(lang).T(key, args...) }

// Fold returns s as a search key: lower case, without diacritics (NFD, combining marks
// dropped, đ as d), so that "hai long" finds "Hài lòng" and "Đông" finds "dong". Officials
// type on keyboards without a Vietnamese input method as often as with one.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// UpperFirst capitalises the first letter, for a catalogue term used as a label or heading:
// the catalogues hold terms as GLOSSARY.md writes them, in lower case, for use in sentences.
func UpperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
