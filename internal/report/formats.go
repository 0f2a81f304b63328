package report

import (
	"encoding/json"
	"io"
	"strings"

	"sipas/internal/index"
)

// Format is one way to write a report.
type Format struct {
	Name        string // the API's format= and the CLI's --format value
	ContentType string // of the download
	Ext         string // file name extension, with its dot
	// Write writes rep in the format; m gives the wording (CSV and JSON use none).
	Write func(w io.Writer, rep *index.Report, m Meta) error
}

// Formats are the report formats, the default first. The API's format= (and its error
// message), the CLI's --format (and its help), the dashboard's download links and the table
// of docs/api.md all come from this list (TestFormatsDocumented checks the table; go test
// ./internal/report -run TestFormatsDocumented -update rewrites it). A new format is a line
// here and its writer.
var Formats = []Format{
	{"json", "application/json; charset=utf-8", ".json", WriteJSON},
	{"csv", "text/csv; charset=utf-8", ".csv", WriteCSV},
	{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", WriteXLSX},
	{"pdf", "application/pdf", ".pdf", func(w io.Writer, rep *index.Report, m Meta) error { return WritePDF(w, rep, m, m.Fonts) }},
}

// FormatByName returns the format called name.
func FormatByName(name string) (Format, bool) { return byName(Formats, name) }

// FormatNames lists the names of Formats, for messages and help: "json, csv, xlsx, pdf".
func FormatNames() string { return names(Formats) }

// named is a format of either list.
type named interface{ name() string }

func (f Format) name() string         { return f.Name }
func (f ResponseFormat) name() string { return f.Name }

// byName returns the format of list called name.
func byName[F named](list []F, name string) (F, bool) {
	for _, f := range list {
		if f.name() == name {
			return f, true
		}
	}
	var zero F
	return zero, false
}

// names lists the names of list's formats: "csv, xlsx".
func names[F named](list []F) string {
	out := make([]string, len(list))
	for i, f := range list {
		out[i] = f.name()
	}
	return strings.Join(out, ", ")
}

// WriteJSON writes rep as the JSON of CONTRACT.md, on one line.
func WriteJSON(w io.Writer, rep *index.Report, _ Meta) error {
	return json.NewEncoder(w).Encode(rep)
}

// ResponseFormat is one way to export raw responses, row by row.
type ResponseFormat struct {
	Name        string
	ContentType string
	Ext         string
	// MaxRows is how many responses one file can hold; 0 is no limit.
	MaxRows int64
	// New starts an export to w of responses laid out by l.
	New func(w io.Writer, l ResponseLayout) (ResponseWriter, error)
}

// ResponseWriter is a streaming raw responses export: ResponsesCSV or ResponsesXLSX.
type ResponseWriter interface {
	Write(ResponseRecord) error
	// Close finishes the file (the end of the CSV, the whole XLSX workbook).
	Close() error
	// Abort ends an export that failed without finishing the file, so that what reached w
	// is visibly incomplete (no workbook's zip directory), and removes temporary files.
	Abort()
}

// ResponseFormats are the formats of the raw responses export (GET /api/v1/responses and
// the dashboard's links), the default first.
var ResponseFormats = []ResponseFormat{
	{"csv", "text/csv; charset=utf-8", ".csv", 0, func(w io.Writer, l ResponseLayout) (ResponseWriter, error) {
		return NewResponsesCSV(w, l), nil
	}},
	{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", MaxXLSXResponses, func(w io.Writer, l ResponseLayout) (ResponseWriter, error) {
		return NewResponsesXLSX(w, l)
	}},
}

// ResponseFormatByName returns the raw export format called name.
func ResponseFormatByName(name string) (ResponseFormat, bool) { return byName(ResponseFormats, name) }

// ResponseFormatNames lists the names of ResponseFormats: "csv, xlsx".
func ResponseFormatNames() string { return names(ResponseFormats) }
