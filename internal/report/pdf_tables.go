package report

import (
	"strconv"

	"sipas/internal/i18n"
	"sipas/internal/index"
)

// highlights writes the key points: what changed, what is uncertain.
func (p *pdfDoc) highlights() {
	hl := p.m.Highlights(p.rep)
	if len(hl) == 0 {
		return
	}
	p.heading(p.m.t("report.highlights"))
	p.bullets(hl, 9)
}

// bullets writes items as a bulleted list in the given font size.
func (p *pdfDoc) bullets(items []string, size float64) {
	p.font(false, size)
	h := size * 0.5
	for _, n := range items {
		p.pdf.SetX(pdfMargin)
		p.pdf.CellFormat(4, h, "•", "", 0, "L", false, 0, "")
		p.pdf.SetLeftMargin(pdfMargin + 4)
		p.para(h, n)
		p.pdf.SetLeftMargin(pdfMargin)
		p.pdf.Ln(0.8)
	}
}

// guide writes how to read the table above: the sentences given, in small type.
func (p *pdfDoc) guide(sentences ...string) {
	var items []string
	for _, s := range sentences {
		if s != "" {
			items = append(items, s)
		}
	}
	p.pdf.Ln(1.5)
	p.bullets(items, 7.5)
}

// indicesTable lists every index on its one basis, each aspect followed by its criteria and
// the overall index last, with the one verdict of each: Holm's for criteria, the interval's
// for aspects and the overall index.
func (p *pdfDoc) indicesTable() {
	m, rep := p.m, p.rep
	ov := overallIndex(rep)
	strat := ov == nil || ov.Stratified != nil
	p.heading(m.t("report.indices_table") + " (" + m.basisLabel(strat) + ")")
	hasBase := rep.Baseline != nil
	cols := []pdfCol{{m.t("report.col_code"), 11, "L"}, {m.t("report.col_text"), 0, "L"}, {m.t("report.col_estimate"), 13, "R"},
		{i18n.UpperFirst(m.t("report.ci")), 26, "C"}, {m.t("report.col_n_short"), 12, "R"}}
	if hasBase {
		cols = append(cols, pdfCol{m.t("report.baseline_index", rep.Baseline.Year), 14, "R"},
			pdfCol{m.t("report.col_change"), 19, "R"}, pdfCol{m.t("report.verdict"), 29, "L"})
	}
	fitText(cols)
	var rows [][]string
	var bold []bool
	for _, idx := range readingOrder(rep) {
		l := m.IndexLine(rep, idx)
		code := idx.ID
		if idx.Kind == index.KindOverall {
			code = "" // its label says it; "overall" would not fit the column
		}
		r := []string{code, plain(l.Label), m.pct(l.Estimate), m.ci(l.Low, l.High), m.count(l.N)}
		if hasBase {
			var base *float64
			if l.Change != nil {
				base = l.Change.BaselineEstimate
			}
			r = append(r, m.pct(base), m.pointsNum(l.Diff()), dash(l.VerdictText))
		}
		rows = append(rows, r)
		bold = append(bold, idx.Kind != index.KindQuestion)
	}
	p.table(cols, rows, func(i int) bool { return bold[i] })
	g := m.Guide(rep)
	p.guide(g.Weights, g.CI, g.Interval, g.Questions, g.Points, g.Approximate)
}

// agencyTable draws the league table: highest index first, rank ranges, the units each
// agency is compared with, the Holm verdict over every agency, and a numbered note for every
// line that has something to say (why no verdict, why its own interval disagrees, indicative).
func (p *pdfDoc) agencyTable() {
	m, rep := p.m, p.rep
	p.heading(m.t("report.league"))
	p.font(false, 8.5)
	p.para(4.5, m.t("report.league_basis"))
	p.pdf.Ln(1)
	lines := m.AgencyLines(rep)
	if len(lines) == 0 {
		p.para(4.5, m.t("report.no_agencies"))
		return
	}
	hasBase := rep.Baseline != nil && rep.Baseline.Source == index.SourceResponses
	cols := []pdfCol{{m.t("report.col_rank"), 18, "L"}, {m.t("report.col_agency_name"), 0, "L"}, {m.t("report.col_n_short"), 11, "R"},
		{m.t("report.col_rate"), 14, "R"}, {m.t("report.col_estimate"), 13, "R"}, {i18n.UpperFirst(m.t("report.ci")), 26, "C"}}
	if hasBase {
		cols = append(cols, pdfCol{m.t("report.col_change"), 17, "R"}, pdfCol{m.t("report.verdict_holm"), 29, "L"})
	}
	fitText(cols)
	var rows [][]string
	var notes []string
	for _, l := range lines {
		name := plain(l.Label)
		if name != l.ID {
			name += " (" + l.ID + ")"
		}
		if l.Indicative {
			name += " *"
		}
		if l.ComparedTo != "" {
			name += "\n" + l.ComparedTo
		}
		for _, n := range l.Notes {
			if n == m.t("read.note_indicative") {
				continue // the star says it, with its note under the table
			}
			notes = append(notes, n)
			name += " (" + strconv.Itoa(len(notes)) + ")"
		}
		r := []string{dash(l.RankText), name, m.count(l.N), m.pct(l.Rate), m.pct(l.Estimate), m.ci(l.Low, l.High)}
		if hasBase {
			r = append(r, m.pointsNum(l.Diff()), dash(l.VerdictText))
		}
		rows = append(rows, r)
	}
	p.table(cols, rows, nil)
	for i := range notes {
		notes[i] = "(" + strconv.Itoa(i+1) + ") " + notes[i]
	}
	g := m.Guide(rep)
	p.guide(append([]string{g.Agencies, g.OwnInterval, g.Rank, g.Rate, m.t("report.indicative_note"), g.Reorganised}, notes...)...)
}

// smallAreaTable draws the small-area block (METHODS §14): direct and model estimates side
// by side, γ in words, rank ranges from the model, and the model's warnings in plain words.
func (p *pdfDoc) smallAreaTable() {
	m, rep := p.m, p.rep
	lines, _ := m.AreaLines(rep)
	lines = byModel(lines)
	if rep.SmallArea == nil {
		return
	}
	p.heading(m.t("report.sae.title"))
	p.bullets(append(m.SmallAreaWarnings(rep.SmallArea), m.SmallAreaSummary(rep)...), 8)
	cols := []pdfCol{{m.t("report.col_rank"), 18, "L"}, {m.t("report.col_agency_name"), 0, "L"}, {m.t("report.col_n_short"), 11, "R"},
		{m.t("report.sae.col_direct"), 30, "C"}, {m.t("report.sae.col_model"), 30, "C"}, {m.t("report.sae.col_gamma"), 44, "L"}}
	fitText(cols)
	var rows [][]string
	for _, a := range lines {
		rows = append(rows, []string{dash(a.RankText), plain(a.Name), m.count(a.N),
			m.pct(a.Direct) + "\n" + m.ci(a.DLow, a.DHigh), m.pct(a.Model) + "\n" + m.ci(a.MLow, a.MHigh), a.GammaText})
	}
	p.table(cols, rows, nil)
}

// annex writes the methods on a page of their own.
func (p *pdfDoc) annex() {
	p.pdf.AddPage()
	p.font(true, 12)
	p.para(6, p.m.t("report.annex"))
	p.pdf.Ln(2)
	p.bullets(methodNotes(p.rep, p.m), 8.5)
}
