package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"sipas/internal/calendar"
	"sipas/internal/dataset"
)

var testCodes = []string{"A1", "A0", "E1", "E3", "E0"}

// testRecords are raw responses with every formula trigger in the free
// text, Vietnamese comments, line breaks and quotes, blank answers, and an
// instant just after midnight on 1 January in Vietnam (still 31 December
// in UTC).
func testRecords() []ResponseRecord {
	return []ResponseRecord{
		{ResponseID: "R-0001", AgencyCode: "A01", Channel: "counter",
			SubmittedAt: time.Date(2025, 12, 31, 17, 30, 0, 0, time.UTC),
			Answers:     []uint8{5, 4, 0, 0, 5}, Comment: "Cán bộ hướng dẫn tận tình, chu đáo. Rất hài lòng!"},
		{ResponseID: "R-0002", AgencyCode: "A02", Channel: "online",
			SubmittedAt: time.Date(2026, 3, 8, 9, 15, 42, 0, calendar.Zone),
			Answers:     []uint8{1, 2, 3, 4, 5}, Comment: `=HYPERLINK("http://example.com","Bấm")`},
		{ResponseID: "R-0003", AgencyCode: "A03", Channel: "postal",
			SubmittedAt: time.Date(2026, 6, 1, 0, 0, 0, 0, calendar.Zone),
			Answers:     []uint8{0, 0, 0, 0, 0}, Comment: "+84 912 345 678 gọi lại giúp tôi"},
		{ResponseID: "R-0004", AgencyCode: "A01", Channel: "counter",
			SubmittedAt: time.Date(2026, 7, 2, 14, 0, 0, 0, calendar.Zone),
			Answers:     []uint8{4, 4, 4, 4, 4}, Comment: "-Thủ tục còn rườm rà\nCần rút ngắn thời gian"},
		{ResponseID: "R-0005", AgencyCode: "A02", Channel: "online",
			SubmittedAt: time.Date(2026, 8, 3, 8, 0, 0, 0, calendar.Zone),
			Answers:     []uint8{3, 3, 3, 3, 3}, Comment: "@admin xem giúp"},
		{ResponseID: "R-0006", AgencyCode: "A03", Channel: "counter",
			SubmittedAt: time.Date(2026, 9, 4, 8, 0, 0, 0, calendar.Zone),
			Answers:     []uint8{5, 5, 5, 5, 5}, Comment: "\t=1+2"},
		{ResponseID: "R-0007", AgencyCode: "A01", Channel: "counter",
			SubmittedAt: time.Date(2026, 10, 5, 8, 0, 0, 0, calendar.Zone),
			Answers:     []uint8{2, 0, 5, 0, 1}, Comment: "\r=cmd|' /C calc'!A0"},
		{ResponseID: "R-0008", AgencyCode: "A01", Channel: "online",
			SubmittedAt: time.Date(2026, 11, 6, 8, 0, 0, 0, calendar.Zone),
			Answers:     []uint8{4, 5, 4, 5, 4}, Comment: `Anh "Nam" ở quầy số 3, rất tốt`},
		{ResponseID: "=R-0009", AgencyCode: "A01", Channel: "online",
			SubmittedAt: time.Date(2026, 11, 7, 8, 0, 0, 0, calendar.Zone),
			Answers:     []uint8{4, 4, 4, 4, 4}},
	}
}

