package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// column describes one column a file may have.
type column struct {
	name     string
	required bool
}

// table is one CSV file being read: its header, the bytes of the record being read, and
// its problems.
type table struct {
	file string
	c    *collector
	in   *window

	header     []string
	headerLine int
	index      map[string]int // column name → field index, for the columns of the spec present in the header
	stop       bool           // set by a row's reader: read no further
}

// row is one well-formed record (as many fields as the header). The parsers get one row at a
// time and the same row value again for the next record, so they keep no pointer to it.
type row struct {
	t      *table
	line   int      // line where the record starts
	fields []string // raw field values
	lines  []int    // line where each field starts
	bad    []bool   // field failed the UTF-8 check and was already reported
}

var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
)

// readTable reads a CSV file record by record, checks its header against cols and calls each
// for every record that has as many fields as the header. Rows whose fields are all empty
// (left by spreadsheets below the data) are skipped. Problems go to c; the returned error is
// only an I/O failure. Memory stays bounded whatever the file's length: only the record being
// read is kept, to locate its syntax errors.
//
// expected lists the columns for messages ("code, name, level, parent_code").
// It returns the table (nil when the header was unusable, so the caller
// knows no row was read).
func readTable(file string, r io.Reader, cols []column, expected string, c *collector, each func(*row)) (*table, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	start, err := br.Peek(len(utf8BOM))
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("dataset: read %s: %w", file, err)
	}
	if bytes.HasPrefix(start, utf16LEBOM) || bytes.HasPrefix(start, utf16BEBOM) {
		c.addf(1, 0, "the file is UTF-16 encoded; save it as UTF-8 (in Excel: \"CSV UTF-8\")")
		return nil, nil
	}
	if bytes.HasPrefix(start, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	t := &table{file: file, c: c, in: &window{r: br, line: 1}}

	cr := csv.NewReader(t.in)
	cr.FieldsPerRecord = -1 // ragged rows are reported by us, with a clearer message
	cr.ReuseRecord = true
	header, err := cr.Read()
	if t.in.err != nil {
		return nil, fmt.Errorf("dataset: read %s: %w", file, t.in.err)
	}
	if err == io.EOF {
		c.addf(1, 0, "the file is empty; the first line must be the header: %s", expected)
		return nil, nil
	}
	if err != nil {
		t.syntaxError(err)
		return nil, nil
	}
	t.headerLine, _ = cr.FieldPos(0)
	if !t.readHeader(slices.Clone(header), cols, expected) {
		return nil, nil
	}
	t.in.mark(cr.InputOffset())
	if err := t.readRows(cr, each); err != nil {
		return nil, fmt.Errorf("dataset: read %s: %w", file, err)
	}
	return t, nil
}

// readRows calls each for every record after the header that has as many fields as the
// header and is not blank, reporting the others. It returns only a failure to read.
func (t *table) readRows(cr *csv.Reader, each func(*row)) error {
	rw := &row{t: t, lines: make([]int, len(t.header)), bad: make([]bool, len(t.header))}
	for {
		rec, err := cr.Read()
		if t.in.err != nil {
			return t.in.err
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			t.syntaxError(err)
			t.in.mark(cr.InputOffset())
			continue // encoding/csv resumes on the next line
		}
		t.in.mark(cr.InputOffset())
		line, _ := cr.FieldPos(0)
		if len(rec) != len(t.header) {
			if len(rec) > len(t.header) {
				t.c.addf(line, 0, "row has %d fields but the header has %d; is a comma inside a text that is not quoted?", len(rec), len(t.header))
			} else {
				t.c.addf(line, 0, "row has %d fields but the header has %d", len(rec), len(t.header))
			}
			continue
		}
		if allEmpty(rec) {
			continue
		}
		rw.line, rw.fields = line, rec
		for i, f := range rec {
			rw.lines[i], _ = cr.FieldPos(i)
			rw.bad[i] = false
			if !utf8.ValidString(f) {
				t.invalidUTF8(rw.lines[i], i, f)
				rw.bad[i] = true
			}
		}
		each(rw)
		if t.stop {
			return nil
		}
	}
}

// window is the input as encoding/csv reads it, keeping the bytes from the start of the
// record being read (mark) to what has been read, so that a syntax error can be located by
// rescanning its record. Older bytes are dropped, counting their lines.
type window struct {
	r    io.Reader
	err  error  // the first read failure other than io.EOF
	buf  []byte // input from offset base on
	base int64
	line int   // line number of buf[0]
	keep int64 // offset of the current record's start: bytes before it may go
}

// Read reads from the input and keeps what it read.
func (w *window) Read(p []byte) (int, error) {
	if drop := w.keep - w.base; drop > 64<<10 && drop > int64(len(w.buf))/2 {
		w.forget(int(drop))
	}
	n, err := w.r.Read(p)
	w.buf = append(w.buf, p[:n]...)
	if err != nil && err != io.EOF && w.err == nil {
		w.err = err
	}
	return n, err
}

