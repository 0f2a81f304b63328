package report

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"sipas/internal/calendar"
)

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
	row    []string
	err    error
	closed bool
}

// NewResponsesCSV starts a raw responses export to w with the question
// codes in order; it writes the BOM and the header (an error doing so is
// returned by the first Write or by Close). Close flushes; it does not
// close w.
func NewResponsesCSV(w io.Writer, codes []string) *ResponsesCSV {
	// One 64 KiB buffer: csv.NewWriter reuses a bufio.Writer that is large
	// enough instead of adding its own 4 KiB one.
	bw := bufio.NewWriterSize(w, 64<<10)
	r := &ResponsesCSV{bw: bw, cw: csv.NewWriter(bw), codes: len(codes), row: make([]string, len(codes)+5)}
	if _, err := bw.WriteString(bom); err != nil {
		r.err = err
		return r
	}
	r.err = r.cw.Write(ResponseColumns(codes))
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

// ResponsesXLSX streams responses as an XLSX workbook with one sheet,
// "responses", in the responses.csv layout: a bold, frozen header row, then
// one row per Write; answers are number cells, everything else text through
// SafeCell (submitted_at stays RFC 3339 text, exactly as in the CSV).
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
	w      io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	codes  int
	rows   int // rows written, header included
	vals   []any
	err    error
	closed bool
}

// responsesSheet is the sheet name of the raw XLSX export: the layout's
// name rather than a translated one, because it is a data layout that
// scripts read.
const responsesSheet = "responses"

// NewResponsesXLSX starts a raw responses export to w with the question
// codes in order and writes the header row; excelize's temporary files go
// in tmpDir ("" for the system's). Nothing reaches w before Close, which
// writes the workbook (it does not close w).
func NewResponsesXLSX(w io.Writer, codes []string, tmpDir string) (*ResponsesXLSX, error) {
	f := excelize.NewFile(excelize.Options{TmpDir: tmpDir})
	r := &ResponsesXLSX{w: w, f: f, codes: len(codes), vals: make([]any, len(codes)+5)}
	if err := r.start(codes); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("report: write responses xlsx: %w", err)
	}
	return r, nil
}

func (r *ResponsesXLSX) start(codes []string) error {
	if err := r.f.SetSheetName("Sheet1", responsesSheet); err != nil {
		return err
	}
	bold, err := r.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if r.sw, err = r.f.NewStreamWriter(responsesSheet); err != nil {
		return err
	}
	// Widths and panes must precede the first row in a stream.
	n := len(codes)
	for _, c := range []struct {
		from, to int
		width    float64
	}{{1, 1, 22}, {2, 3, 12}, {4, 4, 26}, {5, 4 + n, 5}, {5 + n, 5 + n, 60}} {
		if c.to < c.from {
			continue
		}
		if err := r.sw.SetColWidth(c.from, c.to, c.width); err != nil {
			return err
		}
	}
	if err := r.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	header := ResponseColumns(codes)
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: SafeCell(h)}
	}
	r.rows = 1
	return r.sw.SetRow("A1", cells)
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
	if err := rec.check(r.codes); err != nil {
		return err
	}
	v := r.vals
	v[0], v[1], v[2] = SafeCell(rec.ResponseID), SafeCell(rec.AgencyCode), SafeCell(rec.Channel)
	v[3] = submittedAt(rec.SubmittedAt)
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
