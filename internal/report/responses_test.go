package report

import (
	"bytes"
	"errors"
	"os"
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
	w := NewResponsesCSV(&buf, testCodes)
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
	w := NewResponsesCSV(&buf, testCodes)
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
	w, err := NewResponsesXLSX(&buf, testCodes, t.TempDir())
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
	rows, err := f.GetRows(responsesSheet)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(rows[0], ","), strings.Join(ResponseColumns(testCodes), ","); got != want {
		t.Errorf("header = %s, want %s", got, want)
	}
	if got, want := len(rows), 1+len(testRecords()); got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	cell := func(ref string) string {
		v, err := f.GetCellValue(responsesSheet, ref)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for ref, want := range map[string]string{
		"A2":  "R-0001",
		"D2":  "2026-01-01T00:30:00+07:00",
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
	if typ, _ := f.GetCellType(responsesSheet, "E2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("answer cell type = %v, want a number", typ)
	}
	if pane, _ := f.GetPanes(responsesSheet); !pane.Freeze || pane.YSplit != 1 {
		t.Errorf("panes = %+v, want the header row frozen", pane)
	}
	checkNoFormulas(t, f)
}

func TestResponsesErrors(t *testing.T) {
	bad := ResponseRecord{ResponseID: "R", Answers: []uint8{1, 2}}
	wrong := ResponseRecord{ResponseID: "R", Answers: []uint8{1, 2, 3, 4, 6}}
	good := ResponseRecord{ResponseID: "R", Answers: make([]uint8, len(testCodes))}

	c := NewResponsesCSV(&bytes.Buffer{}, testCodes)
	x, err := NewResponsesXLSX(&bytes.Buffer{}, testCodes, t.TempDir())
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
	x, err = NewResponsesXLSX(&bytes.Buffer{}, testCodes, t.TempDir())
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
	c := NewResponsesCSV(failWriter{}, testCodes)
	for range 2000 { // more than the buffer holds
		if err := c.Write(testRecords()[0]); err != nil {
			break
		}
	}
	if err := c.Close(); !errors.Is(err, errDisk) {
		t.Errorf("csv Close = %v, want the writer's error", err)
	}
	x, err := NewResponsesXLSX(failWriter{}, testCodes, t.TempDir())
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
	x, err := NewResponsesXLSX(&out, testCodes, tmp)
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
	c := NewResponsesCSV(&out, testCodes)
	if err := c.Write(rec); err != nil {
		t.Fatal(err)
	}
	c.Abort()
	if err := c.Close(); !errors.Is(err, ErrClosed) || out.Len() != 0 {
		t.Errorf("csv: Close after Abort = %v with %d bytes written, want ErrClosed and nothing", err, out.Len())
	}
}
