package report

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"sipas/internal/i18n"
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
	m := testMeta(t)
	m.Receipts, m.ScopeReceipts = index.Populations{"A01": 600}, 6000
	f := openXLSX(t, rep, m)

	if got, want := strings.Join(f.GetSheetList(), "|"), "Tổng hợp|Chỉ số|Cơ quan|Không trọng số|Giải thích cột|Phương pháp"; got != want {
		t.Errorf("sheets = %s, want %s", got, want)
	}

	// The headline: the overall stratified index is a number equal to the report's value,
	// shown as a percentage; its change is in percentage points; p below 0.001 reads "< 0,001".
	ov := overallIndex(rep)
	row := strconv.Itoa(findRow(t, f, "Tổng hợp", "Chỉ số hài lòng chung (có trọng số theo số hồ sơ)"))
	if got, want := numberCell(t, f, "Tổng hợp", "B"+row, fmtPct), *ov.Stratified.Value; got != want {
		t.Errorf("overall index cell = %v, want %v", got, want)
	}
	if got, want := numberCell(t, f, "Tổng hợp", "C"+row, fmtPct), *ov.Stratified.CILow; got != want {
		t.Errorf("overall CI low cell = %v, want %v", got, want)
	}
	if got, want := numberCell(t, f, "Tổng hợp", "F"+row, fmtPct), float64(ov.Stratified.N)/6000; got != want {
		t.Errorf("overall response rate cell = %v, want %v", got, want)
	}
	if got, want := numberCell(t, f, "Tổng hợp", "H"+row, fmtPoints), *ov.Change.Stratified.Diff*100; math.Abs(got-want) > 1e-12 {
		t.Errorf("overall change cell = %v, want %v points", got, want)
	}
	if got, want := numberCell(t, f, "Tổng hợp", "K"+row, `[<0.001]"< 0,001";0.000`), *ov.Change.Stratified.PValue; got != want {
		t.Errorf("overall p cell = %v, want %v", got, want)
	}
	verdict, _ := f.GetCellValue("Tổng hợp", "L"+row)
	if want := i18n.UpperFirst(locale("vi").T("verdict." + string(ov.Change.Stratified.Verdict))); verdict != want {
		t.Errorf("verdict cell = %q, want %q", verdict, want)
	}
	// The sentence says the numbers the Vietnamese way.
	srow := findRow(t, f, "Tổng hợp", "Chỉ số hài lòng chung năm 2026 là ")
	sentence, _ := f.GetCellValue("Tổng hợp", "A"+strconv.Itoa(srow))
	if want := m0().pct(ov.Stratified.Value); !strings.Contains(sentence, want) || !strings.Contains(want, ",") {
		t.Errorf("sentence %q lacks %q with a decimal comma", sentence, want)
	}
	if !strings.Contains(sentence, "điểm phần trăm") {
		t.Errorf("sentence %q does not say the change in điểm phần trăm", sentence)
	}
	findRow(t, f, "Tổng hợp", "• Khoảng tin cậy 95%: ")
	checkIndicesSheet(t, f, rep)
	checkAgenciesSheet(t, f, rep)
	checkPrintSetup(t, f)
	checkColumnsSheet(t, f)
	checkNoFormulas(t, f)
}

