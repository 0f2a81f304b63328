package report

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"sipas/internal/index"
	"sipas/internal/survey"
)

// checkSVG parses s as XML and checks what a dashboard under a strict CSP
// needs: an <svg> root naming its <title> and <desc>, no style attribute or
// element, no script, no event handler. It returns the text content.
func checkSVG(t *testing.T, s string) string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(s))
	var text strings.Builder
	var first string
	var titles, descs int
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v\n%s", err, s)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if first == "" {
				first = el.Name.Local
				if el.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("root namespace = %q", el.Name.Space)
				}
			}
			switch el.Name.Local {
			case "style", "script", "foreignObject":
				t.Errorf("SVG has a <%s> element", el.Name.Local)
			case "title":
				titles++
			case "desc":
				descs++
			}
			for _, a := range el.Attr {
				if a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") || strings.Contains(a.Value, "javascript:") {
					t.Errorf("<%s> has the attribute %s=%q", el.Name.Local, a.Name.Local, a.Value)
				}
			}
		case xml.CharData:
			text.Write(el)
		}
	}
	if first != "svg" {
		t.Errorf("root element = %q, want svg", first)
	}
	if titles == 0 || descs != 1 {
		t.Errorf("%d <title> and %d <desc>, want at least 1 and 1", titles, descs)
	}
	if !strings.Contains(s, `role="img"`) || !strings.Contains(s, `aria-labelledby="`) {
		t.Error("SVG lacks role=img and aria-labelledby")
	}
	return text.String()
}

func TestAspectChartSVG(t *testing.T) {
	rep := mustReport(t)
	s := AspectChartSVG(rep, testMeta(t))
	golden(t, "aspects.svg.golden", []byte(s))
	text := checkSVG(t, s)
	for _, want := range []string{"A. Tiếp cận dịch vụ hành chính công", "Năm 2025", "100%", "0%"} {
		if !strings.Contains(text, want) {
			t.Errorf("SVG text lacks %q", want)
		}
	}
	for i := range rep.Indices {
		if idx := &rep.Indices[i]; idx.Kind == index.KindAspect {
			if want := m0().pct(idx.Stratified.Value); !strings.Contains(text, want) {
				t.Errorf("SVG text lacks aspect %s's value %s", idx.ID, want)
			}
		}
	}
}

func TestAspectChartSVGFallbackAndEscaping(t *testing.T) {
	// No stratified basis: the chart shows the unweighted estimate; an
	// aspect title with markup stays text.
	q := &survey.Questionnaire{Aspects: []survey.Aspect{{ID: "A", Title: survey.Text{"vi": `<script>alert("x")</script> & "Tiếp cận"`}}}}
	rep := edgeReport()
	s := AspectChartSVG(rep, Meta{Survey: q, L: locale("vi")})
	text := checkSVG(t, s)
	if !strings.Contains(text, `<script>alert("x")</script> & "Tiếp cận"`) {
		t.Errorf("aspect title not kept as text: %s", text)
	}
	if !strings.Contains(text, "50,0%") || !strings.Contains(text, "không trọng số") {
		t.Errorf("fallback to the unweighted basis not shown: %s", text)
	}
	if !strings.Contains(text, "chưa đủ dữ liệu") {
		t.Errorf("aspect without data not labelled: %s", text)
	}
	checkSVG(t, AspectChartSVG(&index.Report{Year: 2026}, Meta{L: locale("en")}))
}

func TestTrendChartSVG(t *testing.T) {
	pts := []TrendPoint{
		{Month: 1, Estimate: ptr(0.81), Low: ptr(0.76), High: ptr(0.85), N: 240},
		{Month: 2, Estimate: ptr(0.835), Low: ptr(0.79), High: ptr(0.87), N: 251},
		{Month: 3}, // no data: the line breaks
		{Month: 4, Estimate: ptr(0.9), Low: ptr(0.84), High: ptr(0.94), N: 120},
		{Month: 5, Estimate: ptr(1), N: 1},
		{Month: 13, Estimate: ptr(0.5)}, // ignored
	}
	s := TrendChartSVG(pts, Meta{L: locale("vi"), Scope: "Toàn tỉnh"})
	golden(t, "trend.svg.golden", []byte(s))
	text := checkSVG(t, s)
	for _, want := range []string{"Chỉ số hài lòng theo tháng — Toàn tỉnh", "Tháng 3: chưa đủ dữ liệu", "83,5% [79,0% – 87,0%], n = 251", "T12"} {
		if !strings.Contains(text, want) {
			t.Errorf("trend text lacks %q", want)
		}
	}
	if strings.Contains(text, "Tháng 13") {
		t.Error("month 13 drawn")
	}
	// Months 1–2 are joined, 3 is a gap, 4–5 joined again: two M commands.
	if i := strings.Index(s, `<path d="M`); i < 0 || strings.Count(s[i:i+strings.Index(s[i:], `"/>`)], "M") != 2 {
		t.Errorf("the trend line should have two segments: %s", s)
	}
	checkSVG(t, TrendChartSVG(nil, Meta{L: locale("en")}))
}
