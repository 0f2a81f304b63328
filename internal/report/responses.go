package report

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"sipas/internal/calendar"
	"sipas/internal/i18n"
	"sipas/internal/survey"
)

// ResponseLayout says how a raw responses export is laid out and worded.
type ResponseLayout struct {
	// Codes are the question codes, in order: one column each.
	Codes []string
	// Survey gives the questions' wording for the XLSX's headers; nil shows the codes.
	Survey *survey.Questionnaire
	// L is the XLSX's language (headers, channels, dates); nil is the default language's bare
	// locale.
	L *i18n.Locale
	// Locale, for the CSV, writes it for a spreadsheet set to that language: ";" between
	// fields where its decimal separator is a comma, dates and times as it writes them. nil is
	// the machine format of responses.csv, which imports back.
	Locale *i18n.Language
	// TmpDir is where the XLSX spills what does not fit in memory ("" is the system's
	// temporary directory).
	TmpDir string
}

func (l ResponseLayout) loc() *i18n.Locale {
	if l.L == nil {
		return bare
	}
	return l.L
}

// ResponseRecord is one response of the raw export.
type ResponseRecord struct {
	ResponseID, AgencyCode, Channel string
	SubmittedAt                     time.Time
	// Answers are aligned with the export's question codes: 1–5, or 0 for
	// not applicable / no answer (an empty cell).
	Answers []uint8
	Comment string
}

// ResponseColumns returns the header of the raw export for the question
// codes: response_id, agency_code, channel, submitted_at, the codes, comment
// (the responses.csv layout of CONTRACT.md, which the importer reads back).
func ResponseColumns(codes []string) []string {
	cols := make([]string, 0, len(codes)+5)
	cols = append(cols, "response_id", "agency_code", "channel", "submitted_at")
	cols = append(cols, codes...)
	return append(cols, "comment")
}

// MaxXLSXResponses is how many responses the XLSX export holds: a worksheet's
// 1,048,576 rows less the header.
const MaxXLSXResponses = excelize.TotalRows - 1

// ErrTooManyRows is returned by ResponsesXLSX.Write past the last row a
// worksheet can hold (1,048,576 including the header); the CSV has no limit.
var ErrTooManyRows = errors.New("report: more responses than an XLSX sheet can hold; use CSV")

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("report: responses export is closed")

// answerText is the cell text of every answer value: 0 is an empty cell.
var answerText = [6]string{"", "1", "2", "3", "4", "5"}

// check validates a record against the number of codes: a wrong length or
// an answer above 5 means the caller's query and codes disagree, and such
// a file would not import back.
func (r *ResponseRecord) check(codes int) error {
	if len(r.Answers) != codes {
		return fmt.Errorf("report: response %q has %d answers for %d questions", r.ResponseID, len(r.Answers), codes)
	}
	for i, a := range r.Answers {
		if a > 5 {
			return fmt.Errorf("report: response %q: answer %d to question %d is not 0–5", r.ResponseID, a, i+1)
		}
	}
	return nil
}

// submittedAt writes the instant as RFC 3339 in Vietnam's +07:00, so the
// date an official reads is the date the year of the response is counted
// in (CONTRACT.md); the zero time is an empty cell.
func submittedAt(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return calendar.In(t).Format(time.RFC3339)
}

// ResponsesCSV streams responses as CSV in the responses.csv layout: UTF-8
// with a BOM, the header of ResponseColumns, one row per Write. Memory does
// not grow with the number of rows. Every text field goes through SafeCell.
//
// It is not safe for concurrent use. Errors are sticky: after a failed
// write, Write and Close return the first error.
type ResponsesCSV struct {
	bw     *bufio.Writer
	cw     *csv.Writer
	codes  int
	sheet  *i18n.Language // for a spreadsheet; nil is the machine format
	row    []string
	err    error
	closed bool
}