// mark says that the next record starts at input offset off.
func (w *window) mark(off int64) { w.keep = off }

// forget drops the first n bytes of the window.
func (w *window) forget(n int) {
	w.line += bytes.Count(w.buf[:n], []byte{'\n'})
	w.buf = append(w.buf[:0], w.buf[n:]...)
	w.base += int64(n)
}

func allEmpty(rec []string) bool {
	for _, f := range rec {
		if f != "" {
			return false
		}
	}
	return true
}

// readHeader checks the header row and maps column names to positions. It
// reports false when the header is unusable and rows cannot be checked.
func (t *table) readHeader(header []string, cols []column, expected string) bool {
	t.header = header
	t.index = make(map[string]int)
	line := t.headerLine
	if len(header) == 1 {
		for _, sep := range []string{";", "\t"} {
			if strings.Contains(header[0], sep) {
				name := map[string]string{";": "semicolons (;)", "\t": "tabs"}[sep]
				t.c.addf(line, 0, "the header is separated by %s; sipas needs commas (,) between columns", name)
				return false
			}
		}
	}
	for _, h := range header {
		switch {
		case strings.ContainsRune(h, '\r'):
			t.c.addf(line, 0, "lines end with a bare carriage return (old Mac style); save the file with LF or CRLF line endings")
			return false
		case strings.ContainsRune(h, 0):
			t.c.addf(line, 0, "the header contains NUL bytes; the file is probably UTF-16: save it as UTF-8 (in Excel: \"CSV UTF-8\")")
			return false
		}
	}
	spec := make(map[string]bool, len(cols))
	for _, col := range cols {
		spec[col.name] = true
	}
	// A first line without any known column is data, not a misspelt
	// header: say so once rather than once per field.
	if !slices.ContainsFunc(header, func(h string) bool { return spec[h] }) {
		t.c.addf(line, 0, "the first line is not a header: expected the columns %s", expected)
		return false
	}
	for i, h := range header {
		switch {
		case !utf8.ValidString(h):
			t.invalidUTF8(line, i, h)
		case strings.TrimSpace(h) == "":
			t.c.addf(line, i+1, "column %d has no name; remove the empty column or name it", i+1)
		case spec[h]:
			if j, dup := t.index[h]; dup {
				t.c.addf(line, i+1, "column %q appears twice (also column %d)", h, j+1)
				continue
			}
			t.index[h] = i
		default:
			t.c.addf(line, i+1, "unknown column %s%s", quote(h), columnHint(h, cols, expected))
		}
	}
	for _, col := range cols {
		if _, ok := t.index[col.name]; col.required && !ok {
			t.c.addf(line, 0, "missing required column %q", col.name)
		}
	}
	return true
}

// columnHint suggests the intended column for a misspelt header name.
func columnHint(h string, cols []column, expected string) string {
	for _, col := range cols {
		switch {
		case strings.TrimSpace(h) == col.name:
			return fmt.Sprintf("; remove the spaces around %q", col.name)
		case strings.EqualFold(strings.TrimSpace(h), col.name):
			return fmt.Sprintf("; did you mean %q? column names are case-sensitive", col.name)
		}
	}
	return "; the columns are " + expected
}

// name is the header of field i, for messages: as written when it reads
// well on one line, else "column N".
func (t *table) name(i int) string {
	if i < len(t.header) {
		h := t.header[i]
		if h != "" && h == strings.TrimSpace(h) && utf8.ValidString(h) &&
			!strings.ContainsFunc(h, unicode.IsControl) && utf8.RuneCountInString(h) <= 40 {
			return h
		}
	}
	return fmt.Sprintf("column %d", i+1)
}

// invalidUTF8 reports the first invalid byte of field i, which starts on
// line start; a quoted field may span lines, so the line is counted on.
func (t *table) invalidUTF8(start, i int, f string) {
	at := 0
	for at < len(f) {
		r, size := utf8.DecodeRuneInString(f[at:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		at += size
	}
	line := start + strings.Count(f[:at], "\n")
	t.c.addf(line, i+1, "%s: invalid UTF-8 (byte 0x%02X); save the file as UTF-8 (in Excel: \"CSV UTF-8\")", t.name(i), f[at])
}

// syntaxError reports a quoting error from encoding/csv at the field it
// concerns. csv gives a byte column; we turn it into a field number by
// rescanning the record from its first line, which the window still holds.
func (t *table) syntaxError(err error) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		t.c.addf(1, 0, "cannot read the file: %v", err)
		return
	}
	data := t.in.buf
	start := t.offset(pe.StartLine, 1)
	at := t.offset(pe.Line, pe.Column)
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		field, _ := scanFields(data, start, at)
		t.c.addf(pe.Line, field+1, "%s: a \" inside a field that does not start with \"; enclose the whole field in quotes and write each \" inside it as \"\"", t.name(field))
	case errors.Is(pe.Err, csv.ErrQuote) && at < len(data) && data[at] == '"':
		field, _ := scanFields(data, start, at)
		t.c.addf(pe.Line, field+1, "%s: text after the closing \" of a quoted field; write each \" inside a quoted field as \"\"", t.name(field))
	case errors.Is(pe.Err, csv.ErrQuote):
		field, open := scanFields(data, start, len(data))
		line := pe.StartLine
		if open >= 0 {
			line = t.lineOf(open)
		}
		t.c.addf(line, field+1, "%s: a quoted field is never closed: the \" here starts a text that runs to the end of the file", t.name(field))
	default:
		t.c.addf(pe.Line, 0, "%v", pe.Err)
	}
}

