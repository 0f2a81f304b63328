package report

import (
	"regexp"
	"strings"
	"testing"

	"sipas/internal/index"
)

// unresolved matches a catalogue key that reached the output: a word the catalogues lack.
var unresolved = regexp.MustCompile(`\b(report|kind|basis|verdict|level|channel|source|month|scope)\.[a-z0-9_]+`)

// TestNoFormatErrors renders every human format in every language of the catalogues, with a
// raw and an aggregate baseline, and looks for fmt's "%!" marks of a bad format string and for
// catalogue keys left unresolved (a word the writers use that a catalogue lacks).
func TestNoFormatErrors(t *testing.T) {
	for _, l := range catalog().Locales() {
		for _, tt := range []struct {
			name string
			rep  *index.Report
		}{{"fixture", mustReport(t)}, {"edge", edgeReport()}} {
			t.Run(l.Code+"/"+tt.name, func(t *testing.T) {
				m := testMeta(t)
				m.L = l
				check := func(where, s string) {
					t.Helper()
					if strings.Contains(s, "%!") {
						t.Errorf("%s: format error in %q", where, s)
					}
					if k := unresolved.FindString(s); k != "" {
						t.Errorf("%s: catalogue key %q shown instead of its words", where, k)
					}
				}
				f := openXLSX(t, tt.rep, m)
				for _, sheet := range f.GetSheetList() {
					check("xlsx sheet name", sheet)
					rows, _ := f.GetRows(sheet)
					for _, row := range rows {
						for _, c := range row {
							check("xlsx "+sheet, c)
						}
					}
				}
				check("svg", AspectChartSVG(tt.rep, m))
				check("trend svg", TrendChartSVG([]TrendPoint{{Month: 1, Estimate: ptr(0.8), N: 3}, {Month: 2}}, m))
				check("pdf", pdfText(t, tt.rep, m))
			})
		}
	}
}
