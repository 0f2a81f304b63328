package dataset

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzzers check that no input makes a parser panic, and that the
// result is always usable: either rows that satisfy the contract, or a
// non-empty, bounded, ordered list of one-line problems that each point
// at a line of the file. Seeds are in testdata/fuzz/<FuzzName>/.

var fuzzKnown = knownSet("MG", "MG.883", "XA")

// checkFuzzErr checks the problems a parser returned for one input.
func checkFuzzErr(t *testing.T, rows int, err error) {
	t.Helper()
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v is a %T, want Errors", err, err)
	}
	if rows != 0 {
		t.Errorf("%d rows returned with an error", rows)
	}
	if len(es) == 0 || len(es) > MaxErrors+1 {
		t.Fatalf("%d errors, want 1..%d", len(es), MaxErrors+1)
	}
	for i, e := range es {
		if e.File != "f.csv" || e.Line < 1 || e.Column < 0 || e.Msg == "" {
			t.Errorf("bad error %#v", e)
		}
		if !utf8.ValidString(e.Msg) || strings.ContainsAny(e.Msg, "\r\n") {
			t.Errorf("message is not one line of UTF-8: %q", e.Msg)
		}
		if i > 0 && e.Line < es[i-1].Line {
			t.Errorf("errors out of order: %v before %v", es[i-1], e)
		}
	}
}

// checkLines checks that row lines are past the header and increasing.
func checkLines(t *testing.T, lines []int) {
	t.Helper()
	for i, l := range lines {
		if l < 2 || i > 0 && l <= lines[i-1] {
			t.Fatalf("row lines %v are not increasing from 2", lines)
		}
	}
}

func FuzzParseAgencies(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseAgencies("f.csv", bytes.NewReader(data), fuzzKnown)
		if err != nil {
			checkFuzzErr(t, len(rows), err)
			return
		}
		var lines []int
		for _, a := range rows {
			lines = append(lines, a.Line)
			if !IsLevel(a.Level) || a.Code == "" || a.Name == "" || a.ParentCode == a.Code {
				t.Errorf("invalid agency accepted: %+v", a)
			}
		}
		checkLines(t, lines)
	})
}

func FuzzParsePopulations(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParsePopulations("f.csv", bytes.NewReader(data), fuzzKnown)
		if err != nil {
			checkFuzzErr(t, len(rows), err)
			return
		}
		var lines []int
		for _, p := range rows {
			lines = append(lines, p.Line)
			if p.Receipts < 1 || p.Year < minYear || p.Year > maxYear || !fuzzKnown(p.AgencyCode) {
				t.Errorf("invalid population accepted: %+v", p)
			}
		}
		checkLines(t, lines)
	})
}

func FuzzParseResponses(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseResponses("f.csv", bytes.NewReader(data), testQuestions, fuzzKnown)
		if err != nil {
			checkFuzzErr(t, len(rows), err)
			return
		}
		var lines []int
		for _, r := range rows {
			lines = append(lines, r.Line)
			if r.ID == "" || !fuzzKnown(r.AgencyCode) || r.Year < minYear || r.Year > maxYear ||
				len(r.Answers) != len(testQuestions) || utf8.RuneCountInString(r.Comment) > MaxCommentRunes || !utf8.ValidString(r.Comment) {
				t.Errorf("invalid response accepted: %+v", r)
			}
			for _, a := range r.Answers {
				if a > 5 {
					t.Errorf("answer %d accepted", a)
				}
			}
		}
		checkLines(t, lines)

		// What was accepted must read back the same once written out, as
		// the responses export (GET /api/v1/responses) will do.
		again, err := ParseResponses("f.csv", bytes.NewReader(writeResponses(t, rows)), testQuestions, fuzzKnown)
		if err != nil {
			t.Fatalf("written rows do not parse again: %v", err)
		}
		if len(again) != len(rows) {
			t.Fatalf("read back %d rows, want %d", len(again), len(rows))
		}
		for i := range rows {
			if !again[i].SameContent(rows[i]) || again[i].ID != rows[i].ID || again[i].Year != rows[i].Year {
				t.Errorf("row read back as %+v, want %+v", again[i], rows[i])
			}
		}
	})
}

// writeResponses writes rows in the responses.csv layout.
func writeResponses(t *testing.T, rows []Response) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	header := append([]string{"response_id", "agency_code", "channel", "submitted_at"}, testQuestions...)
	if err := w.Write(append(header, "comment")); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		rec := []string{r.ID, r.AgencyCode, r.Channel, r.SubmittedAt.Format(time.RFC3339Nano)}
		for _, a := range r.Answers {
			rec = append(rec, map[bool]string{true: string(rune('0' + a)), false: ""}[a > 0])
		}
		if err := w.Write(append(rec, r.Comment)); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func FuzzParseAggregates(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseAggregates("f.csv", bytes.NewReader(data), validSipasIndex, knownSet("MG"))
		if err != nil {
			checkFuzzErr(t, len(rows), err)
			return
		}
		var lines []int
		anyAboveOne, anyNonZero := false, false
		for _, a := range rows {
			lines = append(lines, a.Line)
			if a.Percent < 0 || a.Percent > 100 || !(a.N > 0) || !validSipasIndex(a.Index) || a.Year < minYear || a.Year > maxYear {
				t.Errorf("invalid aggregate accepted: %+v", a)
			}
			anyAboveOne = anyAboveOne || a.Percent > 1
			anyNonZero = anyNonZero || a.Percent > 0
		}
		if anyNonZero && !anyAboveOne {
			t.Errorf("a file of fractions was accepted: %+v", rows)
		}
		checkLines(t, lines)
	})
}
