package report

import (
	"reflect"
	"strings"
	"testing"

	"sipas/internal/index"
)

// TestWords checks that both languages fill every piece of wording.
func TestWords(t *testing.T) {
	for name, w := range map[string]words{"vi": viWords, "en": enWords} {
		v := reflect.ValueOf(w)
		for i := range v.NumField() {
			field, val := v.Type().Field(i).Name, v.Field(i)
			switch val.Kind() {
			case reflect.String:
				if val.String() == "" {
					t.Errorf("%s: %s is empty", name, field)
				}
			case reflect.Slice, reflect.Array, reflect.Map:
				if val.Len() == 0 {
					t.Errorf("%s: %s is empty", name, field)
				}
			}
		}
		if len(w.notes) != len(viWords.notes) {
			t.Errorf("%s has %d method notes, vi has %d", name, len(w.notes), len(viWords.notes))
		}
	}
}

// TestNoFormatErrors renders every human format in both languages, with a
// raw and an aggregate baseline, and looks for fmt's "%!" marks of a bad
// format string.
func TestNoFormatErrors(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		for _, tt := range []struct {
			name string
			rep  *index.Report
		}{{"fixture", mustReport(t)}, {"edge", edgeReport()}} {
			t.Run(lang+"/"+tt.name, func(t *testing.T) {
				m := testMeta(t)
				m.Lang = lang
				f := openXLSX(t, tt.rep, m)
				for _, sheet := range f.GetSheetList() {
					rows, _ := f.GetRows(sheet)
					for _, row := range rows {
						for _, c := range row {
							if strings.Contains(c, "%!") {
								t.Errorf("xlsx %s: format error in %q", sheet, c)
							}
						}
					}
				}
				if s := AspectChartSVG(tt.rep, m); strings.Contains(s, "%!") {
					t.Errorf("svg: format error in %s", s)
				}
				if text := pdfText(t, tt.rep, m); strings.Contains(text, "%!") {
					t.Errorf("pdf: format error in\n%s", text)
				}
			})
		}
	}
}
