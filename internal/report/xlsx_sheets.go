package report

import (
	"strings"

	"sipas/internal/index"
)

// agencyColumns are the columns of the agencies sheet.
func agencyColumns() []column {
	return []column{{"report.col_rank", 11}, {"report.col_agency", 13}, {"report.col_agency_name", 34},
		{"report.col_n", 9}, {"report.col_rate", 10}, {"report.col_estimate", 9}, {"report.col_ci_low", 10},
		{"report.col_ci_high", 10}, {"report.col_indicative", 12}, {"report.col_compared_to", 34},
		{"report.col_baseline_estimate", 11}, {"report.col_change", 12}, {"report.col_change_low", 12},
		{"report.col_change_high", 12}, {"report.col_p", 9}, {"report.col_p_holm", 9},
		{"report.verdict_holm_long", 26}, {"report.col_how", 24}, {"report.col_notes", 44}}
}

func (x *xlsx) agencies(sheet string, rep *index.Report) {
	m := x.m
	lines := m.AgencyLines(rep)
	x.table(sheet, len(lines), agencyColumns())
	for i, l := range lines {
		cells := []cell{{dash(l.RankText), x.text}, {l.ID, x.text}, {l.Label, x.wrap}, {l.N, x.count}, {l.Rate, x.pct},
			{l.Estimate, x.pct}, {l.Low, x.pct}, {l.High, x.pct}, {m.yes(l.Indicative), x.text}, {l.ComparedTo, x.wrap}}
		ch := x.changeCells(l, false)
		var pHolm *float64
		if l.HasDiff() {
			pHolm = l.PAdj
		}
		cells = append(cells, ch[0], ch[1], ch[2], ch[3], ch[4], cell{pHolm, x.p}, cell{l.VerdictText, x.wrap},
			cell{l.HowText, x.wrap}, cell{strings.Join(l.Notes, " "), x.wrap})
		x.put(sheet, i+2, cells...)
	}
}

// smallAreaColumns are the columns of the small-area sheet.
func smallAreaColumns() []column {
	return []column{{"report.col_rank", 11}, {"report.col_agency", 13}, {"report.col_agency_name", 30},
		{"report.col_n", 8}, {"report.sae.col_direct", 11}, {"report.sae.col_direct_low", 11}, {"report.sae.col_direct_high", 11},
		{"report.sae.col_model", 11}, {"report.sae.col_model_low", 11}, {"report.sae.col_model_high", 11}, {"report.sae.col_gamma", 12},
		{"report.sae.col_gamma_words", 40}, {"report.sae.col_synthetic", 12}, {"report.sae.col_baseline", 11}}
}

func (x *xlsx) smallAreas(sheet string, rep *index.Report) {
	m := x.m
	lines, _ := m.AreaLines(rep)
	lines = byModel(lines)
	x.table(sheet, len(lines), smallAreaColumns())
	for i, a := range lines {
		x.put(sheet, i+2, cell{dash(a.RankText), x.text}, cell{a.Agency, x.text}, cell{a.Name, x.wrap}, cell{a.N, x.count},
			cell{a.Direct, x.pct}, cell{a.DLow, x.pct}, cell{a.DHigh, x.pct}, cell{a.Model, x.pct}, cell{a.MLow, x.pct},
			cell{a.MHigh, x.pct}, cell{a.Gamma, x.gamma}, cell{a.GammaText, x.wrap}, cell{m.yes(a.Synthetic), x.text},
			cell{a.Baseline, x.pct})
	}
	row := len(lines) + 3
	for _, s := range append(m.SmallAreaSummary(rep), m.SmallAreaWarnings(rep.SmallArea)...) {
		row = x.sentence(sheet, row, 12, s, x.wrap, 150)
	}
}

// unweightedColumns are the columns of the unweighted diagnostic sheet.
func unweightedColumns() []column {
	return []column{{"report.col_code", 8}, {"report.col_text", 48}, {"report.col_estimate_unweighted", 12},
		{"report.col_ci_low", 10}, {"report.col_ci_high", 10}, {"report.col_n", 9},
		{"report.col_baseline_estimate", 11}, {"report.col_change", 12}, {"report.col_change_low", 12},
		{"report.col_change_high", 12}}
}

// unweighted writes the unweighted basis of every index as numbers only: it is a diagnostic
// (METHODS §12) and carries no verdict words.
func (x *xlsx) unweighted(sheet string, rep *index.Report) {
	m := x.m
	order := readingOrder(rep)
	x.table(sheet, len(order), unweightedColumns())
	for i, idx := range order {
		e, ch := idx.Unweighted, (*index.Change)(nil)
		if idx.Change != nil {
			ch = idx.Change.Unweighted
		}
		cells := []cell{{idx.ID, x.text}, {m.indexLabel(idx), x.wrap}, {nil, x.pct}, {nil, x.pct}, {nil, x.pct}, {nil, x.count}}
		if e != nil {
			cells[2].v, cells[3].v, cells[4].v, cells[5].v = e.Value, e.CILow, e.CIHigh, e.N
		}
		if ch != nil && ch.Verdict != index.InsufficientData {
			cells = append(cells, cell{ch.BaselineEstimate, x.pct}, cell{points(ch.Diff), x.points},
				cell{points(ch.CILow), x.points}, cell{points(ch.CIHigh), x.points})
		}
		x.put(sheet, i+2, cells...)
	}
	x.sentence(sheet, len(order)+3, 10, m.t("report.unweighted_note"), x.italic, 150)
}

// columns writes the sheet that explains, in plain words, every column of the table sheets.
func (x *xlsx) columns(sheet string, rep *index.Report) {
	m := x.m
	x.table(sheet, 0, []column{{"report.col_sheet", 18}, {"report.col_column", 34}, {"report.col_meaning", 110}})
	tables := []struct {
		sheet string
		cols  []column
	}{
		{m.t("report.sheet_indices"), indexColumns()}, {m.t("report.sheet_agencies"), agencyColumns()},
		{m.t("report.sae.sheet"), smallAreaColumns()}, {m.t("report.sheet_unweighted"), unweightedColumns()},
	}
	if rep.SmallArea == nil {
		tables = append(tables[:2], tables[3:]...)
	}
	row := 2
	for _, t := range tables {
		for _, c := range t.cols {
			x.put(sheet, row, cell{t.sheet, x.text}, cell{m.t(c.key), x.bold}, cell{m.t(c.key + "_help"), x.wrap})
			row++
		}
	}
}

func (x *xlsx) notes(sheet string, rep *index.Report) {
	m := x.m
	x.put(sheet, 1, cell{m.t("report.method_head"), x.header})
	x.widths(sheet, 130)
	for i, n := range methodNotes(rep, m) {
		x.put(sheet, i+2, cell{n, x.wrap})
	}
	x.print(sheet, false)
}

// methodNoteKeys are the catalogue keys of the method notes every report carries, in order.
var methodNoteKeys = []string{"report.note_share", "report.note_aspect", "report.note_weights",
	"report.note_ci", "report.note_change", "report.note_holm", "report.note_league", "report.note_rank",
	"report.note_indicative", "report.note_rate", "report.note_reorganised"}

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
	if rep.SmallArea != nil {
		notes = append(notes, m.SmallAreaSummary(rep)...)
	}
	return notes
}
