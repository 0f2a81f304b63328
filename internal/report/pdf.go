package report

import (
	"fmt"
	"io"
	"io/fs"
	"strings"
	"unicode"

	"github.com/go-pdf/fpdf"

	"sipas/internal/i18n"
	"sipas/internal/index"
)

// The font files WritePDF reads from its fonts fs.FS, at the top level.
// DejaVu Sans covers every Vietnamese letter in precomposed (NFC) form;
// the PDF core fonts cover none of ạ ả ấ … ự, so a Unicode TrueType font is
// needed. fpdf embeds only the glyphs used.
const (
	FontRegular = "DejaVuSans.ttf"
	FontBold    = "DejaVuSans-Bold.ttf"
)

// Page geometry, in millimetres (A4 portrait).
const (
	pdfMargin = 15.0
	pdfWidth  = 210.0 - 2*pdfMargin // usable width
	pdfBottom = 18.0                // room for the footer
)

// Colours, as RGB.
var (
	colThisYear = [3]int{31, 95, 158}   // this year's bars
	colBaseline = [3]int{170, 170, 170} // baseline bars
	colWhisker  = [3]int{20, 20, 20}
	colGrid     = [3]int{215, 215, 215}
	colHeadFill = [3]int{221, 230, 240}
	colAccent   = [3]int{31, 95, 158}
	colMuted    = [3]int{90, 90, 90}
)

// WritePDF writes rep as an A4 report in m.Lang, in plain words for officials: the title,
// what the report covers, the headline overall index with its interval, response rate and
// change, the key points (what changed, what is uncertain), a chart of the aspects against the
// baseline, the indices table, the agency league table with rank ranges and the units each
// agency is compared with, the small-area table when the report has one, how to read each
// table, and the methods in an annex; on every page a footer with "Trang X/N" and the
// generation date. Every verdict is written in words, so the pages read the same printed in
// black and white; the document's title and language are set.
//
// fonts must hold FontRegular and FontBold at its top level; the service
// passes fs.Sub(assets.FS, "fonts"), tests os.DirFS of that folder.
func WritePDF(w io.Writer, rep *index.Report, m Meta, fonts fs.FS) error {
	regular, err := fs.ReadFile(fonts, FontRegular)
	if err != nil {
		return fmt.Errorf("report: write pdf: font: %w", err)
	}
	bold, err := fs.ReadFile(fonts, FontBold)
	if err != nil {
		return fmt.Errorf("report: write pdf: font: %w", err)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("dejavu", "", regular)
	pdf.AddUTF8FontFromBytes("dejavu", "B", bold)
	// After the fonts: fpdf keeps the digits in a UTF-8 font's base subset
	// only when no page-count alias is set yet, and the footer's total is
	// written in digits after the last page.
	pdf.AliasNbPages("{nb}")
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("report: write pdf: %w", err)
	}
	p := &pdfDoc{pdf: pdf, m: m, rep: rep}
	p.setup()
	pdf.AddPage()

	p.cover()
	p.highlights()
	p.aspectChart()
	p.indicesTable()
	p.agencyTable()
	p.smallAreaTable()
	p.annex()

	if err := pdf.Error(); err != nil {
		return fmt.Errorf("report: write pdf: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("report: write pdf: %w", err)
	}
	return nil
}

// setup sets the document's facts, margins, and the running header and footer of every page.
func (p *pdfDoc) setup() {
	pdf, m, rep := p.pdf, p.m, p.rep
	gen := m.generated()
	pdf.SetTitle(m.t("report.title"), true)
	pdf.SetCreator("sipas", true)
	pdf.SetLang(m.loc().Tag)
	// Fixed dates and catalogue order make the same report the same bytes.
	pdf.SetCreationDate(gen)
	pdf.SetModificationDate(gen)
	pdf.SetCatalogSort(true)
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(true, pdfBottom)
	date := m.loc().Date(gen)
	pdf.SetHeaderFunc(func() {
		if pdf.PageNo() == 1 {
			return
		}
		p.font(false, 7.5)
		p.color(colMuted)
		running := fmt.Sprintf("%s · %d", m.t("report.title"), rep.Year)
		if m.Scope != "" {
			running += " · " + plain(m.Scope)
		}
		pdf.CellFormat(0, 4, running, "", 1, "L", false, 0, "")
		p.color([3]int{})
		pdf.Ln(2)
	})
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		p.font(false, 8)
		p.color(colMuted)
		pdf.CellFormat(pdfWidth/2, 5, m.t("report.generated")+": "+date, "", 0, "L", false, 0, "")
		pdf.CellFormat(pdfWidth/2, 5, m.t("report.page", pdf.PageNo(), "{nb}"), "", 0, "R", false, 0, "")
		p.color([3]int{})
	})
}

