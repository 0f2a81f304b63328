package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"sipas/internal/index"
)

func TestSafeCell(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"equals", "=1+2", "'=1+2"},
		{"plus", "+84 912", "'+84 912"},
		{"minus", "-2+3", "'-2+3"},
		{"at", "@SUM(A1)", "'@SUM(A1)"},
		{"tab", "\t=1", "'\t=1"},
		{"carriage return", "\r=1", "'\r=1"},
		{"line feed", "\n=1", "'\n=1"},
		{"after spaces", "   =cmd|' /C calc'!A0", "'   =cmd|' /C calc'!A0"},
		{"after no-break space", "\u00a0+1", "'\u00a0+1"},
		{"full-width equals", "＝1+2", "'＝1+2"},
		{"hyperlink", `=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"vietnamese", "Rất hài lòng, cảm ơn cán bộ", "Rất hài lòng, cảm ơn cán bộ"},
		{"inner trigger", "Tốt = 5", "Tốt = 5"},
		{"leading space text", "  Tốt", "  Tốt"},
		{"spaces only", "   ", "   "},
		{"empty", "", ""},
		{"code", "A01", "A01"},
		{"already quoted", "'=1", "'=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SafeCell(tt.in); got != tt.want {
				t.Errorf("SafeCell(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestWriteCSVGolden(t *testing.T) {
	rep := mustReport(t)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rep, testMeta(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.csv.golden", buf.Bytes())
	checkCSV(t, buf.Bytes(), CSVColumns, 2*len(rep.Indices))
}

func TestWriteCSVEdgeGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, edgeReport(), Meta{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "edge.csv.golden", buf.Bytes())
	rows := checkCSV(t, buf.Bytes(), CSVColumns, 2*len(edgeReport().Indices))
	// The stratified rows of a report without receipts weighting are there,
	// empty, and say no comparison was possible.
	for _, r := range rows[1:] {
		if r[3] == index.BasisStratified && (r[4] != "" || r[8] != "" || r[15] != string(index.InsufficientData)) {
			t.Errorf("stratified row %v: want empty numbers and insufficient_data", r)
		}
	}
}

func TestWriteCSVValues(t *testing.T) {
	rep := mustReport(t)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rep, testMeta(t)); err != nil {
		t.Fatal(err)
	}
	rows := checkCSV(t, buf.Bytes(), CSVColumns, 2*len(rep.Indices))
	ov := overallIndex(rep)
	var found bool
	for _, r := range rows[1:] {
		if r[0] == "overall" && r[3] == index.BasisStratified {
			found = true
			if got, want := r[4], pctField(ov.Stratified.Value); got != want {
				t.Errorf("overall estimate_pct = %q, want %q", got, want)
			}
			if strings.Contains(r[4], ",") {
				t.Errorf("estimate_pct %q has a decimal comma; the CSV is a machine format", r[4])
			}
			if got, want := r[15], string(ov.Change.Stratified.Verdict); got != want {
				t.Errorf("overall verdict = %q, want %q", got, want)
			}
		}
	}
	if !found {
		t.Error("no stratified overall row")
	}
}

func TestFieldFormats(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"percent", pctField(ptr(0.8302)), "83.02"},
		{"percent noise", pctField(ptr(0.1 + 0.2)), "30"},
		{"percent rounding", pctField(ptr(0.830212345)), "83.0212"},
		{"negative zero", pctField(ptr(-0.0000000001)), "0"},
		{"null", pctField(nil), ""},
		{"p small", pField(ptr(1.234567e-12)), "1.235e-12"},
		{"p", pField(ptr(0.04999)), "0.04999"},
		{"n_eff", decField(ptr(123.456), 2), "123.46"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestWriteAgenciesCSVGolden(t *testing.T) {
	rep := mustReport(t)
	var buf bytes.Buffer
	m := testMeta(t)
	m.CSV.Table = TableAgencies
	if err := WriteCSV(&buf, rep, m); err != nil {
		t.Fatal(err)
	}
	golden(t, "agencies.csv.golden", buf.Bytes())
	rows := checkCSV(t, buf.Bytes(), AgencyCSVColumns, len(rep.Agencies))
	names := map[string]string{}
	for _, r := range rows[1:] {
		names[r[0]] = r[1]
	}
	for code, want := range map[string]string{
		"A01": "Sở Nội vụ",
		"A03": "UBND xã Đông Hòa",
		"A04": `'=HYPERLINK("http://example.com","Bấm vào đây")`,
		"A05": "'+84 Trung tâm Phục vụ hành chính công",
		"A06": "'-Ban Quản lý các khu công nghiệp",
		"A07": "'@Sở Y tế",
		"A08": "'  =1+2 Sở Xây dựng",
		"A09": "'\tSở Giáo dục và Đào tạo",
	} {
		if got := names[code]; got != want {
			t.Errorf("agency_name of %s = %q, want %q", code, got, want)
		}
	}
}

