package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"sipas/internal/calendar"
	"sipas/internal/index"
)

// WriteXLSX writes rep as an XLSX workbook for officials, in m.Lang, with
// four sheets:
//
//   - "Tổng hợp" (Summary): survey, year, baseline, scope, filters,
//     respondents, and the overall index with its interval and change on the
//     headline basis, plus the unweighted diagnostic and the conclusion in
//     one sentence;
//   - "Chỉ số" (Indices): every index on both bases, a row per index and
//     basis as in the CSV, with the questions' wording;
//   - "Cơ quan" (Agencies): the league table, highest index first, with the
//     Holm-adjusted verdict and the "indicative only" flag;
//   - "Phương pháp" (Method): what the numbers mean and how they were
//     computed.
//
// Every quantity is a number cell (fractions with a 0.0% format, counts
// with #,##0), never text, and every text cell goes through SafeCell.
func WriteXLSX(w io.Writer, rep *index.Report, m Meta) error {
	f := excelize.NewFile()
	defer f.Close()
	x, err := newXLSX(f)
	if err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	if err := f.SetSheetName("Sheet1", m.t("report.sheet_summary")); err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	for _, name := range []string{m.t("report.sheet_indices"), m.t("report.sheet_agencies"), m.t("report.sheet_notes")} {
		if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("report: write xlsx: %w", err)
		}
	}
	x.summary(m.t("report.sheet_summary"), rep, m)
	x.indices(m.t("report.sheet_indices"), rep, m)
	x.agencies(m.t("report.sheet_agencies"), rep, m)
	x.notes(m.t("report.sheet_notes"), rep, m)
	if x.err != nil {
		return fmt.Errorf("report: write xlsx: %w", x.err)
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:    SafeCell(m.t("report.title")),
		Subject:  SafeCell(m.baselineLabel(rep)),
		Creator:  "sipas",
		Language: m.loc().Tag,
		Created:  m.generated().UTC().Format(time.RFC3339),
	}); err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("report: write xlsx: %w", err)
	}
	return nil
}

// Number formats. Percent formats scale by 100 in the spreadsheet, so the
// cells hold the same fractions as the JSON. A difference of two fractions
// is in percentage points; it uses a signed percent format under a header
// that says "điểm %".
const (
	fmtPct    = "0.0%"
	fmtPct2   = "0.00%"
	fmtPoints = "+0.0%;-0.0%;0.0%"
	fmtP      = "[<0.001]0.00E+00;0.0000" // 0.0000 would hide p = 0.00002
	fmtCount  = "#,##0"
	fmtDec1   = "#,##0.0"
	fmtDec2   = "0.00"
	fmtYear   = "0"
	fmtDate   = "dd/mm/yyyy"
)

// xlsx writes the report sheets, keeping the first error so that the
// sheet builders read as straight-line code.
type xlsx struct {
	f   *excelize.File
	err error
	// Style IDs.
	header, title, bold, wrap, text                            int
	pct, pct2, points, p, count, dec1, dec2, year, date, boldT int
}