// pdfDoc draws one report. fpdf records its first error and ignores later
// calls, so the drawing code needs no error checks until Output.
type pdfDoc struct {
	pdf *fpdf.Fpdf
	m   Meta
	rep *index.Report
}

func (p *pdfDoc) font(bold bool, size float64) {
	style := ""
	if bold {
		style = "B"
	}
	p.pdf.SetFont("dejavu", style, size)
}

func (p *pdfDoc) color(c [3]int)           { p.pdf.SetTextColor(c[0], c[1], c[2]) }
func (p *pdfDoc) fill(c [3]int)            { p.pdf.SetFillColor(c[0], c[1], c[2]) }
func (p *pdfDoc) draw(c [3]int)            { p.pdf.SetDrawColor(c[0], c[1], c[2]) }
func (p *pdfDoc) para(h float64, s string) { p.pdf.MultiCell(0, h, s, "", "L", false) }

// ensure starts a new page unless h millimetres fit on this one, so that a
// heading is not left alone at the foot of a page and a chart is not cut.
func (p *pdfDoc) ensure(h float64) {
	_, pageH := p.pdf.GetPageSize()
	if p.pdf.GetY()+h > pageH-pdfBottom {
		p.pdf.AddPage()
	}
}

func (p *pdfDoc) heading(s string) {
	p.ensure(30)
	p.pdf.Ln(4)
	p.font(true, 12)
	p.para(6, s)
	p.pdf.Ln(1)
}

// cover writes the title, what the report covers and the headline.
func (p *pdfDoc) cover() {
	pdf, m, rep := p.pdf, p.m, p.rep
	p.font(true, 16)
	p.para(7.5, p.m.t("report.title"))
	pdf.Ln(2)
	p.font(false, 9.5)
	if q := m.Survey; q != nil {
		p.para(5, p.m.t("report.survey")+": "+q.Title.In(m.lang()))
	}
	line := fmt.Sprintf("%s: %d", p.m.t("report.year"), rep.Year)
	if m.Scope != "" {
		line += " · " + p.m.t("report.scope") + ": " + plain(m.Scope)
	}
	p.para(5, line)
	p.para(5, p.m.t("report.baseline")+": "+m.baselineLabel(rep))
	p.para(5, p.m.t("report.filters")+": "+m.filtersLabel(rep))
	p.para(5, p.m.t("report.respondents")+": "+m.count(rep.Respondents))
	pdf.Ln(4)

	ov := overallIndex(rep)
	if ov == nil {
		return
	}
	l := m.IndexLine(rep, ov)
	x0, y0 := pdf.GetX(), pdf.GetY()
	pdf.SetLeftMargin(pdfMargin + 5)
	pdf.SetX(pdfMargin + 5)
	p.font(false, 9.5)
	p.para(5, p.m.t("report.overall")+" ("+m.basisLabel(l.Stratified)+")")
	if l.Estimate != nil {
		p.font(true, 22)
		value := m.pct(l.Estimate)
		pdf.CellFormat(pdf.GetStringWidth(value)+3, 11, value, "", 0, "L", false, 0, "")
		p.font(false, 9.5)
		facts := i18n.UpperFirst(p.m.t("report.ci")) + ": " + m.ci(l.Low, l.High) + " · " + p.m.t("report.col_n") + ": " + m.count(l.N)
		if l.Rate != nil {
			facts += " · " + p.m.t("report.col_rate") + ": " + m.pct(l.Rate)
		}
		pdf.CellFormat(0, 11, facts, "", 1, "L", false, 0, "")
	}
	p.font(true, 10)
	p.para(5, m.summarySentence(rep))
	p.font(false, 8.5)
	for _, n := range l.Notes {
		p.para(4.5, n)
	}
	y1 := pdf.GetY()
	pdf.SetLeftMargin(pdfMargin)
	// An accent bar down the left of the headline block sets it apart
	// without a box whose height would have to be known in advance.
	p.fill(colAccent)
	pdf.Rect(x0, y0, 1.6, y1-y0, "F")
	pdf.SetXY(pdfMargin, y1)
}

