package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"sipas/internal/calendar"
	"sipas/internal/index"
)

// WriteXLSX writes rep as an XLSX workbook for officials, a finished report in m's language:
//
//   - "Tổng hợp" (Summary): what the report covers, the overall index with its interval,
//     response rate and change, the conclusion in one sentence and how to read it;
//   - "Chỉ số" (Indices): every index on the stratified basis, one line per index with its
//     one verdict (Holm for criteria, the interval's for aspects and the overall index);
//   - "Cơ quan" (Agencies): the league table, highest index first, with rank ranges, the
//     units each agency is compared with and the Holm verdict over every agency;
//   - "Đơn vị nhỏ" (Small areas), when the report has its small-area block;
//   - "Không trọng số" (Unweighted): the unweighted diagnostic, numbers without verdicts;
//   - "Giải thích cột" (Columns): what every column of the tables means, in plain words;
//   - "Phương pháp" (Method): how the numbers were computed.
//
// Every quantity is a number cell, never text: fractions with a 0.0% format, changes in
// percentage points with a signed format, p-values as 0.012 or "< 0.001", counts with #,##0;
// every text cell goes through SafeCell. Each table sheet prints on A4 landscape, fitted to
// the page width, its header row repeated on every page, the title and date in the page
// header; the header row stays in view while scrolling.
func WriteXLSX(w io.Writer, rep *index.Report, m Meta) error {
	f := excelize.NewFile()
	defer f.Close()
	x, err := newXLSX(f, m)
	if err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	sheets := []struct {
		name  string
		write func(string)
	}{
		{m.t("report.sheet_summary"), func(s string) { x.summary(s, rep) }},
		{m.t("report.sheet_indices"), func(s string) { x.indices(s, rep) }},
		{m.t("report.sheet_agencies"), func(s string) { x.agencies(s, rep) }},
		{m.t("report.sae.sheet"), func(s string) { x.smallAreas(s, rep) }},
		{m.t("report.sheet_unweighted"), func(s string) { x.unweighted(s, rep) }},
		{m.t("report.sheet_columns"), func(s string) { x.columns(s, rep) }},
		{m.t("report.sheet_notes"), func(s string) { x.notes(s, rep) }},
	}
	if rep.SmallArea == nil {
		sheets = append(sheets[:3], sheets[4:]...)
	}
	for i, sh := range sheets {
		if i == 0 {
			x.err = f.SetSheetName("Sheet1", sh.name)
		} else if x.err == nil {
			_, x.err = f.NewSheet(sh.name)
		}
		sh.write(sh.name)
	}
	if x.err != nil {
		return fmt.Errorf("report: write xlsx: %w", x.err)
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title: SafeCell(m.t("report.title")), Subject: SafeCell(m.baselineLabel(rep)), Creator: "sipas",
		Language: m.loc().Tag, Created: m.generated().UTC().Format(time.RFC3339),
	}); err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	return nil
}

// Number formats. Percent formats scale by 100 in the spreadsheet, so estimate cells hold the
// same fractions as the JSON. Changes are held in percentage points (the difference × 100)
// under a header that says so, because a "%" format would write "+2,0%" for what is 2 points.
// The spreadsheet writes the decimal separator of its own locale; the literal "< 0,001" of
// the p format is the report language's (fmtPLess).
const (
	fmtPct    = "0.0%"
	fmtPoints = "+0.0;-0.0;0.0"
	fmtCount  = "#,##0"
	fmtDec1   = "#,##0.0"
	fmtDec2   = "0.00"
	fmtGamma  = "0%"
	fmtYear   = "0"
	fmtDate   = "dd/mm/yyyy"
)

// fmtPLess is the p-value format: three decimals, and below 0.001 the words "< 0.001" in the
// report language's number conventions, never 0.000.
func (m Meta) fmtPLess() string {
	return `[<0.001]"< ` + m.loc().Number(0.001, 3) + `";0.000`
}

// xlsx writes the report sheets, keeping the first error so that the sheet builders read as
// straight-line code.
type xlsx struct {
	f   *excelize.File
	m   Meta
	err error
	// Style IDs.
	header, title, bold, wrap, text, boldT                       int
	pct, points, p, count, dec1, dec2, gamma, year, date, italic int
}

