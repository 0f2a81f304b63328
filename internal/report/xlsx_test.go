package report

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"sipas/internal/index"
)

// openXLSX writes rep with m and opens the result again.
func openXLSX(t *testing.T, rep *index.Report, m Meta) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, rep, m); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// findRow returns the 1-based row of sheet whose column A starts with
// prefix, or fails.
func findRow(t *testing.T, f *excelize.File, sheet, prefix string) int {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 0 && strings.HasPrefix(r[0], prefix) {
			return i + 1
		}
	}
	t.Fatalf("sheet %s: no row starting with %q", sheet, prefix)
	return 0
}

// numberCell checks that ref holds a number cell with number format code
// and returns its value.
func numberCell(t *testing.T, f *excelize.File, sheet, ref, code string) float64 {
	t.Helper()
	typ, err := f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	if typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("%s!%s has cell type %v, want a number", sheet, ref, typ)
	}
	raw, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Fatalf("%s!%s = %q, not a number: %v", sheet, ref, raw, err)
	}
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt == nil || *st.CustomNumFmt != code {
		t.Errorf("%s!%s number format = %v, want %q", sheet, ref, st.CustomNumFmt, code)
	}
	return v
}

func TestWriteXLSX(t *testing.T) {
	rep := mustReport(t)
	f := openXLSX(t, rep, testMeta(t))

	if got, want := strings.Join(f.GetSheetList(), "|"), "Tổng hợp|Chỉ số|Cơ quan|Phương pháp"; got != want {
		t.Errorf("sheets = %s, want %s", got, want)
	}

	// The headline: the overall stratified index is a number equal to the
	// report's value, shown as a percentage.
	ov := overallIndex(rep)
	row := findRow(t, f, "Tổng hợp", "Chỉ số hài lòng chung (có trọng số theo số hồ sơ)")
	if got, want := numberCell(t, f, "Tổng hợp", "B"+strconv.Itoa(row), fmtPct), *ov.Stratified.Value; got != want {
		t.Errorf("overall index cell = %v, want %v", got, want)
	}
	if got, want := numberCell(t, f, "Tổng hợp", "C"+strconv.Itoa(row), fmtPct), *ov.Stratified.CILow; got != want {
		t.Errorf("overall CI low cell = %v, want %v", got, want)
	}
	if got, want := numberCell(t, f, "Tổng hợp", "G"+strconv.Itoa(row), fmtPoints), *ov.Change.Stratified.Diff; got != want {
		t.Errorf("overall change cell = %v, want %v", got, want)
	}
	verdict, _ := f.GetCellValue("Tổng hợp", "K"+strconv.Itoa(row))
	if want := locale("vi").T("verdict.higher"); ov.Change.Stratified.Verdict == index.Higher && verdict != want {
		t.Errorf("verdict cell = %q, want %q", verdict, want)
	}
	// The sentence says the numbers the Vietnamese way.
	srow := findRow(t, f, "Tổng hợp", "Chỉ số hài lòng chung năm 2026 là ")
	sentence, _ := f.GetCellValue("Tổng hợp", "A"+strconv.Itoa(srow))
	if want := m0().pct(ov.Stratified.Value); !strings.Contains(sentence, want) || !strings.Contains(want, ",") {
		t.Errorf("sentence %q lacks %q with a decimal comma", sentence, want)
	}

	// The indices sheet has a number for every defined estimate, both bases.
	rows, _ := f.GetRows("Chỉ số")
	if got, want := len(rows), 1+2*len(rep.Indices); got != want {
		t.Errorf("Chỉ số has %d rows, want %d", got, want)
	}
	last := len(rows) - 1 // the unweighted overall row
	if got, want := numberCell(t, f, "Chỉ số", "F"+strconv.Itoa(last), fmtPct), *ov.Stratified.Value; got != want {
		t.Errorf("Chỉ số overall stratified = %v, want %v", got, want)
	}
	if got, want := numberCell(t, f, "Chỉ số", "J"+strconv.Itoa(last), fmtCount), float64(ov.Stratified.N); got != want {
		t.Errorf("Chỉ số overall n = %v, want %v", got, want)
	}
	if pane, _ := f.GetPanes("Chỉ số"); !pane.Freeze || pane.YSplit != 1 {
		t.Errorf("Chỉ số panes = %+v, want the header row frozen", pane)
	}
	if s, _ := f.GetCellStyle("Chỉ số", "A1"); s == 0 {
		t.Error("Chỉ số header has no style")
	} else if st, _ := f.GetStyle(s); st.Font == nil || !st.Font.Bold {
		t.Error("Chỉ số header is not bold")
	}

	checkAgenciesSheet(t, f, rep)
	checkNoFormulas(t, f)
}

