package report

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"sipas/internal/index"
	"sipas/internal/readback"
)

// fonts are the fonts the binary embeds (assets/fonts).
var fonts = os.DirFS("../../assets/fonts")

// pdfText writes rep as PDF and returns its text as pdftotext reads it.
func pdfText(t *testing.T, rep *index.Report, m Meta) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePDF(&buf, rep, m, fonts); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatal("output does not start with %PDF-")
	}
	return readback.PDFText(t, buf.Bytes())
}

// flat joins the words of s with single spaces, so that a phrase matches
// across the line breaks of wrapped text.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestWritePDF(t *testing.T) {
	rep := mustReport(t)
	raw := pdfText(t, rep, testMeta(t))
	pages := strings.Count(strings.TrimRight(raw, "\f"), "\f") + 1
	text := flat(raw)
	ov := overallIndex(rep)
	for _, want := range []string{
		"Chỉ số hài lòng về sự phục vụ hành chính (SIPAS)",
		"Trang 1/" + strconv.Itoa(pages),
		"Trang " + strconv.Itoa(pages) + "/" + strconv.Itoa(pages),
		"Ngày lập báo cáo: 25/11/2026",
		m0().pct(ov.Stratified.Value), // the headline, e.g. 83,6%
		m0().ci(ov.Stratified.CILow, ov.Stratified.CIHigh),
		m0().verdictLabel(ov.Change.Stratified.Verdict),
		"Tiếp nhận, giải quyết góp ý, phản ánh, kiến nghị",
		"UBND xã Đông Hòa",
		"Bảng xếp hạng cơ quan, đơn vị",
		"chỉ mang tính tham khảo (cỡ mẫu nhỏ)",
		"Holm",
		"Wilson",
		"Newcombe",
		"Welch",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if !regexp.MustCompile(`\d+,\d%`).MatchString(text) {
		t.Error("PDF text has no Vietnamese-formatted percentage (87,5%)")
	}
	if regexp.MustCompile(`\d+\.\d%`).MatchString(text) {
		t.Error("PDF text has an English-formatted percentage in a Vietnamese report")
	}
}

func TestWritePDFEnglish(t *testing.T) {
	m := testMeta(t)
	m.L = locale("en")
	text := flat(pdfText(t, mustReport(t), m))
	for _, want := range []string{"Satisfaction Index of Public Administrative Services (SIPAS)", "Page 1/", "Generated: 2026-11-25", "Access to the service"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if !regexp.MustCompile(`\d+\.\d%`).MatchString(text) {
		t.Error("PDF text has no English-formatted percentage (87.5%)")
	}
}

func TestWritePDFEdge(t *testing.T) {
	text := flat(pdfText(t, edgeReport(), Meta{L: locale("vi"), Generated: testMeta(t).Generated}))
	for _, want := range []string{"Chỉ số hài lòng chung (không trọng số)", "chưa đủ dữ liệu", "số liệu đã công bố", "Trang 1/"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
}

func TestWritePDFMissingFont(t *testing.T) {
	err := WritePDF(&bytes.Buffer{}, mustReport(t), Meta{}, fstest.MapFS{})
	if err == nil || !strings.Contains(err.Error(), FontRegular) {
		t.Errorf("err = %v, want one naming %s", err, FontRegular)
	}
}

// TestWritePDFDeterministic checks that the same report gives the same
// bytes, so a downloaded report can be checked against a re-run.
func TestWritePDFDeterministic(t *testing.T) {
	rep, m := mustReport(t), testMeta(t)
	var a, b bytes.Buffer
	if err := WritePDF(&a, rep, m, fonts); err != nil {
		t.Fatal(err)
	}
	if err := WritePDF(&b, rep, m, fonts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs gave different PDFs")
	}
}
