package report

import (
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"sipas/internal/index"
)

// The SVG charts are written by hand: they are small, they must pass a
// Content-Security-Policy of style-src 'self' (so no style attributes, no
// <style> element and no script — colours and fonts are presentation
// attributes such as fill= and font-size=), and they must be accessible: a
// <title> and <desc> named by aria-labelledby, and every number also
// written as text.

const (
	svgWidth     = 640.0 // the dashboard's chart on a desktop
	svgNarrow    = 340.0 // the same chart for a phone (360 px less the page's padding)
	svgFont      = "sans-serif"
	svgThisYear  = "#1f5f9e"
	svgBaseline  = "#858585" // 3.7:1 against white: non-text contrast of WCAG 2.2 (1.4.11)
	svgWhisker   = "#141414"
	svgGrid      = "#d7d7d7"
	svgText      = "#1a1a1a"
	svgMutedText = "#595959"
)

// svgWriter accumulates an SVG document of width w.
type svgWriter struct {
	b strings.Builder
	w float64
}

// esc escapes s for XML text and attribute values.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

// coord writes a coordinate to 0.01 px, which no screen can tell apart,
// so float noise (498.00000000000006) stays out of the markup.
func coord(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) }

func (s *svgWriter) printf(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

func (s *svgWriter) open(id string, height float64, title, desc string) {
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%s-title %s-desc" font-family="%s" font-size="12" fill="%s">`,
		coord(s.w), coord(height), coord(s.w), coord(height), id, id, svgFont, svgText)
	s.printf(`<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(title), id, esc(desc))
}

func (s *svgWriter) text(x, y float64, anchor, fill string, size float64, bold bool, txt string) {
	weight := ""
	if bold {
		weight = ` font-weight="bold"`
	}
	s.printf(`<text x="%s" y="%s" text-anchor="%s" fill="%s" font-size="%s"%s>%s</text>`,
		coord(x), coord(y), anchor, fill, coord(size), weight, esc(txt))
}

// AspectChartSVG returns a bar chart of the aspect indices for the
// dashboard: aspects down the chart, the axis 0–100 % across, this year's
// index on the headline basis (stratified, or unweighted when the report has
// no stratified estimates) with its 95 % interval as a whisker, and the
// baseline's estimate on the same basis beneath it. Every bar carries its
// value as text and a tooltip; <desc> reads the whole chart out. It is 640 px wide;
// AspectChartSVGNarrow draws the same chart for a phone.
func AspectChartSVG(rep *index.Report, m Meta) string { return aspectChart(rep, m, svgWidth, "") }

// AspectChartSVGNarrow is AspectChartSVG 340 px wide, for a 360 px phone: the legend on three
// lines, the same bars and words at a legible size instead of a wide chart scaled down.
func AspectChartSVGNarrow(rep *index.Report, m Meta) string {
	return aspectChart(rep, m, svgNarrow, "-narrow")
}

func aspectChart(rep *index.Report, m Meta, width float64, idSuffix string) string {
	bars, strat := aspectBars(rep, m)
	g := svgBars{hasBase: rep.Baseline != nil, plotW: width - svgBarLeft - svgBarValueW}
	g.groupH = svgBarLabelH + svgBarH + svgBarGap
	if g.hasBase {
		g.groupH += svgBarBaseH + 2
	}
	legendH := svgLegendH
	if width < svgWidth {
		legendH += 18 // the baseline's entry on a line of its own
	}
	height := legendH + float64(len(bars))*g.groupH + svgAxisH
	if len(bars) == 0 {
		height = legendH + svgAxisH
	}
	id := "sipas-aspects-" + strconv.Itoa(rep.Year)
	if s := Slug(m.Scope); s != "" {
		id += "-" + s
	}
	title := fmt.Sprintf("%s, %d (%s)", m.t("report.chart_title"), rep.Year, m.basisLabel(strat))

	s := svgWriter{w: width}
	s.open(id+idSuffix, height, title, aspectChartDesc(rep, m, bars))
	s.aspectLegend(rep, m, strat)
	g.top, g.bottom = legendH, height-svgAxisH
	if len(bars) == 0 {
		s.text(svgBarLeft, g.top+14, "start", svgMutedText, 12, false, m.t("report.no_aspects"))
	}
	for t := 0; t <= 100; t += 20 {
		x := g.xAt(float64(t) / 100)
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, coord(x), coord(g.top), coord(x), coord(g.bottom), svgGrid)
		s.text(x, g.bottom+16, "middle", svgMutedText, 11, false, m.loc().Percent(float64(t)/100, 0))
	}
	y := g.top
	for _, b := range bars {
		s.aspectBar(g, rep, m, b, y)
		y += g.groupH
	}
	s.printf(`</svg>`)
	return s.b.String()
}

// The aspect chart's geometry, in px.
const (
	svgBarLeft, svgBarValueW = 16.0, 72.0
	svgLegendH, svgAxisH     = 44.0, 28.0
	svgBarLabelH, svgBarH    = 18.0, 16.0
	svgBarBaseH, svgBarGap   = 9.0, 14.0
)

// svgBars is where the aspect chart's plot is.
type svgBars struct {
	hasBase             bool
	top, bottom, groupH float64
	plotW               float64
}

func (g svgBars) xAt(v float64) float64 { return svgBarLeft + clamp01(v)*g.plotW }

// aspectChartDesc reads the whole aspect chart out, for <desc>.
func aspectChartDesc(rep *index.Report, m Meta, bars []aspectBar) string {
	var desc []string
	for _, b := range bars {
		d := fmt.Sprintf("%s: %s %s", b.title(), m.pct(b.Value), m.ci(b.Low, b.High))
		if b.Value == nil {
			d = fmt.Sprintf("%s: %s", b.title(), m.t("verdict.insufficient_data"))
		}
		if rep.Baseline != nil {
			d += fmt.Sprintf("; %s: %s", m.t("report.chart_year", rep.Baseline.Year), m.pct(b.Baseline))
		}
		desc = append(desc, d)
	}
	if len(bars) == 0 {
		desc = append(desc, m.t("report.no_aspects"))
	}
	return strings.Join(desc, ". ") + "."
}

// aspectLegend writes the legend: this year's colour, the baseline's, the whisker note.
func (s *svgWriter) aspectLegend(rep *index.Report, m Meta, strat bool) {
	const left = svgBarLeft
	s.printf(`<rect x="%s" y="6" width="12" height="12" fill="%s"/>`, coord(left), svgThisYear)
	s.text(left+18, 16, "start", svgText, 12, false, m.t("report.chart_year", rep.Year)+" ("+m.basisLabel(strat)+")")
	bx, by, note := left+330, 6.0, 34.0
	if s.w < svgWidth {
		bx, by, note = left, 24, 52
	}
	if rep.Baseline != nil {
		s.printf(`<rect x="%s" y="%s" width="12" height="12" fill="%s"/>`, coord(bx), coord(by), svgBaseline)
		s.text(bx+18, by+10, "start", svgText, 12, false, m.t("report.chart_year", rep.Baseline.Year))
	}
	s.text(left, note, "start", svgMutedText, 11, false, m.t("report.chart_ci_note", rep.Year))
}

// aspectBar writes one aspect at y: its title, this year's bar and whisker, the baseline's bar.
func (s *svgWriter) aspectBar(g svgBars, rep *index.Report, m Meta, b aspectBar, y float64) {
	const left, barH, baseH = svgBarLeft, svgBarH, svgBarBaseH
	s.text(left, y+13, "start", svgText, 12, true, b.title())
	by := y + svgBarLabelH
	if b.Value != nil {
		tip := fmt.Sprintf("%s %d: %s %s, n = %s", b.ID, rep.Year, m.pct(b.Value), m.ci(b.Low, b.High), m.count(b.N))
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
			coord(left), coord(by), coord(g.xAt(*b.Value)-left), coord(barH), svgThisYear, esc(tip))
		end := g.xAt(*b.Value)
		if b.Low != nil && b.High != nil {
			lo, hi, mid := g.xAt(*b.Low), g.xAt(*b.High), by+barH/2
			s.printf(`<path d="M%s %sH%sM%s %sV%sM%s %sV%s" stroke="%s" stroke-width="1.5" fill="none"/>`,
				coord(lo), coord(mid), coord(hi), coord(lo), coord(mid-5), coord(mid+5), coord(hi), coord(mid-5), coord(mid+5), svgWhisker)
			end = max(end, hi)
		}
		s.text(end+4, by+barH-4, "start", svgText, 12, false, m.pct(b.Value))
	} else {
		s.text(left, by+barH-4, "start", svgMutedText, 12, false, m.t("verdict.insufficient_data"))
	}
	if g.hasBase && b.Baseline != nil {
		yb := by + barH + 2
		tip := fmt.Sprintf("%s %d: %s", b.ID, rep.Baseline.Year, m.pct(b.Baseline))
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
			coord(left), coord(yb), coord(g.xAt(*b.Baseline)-left), coord(baseH), svgBaseline, esc(tip))
		s.text(g.xAt(*b.Baseline)+4, yb+baseH-1, "start", svgMutedText, 10, false, m.pct(b.Baseline))
	}
}

// TrendPoint is one month of a trend: the index of the responses of that
// month with its 95 % interval and the number of respondents behind it.
// Month is 1–12; a nil Estimate is a month without data, which breaks the
// line.
type TrendPoint struct {
	Month               int
	Estimate, Low, High *float64
	N                   int
}

// TrendChartSVG returns a line chart of a monthly index for the dashboard:
// the twelve months across (so a month sits in the same place all year),
// 0–100 % up, each month's estimate as a point with its interval as a
// whisker, joined by a line that breaks where a month has no data. Points
// outside months 1–12 are ignored. It is 640 px wide; TrendChartSVGNarrow draws it for a
// phone.
func TrendChartSVG(points []TrendPoint, m Meta) string { return trendChart(points, m, svgWidth, "") }

// TrendChartSVGNarrow is TrendChartSVG 340 px wide, for a 360 px phone: the months closer
// together and no value above each point (the table under the chart has them, and the
// tooltips), so that nothing overlaps.
func TrendChartSVGNarrow(points []TrendPoint, m Meta) string {
	return trendChart(points, m, svgNarrow, "-narrow")
}

func trendChart(points []TrendPoint, m Meta, width float64, idSuffix string) string {
	pts := slices.DeleteFunc(slices.Clone(points), func(p TrendPoint) bool { return p.Month < 1 || p.Month > 12 })
	slices.SortStableFunc(pts, func(a, b TrendPoint) int { return a.Month - b.Month })
	const height, left, right, top, bottom = trendHeight, trendLeft, trendRight, trendTop, trendBottom
	plotW, plotH := width-left-right, height-top-bottom

	title := m.t("report.trend_title")
	if m.Scope != "" {
		title += " — " + m.Scope
	}
	var desc []string
	for _, p := range pts {
		desc = append(desc, m.t("report.month", p.Month)+": "+m.trendValue(p))
	}
	if len(desc) == 0 {
		desc = append(desc, m.t("report.trend_no_data"))
	}
	id := "sipas-trend"
	if s := Slug(m.Scope); s != "" {
		id += "-" + s
	}

	s := svgWriter{w: width}
	s.open(id+idSuffix, height, title, m.t("report.trend_desc")+". "+strings.Join(desc, "; ")+".")
	for t := 0; t <= 100; t += 20 {
		y := trendY(float64(t) / 100)
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, coord(left), coord(y), coord(width-right), coord(y), svgGrid)
		s.text(left-6, y+4, "end", svgMutedText, 11, false, m.loc().Percent(float64(t)/100, 0))
	}
	for month := 1; month <= 12; month++ {
		s.text(s.trendX(month), height-bottom+18, "middle", svgMutedText, 11, false, m.t("month."+strconv.Itoa(month)))
	}
	if len(pts) == 0 {
		s.text(left+plotW/2, top+plotH/2, "middle", svgMutedText, 13, false, m.t("report.trend_no_data"))
	}
	s.trendLine(pts)
	s.trendPoints(pts, m)
	s.printf(`</svg>`)
	return s.b.String()
}

// The trend chart's geometry, in px.
const (
	trendHeight                                  = 260.0
	trendLeft, trendRight, trendTop, trendBottom = 48.0, 16.0, 16.0, 40.0
)

// trendX is where month (1–12) sits across, so a month sits in the same place all year.
func (s *svgWriter) trendX(month int) float64 {
	return trendLeft + (float64(month)-0.5)*(s.w-trendLeft-trendRight)/12
}

// trendY is where a fraction sits up the 0–100 % axis.
func trendY(v float64) float64 {
	return trendTop + (1-clamp01(v))*(trendHeight-trendTop-trendBottom)
}

// trendLine joins consecutive months only: a gap in the data stays a gap rather than a
// straight line across months nobody measured.
func (s *svgWriter) trendLine(pts []TrendPoint) {
	var path strings.Builder
	prev := -1
	for _, p := range pts {
		if p.Estimate == nil {
			prev = -1
			continue
		}
		cmd := "L"
		if prev < 0 || p.Month != prev+1 {
			cmd = "M"
		}
		fmt.Fprintf(&path, "%s%s %s", cmd, coord(s.trendX(p.Month)), coord(trendY(*p.Estimate)))
		prev = p.Month
	}
	if path.Len() > 0 {
		s.printf(`<path d="%s" stroke="%s" stroke-width="2" fill="none"/>`, path.String(), svgThisYear)
	}
}

// trendPoints draws each month's estimate with its whisker, tooltip and value.
func (s *svgWriter) trendPoints(pts []TrendPoint, m Meta) {
	for _, p := range pts {
		if p.Estimate == nil {
			continue
		}
		x := s.trendX(p.Month)
		if p.Low != nil && p.High != nil {
			lo, hi := trendY(*p.Low), trendY(*p.High)
			s.printf(`<path d="M%s %sV%sM%s %sH%sM%s %sH%s" stroke="%s" stroke-width="1.2" fill="none"/>`,
				coord(x), coord(lo), coord(hi), coord(x-4), coord(lo), coord(x+4), coord(x-4), coord(hi), coord(x+4), svgWhisker)
		}
		s.printf(`<circle cx="%s" cy="%s" r="4" fill="%s"><title>%s</title></circle>`,
			coord(x), coord(trendY(*p.Estimate)), svgThisYear, esc(m.t("report.month", p.Month)+": "+m.trendValue(p)))
		if s.w >= svgWidth {
			s.text(x, trendY(*p.Estimate)-8, "middle", svgText, 10, false, m.pct(p.Estimate))
		}
	}
}

// trendValue says one month's value in words.
func (m Meta) trendValue(p TrendPoint) string {
	if p.Estimate == nil {
		return m.t("verdict.insufficient_data")
	}
	return fmt.Sprintf("%s %s, n = %s", m.pct(p.Estimate), m.ci(p.Low, p.High), m.count(p.N))
}