func newXLSX(f *excelize.File) (*xlsx, error) {
	x := &xlsx{f: f}
	style := func(s *excelize.Style) int {
		if x.err != nil {
			return 0
		}
		var id int
		id, x.err = f.NewStyle(s)
		return id
	}
	numFmt := func(code string) int {
		return style(&excelize.Style{CustomNumFmt: &code, Alignment: &excelize.Alignment{Vertical: "top"}})
	}
	top := &excelize.Alignment{Vertical: "top"}
	x.header = style(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE6F0"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "7F7F7F", Style: 1}},
	})
	x.title = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	x.bold = style(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: top})
	x.boldT = style(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	x.wrap = style(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	x.text = style(&excelize.Style{Alignment: top})
	x.pct = numFmt(fmtPct)
	x.pct2 = numFmt(fmtPct2)
	x.points = numFmt(fmtPoints)
	x.p = numFmt(fmtP)
	x.count = numFmt(fmtCount)
	x.dec1 = numFmt(fmtDec1)
	x.dec2 = numFmt(fmtDec2)
	x.year = numFmt(fmtYear)
	x.date = numFmt(fmtDate)
	return x, x.err
}

// cell is one value to write and its style. A nil value, or a nil *float64,
// leaves the cell empty (an undefined quantity); the style still applies.
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

// table starts a sheet with a bold header row that stays in view while
// scrolling, and an autofilter over the rows to come.
func (x *xlsx) table(sheet string, rows int, header []string, widths []float64) {
	hs := make([]cell, len(header))
	for i, h := range header {
		hs[i] = cell{h, x.header}
	}
	x.put(sheet, 1, hs...)
	x.widths(sheet, widths...)
	if x.err != nil {
		return
	}
	x.err = x.f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	if x.err != nil || rows == 0 {
		return
	}
	last, err := excelize.CoordinatesToCellName(len(header), rows+1)
	if err != nil {
		x.err = err
		return
	}
	x.err = x.f.AutoFilter(sheet, "A1:"+last, nil)
}

func (x *xlsx) summary(sheet string, rep *index.Report, m Meta) {
	surveyName := rep.Survey
	if q := m.Survey; q != nil {
		surveyName = fmt.Sprintf("%s (%s, %s)", q.Title.In(m.lang()), q.ID, q.Version)
	}
	scope := m.Scope
	if scope == "" {
		scope = "–"
	}
	x.put(sheet, 1, cell{m.t("report.title"), x.title})
	info := []struct {
		label string
		value cell
	}{
		{m.t("report.survey"), cell{surveyName, x.text}},
		{m.t("report.year"), cell{rep.Year, x.year}},
		{m.t("report.baseline"), cell{m.baselineLabel(rep), x.text}},
		{m.t("report.scope"), cell{scope, x.text}},
		{m.t("report.filters"), cell{m.filtersLabel(rep), x.text}},
		{m.t("report.respondents"), cell{rep.Respondents, x.count}},
		{m.t("report.generated"), cell{calendar.DateOnly(m.generated()), x.date}},
	}
	row := 3
	for _, it := range info {
		x.put(sheet, row, cell{it.label, x.bold}, it.value)
		row++
	}
	row = x.headline(sheet, row+1, rep, m)
	row++
	x.put(sheet, row, cell{m.summarySentence(rep), x.boldT})
	x.merge(sheet, row, 11, 48)
	if ov := overallIndex(rep); ov != nil && ov.Stratified == nil {
		row++
		x.put(sheet, row, cell{m.t("report.unweighted_fallback"), x.wrap})
		x.merge(sheet, row, 11, 32)
	}
	x.widths(sheet, 52, 12, 13, 13, 11, 14, 16, 14, 14, 10, 34)
}

// headline writes, from row on, the headline as a small table: the overall index on the
// headline basis, then the unweighted diagnostic. It returns the row after it.
func (x *xlsx) headline(sheet string, row int, rep *index.Report, m Meta) int {
	header := []cell{{"", x.header}, {m.t("report.col_estimate"), x.header}, {m.t("report.col_ci_low"), x.header},
		{m.t("report.col_ci_high"), x.header}, {m.t("report.col_n"), x.header}}
	if rep.Baseline != nil {
		header = append(header, cell{m.t("report.baseline_index", rep.Baseline.Year), x.header},
			cell{m.t("report.change_from", rep.Baseline.Year), x.header},
			cell{m.t("report.col_change_low"), x.header}, cell{m.t("report.col_change_high"), x.header},
			cell{m.t("report.col_p"), x.header}, cell{m.t("report.verdict"), x.header})
	}
	x.put(sheet, row, header...)
	row++
	if ov := overallIndex(rep); ov != nil {
		est, ch, strat := headline(ov)
		x.put(sheet, row, x.overallRow(m.t("report.overall")+" ("+m.basisLabel(strat)+")", est, ch, rep, m)...)
		row++
		if strat {
			var uch *index.Change
			if ov.Change != nil {
				uch = ov.Change.Unweighted
			}
			x.put(sheet, row, x.overallRow(m.t("report.diagnostic"), ov.Unweighted, uch, rep, m)...)
			row++
		}
	}
	return row
}

// overallRow is one line of the summary's headline table.
func (x *xlsx) overallRow(label string, est *index.Estimate, ch *index.Change, rep *index.Report, m Meta) []cell {
	cells := []cell{{label, x.boldT}}
	if est != nil {
		cells = append(cells, cell{est.Value, x.pct}, cell{est.CILow, x.pct}, cell{est.CIHigh, x.pct}, cell{est.N, x.count})
	} else {
		cells = append(cells, cell{nil, x.pct}, cell{nil, x.pct}, cell{nil, x.pct}, cell{nil, x.count})
	}
	if rep.Baseline == nil {
		return cells
	}
	if ch == nil {
		return append(cells, cell{}, cell{}, cell{}, cell{}, cell{}, cell{m.verdictLabel(index.InsufficientData), x.wrap})
	}
	return append(cells, cell{ch.BaselineEstimate, x.pct}, cell{ch.Diff, x.points}, cell{ch.CILow, x.points},
		cell{ch.CIHigh, x.points}, cell{ch.PValue, x.p}, cell{m.verdictLabel(ch.Verdict), x.boldT})
}

// merge merges columns A to the given column of row, for a sentence that
// should wrap across the table's width, and makes the row tall enough.
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

func (x *xlsx) indices(sheet string, rep *index.Report, m Meta) {
	x.table(sheet, 2*len(rep.Indices), []string{
		m.t("report.col_code"), m.t("report.col_kind"), m.t("kind.aspect"), m.t("report.col_text"), m.t("report.col_basis"),
		m.t("report.col_estimate"), m.t("report.col_ci_low"), m.t("report.col_ci_high"), m.t("report.col_se"), m.t("report.col_n"), m.t("report.col_n_eff"), m.t("report.col_deff"),
		m.t("report.col_change"), m.t("report.col_change_low"), m.t("report.col_change_high"), m.t("report.col_p"), m.t("report.verdict"),
		m.t("report.col_baseline_estimate"), m.t("report.col_baseline_n"), m.t("report.col_dropped"),
	}, []float64{9, 12, 8, 52, 24, 9, 11, 11, 10, 9, 11, 10, 12, 13, 13, 9, 32, 11, 11, 22})
	row := 2
	for i := range rep.Indices {
		idx := &rep.Indices[i]
		for _, strat := range []bool{true, false} {
			est, ch := idx.Unweighted, (*index.Change)(nil)
			if strat {
				est = idx.Stratified
			}
			if idx.Change != nil {
				ch = idx.Change.Unweighted
				if strat {
					ch = idx.Change.Stratified
				}
			}
			cells := []cell{
				{idx.ID, x.bold}, {m.kindLabel(idx.Kind), x.text}, {idx.Aspect, x.text},
				{m.indexLabel(idx), x.wrap}, {m.basisLabel(strat), x.text},
			}
			var dropped string
			if est != nil {
				cells = append(cells, cell{est.Value, x.pct}, cell{est.CILow, x.pct}, cell{est.CIHigh, x.pct},
					cell{est.SE, x.pct2}, cell{est.N, x.count})
				if de := est.DesignEffect; de != nil {
					cells = append(cells, cell{de.NEff, x.dec1}, cell{de.Deff, x.dec2})
				} else {
					cells = append(cells, cell{}, cell{})
				}
				if c := est.Composition; c != nil {
					dropped = strings.Join(c.DroppedQuestions, ", ")
				}
			} else {
				cells = append(cells, make([]cell, 7)...)
			}
			switch {
			case ch != nil:
				cells = append(cells, cell{ch.Diff, x.points}, cell{ch.CILow, x.points}, cell{ch.CIHigh, x.points},
					cell{ch.PValue, x.p}, cell{m.verdictLabel(ch.Verdict), x.wrap},
					cell{ch.BaselineEstimate, x.pct}, cell{ch.BaselineN, x.count})
			case rep.Baseline != nil:
				cells = append(cells, cell{}, cell{}, cell{}, cell{}, cell{m.verdictLabel(index.InsufficientData), x.wrap}, cell{}, cell{})
			default:
				cells = append(cells, make([]cell, 7)...)
			}
			cells = append(cells, cell{dropped, x.wrap})
			x.put(sheet, row, cells...)
			row++
		}
	}
}

// leagueOrder returns the agency rows sorted for a league table: highest
// index first, agencies without an index last, ties by code so the order
// is stable. The report itself keeps code order.
func leagueOrder(rows []index.AgencyRow) []index.AgencyRow {
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b index.AgencyRow) int {
		switch {
		case a.Estimate == nil && b.Estimate == nil:
		case a.Estimate == nil:
			return 1
		case b.Estimate == nil:
			return -1
		default:
			if c := cmp.Compare(*b.Estimate, *a.Estimate); c != 0 {
				return c
			}
		}
		return strings.Compare(a.Agency, b.Agency)
	})
	return out
}