// NewResponsesCSV starts a raw responses export to w with the question
// codes of l in order; it writes the BOM and the header (an error doing so is
// returned by the first Write or by Close). Close flushes; it does not
// close w. With l.Locale it is the same table for a spreadsheet set to that
// language (see ResponseLayout), which no longer imports back.
func NewResponsesCSV(w io.Writer, l ResponseLayout) *ResponsesCSV {
	// One 64 KiB buffer: csv.NewWriter reuses a bufio.Writer that is large
	// enough instead of adding its own 4 KiB one.
	bw := bufio.NewWriterSize(w, 64<<10)
	r := &ResponsesCSV{bw: bw, cw: csv.NewWriter(bw), codes: len(l.Codes), sheet: l.Locale, row: make([]string, len(l.Codes)+5)}
	if r.sheet != nil && r.sheet.Decimal != "." {
		r.cw.Comma = ';'
	}
	if _, err := bw.WriteString(bom); err != nil {
		r.err = err
		return r
	}
	r.err = r.cw.Write(ResponseColumns(l.Codes))
	return r
}

// Write appends one response.
func (r *ResponsesCSV) Write(rec ResponseRecord) error {
	switch {
	case r.err != nil:
		return r.err
	case r.closed:
		return ErrClosed
	}
	if err := rec.check(r.codes); err != nil {
		return err // the record's fault: the export can go on
	}
	row := r.row
	row[0], row[1], row[2] = SafeCell(rec.ResponseID), SafeCell(rec.AgencyCode), SafeCell(rec.Channel)
	row[3] = submittedAt(rec.SubmittedAt)
	if r.sheet != nil && !rec.SubmittedAt.IsZero() {
		row[3] = calendar.In(rec.SubmittedAt).Format(r.sheet.Date + " 15:04:05")
	}
	for i, a := range rec.Answers {
		row[4+i] = answerText[a]
	}
	row[len(row)-1] = SafeCell(rec.Comment)
	if err := r.cw.Write(row); err != nil {
		r.err = fmt.Errorf("report: write responses csv: %w", err)
	}
	return r.err
}

// Abort drops what is buffered instead of writing it, and closes the export.
func (r *ResponsesCSV) Abort() {
	r.closed = true
	if r.err == nil {
		r.err = ErrClosed
	}
}

// Close writes out what is buffered. It may be called more than once.
func (r *ResponsesCSV) Close() error {
	if r.closed || r.err != nil {
		r.closed = true
		return r.err
	}
	r.closed = true
	r.cw.Flush()
	if err := r.cw.Error(); err != nil {
		r.err = fmt.Errorf("report: write responses csv: %w", err)
	}
	return r.err
}

// ResponsesXLSX streams responses as an XLSX workbook for officials, in the language of its
// layout: the sheet of responses in the responses.csv column order, under headers in words
// (each question's column headed by its code and its wording), a frozen header row, answers as
// number cells, the submission time as a date-time cell in Vietnam time, the channel in words
// and every text through SafeCell; and a sheet listing the questions.
//
// Memory: excelize's StreamWriter keeps at most about 16 MiB of sheet XML in
// memory and spills the rest to a temporary file in the directory given to
// NewResponsesXLSX (so 1,000,000 responses take roughly a gigabyte of
// temporary disk until Close or Abort removes it). excelize would
// then build the whole zipped workbook in a bytes.Buffer; Close avoids that
// by handing excelize a zip writer on w itself, so the workbook streams out
// and the heap stays flat (see BenchmarkResponsesXLSX).
//
// It is not safe for concurrent use. Errors are sticky, as for ResponsesCSV.
type ResponsesXLSX struct {
	w        io.Writer
	f        *excelize.File
	sw       *excelize.StreamWriter
	l        ResponseLayout
	channels map[string]string // code → words
	dateID   int
	rows     int // rows written, header included
	vals     []any
	err      error
	closed   bool
}