// checkIndicesSheet: one line per index on the stratified basis, numbers as numbers, the
// criteria's verdict Holm's, the aspects' the interval's.
func checkIndicesSheet(t *testing.T, f *excelize.File, rep *index.Report) {
	t.Helper()
	rows, _ := f.GetRows("Chỉ số")
	if got, want := len(rows), 1+len(rep.Indices); got != want {
		t.Errorf("Chỉ số has %d rows, want %d", got, want)
	}
	ov := overallIndex(rep)
	last := strconv.Itoa(len(rows)) // the overall index comes last
	if got, want := numberCell(t, f, "Chỉ số", "E"+last, fmtPct), *ov.Stratified.Value; got != want {
		t.Errorf("Chỉ số overall = %v, want %v", got, want)
	}
	if got, want := numberCell(t, f, "Chỉ số", "H"+last, fmtCount), float64(ov.Stratified.N); got != want {
		t.Errorf("Chỉ số overall n = %v, want %v", got, want)
	}
	for i, r := range rows[1:] {
		var idx *index.Index
		for j := range rep.Indices {
			if rep.Indices[j].ID == r[0] {
				idx = &rep.Indices[j]
			}
		}
		ch := idx.Change.Stratified
		want := ch.Verdict
		if idx.Kind == index.KindQuestion {
			want = ch.VerdictHolm
		}
		if got := r[16]; got != i18n.UpperFirst(locale("vi").T("verdict."+string(want))) {
			t.Errorf("Chỉ số row %d (%s) verdict = %q, want %s", i+2, r[0], got, want)
		}
		if r[3] != "có trọng số theo số hồ sơ" {
			t.Errorf("Chỉ số row %d basis = %q", i+2, r[3])
		}
	}
	if pane, _ := f.GetPanes("Chỉ số"); !pane.Freeze || pane.YSplit != 1 {
		t.Errorf("Chỉ số panes = %+v, want the header row frozen", pane)
	}
	if s, _ := f.GetCellStyle("Chỉ số", "A1"); s == 0 {
		t.Error("Chỉ số header has no style")
	} else if st, _ := f.GetStyle(s); st.Font == nil || !st.Font.Bold {
		t.Error("Chỉ số header is not bold")
	}
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
	byCode := map[string]index.AgencyRow{}
	for _, a := range rep.Agencies {
		byCode[a.Agency] = a
	}
	names := map[string]string{}
	var prev float64 = 2
	for i, r := range rows[1:] {
		a := byCode[r[1]]
		names[r[1]] = r[2]
		v := numberCell(t, f, "Cơ quan", "F"+strconv.Itoa(i+2), fmtPct)
		if v > prev {
			t.Errorf("league table not sorted: row %d has %v after %v", i+2, v, prev)
		}
		prev = v
		if want := fmt.Sprintf("hạng %d–%d", *a.Stratified.RankLow, *a.Stratified.RankHigh); r[0] != want && r[0] != fmt.Sprintf("hạng %d", *a.Stratified.RankLow) {
			t.Errorf("agency %s rank = %q, want %q", r[1], r[0], want)
		}
		if got, want := r[16], i18n.UpperFirst(locale("vi").T("verdict."+string(a.Stratified.Change.VerdictHolm))); got != want {
			t.Errorf("agency %s verdict = %q, want the Holm verdict %q", r[1], got, want)
		}
		if got := r[8]; (got == "có") != a.Stratified.Indicative {
			t.Errorf("agency %s indicative = %q, want %v", r[1], got, a.Stratified.Indicative)
		}
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
}

// checkPrintSetup: every table sheet prints on A4 landscape, one page wide, its header row
// on every page, the title and date in the page header.
func checkPrintSetup(t *testing.T, f *excelize.File) {
	t.Helper()
	titles := map[string]bool{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = strings.HasSuffix(dn.RefersTo, "!$1:$1")
		}
	}
	for _, sheet := range []string{"Chỉ số", "Cơ quan", "Không trọng số", "Giải thích cột"} {
		pl, err := f.GetPageLayout(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Size == nil || *pl.Size != 9 || pl.Orientation == nil || *pl.Orientation != "landscape" ||
			pl.FitToWidth == nil || *pl.FitToWidth != 1 || pl.FitToHeight == nil || *pl.FitToHeight != 0 {
			t.Errorf("%s page layout = %+v, want A4 (9) landscape, 1 page wide", sheet, pl)
		}
		if props, _ := f.GetSheetProps(sheet); props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s does not fit to page", sheet)
		}
		if !titles[sheet] {
			t.Errorf("%s has no repeated header row (print titles %v)", sheet, titles)
		}
		hf, _ := f.GetHeaderFooter(sheet)
		if hf == nil || !strings.Contains(hf.OddHeader, "Chỉ số hài lòng về sự phục vụ hành chính (SIPAS)") || !strings.Contains(hf.OddHeader, "25/11/2026") {
			t.Errorf("%s page header = %+v, want the title and date", sheet, hf)
		}
	}
}

// checkColumnsSheet: every column of the table sheets is explained, in words.
func checkColumnsSheet(t *testing.T, f *excelize.File) {
	t.Helper()
	rows, _ := f.GetRows("Giải thích cột")
	if len(rows) < 40 {
		t.Errorf("Giải thích cột has %d rows", len(rows))
	}
	for _, r := range rows[1:] {
		if len(r) < 3 || len([]rune(r[2])) < 10 || strings.Contains(r[2], "_help") {
			t.Errorf("column %v is not explained", r)
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
	if got, want := strings.Join(f.GetSheetList(), "|"), "Summary|Indices|Agencies|Unweighted|Columns|Method"; got != want {
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
	// The unweighted basis carries no verdict words, and no difference under insufficient data.
	if v, _ := f.GetCellValue("Summary", "L"+strconv.Itoa(row)); v != "" {
		t.Errorf("unweighted headline verdict = %q, want none", v)
	}
	if v, _ := f.GetCellValue("Summary", "H"+strconv.Itoa(row)); v != "" {
		t.Errorf("headline change = %q under insufficient data, want none", v)
	}
	findRow(t, f, "Summary", "The overall satisfaction index for 2026 is 50.0%, 95% confidence interval – (unweighted, for reference only")
	if v, _ := f.GetCellValue("Agencies", "C2"); v != "'-Agency" {
		t.Errorf("agency name = %q, want '-Agency", v)
	}
	checkNoFormulas(t, f)
}