// aspectChart draws the aspect indices as horizontal bars, 0–100 %: this
// year's with its 95 % interval as a whisker, the baseline's beneath it.
func (p *pdfDoc) aspectChart() {
	pdf, rep := p.pdf, p.rep
	bars, strat := aspectBars(rep, p.m)
	if len(bars) == 0 {
		return
	}
	g := pdfBars{hasBase: rep.Baseline != nil, plotW: pdfWidth - pdfBarValueW}
	g.groupH = pdfBarLabelH + pdfBarH + pdfBarGap
	if g.hasBase {
		g.groupH += pdfBarBaseH + 0.6
	}
	const legendH, axisH = 10.0, 6.0
	p.heading(p.m.t("report.chart_title"))
	p.ensure(legendH + float64(len(bars))*g.groupH + axisH)
	y := pdf.GetY()
	p.chartLegend(y, strat)
	g.top = y + legendH
	g.bottom = g.top + float64(len(bars))*g.groupH
	p.chartGrid(g)
	gy := g.top
	for _, b := range bars {
		p.chartBar(g, b, gy)
		gy += g.groupH
	}
	p.draw([3]int{})
	pdf.SetLineWidth(0.2)
	pdf.SetXY(pdfMargin, g.bottom+axisH)
}

// The aspect chart's geometry, in millimetres.
const (
	pdfBarLabelH = 4.5
	pdfBarH      = 4.5
	pdfBarBaseH  = 3.0
	pdfBarGap    = 2.5
	pdfBarValueW = 24.0 // room right of the axis for the value labels
)

// pdfBars is where the aspect chart's plot is on the page.
type pdfBars struct {
	hasBase             bool
	top, bottom, groupH float64
	plotW               float64
}

func (g pdfBars) xAt(f float64) float64 { return pdfMargin + clamp01(f)*g.plotW }

// chartLegend draws the legend at y: this year's colour, the baseline's, the whisker note.
func (p *pdfDoc) chartLegend(y float64, strat bool) {
	pdf, m, rep := p.pdf, p.m, p.rep
	x := pdfMargin
	p.font(false, 8)
	p.fill(colThisYear)
	pdf.Rect(x, y+0.8, 3, 3, "F")
	lbl := m.t("report.chart_year", rep.Year) + " (" + m.basisLabel(strat) + ")"
	pdf.SetXY(x+4, y)
	pdf.CellFormat(pdf.GetStringWidth(lbl)+6, 4.5, lbl, "", 0, "L", false, 0, "")
	if rep.Baseline != nil {
		bx := pdf.GetX()
		p.fill(colBaseline)
		pdf.Rect(bx, y+0.8, 3, 3, "F")
		pdf.SetX(bx + 4)
		bl := m.t("report.chart_year", rep.Baseline.Year)
		pdf.CellFormat(pdf.GetStringWidth(bl)+6, 4.5, bl, "", 0, "L", false, 0, "")
	}
	pdf.SetXY(x, y+4.5)
	p.color(colMuted)
	pdf.CellFormat(0, 4.5, m.t("report.chart_ci_note", rep.Year), "", 1, "L", false, 0, "")
	p.color([3]int{})
}

// chartGrid draws the grid and the axis labels, first, so the bars draw over them.
func (p *pdfDoc) chartGrid(g pdfBars) {
	pdf := p.pdf
	p.draw(colGrid)
	pdf.SetLineWidth(0.2)
	p.font(false, 7)
	for t := 0; t <= 100; t += 20 {
		gx := g.xAt(float64(t) / 100)
		pdf.Line(gx, g.top, gx, g.bottom)
		pdf.SetXY(gx-8, g.bottom+0.5)
		pdf.CellFormat(16, 4, p.m.loc().Percent(float64(t)/100, 0), "", 0, "C", false, 0, "")
	}
}

// chartBar draws one aspect at gy: its title, this year's bar and whisker, the baseline's bar.
func (p *pdfDoc) chartBar(g pdfBars, b aspectBar, gy float64) {
	pdf, m := p.pdf, p.m
	p.font(true, 8)
	pdf.SetXY(pdfMargin, gy)
	pdf.CellFormat(g.plotW+pdfBarValueW, pdfBarLabelH, b.title(), "", 0, "L", false, 0, "")
	by := gy + pdfBarLabelH
	p.font(false, 7.5)
	if b.Value != nil {
		p.fill(colThisYear)
		pdf.Rect(pdfMargin, by, g.xAt(*b.Value)-pdfMargin, pdfBarH, "F")
		end := g.xAt(*b.Value)
		if b.Low != nil && b.High != nil {
			lo, hi := g.xAt(*b.Low), g.xAt(*b.High)
			p.draw(colWhisker)
			pdf.SetLineWidth(0.3)
			mid := by + pdfBarH/2
			pdf.Line(lo, mid, hi, mid)
			pdf.Line(lo, mid-1.2, lo, mid+1.2)
			pdf.Line(hi, mid-1.2, hi, mid+1.2)
			end = max(end, hi)
		}
		pdf.SetXY(end+1, by)
		pdf.CellFormat(pdfBarValueW-1, pdfBarH, m.pct(b.Value), "", 0, "L", false, 0, "")
	} else {
		pdf.SetXY(pdfMargin, by)
		pdf.CellFormat(g.plotW, pdfBarH, m.t("verdict.insufficient_data"), "", 0, "L", false, 0, "")
	}
	if g.hasBase && b.Baseline != nil {
		yb := by + pdfBarH + 0.6
		// Light with a dark outline: told from this year's dark bar in black and white too.
		p.fill(colBaseline)
		p.draw(colWhisker)
		pdf.SetLineWidth(0.2)
		pdf.Rect(pdfMargin, yb, g.xAt(*b.Baseline)-pdfMargin, pdfBarBaseH, "FD")
		p.color(colMuted)
		pdf.SetXY(g.xAt(*b.Baseline)+1, yb)
		pdf.CellFormat(pdfBarValueW-1, pdfBarBaseH, m.pct(b.Baseline), "", 0, "L", false, 0, "")
		p.color([3]int{})
	}
}

