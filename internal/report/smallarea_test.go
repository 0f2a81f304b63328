package report

import (
	"strconv"
	"strings"
	"testing"

	"sipas/internal/index"
)

// smallAreaReport is a report of 2025 with a hand-made small-area block: an ordinary commune,
// one without answers (synthetic), a census, and two warnings.
func smallAreaReport() *index.Report {
	rep := edgeReport()
	rep.Year = 2025
	rep.SmallArea = &index.SmallArea{Level: "commune", Covariates: []string{"intercept"}, AreasInModel: 2,
		Warnings: []index.SmallAreaWarning{index.WarnFewAreas, index.WarnSigma2uZero},
		Rows: []index.SmallAreaRow{
			{Agency: "X1", N: 7, Direct: ptr(0.8), DirectVar: ptr(0.0036), Psi: ptr(0.004), Gamma: ptr(0.54), EBLUP: ptr(0.78), MSE: ptr(0.0025), CI: &[2]float64{0.682, 0.878}},
			{Agency: "X2", N: 0, Gamma: ptr(0), EBLUP: ptr(0.75), MSE: ptr(0.0049), CI: &[2]float64{0.613, 0.887}, Synthetic: true},
			{Agency: "X3", N: 40, Direct: ptr(0.9), DirectVar: ptr(0), Psi: ptr(0), Gamma: ptr(1), EBLUP: ptr(0.9), MSE: ptr(0), CI: &[2]float64{0.9, 0.9}},
		}}
	return rep
}

func TestAreaLines(t *testing.T) {
	m := testMeta(t)
	m.AgencyNames = map[string]string{"X1": "Xã Một"}
	lines, ranked := m.AreaLines(smallAreaReport())
	if ranked != 3 || len(lines) != 3 {
		t.Fatalf("%d lines, %d ranked", len(lines), ranked)
	}
	for i, want := range []string{"dựa 54% vào câu trả lời của chính xã này", "ước lượng tổng hợp: xã này chưa có phiếu, con số hoàn toàn theo mô hình",
		"dựa hoàn toàn vào câu trả lời của chính xã này (mọi hồ sơ đều được khảo sát)"} {
		if lines[i].GammaText != want {
			t.Errorf("%s γ in words = %q, want %q", lines[i].Agency, lines[i].GammaText, want)
		}
	}
	// The direct interval is the report's: 0.8 ± 1.96·0.06, and none without a direct estimate.
	if l := lines[0]; l.Name != "Xã Một" || l.DLow == nil || abs(*l.DLow-(0.8-1.959963984540054*0.06)) > 1e-12 || lines[1].DLow != nil {
		t.Errorf("direct interval of X1 = %v, of X2 = %v", l.DLow, lines[1].DLow)
	}
	// The census (MSE 0) is told apart from X1 (0.12 apart), not from the synthetic area.
	if got := lines[2].RankText + " / " + lines[1].RankText; got != "hạng 1–2 / hạng 1–3" {
		t.Errorf("rank ranges (census / synthetic) = %q", got)
	}
	warn := strings.Join(m.SmallAreaWarnings(smallAreaReport().SmallArea), " ")
	for _, w := range []string{"dưới 10 đơn vị", "σ²_u = 0"} {
		if !strings.Contains(warn, w) {
			t.Errorf("warnings %q lack %q", warn, w)
		}
	}
	if s := m.SmallAreaSummary(smallAreaReport())[0]; !strings.Contains(s, "Cấp xã (xã, phường, đặc khu): 2 đơn vị có phiếu trong 3") {
		t.Errorf("summary = %q", s)
	}
}

func TestSmallAreaInEveryExport(t *testing.T) {
	rep, m := smallAreaReport(), testMeta(t)
	m.CSV.Table = TableSmallArea
	var buf strings.Builder
	if err := WriteCSV(&buf, rep, m); err != nil {
		t.Fatal(err)
	}
	if rows := strings.Split(strings.TrimSpace(buf.String()), "\n"); len(rows) != 4 || rows[0] != "\uFEFF"+strings.Join(SmallAreaCSVColumns, ",") ||
		!strings.HasPrefix(rows[1], "X1,X1,7,80,68.2402,91.7598,78,68.2,87.8,5,0.54,false,2,3,") {
		t.Errorf("small-area CSV:\n%s", buf.String())
	}
	f := openXLSX(t, rep, testMeta(t))
	row := findRow(t, f, "Đơn vị nhỏ", "hạng 1–2")
	if v, _ := f.GetCellValue("Đơn vị nhỏ", "L"+strconv.Itoa(row)); !strings.Contains(v, "hoàn toàn") {
		t.Errorf("the census's γ in words = %q", v)
	}
	findRow(t, f, "Đơn vị nhỏ", "Mô hình không thấy khác biệt thật")
	text := pdfText(t, rep, testMeta(t))
	for _, w := range []string{"Ước lượng cho từng đơn vị (mô hình Fay–Herriot)", "dựa 54% vào câu trả lời", "ước lượng tổng hợp", "Mô hình giả định"} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), w) {
			t.Errorf("the PDF lacks %q", w)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
