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
	svgWidth     = 640.0
	svgFont      = "sans-serif"
	svgThisYear  = "#1f5f9e"
	svgBaseline  = "#858585" // 3.7:1 against white: non-text contrast of WCAG 2.2 (1.4.11)
	svgWhisker   = "#141414"
	svgGrid      = "#d7d7d7"
	svgText      = "#1a1a1a"
	svgMutedText = "#595959"
)

// svgWriter accumulates an SVG document.
type svgWriter struct{ b strings.Builder }

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
		coord(svgWidth), coord(height), coord(svgWidth), coord(height), id, id, svgFont, svgText)
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
// value as text and a tooltip; <desc> reads the whole chart out.
func AspectChartSVG(rep *index.Report, m Meta) string {
	bars, strat := aspectBars(rep, m)
	hasBase := rep.Baseline != nil
	id := "sipas-aspects-" + strconv.Itoa(rep.Year)
	if s := Slug(m.Scope); s != "" {
		id += "-" + s
	}

	const (
		left, valueW   = 16.0, 72.0
		legendH, axisH = 44.0, 28.0
		labelH, barH   = 18.0, 16.0
		baseH, gap     = 9.0, 14.0
	)
	groupH := labelH + barH + gap
	if hasBase {
		groupH += baseH + 2
	}
	plotW := svgWidth - left - valueW
	height := legendH + float64(len(bars))*groupH + axisH
	if len(bars) == 0 {
		height = legendH + axisH
	}
	xAt := func(v float64) float64 { return left + clamp01(v)*plotW }

	title := fmt.Sprintf("%s, %d (%s)", m.t("report.chart_title"), rep.Year, m.basisLabel(strat))
	var desc []string
	for _, b := range bars {
		d := fmt.Sprintf("%s: %s %s", b.title(), m.pct(b.Value), m.ci(b.Low, b.High))
		if b.Value == nil {
			d = fmt.Sprintf("%s: %s", b.title(), m.t("verdict.insufficient_data"))
		}
		if hasBase {
			d += fmt.Sprintf("; %s: %s", m.t("report.chart_year", rep.Baseline.Year), m.pct(b.Baseline))
		}
		desc = append(desc, d)
	}
	if len(bars) == 0 {
		desc = append(desc, m.t("report.no_aspects"))
	}

	var s svgWriter
	s.open(id, height, title, strings.Join(desc, ". ")+".")

	// Legend.
	s.printf(`<rect x="%s" y="6" width="12" height="12" fill="%s"/>`, coord(left), svgThisYear)
	s.text(left+18, 16, "start", svgText, 12, false, m.t("report.chart_year", rep.Year)+" ("+m.basisLabel(strat)+")")
	if hasBase {
		s.printf(`<rect x="%s" y="6" width="12" height="12" fill="%s"/>`, coord(left+330), svgBaseline)
		s.text(left+348, 16, "start", svgText, 12, false, m.t("report.chart_year", rep.Baseline.Year))
	}
	s.text(left, 34, "start", svgMutedText, 11, false, m.t("report.chart_ci_note", rep.Year))

	top, bottom := legendH, height-axisH
	if len(bars) == 0 {
		s.text(left, top+14, "start", svgMutedText, 12, false, m.t("report.no_aspects"))
	}
	// Grid and axis.
	for t := 0; t <= 100; t += 20 {
		x := xAt(float64(t) / 100)
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, coord(x), coord(top), coord(x), coord(bottom), svgGrid)
		s.text(x, bottom+16, "middle", svgMutedText, 11, false, m.loc().Percent(float64(t)/100, 0))
	}

	y := top
	for _, b := range bars {
		s.text(left, y+13, "start", svgText, 12, true, b.title())
		by := y + labelH
		if b.Value != nil {
			tip := fmt.Sprintf("%s %d: %s %s, n = %s", b.ID, rep.Year, m.pct(b.Value), m.ci(b.Low, b.High), m.count(b.N))
			s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
				coord(left), coord(by), coord(xAt(*b.Value)-left), coord(barH), svgThisYear, esc(tip))
			end := xAt(*b.Value)
			if b.Low != nil && b.High != nil {
				lo, hi, mid := xAt(*b.Low), xAt(*b.High), by+barH/2
				s.printf(`<path d="M%s %sH%sM%s %sV%sM%s %sV%s" stroke="%s" stroke-width="1.5" fill="none"/>`,
					coord(lo), coord(mid), coord(hi), coord(lo), coord(mid-5), coord(mid+5), coord(hi), coord(mid-5), coord(mid+5), svgWhisker)
				end = max(end, hi)
			}
			s.text(end+4, by+barH-4, "start", svgText, 12, false, m.pct(b.Value))
		} else {
			s.text(left, by+barH-4, "start", svgMutedText, 12, false, m.t("verdict.insufficient_data"))
		}
		if hasBase && b.Baseline != nil {
			yb := by + barH + 2
			tip := fmt.Sprintf("%s %d: %s", b.ID, rep.Baseline.Year, m.pct(b.Baseline))
			s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`,
				coord(left), coord(yb), coord(xAt(*b.Baseline)-left), coord(baseH), svgBaseline, esc(tip))
			s.text(xAt(*b.Baseline)+4, yb+baseH-1, "start", svgMutedText, 10, false, m.pct(b.Baseline))
		}
		y += groupH
	}
	s.printf(`</svg>`)
	return s.b.String()
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
// outside months 1–12 are ignored.
func TrendChartSVG(points []TrendPoint, m Meta) string {
	pts := slices.DeleteFunc(slices.Clone(points), func(p TrendPoint) bool { return p.Month < 1 || p.Month > 12 })
	slices.SortStableFunc(pts, func(a, b TrendPoint) int { return a.Month - b.Month })

	const (
		height                   = 260.0
		left, right, top, bottom = 48.0, 16.0, 16.0, 40.0
	)
	plotW, plotH := svgWidth-left-right, height-top-bottom
	xAt := func(month int) float64 { return left + (float64(month)-0.5)*plotW/12 }
	yAt := func(v float64) float64 { return top + (1-clamp01(v))*plotH }

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

	var s svgWriter
	s.open(id, height, title, m.t("report.trend_desc")+". "+strings.Join(desc, "; ")+".")
	for t := 0; t <= 100; t += 20 {
		y := yAt(float64(t) / 100)
		s.printf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, coord(left), coord(y), coord(svgWidth-right), coord(y), svgGrid)
		s.text(left-6, y+4, "end", svgMutedText, 11, false, m.loc().Percent(float64(t)/100, 0))
	}
	for month := 1; month <= 12; month++ {
		s.text(xAt(month), height-bottom+18, "middle", svgMutedText, 11, false, m.t("month."+strconv.Itoa(month)))
	}
	if len(pts) == 0 {
		s.text(left+plotW/2, top+plotH/2, "middle", svgMutedText, 13, false, m.t("report.trend_no_data"))
	}

	// The line joins consecutive months only: a gap in the data stays a
	// gap rather than a straight line across months nobody measured.
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
		fmt.Fprintf(&path, "%s%s %s", cmd, coord(xAt(p.Month)), coord(yAt(*p.Estimate)))
		prev = p.Month
	}
	if path.Len() > 0 {
		s.printf(`<path d="%s" stroke="%s" stroke-width="2" fill="none"/>`, path.String(), svgThisYear)
	}
	for _, p := range pts {
		if p.Estimate == nil {
			continue
		}
		x := xAt(p.Month)
		if p.Low != nil && p.High != nil {
			lo, hi := yAt(*p.Low), yAt(*p.High)
			s.printf(`<path d="M%s %sV%sM%s %sH%sM%s %sH%s" stroke="%s" stroke-width="1.2" fill="none"/>`,
				coord(x), coord(lo), coord(hi), coord(x-4), coord(lo), coord(x+4), coord(x-4), coord(hi), coord(x+4), svgWhisker)
		}
		s.printf(`<circle cx="%s" cy="%s" r="4" fill="%s"><title>%s</title></circle>`,
			coord(x), coord(yAt(*p.Estimate)), svgThisYear, esc(m.t("report.month", p.Month)+": "+m.trendValue(p)))
		s.text(x, yAt(*p.Estimate)-8, "middle", svgText, 10, false, m.pct(p.Estimate))
	}
	s.printf(`</svg>`)
	return s.b.String()
}

// trendValue says one month's value in words.
func (m Meta) trendValue(p TrendPoint) string {
	if p.Estimate == nil {
		return m.t("verdict.insufficient_data")
	}
	return fmt.Sprintf("%s %s, n = %s", m.pct(p.Estimate), m.ci(p.Low, p.High), m.count(p.N))
}