// NewResponsesXLSX starts a raw responses export to w laid out by l and writes the header
// row and the questions sheet; excelize's temporary files go in l.TmpDir. Nothing reaches w
// before Close, which writes the workbook (it does not close w).
func NewResponsesXLSX(w io.Writer, l ResponseLayout) (*ResponsesXLSX, error) {
	f := excelize.NewFile(excelize.Options{TmpDir: l.TmpDir})
	r := &ResponsesXLSX{w: w, f: f, l: l, vals: make([]any, len(l.Codes)+5), channels: map[string]string{}}
	if err := r.start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("report: write responses xlsx: %w", err)
	}
	return r, nil
}

// responseHeader is the header of the responses sheet in words: "A1 – wording" for questions.
func (l ResponseLayout) responseHeader() []string {
	loc := l.loc()
	h := []string{loc.T("responses.col_id"), loc.T("responses.col_agency"), loc.T("responses.col_channel"), loc.T("responses.col_at")}
	for _, code := range l.Codes {
		h = append(h, code+" – "+l.questionText(code))
	}
	return append(h, loc.T("responses.col_comment"))
}

// questionText is the wording of question code, or the code.
func (l ResponseLayout) questionText(code string) string {
	if l.Survey != nil {
		for _, a := range l.Survey.Aspects {
			for _, q := range a.Questions {
				if q.Code == code {
					return q.Text.In(l.loc().Code)
				}
			}
		}
	}
	return code
}

func (r *ResponsesXLSX) start() error {
	loc := r.l.loc()
	sheet := loc.T("responses.sheet")
	if err := r.f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	if err := r.questionsSheet(); err != nil {
		return err
	}
	for _, c := range []string{"counter", "online", "postal"} {
		r.channels[c] = loc.T("channel." + c)
	}
	head, err := r.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE6F0"}}})
	if err != nil {
		return err
	}
	// The language's date layout in spreadsheet codes: 02/01/2006 is dd/mm/yyyy.
	layout := strings.NewReplacer("2006", "yyyy", "01", "mm", "02", "dd").Replace(loc.Language.Date) + " hh:mm:ss"
	if r.dateID, err = r.f.NewStyle(&excelize.Style{CustomNumFmt: &layout}); err != nil {
		return err
	}
	if r.sw, err = r.f.NewStreamWriter(sheet); err != nil {
		return err
	}
	if err := r.streamLayout(); err != nil {
		return err
	}
	header := r.l.responseHeader()
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: head, Value: SafeCell(h)}
	}
	r.rows = 1
	return r.sw.SetRow("A1", cells, excelize.RowOpts{Height: 90})
}

