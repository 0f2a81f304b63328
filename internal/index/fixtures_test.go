package index

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the year of a response is taken in Asia/Ho_Chi_Minh on any machine
)

// refdata is the project's copy of the reference data (README.md there says where it comes from).
const refdata = "testdata/refdata"

// responseMeta are the responses.csv columns that are not questions
// (CONTRACT.md).
var responseMeta = map[string]bool{"response_id": true, "agency_code": true, "channel": true, "submitted_at": true, "comment": true}

// mustReadCSV returns the header and records of a refdata CSV file.
func mustReadCSV(tb testing.TB, name string) ([]string, [][]string) {
	tb.Helper()
	f, err := os.Open(filepath.Join(refdata, name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	var recs [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		recs = append(recs, rec)
	}
	return header, recs
}

// responseYear returns the year of submitted_at in Vietnam time: a date is
// already local, a timestamp is converted (CONTRACT.md).
func responseYear(tb testing.TB, s string) int {
	tb.Helper()
	vn, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		tb.Fatal(err)
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, vn); err == nil {
		return t.Year()
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatalf("submitted_at %q: %v", s, err)
	}
	return t.In(vn).Year()
}

// fixtureResponses reads a responses CSV of one year into a Summary. The
// design is the CSV's question columns in order, each in the aspect named by
// its first letter (refdata/README.md: X0 belongs to aspect X). Every row
// must fall in year; the channel is ignored.
func fixtureResponses(tb testing.TB, name string, year int) (Design, *Summary) {
	tb.Helper()
	header, recs := mustReadCSV(tb, name)
	var d Design
	var cols []int
	agencyCol, timeCol := -1, -1
	for i, h := range header {
		switch {
		case h == "agency_code":
			agencyCol = i
		case h == "submitted_at":
			timeCol = i
		case responseMeta[h]:
		default:
			cols = append(cols, i)
			d.Questions = append(d.Questions, h)
			id := h[:1]
			if n := len(d.Aspects); n == 0 || d.Aspects[n-1].ID != id {
				d.Aspects = append(d.Aspects, Aspect{ID: id})
			}
			a := &d.Aspects[len(d.Aspects)-1]
			a.Questions = append(a.Questions, h)
		}
	}
	if agencyCol < 0 || timeCol < 0 {
		tb.Fatalf("%s: agency_code or submitted_at missing", name)
	}
	s := NewSample(d)
	answers := make([]uint8, len(cols))
	for line, rec := range recs {
		if y := responseYear(tb, rec[timeCol]); y != year {
			tb.Fatalf("%s:%d: submitted_at %s is in %d, want %d", name, line+2, rec[timeCol], y, year)
		}
		for k, c := range cols {
			answers[k] = 0
			if v := rec[c]; v != "" {
				a, err := strconv.Atoi(v)
				if err != nil || a < 1 || a > 5 {
					tb.Fatalf("%s:%d: %s = %q", name, line+2, header[c], v)
				}
				answers[k] = uint8(a)
			}
		}
		s.Add(rec[agencyCol], answers)
	}
	return d, s.Summary()
}

// fixturePopulations returns one year of a populations CSV.
func fixturePopulations(tb testing.TB, name string, year int) Populations {
	tb.Helper()
	_, recs := mustReadCSV(tb, name)
	pops := Populations{}
	for _, rec := range recs {
		y, err1 := strconv.Atoi(rec[0])
		n, err2 := strconv.ParseFloat(rec[2], 64)
		if err1 != nil || err2 != nil {
			tb.Fatalf("%s: bad row %q", name, rec)
		}
		if y == year {
			pops[rec[1]] = n
		}
	}
	return pops
}

// fixtureAggregates returns an aggregates CSV as published values: the
// estimate is percent/100 of the rounded percent (refdata/README.md).
func fixtureAggregates(tb testing.TB, name string) []Aggregate {
	tb.Helper()
	header, recs := mustReadCSV(tb, name)
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var aggs []Aggregate
	for _, rec := range recs {
		pct, err1 := strconv.ParseFloat(rec[col["percent"]], 64)
		n, err2 := strconv.ParseFloat(rec[col["n"]], 64)
		if err1 != nil || err2 != nil {
			tb.Fatalf("%s: bad row %q", name, rec)
		}
		a := Aggregate{Index: rec[col["index"]], Basis: rec[col["basis"]], Estimate: pct / 100, N: n}
		if i, ok := col["se"]; ok && rec[i] != "" {
			se, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				tb.Fatalf("%s: se %q", name, rec[i])
			}
			se /= 100
			a.SE = &se
		}
		if i, ok := col["agency_code"]; ok {
			a.Unit = rec[i]
		}
		aggs = append(aggs, a)
	}
	return aggs
}
