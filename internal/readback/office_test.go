package readback

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestOfficeLocale: LibreOffice reads the same CSV by the profile's locale, so a test that
// opens a file "in vi-VN" really does: 2,5 is two and a half in Vietnamese and text in English.
func TestOfficeLocale(t *testing.T) {
	data := []byte("x\n2,5\n")
	for _, tt := range []struct {
		locale, x string
	}{{"vi-VN", "2.5"}, {"en-US", "2,5"}} {
		xlsx := Office(t, data, "a.csv", tt.locale, CSVSemicolonUTF8, "xlsx")
		f, err := excelize.OpenReader(bytes.NewReader(xlsx))
		if err != nil {
			t.Fatal(err)
		}
		x, _ := f.GetCellValue(f.GetSheetName(0), "A2", excelize.Options{RawCellValue: true})
		xt, _ := f.GetCellType(f.GetSheetName(0), "A2")
		f.Close()
		if x != tt.x {
			t.Errorf("%s: 2,5 read as %q (type %v), want %q", tt.locale, x, xt, tt.x)
		}
	}
}