// checkCSV checks the BOM, the header and the row count, and returns the
// records, header included.
func checkCSV(t *testing.T, data []byte, header []string, rows int) [][]string {
	t.Helper()
	if !bytes.HasPrefix(data, []byte(bom)) {
		t.Fatal("no UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(data[len(bom):])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(recs[0], ","), strings.Join(header, ","); got != want {
		t.Errorf("header = %s, want %s", got, want)
	}
	if got := len(recs) - 1; got != rows {
		t.Errorf("%d rows, want %d", got, rows)
	}
	return recs
}

func TestFileName(t *testing.T) {
	rep := &index.Report{Survey: "sipas", Year: 2026, Baseline: &index.BaselineRef{Year: 2023, Source: index.SourceResponses}}
	tests := []struct {
		name       string
		rep        *index.Report
		scope, ext string
		want       string
	}{
		{"province", rep, "Toàn tỉnh", "xlsx", "sipas_2026_toan-tinh_vs_2023-responses.xlsx"},
		{"dot ext", rep, "toàn tỉnh", ".pdf", "sipas_2026_toan-tinh_vs_2023-responses.pdf"},
		{"đ", rep, "UBND xã Đông Hòa – Đắk Lắk", "csv", "sipas_2026_ubnd-xa-dong-hoa-dak-lak_vs_2023-responses.csv"},
		{"no scope", rep, "", "csv", "sipas_2026_vs_2023-responses.csv"},
		{"no baseline", &index.Report{Survey: "sipas", Year: 2026}, "Sở Tư pháp", "pdf", "sipas_2026_so-tu-phap.pdf"},
		{"aggregates", &index.Report{Year: 2026, Baseline: &index.BaselineRef{Year: 2023, Source: index.SourceAggregates}},
			"Toàn tỉnh", "json", "sipas_2026_toan-tinh_vs_2023-aggregates.json"},
		{"hostile", &index.Report{Survey: "../x", Year: 2026}, `../../etc/"passwd"`, "csv", "x_2026_etc-passwd.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FileName(tt.rep, tt.scope, tt.ext); got != tt.want {
				t.Errorf("FileName = %q, want %q", got, tt.want)
			}
		})
	}
	if got, want := ResponsesFileName("sipas", 2026, "Toàn tỉnh", "xlsx"), "sipas_2026_toan-tinh_responses.xlsx"; got != want {
		t.Errorf("ResponsesFileName = %q, want %q", got, want)
	}
}

func TestDesign(t *testing.T) {
	d := Design(mustQuestionnaire(t))
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(d.Questions, " "), "A1 A0 E1 E3 E0"; got != want {
		t.Errorf("questions = %s, want %s", got, want)
	}
	if len(d.Aspects) != 2 || d.Aspects[1].ID != "E" || strings.Join(d.Aspects[1].Questions, " ") != "E1 E3 E0" {
		t.Errorf("aspects = %+v", d.Aspects)
	}
}