// scanFields scans data[start:end] as the beginning of one CSV record and
// returns the 0-based index of the field at end and, if end is inside a
// quoted field, the offset of its opening quote (else -1).
func scanFields(data []byte, start, end int) (field, open int) {
	open = -1
	fieldStart := true
	for i := start; i < end && i < len(data); i++ {
		b := data[i]
		if open >= 0 {
			if b == '"' {
				if i+1 < len(data) && data[i+1] == '"' {
					i++
					continue
				}
				open = -1
			}
			continue
		}
		switch {
		case b == ',':
			field++
			fieldStart = true
			continue
		case b == '"' && fieldStart:
			open = i
		}
		fieldStart = false
	}
	return field, open
}

// offset converts a 1-based line and byte column into an offset in the window; lines before
// the window (which a record being rescanned never starts on) give its start.
func (t *table) offset(line, col int) int {
	data := t.in.buf
	at := 0
	for l := t.in.line; l < line; l++ {
		i := bytes.IndexByte(data[at:], '\n')
		if i < 0 {
			return len(data)
		}
		at += i + 1
	}
	return min(at+max(col, 1)-1, len(data))
}

// lineOf returns the 1-based line holding window offset off.
func (t *table) lineOf(off int) int {
	return t.in.line + bytes.Count(t.in.buf[:min(off, len(t.in.buf))], []byte{'\n'})
}

// col returns the field index of the named column, or -1 when absent.
func (r *row) col(name string) int {
	if i, ok := r.t.index[name]; ok {
		return i
	}
	return -1
}

// value returns the named field and its index; ok is false when the column
// is absent or its value was already reported as invalid UTF-8.
func (r *row) value(name string) (v string, i int, ok bool) {
	i = r.col(name)
	if i < 0 || r.bad[i] {
		return "", i, false
	}
	return r.fields[i], i, true
}

// errf reports a problem with field i of the row.
func (r *row) errf(i int, format string, args ...any) {
	r.t.c.addf(r.lines[i], i+1, format, args...)
}

// duplicates finds keys that appear on more than one row. The later rows
// are reported at once; the first row is reported by report, so both
// places show up in file order.
//
// A million response ids must fit in a bounded memory, so a key is kept as a 128-bit
// fingerprint (two independent seeded hashes, a false match about 2⁻¹²⁸ per pair of keys)
// with the line it was first seen on; only duplicated keys keep more.
type duplicates struct {
	what  string // the key's description, e.g. "code"
	seeds [2]maphash.Seed
	first map[[2]uint64]int32 // key fingerprint → line of its first occurrence
	col   int                 // the 1-based column of the keys' first occurrences
	again map[[2]uint64]*dupFirst
}

type dupFirst struct {
	line        int
	shown       string // the key as shown in messages
	again, more int    // line of the second occurrence; number of later ones
}

func newDuplicates(what string) *duplicates {
	return &duplicates{what: what, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		first: map[[2]uint64]int32{}, again: map[[2]uint64]*dupFirst{}}
}

// see records key for field i of rw; it reports and returns false when the
// key was already seen.
func (d *duplicates) see(rw *row, i int, key, shown string) bool {
	return d.seeShown(rw, i, key, func() string { return shown })
}

// seeShown is see with the key's message form made only when it is needed.
func (d *duplicates) seeShown(rw *row, i int, key string, shown func() string) bool {
	fp := [2]uint64{maphash.String(d.seeds[0], key), maphash.String(d.seeds[1], key)}
	line, seen := d.first[fp]
	if !seen {
		d.first[fp] = int32(rw.lines[i])
		d.col = i + 1
		return true
	}
	f := d.again[fp]
	if f == nil {
		f = &dupFirst{line: int(line), shown: shown(), again: rw.lines[i]}
		d.again[fp] = f
	}
	f.more++
	rw.errf(i, "%s %s is duplicated: it is already on line %d", d.what, f.shown, f.line)
	return false
}

// report adds the error at each first occurrence of a duplicated key.
func (d *duplicates) report(c *collector) {
	for _, f := range d.again {
		also := ""
		if f.more > 1 {
			also = fmt.Sprintf(" and on %d more", f.more-1)
		}
		c.addf(f.line, d.col, "%s %s appears again on line %d%s", d.what, f.shown, f.again, also)
	}
}