func newXLSX(f *excelize.File, m Meta) (*xlsx, error) {
	x := &xlsx{f: f, m: m}
	style := func(s *excelize.Style) int {
		if x.err != nil {
			return 0
		}
		var id int
		id, x.err = f.NewStyle(s)
		return id
	}
	top := &excelize.Alignment{Vertical: "top"}
	numFmt := func(code string) int { return style(&excelize.Style{CustomNumFmt: &code, Alignment: top}) }
	wrapTop := &excelize.Alignment{Vertical: "top", WrapText: true}
	x.header = style(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE6F0"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "000000", Style: 2}},
	})
	x.title = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	x.bold = style(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: top})
	x.boldT = style(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: wrapTop})
	x.italic = style(&excelize.Style{Font: &excelize.Font{Italic: true}, Alignment: wrapTop})
	x.wrap = style(&excelize.Style{Alignment: wrapTop})
	x.text = style(&excelize.Style{Alignment: top})
	x.pct, x.points, x.p = numFmt(fmtPct), numFmt(fmtPoints), numFmt(m.fmtPLess())
	x.count, x.dec1, x.dec2, x.gamma = numFmt(fmtCount), numFmt(fmtDec1), numFmt(fmtDec2), numFmt(fmtGamma)
	x.year, x.date = numFmt(fmtYear), numFmt(fmtDate)
	return x, x.err
}

// cell is one value to write and its style. A nil value, or a nil *float64 or *int, leaves
// the cell empty (an undefined quantity); the style still applies.
type cell struct {
	v     any
	style int
}

// put writes cells into row (1-based) from column A on.
func (x *xlsx) put(sheet string, row int, cells ...cell) {
	for i, c := range cells {
		if x.err != nil {
			return
		}
		ref, err := excelize.CoordinatesToCellName(i+1, row)
		if err != nil {
			x.err = err
			return
		}
		switch v := c.v.(type) {
		case nil:
		case string:
			// The one place text reaches a cell, so nothing bypasses SafeCell.
			x.err = x.f.SetCellStr(sheet, ref, SafeCell(v))
		case *float64:
			if v != nil {
				x.err = x.f.SetCellFloat(sheet, ref, *v, -1, 64)
			}
		case float64:
			x.err = x.f.SetCellFloat(sheet, ref, v, -1, 64)
		case int:
			x.err = x.f.SetCellInt(sheet, ref, int64(v))
		case time.Time:
			x.err = x.f.SetCellValue(sheet, ref, v)
		default:
			x.err = fmt.Errorf("cell %s: unsupported value %T", ref, v)
		}
		if x.err == nil && c.style != 0 {
			x.err = x.f.SetCellStyle(sheet, ref, ref, c.style)
		}
	}
}

func (x *xlsx) widths(sheet string, widths ...float64) {
	for i, wd := range widths {
		if x.err != nil {
			return
		}
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			x.err = err
			return
		}
		x.err = x.f.SetColWidth(sheet, col, col, wd)
	}
}

// column is one column of a table sheet: the catalogue key of its header (key+"_help" is
// the sentence that explains it on the columns sheet) and its width.
type column struct {
	key   string
	width float64
}

// table starts a table sheet: a bold header row that stays in view while scrolling and
// repeats on every printed page, an autofilter over the rows to come, and the print setup.
func (x *xlsx) table(sheet string, rows int, cols []column) {
	hs := make([]cell, len(cols))
	for i, c := range cols {
		hs[i] = cell{x.m.t(c.key), x.header}
		if x.err == nil {
			name, _ := excelize.ColumnNumberToName(i + 1)
			x.err = x.f.SetColWidth(sheet, name, name, c.width)
		}
	}
	x.put(sheet, 1, hs...)
	if x.err != nil {
		return
	}
	x.err = x.f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	if x.err == nil && rows > 0 {
		last, err := excelize.CoordinatesToCellName(len(cols), rows+1)
		if err != nil {
			x.err = err
			return
		}
		x.err = x.f.AutoFilter(sheet, "A1:"+last, nil)
	}
	x.print(sheet, true) // after the autofilter, which rewrites the sheet's properties
}