// m0 is the Vietnamese Meta for formatting expectations.
func m0() Meta { return Meta{L: locale("vi")} }

func checkAgenciesSheet(t *testing.T, f *excelize.File, rep *index.Report) {
	t.Helper()
	rows, err := f.GetRows("Cơ quan")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows), 1+len(rep.Agencies); got != want {
		t.Fatalf("Cơ quan has %d rows, want %d", got, want)
	}
	names := map[string]string{}
	notes := map[string]string{}
	var prev float64 = 2
	for i, r := range rows[1:] {
		names[r[1]] = r[2]
		if len(r) > 15 {
			notes[r[1]] = r[15]
		}
		v := numberCell(t, f, "Cơ quan", "E"+strconv.Itoa(i+2), fmtPct)
		if v > prev {
			t.Errorf("league table not sorted: row %d has %v after %v", i+2, v, prev)
		}
		prev = v
	}
	// Formula injection: every trigger is neutralised, the text intact.
	for code, want := range map[string]string{
		"A04": `'=HYPERLINK("http://example.com","Bấm vào đây")`,
		"A05": "'+84 Trung tâm Phục vụ hành chính công",
		"A06": "'-Ban Quản lý các khu công nghiệp",
		"A07": "'@Sở Y tế",
		"A08": "'  =1+2 Sở Xây dựng",
		"A09": "'\tSở Giáo dục và Đào tạo",
	} {
		if got := names[code]; got != want {
			t.Errorf("agency %s name cell = %q, want %q", code, got, want)
		}
	}
	// Vietnamese diacritics survive, in NFC.
	for code, want := range map[string]string{"A01": "Sở Nội vụ", "A03": "UBND xã Đông Hòa"} {
		if got := names[code]; got != want || !norm.NFC.IsNormalString(got) {
			t.Errorf("agency %s name cell = %q, want %q in NFC", code, got, want)
		}
	}
	for _, a := range rep.Agencies {
		want := ""
		if a.Indicative {
			want = "chỉ mang tính tham khảo (cỡ mẫu nhỏ)"
		}
		if got := notes[a.Agency]; got != want {
			t.Errorf("agency %s note = %q, want %q", a.Agency, got, want)
		}
	}
}

// checkNoFormulas fails on any formula cell: the writer never writes one.
func checkNoFormulas(t *testing.T, f *excelize.File) {
	t.Helper()
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			for j := range r {
				ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if fo, _ := f.GetCellFormula(sheet, ref); fo != "" {
					t.Errorf("%s!%s holds the formula %q", sheet, ref, fo)
				}
				if typ, _ := f.GetCellType(sheet, ref); typ == excelize.CellTypeFormula {
					t.Errorf("%s!%s is a formula cell", sheet, ref)
				}
			}
		}
	}
}

func TestWriteXLSXEdge(t *testing.T) {
	f := openXLSX(t, edgeReport(), Meta{L: locale("en"), AgencyNames: map[string]string{"A01": "-Agency"}})
	if got, want := strings.Join(f.GetSheetList(), "|"), "Summary|Indices|Agencies|Method"; got != want {
		t.Errorf("sheets = %s, want %s", got, want)
	}
	row := findRow(t, f, "Summary", "Overall satisfaction index (unweighted)")
	if got := numberCell(t, f, "Summary", "B"+strconv.Itoa(row), fmtPct); got != 0.5 {
		t.Errorf("fallback headline = %v, want 0.5", got)
	}
	// Undefined quantities are empty cells, not 0 or text.
	if v, _ := f.GetCellValue("Summary", "C"+strconv.Itoa(row)); v != "" {
		t.Errorf("undefined CI low = %q, want an empty cell", v)
	}
	findRow(t, f, "Summary", "No receipts-weighted index could be computed")
	if v, _ := f.GetCellValue("Agencies", "C2"); v != "'-Agency" {
		t.Errorf("agency name = %q, want '-Agency", v)
	}
	checkNoFormulas(t, f)
}
