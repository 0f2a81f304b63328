package index

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"sipas/internal/index/indextest"
)

// stressFiles are the project's own reference cases (testdata/stress, made
// by the R scripts of testdata/r): channel domains, stratified agency rows
// with predecessors, published standard errors, former units' aggregates
// and the guards of METHODS §13.
var stressFiles = []string{"channel_domains.json", "agency_rows.json", "published_se.json", "multi_unit_aggregates.json", "guards.json"}

// TestStress computes every stress case with Compute and compares each leaf
// R wrote (indextest.ComparePartial). The CLI test runs the same files end
// to end.
func TestStress(t *testing.T) {
	total := 0
	for _, file := range stressFiles {
		raw, err := os.ReadFile(filepath.Join("testdata", "stress", file))
		if err != nil {
			t.Fatal(err)
		}
		var sf indextest.StressFile
		if err := json.Unmarshal(raw, &sf); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, c := range sf.Cases {
			t.Run(file+"/"+c.Name, func(t *testing.T) {
				rep, err := Compute(stressInput(t, c))
				if err != nil {
					t.Fatal(err)
				}
				n := indextest.ComparePartial(t, c.Name, c.Report, flattenReport(t, rep))
				if n < 10 {
					t.Errorf("only %d values compared", n)
				}
				total += n
			})
		}
	}
	t.Logf("%d values compared with R", total)
}

// fixtureYear is one year of a responses file: every row, and the rows of
// each channel.
type fixtureYear struct {
	full      *Sample
	byChannel map[string]*Sample
}

// fixtureYears reads responses files into samples by year and channel.
func fixtureYears(tb testing.TB, files []string) (Design, map[int]*fixtureYear) {
	tb.Helper()
	var d Design
	years := map[int]*fixtureYear{}
	for _, name := range files {
		header, recs := mustReadCSV(tb, name)
		fd, cols, col := fixtureDesign(header)
		if d.Questions == nil {
			d = fd
		} else if !d.equal(fd) {
			tb.Fatalf("%s: other questions", name)
		}
		answers := make([]uint8, len(cols))
		for line, rec := range recs {
			y := responseYear(tb, rec[col["submitted_at"]])
			fy := years[y]
			if fy == nil {
				fy = &fixtureYear{full: NewSample(d), byChannel: map[string]*Sample{}}
				years[y] = fy
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
			code, ch := rec[col["agency_code"]], rec[col["channel"]]
			fy.full.Add(code, answers)
			if fy.byChannel[ch] == nil {
				fy.byChannel[ch] = NewSample(d)
			}
			fy.byChannel[ch].Add(code, answers)
		}
	}
	return d, years
}

// fixtureDesign returns the design of a responses header (X0 in aspect X),
// the question columns and the positions of the other columns.
func fixtureDesign(header []string) (Design, []int, map[string]int) {
	var d Design
	var cols []int
	col := map[string]int{}
	for i, h := range header {
		if responseMeta[h] {
			col[h] = i
			continue
		}
		cols = append(cols, i)
		d.Questions = append(d.Questions, h)
		id := h[:1]
		if n := len(d.Aspects); n == 0 || d.Aspects[n-1].ID != id {
			d.Aspects = append(d.Aspects, Aspect{ID: id})
		}
		a := &d.Aspects[len(d.Aspects)-1]
		a.Questions = append(a.Questions, h)
	}
	return d, cols, col
}

// stressInput builds the Compute input of a stress case the way `sipas
// report` would from a database holding its files: the year's full design,
// the channel as a domain, agency and level filters as a scope, the
// crosswalk between the two years, aggregates with their se and units.
func stressInput(t *testing.T, c indextest.StressCase) Input {
	rel := func(p string) string { return filepath.Join("..", p) } // paths are relative to testdata/
	files := make([]string, len(c.Inputs.Responses))
	for i, f := range c.Inputs.Responses {
		files[i] = rel(f)
	}
	d, years := fixtureYears(t, files)
	year, _ := strconv.Atoi(c.Flag("--year"))
	base, _ := strconv.Atoi(c.Flag("--baseline"))
	pops := rel(c.Inputs.Populations)
	cur := years[year]
	if cur == nil {
		t.Fatalf("no responses in %d", year)
	}
	in := Input{Design: d, Current: cur.full.Summary(), Populations: fixturePopulations(t, pops, year)}
	domain := func(fy *fixtureYear) *Summary {
		ch := c.Flag("--channel")
		if ch == "" {
			return nil
		}
		if s := fy.byChannel[ch]; s != nil {
			return s.Summary()
		}
		return NewSample(d).Summary()
	}
	in.Domain = domain(cur)
	if a := c.Flag("--agency"); a != "" {
		in.Scope = []string{a}
	}
	if l := c.Flag("--level"); l != "" {
		_, recs := mustReadCSV(t, rel(c.Inputs.Agencies))
		in.Scope = []string{}
		for _, r := range recs {
			if r[2] == l {
				in.Scope = append(in.Scope, r[0])
			}
		}
	}
	if base == 0 {
		return in
	}
	b := &Baseline{Year: base, Source: SourceResponses, Populations: fixturePopulations(t, pops, base)}
	if c.Flag("--baseline-source") == SourceAggregates {
		b.Source = SourceAggregates
		b.Aggregates = fixtureAggregates(t, rel(c.Inputs.Aggregates))
	} else {
		fy := years[base]
		if fy == nil {
			t.Fatalf("no responses in %d", base)
		}
		b.Summary, b.Domain = fy.full.Summary(), domain(fy)
	}
	if c.Inputs.Crosswalk != "" {
		b.Crosswalk = fixtureCrosswalk(t, rel(c.Inputs.Crosswalk)).Between(base, year)
	}
	in.Baseline = b
	return in
}