func (x *xlsx) agencies(sheet string, rep *index.Report, m Meta) {
	x.table(sheet, len(rep.Agencies), []string{
		m.t("report.col_no"), m.t("report.col_agency"), m.t("report.col_agency_name"), m.t("report.col_n"), m.t("report.col_estimate"), m.t("report.col_ci_low"), m.t("report.col_ci_high"),
		m.t("report.col_change"), m.t("report.col_change_low"), m.t("report.col_change_high"), m.t("report.col_p"), m.t("report.col_p_holm"), m.t("report.verdict_holm_long"),
		m.t("report.col_baseline_estimate"), m.t("report.col_baseline_n"), m.t("report.col_note"),
	}, []float64{6, 12, 40, 9, 9, 11, 11, 12, 13, 13, 9, 9, 32, 11, 11, 34})
	for i, a := range leagueOrder(rep.Agencies) {
		cells := []cell{
			{i + 1, x.count}, {a.Agency, x.text}, {m.agencyName(a.Agency), x.wrap}, {a.N, x.count},
			{a.Estimate, x.pct}, {a.CILow, x.pct}, {a.CIHigh, x.pct},
		}
		switch c := a.Change; {
		case c != nil:
			cells = append(cells, cell{c.Diff, x.points}, cell{c.CILow, x.points}, cell{c.CIHigh, x.points},
				cell{c.PValue, x.p}, cell{c.PHolm, x.p}, cell{m.verdictLabel(c.VerdictHolm), x.wrap},
				cell{c.BaselineEstimate, x.pct}, cell{c.BaselineN, x.count})
		case rep.Baseline != nil:
			cells = append(cells, cell{}, cell{}, cell{}, cell{}, cell{}, cell{m.verdictLabel(index.InsufficientData), x.wrap}, cell{}, cell{})
		default:
			cells = append(cells, make([]cell, 8)...)
		}
		note := ""
		if a.Indicative {
			note = m.t("report.indicative")
		}
		cells = append(cells, cell{note, x.wrap})
		x.put(sheet, i+2, cells...)
	}
}

func (x *xlsx) notes(sheet string, rep *index.Report, m Meta) {
	x.put(sheet, 1, cell{m.t("report.method_head"), x.header})
	x.widths(sheet, 120)
	for i, n := range methodNotes(rep, m) {
		x.put(sheet, i+2, cell{n, x.wrap})
	}
}

// methodNoteKeys are the catalogue keys of the method notes every report carries, in order.
var methodNoteKeys = []string{"report.note_share", "report.note_aspect", "report.note_weights",
	"report.note_ci", "report.note_change", "report.note_league", "report.note_indicative"}

// methodNotes returns the method notes that apply to rep.
func methodNotes(rep *index.Report, m Meta) []string {
	notes := make([]string, len(methodNoteKeys))
	for i, k := range methodNoteKeys {
		notes[i] = m.t(k)
	}
	if rep.Baseline != nil && rep.Baseline.Source == index.SourceAggregates {
		notes = append(notes, m.t("report.note_aggregates"))
	}
	if ov := overallIndex(rep); ov != nil && ov.Stratified == nil {
		notes = append(notes, m.t("report.unweighted_fallback"))
	}
	return notes
}