func TestResponsesCSVGolden(t *testing.T) {
	var buf bytes.Buffer
	w := NewResponsesCSV(&buf, ResponseLayout{Codes: testCodes})
	for _, r := range testRecords() {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	golden(t, "responses.csv.golden", buf.Bytes())
	recs := checkCSV(t, buf.Bytes(), ResponseColumns(testCodes), len(testRecords()))
	if got, want := recs[1][3], "2026-01-01T00:30:00+07:00"; got != want {
		t.Errorf("submitted_at = %q, want %q (Vietnam time)", got, want)
	}
	for i, want := range []string{"", `'=HYPERLINK("http://example.com","Bấm")`, "'+84 912 345 678 gọi lại giúp tôi",
		"'-Thủ tục còn rườm rà\nCần rút ngắn thời gian", "'@admin xem giúp", "'\t=1+2", "'\r=cmd|' /C calc'!A0"} {
		if i == 0 {
			continue
		}
		if got := recs[1+i][len(recs[1+i])-1]; got != want {
			t.Errorf("comment %d = %q, want %q", i+1, got, want)
		}
	}
	if got := recs[1][9]; got != "Cán bộ hướng dẫn tận tình, chu đáo. Rất hài lòng!" {
		t.Errorf("Vietnamese comment = %q", got)
	}
	if got := recs[9][0]; got != "'=R-0009" {
		t.Errorf("response_id = %q, want it neutralised", got)
	}
}

// TestResponsesCSVImports reads the export back with the importer of
// responses.csv: the layout is the one CONTRACT.md defines.
func TestResponsesCSVImports(t *testing.T) {
	var buf bytes.Buffer
	w := NewResponsesCSV(&buf, ResponseLayout{Codes: testCodes})
	recs := testRecords()
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := dataset.ParseResponses("responses.csv", &buf, testCodes, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("%d responses read back, want %d", len(got), len(recs))
	}
	for i, r := range got {
		want := recs[i]
		if !r.SubmittedAt.Equal(want.SubmittedAt) || r.AgencyCode != want.AgencyCode || r.Channel != want.Channel ||
			string(r.Answers) != string(want.Answers) {
			t.Errorf("response %d read back as %+v, want %+v", i+1, r, want)
		}
		if wantC := SafeCell(want.Comment); r.Comment != strings.ReplaceAll(wantC, "\r", "\n") {
			t.Errorf("comment %d read back as %q, want %q", i+1, r.Comment, wantC)
		}
	}
	if got[0].Year != 2026 {
		t.Errorf("year of a response at 00:30 on 1 January in Vietnam = %d, want 2026", got[0].Year)
	}
}

func TestResponsesXLSX(t *testing.T) {
	var buf bytes.Buffer
	q := mustQuestionnaire(t)
	w, err := NewResponsesXLSX(&buf, ResponseLayout{Codes: testCodes, Survey: q, L: locale("vi"), TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range testRecords() {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const sheet = "Phiếu gốc"
	if got, want := strings.Join(f.GetSheetList(), "|"), sheet+"|Câu hỏi"; got != want {
		t.Errorf("sheets = %s, want %s", got, want)
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	// Headers in words; each question's column has its code and its wording.
	want := []string{"Mã phiếu", "Mã cơ quan", "Kênh", "Thời điểm gửi (giờ Việt Nam)"}
	for _, code := range testCodes {
		want = append(want, code+" – "+ResponseLayout{Survey: q, L: locale("vi")}.questionText(code))
	}
	want = append(want, "Góp ý khác")
	if got := strings.Join(rows[0], "|"); got != strings.Join(want, "|") {
		t.Errorf("header = %s, want %s", got, strings.Join(want, "|"))
	}
	if !strings.Contains(rows[0][4], "A1 – ") || rows[0][4] == "A1 – A1" {
		t.Errorf("question header %q has no wording", rows[0][4])
	}
	if got, want := len(rows), 1+len(testRecords()); got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	cell := func(ref string) string {
		v, err := f.GetCellValue(sheet, ref)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for ref, want := range map[string]string{
		"A2":  "R-0001",
		"C2":  "trực tiếp",
		"C3":  "trực tuyến",
		"E2":  "5",
		"G2":  "", // not applicable
		"J2":  "Cán bộ hướng dẫn tận tình, chu đáo. Rất hài lòng!",
		"J3":  `'=HYPERLINK("http://example.com","Bấm")`,
		"J4":  "'+84 912 345 678 gọi lại giúp tôi",
		"J5":  "'-Thủ tục còn rườm rà\nCần rút ngắn thời gian",
		"J6":  "'@admin xem giúp",
		"J7":  "'\t=1+2",
		"J8":  "'\r=cmd|' /C calc'!A0",
		"A10": "'=R-0009",
	} {
		if got := cell(ref); got != want {
			t.Errorf("%s = %q, want %q", ref, got, want)
		}
	}
	// The submission time is a date-time cell holding Vietnam's wall clock: 00:30 on 1 January.
	raw, _ := f.GetCellValue(sheet, "D2", excelize.Options{RawCellValue: true})
	if v, err := strconv.ParseFloat(raw, 64); err != nil || math.Abs(v-46023.020833333336) > 1e-6 {
		t.Errorf("D2 = %q, want the serial of 2026-01-01 00:30 (46023.0208…)", raw)
	}
	if id, _ := f.GetCellStyle(sheet, "D2"); id == 0 {
		t.Error("D2 has no date format")
	} else if st, _ := f.GetStyle(id); st.CustomNumFmt == nil || *st.CustomNumFmt != "dd/mm/yyyy hh:mm:ss" {
		t.Errorf("D2 format = %v, want dd/mm/yyyy hh:mm:ss", st.CustomNumFmt)
	}
	if typ, _ := f.GetCellType(sheet, "E2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("answer cell type = %v, want a number", typ)
	}
	if pane, _ := f.GetPanes(sheet); !pane.Freeze || pane.YSplit != 1 {
		t.Errorf("panes = %+v, want the header row frozen", pane)
	}
	qs, _ := f.GetRows("Câu hỏi")
	if len(qs) < 1+len(testCodes) || qs[1][0] != "A1" || qs[1][2] == "A1" {
		t.Errorf("questions sheet = %q, want a row per question with its wording", qs)
	}
	checkNoFormulas(t, f)
}

// TestResponsesCSVSpreadsheet: the raw CSV for a vi-VN spreadsheet is the same table with
// fields separated by ";" and Vietnamese date-times; the machine one stays RFC 3339.
func TestResponsesCSVSpreadsheet(t *testing.T) {
	vi, _ := SpreadsheetLocale("vi-VN")
	var buf bytes.Buffer
	w := NewResponsesCSV(&buf, ResponseLayout{Codes: testCodes, Locale: vi})
	for _, r := range testRecords() {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(buf.Bytes()[len(bom):]))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(recs[0], ","), strings.Join(ResponseColumns(testCodes), ","); got != want {
		t.Errorf("header = %s, want %s", got, want)
	}
	if got, want := recs[1][3], "01/01/2026 00:30:00"; got != want {
		t.Errorf("submitted_at = %q, want %q", got, want)
	}
	if got := recs[2][len(recs[2])-1]; got != `'=HYPERLINK("http://example.com","Bấm")` {
		t.Errorf("comment = %q, want it neutralised", got)
	}
}

func TestResponsesErrors(t *testing.T) {
	bad := ResponseRecord{ResponseID: "R", Answers: []uint8{1, 2}}
	wrong := ResponseRecord{ResponseID: "R", Answers: []uint8{1, 2, 3, 4, 6}}
	good := ResponseRecord{ResponseID: "R", Answers: make([]uint8, len(testCodes))}

	c := NewResponsesCSV(&bytes.Buffer{}, ResponseLayout{Codes: testCodes})
	x, err := NewResponsesXLSX(&bytes.Buffer{}, ResponseLayout{Codes: testCodes, TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range map[string]interface {
		Write(ResponseRecord) error
		Close() error
	}{"csv": c, "xlsx": x} {
		t.Run(name, func(t *testing.T) {
			if err := w.Write(bad); err == nil {
				t.Error("Write of 2 answers for 5 questions succeeded")
			}
			if err := w.Write(wrong); err == nil {
				t.Error("Write of an answer 6 succeeded")
			}
			if err := w.Write(good); err != nil {
				t.Errorf("Write after a rejected record: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Write(good); !errors.Is(err, ErrClosed) {
				t.Errorf("Write after Close = %v, want ErrClosed", err)
			}
		})
	}

	// A sheet holds 1,048,576 rows, header included.
	x, err = NewResponsesXLSX(&bytes.Buffer{}, ResponseLayout{Codes: testCodes, TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	x.rows = excelize.TotalRows
	if err := x.Write(good); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("Write past the last row = %v, want ErrTooManyRows", err)
	}
}

// failWriter fails every write.
type failWriter struct{}

var errDisk = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDisk }

func TestResponsesWriteErrors(t *testing.T) {
	c := NewResponsesCSV(failWriter{}, ResponseLayout{Codes: testCodes})
	for range 2000 { // more than the buffer holds
		if err := c.Write(testRecords()[0]); err != nil {
			break
		}
	}
	if err := c.Close(); !errors.Is(err, errDisk) {
		t.Errorf("csv Close = %v, want the writer's error", err)
	}
	x, err := NewResponsesXLSX(failWriter{}, ResponseLayout{Codes: testCodes, TmpDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Write(testRecords()[0]); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); !errors.Is(err, errDisk) {
		t.Errorf("xlsx Close = %v, want the writer's error", err)
	}
}

// Abort leaves no finished file and no temporary file: the XLSX writer spills its sheet into
// the directory it was given (the database's, in the service), and an export that fails
// half-way must not leave a gigabyte there, nor a valid workbook of the rows so far.
func TestResponsesAbort(t *testing.T) {
	tmp := t.TempDir()
	var out bytes.Buffer
	x, err := NewResponsesXLSX(&out, ResponseLayout{Codes: testCodes, TmpDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	rec := testRecords()[0]
	rec.Comment = strings.Repeat("góp ý ", 40)
	for range 60000 { // past excelize's 16 MiB in memory: the sheet spills to tmp
		if err := x.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	spilled, _ := os.ReadDir(tmp)
	if len(spilled) == 0 {
		t.Fatalf("no temporary file in %s after 60,000 rows: the test does not reach the spill", tmp)
	}
	x.Abort()
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("after Abort %d temporary files are left in %s", len(left), tmp)
	}
	if out.Len() != 0 {
		t.Errorf("Abort wrote %d bytes of workbook, want none", out.Len())
	}
	if err := x.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("Close after Abort = %v, want ErrClosed", err)
	}

	out.Reset()
	c := NewResponsesCSV(&out, ResponseLayout{Codes: testCodes})
	if err := c.Write(rec); err != nil {
		t.Fatal(err)
	}
	c.Abort()
	if err := c.Close(); !errors.Is(err, ErrClosed) || out.Len() != 0 {
		t.Errorf("csv: Close after Abort = %v with %d bytes written, want ErrClosed and nothing", err, out.Len())
	}
}