// print sets a sheet up for A4 landscape, fitted to the page width (as many pages down as
// needed), the report's title and date in the page header and "page X/N" in the footer; with
// repeat, row 1 prints on every page.
func (x *xlsx) print(sheet string, repeat bool) {
	if x.err != nil {
		return
	}
	a4, landscape, wide, tall := 9, "landscape", 1, 0
	fit := true
	if x.err = x.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall}); x.err != nil {
		return
	}
	if x.err = x.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); x.err != nil {
		return
	}
	m := x.m
	amp := strings.NewReplacer("&", "&&")
	head := "&L&B" + amp.Replace(m.t("report.title")) + "&B · " + amp.Replace(plain(m.Scope)) +
		"&R" + amp.Replace(m.t("report.generated")+": "+m.loc().Date(m.generated()))
	foot := "&L" + amp.Replace(sheet) + "&R" + m.t("report.page_xlsx") // its &P and &N are the codes of the page numbers
	if x.err = x.f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddHeader: head, OddFooter: foot}); x.err != nil || !repeat {
		return
	}
	x.err = x.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + strings.ReplaceAll(sheet, "'", "''") + "'!$1:$1", Scope: sheet})
}

// merge merges columns A to the given column of row, for a sentence that should wrap across
// the table's width, and makes the row tall enough.
func (x *xlsx) merge(sheet string, row, cols int, height float64) {
	if x.err != nil {
		return
	}
	last, err := excelize.CoordinatesToCellName(cols, row)
	if err != nil {
		x.err = err
		return
	}
	if x.err = x.f.MergeCell(sheet, fmt.Sprintf("A%d", row), last); x.err != nil {
		return
	}
	x.err = x.f.SetRowHeight(sheet, row, height)
}

// sentence writes a sentence across the sheet's first cols columns at row, tall enough for
// its length, and returns the next row.
func (x *xlsx) sentence(sheet string, row, cols int, s string, style int, charsPerLine float64) int {
	x.put(sheet, row, cell{s, style})
	lines := float64(len([]rune(s)))/charsPerLine + 1
	x.merge(sheet, row, cols, 15*float64(int(lines)))
	return row + 1
}

func (x *xlsx) summary(sheet string, rep *index.Report) {
	m := x.m
	surveyName := rep.Survey
	if q := m.Survey; q != nil {
		surveyName = fmt.Sprintf("%s (%s, %s)", q.Title.In(m.lang()), q.ID, q.Version)
	}
	x.put(sheet, 1, cell{m.t("report.title"), x.title})
	info := []struct {
		label string
		value cell
	}{
		{m.t("report.survey"), cell{surveyName, x.text}},
		{m.t("report.year"), cell{rep.Year, x.year}},
		{m.t("report.baseline"), cell{m.baselineLabel(rep), x.text}},
		{m.t("report.scope"), cell{dash(m.Scope), x.text}},
		{m.t("report.filters"), cell{m.filtersLabel(rep), x.text}},
		{m.t("report.respondents"), cell{rep.Respondents, x.count}},
		{m.t("report.generated"), cell{calendar.DateOnly(m.generated()), x.date}},
	}
	row := 3
	for _, it := range info {
		x.put(sheet, row, cell{it.label, x.bold}, it.value)
		row++
	}
	row = x.headline(sheet, row+1, rep)
	row = x.sentence(sheet, row+1, 12, m.summarySentence(rep), x.boldT, 130)
	row++
	x.put(sheet, row, cell{m.t("report.how_to_read"), x.bold})
	for _, s := range m.Guide(rep).Sentences() {
		row = x.sentence(sheet, row+1, 12, "• "+s, x.wrap, 150) - 1
	}
	x.widths(sheet, 46, 12, 13, 13, 10, 12, 13, 14, 14, 14, 10, 30, 34)
	x.print(sheet, false)
}

// dash is s, or "–" when s is empty.
func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// headline writes, from row on, the overall index as a small table with its header. It
// returns the row after it.
func (x *xlsx) headline(sheet string, row int, rep *index.Report) int {
	m := x.m
	ov := overallIndex(rep)
	if ov == nil {
		return row
	}
	l := m.IndexLine(rep, ov)
	header := []cell{{"", x.header}, {m.t("report.col_estimate"), x.header}, {m.t("report.col_ci_low"), x.header},
		{m.t("report.col_ci_high"), x.header}, {m.t("report.col_n"), x.header}, {m.t("report.col_rate"), x.header}}
	if rep.Baseline != nil {
		header = append(header, cell{m.t("report.baseline_index", rep.Baseline.Year), x.header},
			cell{m.t("report.change_from", rep.Baseline.Year), x.header},
			cell{m.t("report.col_change_low"), x.header}, cell{m.t("report.col_change_high"), x.header},
			cell{m.t("report.col_p"), x.header}, cell{m.t("report.verdict"), x.header}, cell{m.t("report.col_notes"), x.header})
	}
	x.put(sheet, row, header...)
	cells := []cell{{m.t("report.overall") + " (" + m.basisLabel(l.Stratified) + ")", x.boldT},
		{l.Estimate, x.pct}, {l.Low, x.pct}, {l.High, x.pct}, {l.N, x.count}, {l.Rate, x.pct}}
	if rep.Baseline != nil {
		cells = append(cells, x.changeCells(l, false)...)
		cells = append(cells, cell{l.VerdictText, x.boldT}, cell{strings.Join(l.Notes, " "), x.wrap})
	}
	x.put(sheet, row+1, cells...)
	return row + 2
}