// pdfCol is one column of a PDF table.
type pdfCol struct {
	head  string
	w     float64
	align string // "L", "C" or "R"
}

// table draws rows under a header that repeats on every page. Cells wrap;
// a row is as tall as its tallest cell and never splits across pages.
// bold tells which rows are set in bold (aspect and overall rows).
func (p *pdfDoc) table(cols []pdfCol, rows [][]string, bold func(i int) bool) {
	pdf := p.pdf
	const lh, pad = 3.7, 0.8
	_, pageH := pdf.GetPageSize()
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	var drawRow func(cells []string, head, isBold bool)
	drawRow = func(cells []string, head, isBold bool) {
		p.font(head || isBold, 7.5)
		split := make([][]string, len(cols))
		n := 1
		for i, c := range cols {
			// SplitText leaves fpdf's cell margin on both sides, as
			// CellFormat does, so the lines fit the cells drawn below.
			split[i] = pdf.SplitText(cells[i], c.w)
			n = max(n, len(split[i]))
		}
		h := float64(n)*lh + 2*pad
		if pdf.GetY()+h > pageH-pdfBottom {
			pdf.AddPage()
			if !head {
				drawRow(heads, true, false)
				p.font(isBold, 7.5)
			}
		}
		x, y := pdfMargin, pdf.GetY()
		p.draw(colGrid)
		pdf.SetLineWidth(0.2)
		for i, c := range cols {
			style := "D"
			if head {
				p.fill(colHeadFill)
				style = "FD"
			}
			pdf.Rect(x, y, c.w, h, style)
			for j, l := range split[i] {
				pdf.SetXY(x, y+pad+float64(j)*lh)
				pdf.CellFormat(c.w, lh, l, "", 0, c.align, false, 0, "")
			}
			x += c.w
		}
		pdf.SetXY(pdfMargin, y+h)
	}
	drawRow(heads, true, false)
	for i, r := range rows {
		drawRow(r, false, bold != nil && bold(i))
	}
}

// readingOrder returns the indices of rep for people: each aspect followed
// by its criteria, then anything else in report order, the overall index
// last. The report's own order (questions, aspects, overall) suits machines.
func readingOrder(rep *index.Report) []*index.Index {
	var out []*index.Index
	done := make([]bool, len(rep.Indices))
	for i := range rep.Indices {
		a := &rep.Indices[i]
		if a.Kind != index.KindAspect {
			continue
		}
		out = append(out, a)
		done[i] = true
		for j := range rep.Indices {
			q := &rep.Indices[j]
			if q.Kind == index.KindQuestion && q.Aspect == a.ID {
				out = append(out, q)
				done[j] = true
			}
		}
	}
	var last []*index.Index
	for i := range rep.Indices {
		if done[i] {
			continue
		}
		if rep.Indices[i].Kind == index.KindOverall {
			last = append(last, &rep.Indices[i])
			continue
		}
		out = append(out, &rep.Indices[i])
	}
	return append(out, last...)
}

// fitText gives the column of width 0 what is left of the page width.
func fitText(cols []pdfCol) {
	used := 0.0
	for _, c := range cols {
		used += c.w
	}
	for i := range cols {
		if cols[i].w == 0 {
			cols[i].w = pdfWidth - used
		}
	}
}

// PNumber writes a p-value without the "p =": "0,012" or "< 0,001".
func (m Meta) PNumber(p *float64) string {
	return strings.TrimPrefix(strings.TrimPrefix(m.PValue(p), "p = "), "p ")
}

// plain makes free text fit for a PDF line or an SVG label: control
// characters (a tab or line break in an agency name) have no glyph and show
// as boxes, so they become spaces, and surrounding space is dropped.
func plain(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}