// streamLayout sets the widths and the frozen header, which must precede the first row.
func (r *ResponsesXLSX) streamLayout() error {
	n := len(r.l.Codes)
	for _, c := range []struct {
		from, to int
		width    float64
	}{{1, 1, 22}, {2, 3, 12}, {4, 4, 20}, {5, 4 + n, 16}, {5 + n, 5 + n, 60}} {
		if c.to < c.from {
			continue
		}
		if err := r.sw.SetColWidth(c.from, c.to, c.width); err != nil {
			return err
		}
	}
	return r.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// questionsSheet lists the questions: code, aspect and wording, and what an empty cell means.
func (r *ResponsesXLSX) questionsSheet() error {
	loc := r.l.loc()
	sheet := loc.T("responses.sheet_questions")
	if _, err := r.f.NewSheet(sheet); err != nil {
		return err
	}
	rows := [][]any{{loc.T("report.col_code"), loc.T("kind.aspect"), loc.T("report.col_text")}}
	aspect := map[string]string{}
	if q := r.l.Survey; q != nil {
		for _, a := range q.Aspects {
			for _, qu := range a.Questions {
				aspect[qu.Code] = a.ID + ". " + a.Title.In(loc.Code)
			}
		}
	}
	for _, code := range r.l.Codes {
		rows = append(rows, []any{SafeCell(code), SafeCell(aspect[code]), SafeCell(r.l.questionText(code))})
	}
	rows = append(rows, []any{}, []any{loc.T("responses.answers_note")})
	for i, row := range rows {
		if err := r.f.SetSheetRow(sheet, fmt.Sprintf("A%d", i+1), &row); err != nil {
			return err
		}
	}
	if err := r.f.SetColWidth(sheet, "A", "A", 10); err != nil {
		return err
	}
	if err := r.f.SetColWidth(sheet, "B", "B", 44); err != nil {
		return err
	}
	return r.f.SetColWidth(sheet, "C", "C", 90)
}

// Write appends one response. Past the sheet's last row it returns
// ErrTooManyRows.
func (r *ResponsesXLSX) Write(rec ResponseRecord) error {
	switch {
	case r.err != nil:
		return r.err
	case r.closed:
		return ErrClosed
	case r.rows >= excelize.TotalRows:
		return ErrTooManyRows
	}
	if err := rec.check(len(r.l.Codes)); err != nil {
		return err
	}
	v := r.vals
	ch, ok := r.channels[rec.Channel]
	if !ok {
		ch = rec.Channel
	}
	v[0], v[1], v[2] = SafeCell(rec.ResponseID), SafeCell(rec.AgencyCode), SafeCell(ch)
	v[3] = nil
	if !rec.SubmittedAt.IsZero() {
		// Spreadsheets have no time zones: the cell holds Vietnam's wall-clock time.
		t := calendar.In(rec.SubmittedAt)
		v[3] = excelize.Cell{StyleID: r.dateID, Value: time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)}
	}
	for i, a := range rec.Answers {
		if a == 0 {
			v[4+i] = nil // StreamWriter skips nil: an empty cell
		} else {
			v[4+i] = a // a number cell; boxing a byte does not allocate
		}
	}
	v[len(v)-1] = SafeCell(rec.Comment)
	r.rows++
	cellRef, err := excelize.CoordinatesToCellName(1, r.rows)
	if err == nil {
		err = r.sw.SetRow(cellRef, v)
	}
	if err != nil {
		r.err = fmt.Errorf("report: write responses xlsx: %w", err)
	}
	return r.err
}

// Close writes the workbook to w and removes excelize's temporary files.
// It may be called more than once.
func (r *ResponsesXLSX) Close() error {
	if r.closed {
		return r.err
	}
	r.closed = true
	if r.err == nil {
		r.err = r.finish()
	}
	// Close removes the spilled sheet data: a failure leaves a temporary
	// file behind, worth reporting when nothing worse happened.
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = fmt.Errorf("report: write responses xlsx: %w", err)
	}
	return r.err
}

// Abort removes the temporary files without writing the workbook.
func (r *ResponsesXLSX) Abort() {
	if r.closed {
		return
	}
	r.closed = true
	if r.err == nil {
		r.err = ErrClosed
	}
	_ = r.f.Close()
}

func (r *ResponsesXLSX) finish() error {
	if err := r.sw.Flush(); err != nil {
		return fmt.Errorf("report: write responses xlsx: %w", err)
	}
	// excelize's File.Write assembles the zip in a bytes.Buffer (WriteToBuffer)
	// before copying it to w: the whole compressed workbook in memory. Its
	// ZipWriter hook lets us ignore that buffer and zip straight onto w; the
	// buffer stays empty and the final copy writes nothing. (The one thing
	// lost is excelize's ZIP64 header patch, which it applies to that buffer
	// and which only a sheet of more than 4 GiB of XML would need.)
	//
	// Deflate at BestSpeed: at the default level compressing a million rows'
	// XML took half of the export's time (BenchmarkResponsesXLSX: 39 s and
	// 69 MB, 19 s and 108 MB at BestSpeed), CPU taken from the citizens
	// answering beside it on the same cores.
	r.f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(r.w)
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(w, flate.BestSpeed)
		})
		return zw
	})
	if err := r.f.Write(r.w); err != nil {
		return fmt.Errorf("report: write responses xlsx: %w", err)
	}
	return nil
}
