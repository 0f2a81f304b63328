package report

import (
	"strconv"
	"strings"

	"sipas/internal/i18n"
	"sipas/internal/index"
)

// FileName returns the download name of a report: survey, year, scope and
// baseline, in ASCII so that every browser, mail system and file share keeps
// it intact, e.g. "sipas_2026_toan-tinh_vs_2023-responses.xlsx" for
// FileName(rep, "Toàn tỉnh", "xlsx"). Without a baseline the "_vs_…" part is
// left out, and so is an empty scope. ext may be given with or without its
// dot.
func FileName(rep *index.Report, scope, ext string) string {
	parts := []string{slugOr(rep.Survey, "sipas"), strconv.Itoa(rep.Year)}
	if s := Slug(scope); s != "" {
		parts = append(parts, s)
	}
	if b := rep.Baseline; b != nil {
		parts = append(parts, "vs", strconv.Itoa(b.Year)+"-"+Slug(b.Source))
	}
	return strings.Join(parts, "_") + dotExt(ext)
}

// ResponsesFileName returns the download name of a raw responses export,
// e.g. "sipas_2026_toan-tinh_responses.csv".
func ResponsesFileName(surveyID string, year int, scope, ext string) string {
	parts := []string{slugOr(surveyID, "sipas"), strconv.Itoa(year)}
	if s := Slug(scope); s != "" {
		parts = append(parts, s)
	}
	return strings.Join(append(parts, "responses"), "_") + dotExt(ext)
}

func dotExt(ext string) string {
	ext = Slug(strings.TrimPrefix(ext, "."))
	if ext == "" {
		return ""
	}
	return "." + ext
}

func slugOr(s, fallback string) string {
	if s = Slug(s); s != "" {
		return s
	}
	return fallback
}

// Slug returns s as a lowercase ASCII slug: Vietnamese diacritics stripped
// (đ becomes d, which Unicode does not decompose), every other run of
// characters that is not a letter or digit turned into one hyphen, and no
// hyphen at either end. "Sở Tư pháp – Đà Nẵng" becomes "so-tu-phap-da-nang".
func Slug(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range i18n.Fold(s) { // "ế" is "e", "Đ" is "d"
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
			continue
		}
		hyphen = true
	}
	return b.String()
}