// changeCells are a line's baseline estimate, difference in points, the difference's
// interval and its p (the adjusted one when adjusted); empty where the verdict is
// insufficient data, whose difference rests on nothing.
func (x *xlsx) changeCells(l Line, adjusted bool) []cell {
	var base *float64
	if l.Change != nil {
		base = l.Change.BaselineEstimate
	}
	if !l.HasDiff() {
		return []cell{{base, x.pct}, {nil, x.points}, {nil, x.points}, {nil, x.points}, {nil, x.p}}
	}
	p := l.Change.PValue
	if adjusted {
		p = l.PAdj
	}
	return []cell{{base, x.pct}, {points(l.Change.Diff), x.points}, {points(l.Change.CILow), x.points},
		{points(l.Change.CIHigh), x.points}, {p, x.p}}
}

// points is a difference of fractions in percentage points, nil for nil.
func points(d *float64) *float64 {
	if d == nil {
		return nil
	}
	v := *d * 100
	return &v
}

// indexColumns are the columns of the indices sheet.
func indexColumns() []column {
	return []column{{"report.col_code", 8}, {"report.col_kind", 11}, {"report.col_text", 48},
		{"report.col_basis", 16}, {"report.col_estimate", 9}, {"report.col_ci_low", 10},
		{"report.col_ci_high", 10}, {"report.col_n", 9}, {"report.col_rate", 10},
		{"report.col_indicative", 12}, {"report.col_baseline_estimate", 11},
		{"report.col_change", 12}, {"report.col_change_low", 12}, {"report.col_change_high", 12},
		{"report.col_p", 9}, {"report.col_p_holm", 9}, {"report.verdict", 26},
		{"report.col_how", 24}, {"report.col_var_rule", 14}, {"report.col_notes", 44},
		{"report.col_dropped", 18}}
}

func (x *xlsx) indices(sheet string, rep *index.Report) {
	m := x.m
	order := readingOrder(rep)
	x.table(sheet, len(order), indexColumns())
	for i, idx := range order {
		l := m.IndexLine(rep, idx)
		style := x.text
		if idx.Kind != index.KindQuestion {
			style = x.bold
		}
		cells := []cell{{idx.ID, style}, {m.kindLabel(idx.Kind), x.text}, {l.Label, x.wrap}, {m.basisLabel(l.Stratified), x.wrap},
			{l.Estimate, x.pct}, {l.Low, x.pct}, {l.High, x.pct}, {l.N, x.count}, {l.Rate, x.pct}, {m.yes(l.Indicative), x.text}}
		ch := x.changeCells(l, false)
		var pHolm *float64
		if l.Adjusted && l.HasDiff() {
			pHolm = l.PAdj
		}
		cells = append(cells, ch[0], ch[1], ch[2], ch[3], ch[4], cell{pHolm, x.p}, cell{l.VerdictText, x.wrap},
			cell{l.HowText, x.wrap}, cell{m.varRule(l.Change), x.text}, cell{strings.Join(l.Notes, " "), x.wrap},
			cell{dropped(idx), x.wrap})
		x.put(sheet, i+2, cells...)
	}
}

// yes says a flag in words: the catalogue's "có", or "" when it is not set.
func (m Meta) yes(b bool) string {
	if b {
		return m.t("report.yes")
	}
	return ""
}

// varRule names where a comparison's baseline variance comes from, or "".
func (m Meta) varRule(ch *index.Change) string {
	if ch == nil || ch.BaselineVarRule == nil {
		return ""
	}
	return m.t("report.var_rule_" + *ch.BaselineVarRule)
}

// dropped lists the questions an index left out, on its headline basis.
func dropped(idx *index.Index) string {
	est := idx.Stratified
	if est == nil {
		est = idx.Unweighted
	}
	if est == nil || est.Composition == nil {
		return ""
	}
	return strings.Join(est.DroppedQuestions, ", ")
}
