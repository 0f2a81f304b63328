// Package i18n holds the message catalogues (Vietnamese first, English) and the Vietnamese and
// English ways of writing numbers, percentages and dates.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"
)

// Languages are the supported languages; the first is the default.
var Languages = []string{"vi", "en"}

// Lang normalises a requested language to a supported one (Vietnamese by default).
func Lang(s string) string {
	if strings.HasPrefix(strings.ToLower(s), "en") {
		return "en"
	}
	return "vi"
}

// Catalog maps language → key → text.
type Catalog map[string]map[string]string

// Load reads i18n/<lang>.json for every supported language from fsys and checks that both
// catalogues have the same keys, so a missing translation fails at start, not on a page.
func Load(fsys fs.FS) (Catalog, error) {
	c := Catalog{}
	for _, lang := range Languages {
		data, err := fs.ReadFile(fsys, "i18n/"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s.json: %w", lang, err)
		}
		c[lang] = m
	}
	for key := range c["vi"] {
		if _, ok := c["en"][key]; !ok {
			return nil, fmt.Errorf("i18n: en.json lacks key %q", key)
		}
	}
	for key := range c["en"] {
		if _, ok := c["vi"][key]; !ok {
			return nil, fmt.Errorf("i18n: vi.json lacks key %q", key)
		}
	}
	return c, nil
}

// T returns the text of key in lang; args fill %s/%d verbs. An unknown key returns the key
// itself, which a template test catches.
func (c Catalog) T(lang, key string, args ...any) string {
	s, ok := c[Lang(lang)][key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Number writes f with the given decimals: "1.234,5" in Vietnamese, "1,234.5" in English.
func Number(lang string, f float64, decimals int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	s := strconv.FormatFloat(math.Abs(f), 'f', decimals, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	thousands, point := ",", "."
	if Lang(lang) == "vi" {
		thousands, point = ".", ","
	}
	var b strings.Builder
	if f < 0 && strings.Trim(s, "0.") != "" {
		b.WriteString("−")
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString(point)
		b.WriteString(frac)
	}
	return b.String()
}

// Percent writes a fraction as a percentage: 0.875 → "87,5%" (vi) or "87.5%" (en).
func Percent(lang string, fraction float64, decimals int) string {
	return Number(lang, fraction*100, decimals) + "%"
}

// Points writes a difference of fractions in percentage points with a sign: "+4,2 điểm %".
func Points(lang string, diff float64, decimals int) string {
	s := Number(lang, diff*100, decimals)
	if diff > 0 && strings.Trim(s, "0.,") != "" {
		s = "+" + s
	}
	if Lang(lang) == "vi" {
		return s + " điểm %"
	}
	return s + " pp"
}

// Date writes a date: 25/11/2026 in Vietnamese, 2026-11-25 in English.
func Date(lang string, t time.Time) string {
	if Lang(lang) == "vi" {
		return t.Format("02/01/2006")
	}
	return t.Format("2006-01-02")
}
