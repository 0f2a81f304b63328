package index

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// keys returns the sorted keys of a JSON object.
func keys(v any) []string {
	m, _ := v.(map[string]any)
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// TestJSONShape checks that every object of the report has exactly the
// fields of CONTRACT.md (plus the documented extras), with null rather than
// missing values.
func TestJSONShape(t *testing.T) {
	d := synthDesign(2, 3)
	rng := rand.New(rand.NewPCG(31, 32))
	rows1, pops1 := messyData(rng, d)
	rows0, pops0 := messyData(rng, d)
	estimate := []string{"estimate", "se", "ci_low", "ci_high", "n"}
	change := []string{"diff", "se", "ci_low", "ci_high", "p_value", "verdict", "baseline_estimate", "baseline_n", "df", "p_ci_discordant", "baseline_var_rule"}
	tests := []struct {
		name     string
		baseline *Baseline
		pops     Populations
	}{
		{"raw baseline", &Baseline{Year: 2023, Source: SourceResponses, Summary: summarise(d, rows0), Populations: pops0}, pops1},
		{"aggregate baseline", &Baseline{Year: 2023, Source: SourceAggregates, Aggregates: []Aggregate{{Index: "A1", Basis: BasisUnweighted, Estimate: 0.8, N: 100}}}, pops1},
		{"no baseline", nil, pops1},
		{"no populations", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Compute(Input{Design: d, Current: summarise(d, rows1), Populations: tt.pops, Baseline: tt.baseline})
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(sorted("survey", "year", "baseline", "confidence_level", "filters", "respondents", "indices", "agencies", "agency_family"), keys(doc)); diff != "" {
				t.Errorf("report keys (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(sorted("agency", "level", "channel"), keys(doc["filters"])); diff != "" {
				t.Errorf("filters keys:\n%s", diff)
			}
			if tt.baseline == nil {
				if doc["baseline"] != nil {
					t.Errorf("baseline = %v, want null", doc["baseline"])
				}
			} else if diff := cmp.Diff(sorted("year", "source"), keys(doc["baseline"])); diff != "" {
				t.Errorf("baseline keys:\n%s", diff)
			}
			if doc["confidence_level"] != 0.95 {
				t.Errorf("confidence_level = %v", doc["confidence_level"])
			}
			indices := doc["indices"].([]any)
			var ids []string
			for _, v := range indices {
				ix := v.(map[string]any)
				id, kind := ix["id"].(string), ix["kind"].(string)
				ids = append(ids, id)
				want := sorted("id", "kind", "unweighted", "stratified", "change")
				if kind == "question" {
					want = sorted("id", "kind", "aspect", "unweighted", "stratified", "change")
				}
				if diff := cmp.Diff(want, keys(ix)); diff != "" {
					t.Errorf("%s keys:\n%s", id, diff)
				}
				unw := sorted(estimate...)
				str := sorted(append(slices.Clone(estimate), "n_eff", "deff", "indicative")...)
				if kind != "question" {
					unw = sorted(append(slices.Clone(estimate), "dropped_questions")...)
					str = sorted(append(slices.Clone(estimate), "dropped_questions", "indicative")...)
					for _, basis := range []string{"unweighted", "stratified"} {
						if e, ok := ix[basis].(map[string]any); ok {
							if _, ok := e["dropped_questions"].([]any); !ok {
								t.Errorf("%s %s dropped_questions = %v, want an array", id, basis, e["dropped_questions"])
							}
						}
					}
				}
				if diff := cmp.Diff(unw, keys(ix["unweighted"])); diff != "" {
					t.Errorf("%s unweighted keys:\n%s", id, diff)
				}
				if tt.pops == nil {
					if ix["stratified"] != nil {
						t.Errorf("%s stratified = %v, want null without populations", id, ix["stratified"])
					}
				} else if diff := cmp.Diff(str, keys(ix["stratified"])); diff != "" {
					t.Errorf("%s stratified keys:\n%s", id, diff)
				}
				switch {
				case tt.baseline == nil:
					if ix["change"] != nil {
						t.Errorf("%s change = %v, want null", id, ix["change"])
					}
				default:
					ch := ix["change"].(map[string]any)
					if diff := cmp.Diff(sorted("unweighted", "stratified"), keys(ch)); diff != "" {
						t.Errorf("%s change keys:\n%s", id, diff)
					}
					want := sorted(change...)
					if kind == "question" { // one family per basis (METHODS §12)
						want = sorted(append(slices.Clone(change), "p_holm", "verdict_holm", "p_bh", "verdict_bh")...)
					}
					if diff := cmp.Diff(want, keys(ch["unweighted"])); diff != "" {
						t.Errorf("%s change.unweighted keys:\n%s", id, diff)
					}
				}
			}
			wantIDs := append(slices.Clone(d.Questions), "A", "B", "overall")
			if diff := cmp.Diff(wantIDs, ids); diff != "" {
				t.Errorf("index order:\n%s", diff)
			}
			agencies := doc["agencies"].([]any)
			var codes []string
			for _, v := range agencies {
				row := v.(map[string]any)
				codes = append(codes, row["agency"].(string))
				if diff := cmp.Diff(sorted("agency", "n", "estimate", "ci_low", "ci_high", "indicative", "change", "stratified", "predecessors"), keys(row)); diff != "" {
					t.Errorf("agency row keys:\n%s", diff)
				}
				if tt.baseline == nil || tt.baseline.Source != SourceResponses {
					if row["change"] != nil {
						t.Errorf("agency change = %v, want null", row["change"])
					}
					continue
				}
				want := sorted(append(slices.Clone(change), "p_holm", "verdict_holm", "p_bh", "verdict_bh")...)
				if diff := cmp.Diff(want, keys(row["change"])); diff != "" {
					t.Errorf("agency change keys:\n%s", diff)
				}
			}
			if !slices.IsSorted(codes) || len(codes) == 0 {
				t.Errorf("agency codes %v, want sorted and not empty", codes)
			}
		})
	}
}

// TestComputeErrors: METHODS §7's receipts check and malformed inputs fail
// with an error naming the problem.
func TestComputeErrors(t *testing.T) {
	d := synthDesign(2, 2)
	s := NewSample(d)
	s.Add("AG.1", []uint8{5, 4, 0, 0})
	s.Add("AG.1", []uint8{0, 0, 0, 0})
	s.Add("AG.2", []uint8{1, 4, 3, 0})
	sum := s.Summary()
	ok := Populations{"AG.1": 10, "AG.2": 10}
	tests := []struct {
		name    string
		in      Input
		wantErr string
	}{
		{"receipts below respondents", Input{Design: d, Current: sum, Populations: Populations{"AG.1": 1, "AG.2": 10}}, `stratum "AG.1": receipts 1 fewer than respondents 2`},
		{"baseline receipts", Input{Design: d, Current: sum, Populations: ok,
			Baseline: &Baseline{Year: 2023, Source: SourceResponses, Summary: sum, Populations: Populations{"AG.2": 0.5}}}, `baseline 2023: stratum "AG.2"`},
		{"receipts not a number", Input{Design: d, Current: sum, Populations: Populations{"AG.1": math.NaN()}}, "not a number"},
		{"unknown question", Input{Design: Design{Questions: d.Questions, Aspects: []Aspect{{"A", []string{"Z9"}}}}, Current: sum}, `unknown question "Z9"`},
		{"no current", Input{Design: d}, "current year summary is missing"},
		{"design differs", Input{Design: synthDesign(4), Current: sum}, "different design"},
		{"baseline source", Input{Design: d, Current: sum, Baseline: &Baseline{Source: "guess"}}, `unknown baseline source "guess"`},
		{"baseline summary", Input{Design: d, Current: sum, Baseline: &Baseline{Year: 2023, Source: SourceResponses}}, "baseline 2023 summary is missing"},
		{"aggregate basis", Input{Design: d, Current: sum, Baseline: &Baseline{Source: SourceAggregates, Aggregates: []Aggregate{{Index: "A1", Basis: "weighted", Estimate: 0.5, N: 10}}}}, `unknown basis "weighted"`},
		{"aggregate twice", Input{Design: d, Current: sum, Baseline: &Baseline{Source: SourceAggregates, Aggregates: []Aggregate{{Index: "A1", Basis: BasisUnweighted, Estimate: 0.5, N: 10}, {Index: "A1", Basis: BasisUnweighted, Estimate: 0.6, N: 10}}}}, "given twice"},
		{"aggregate percent", Input{Design: d, Current: sum, Baseline: &Baseline{Source: SourceAggregates, Aggregates: []Aggregate{{Index: "A1", Basis: BasisUnweighted, Estimate: 83.02, N: 10}}}}, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "index: ") {
				t.Errorf("Compute() error = %v, want %q", err, tt.wantErr)
			}
		})
	}
	if _, err := Compute(Input{Design: d, Current: sum, Populations: Populations{"AG.1": 2, "AG.2": 1}}); err != nil {
		t.Errorf("receipts equal to respondents (a census): %v", err)
	}
}

// TestMissingPopulation: an agency of the sample without receipts removes
// the stratified basis (every stratified estimate and change null), unless
// all its rows are blank forms, which are in no index.
func TestMissingPopulation(t *testing.T) {
	d := synthDesign(2, 2)
	s := NewSample(d)
	s.Add("AG.1", []uint8{5, 4, 0, 0})
	s.Add("AG.1", []uint8{2, 4, 3, 5})
	s.Add("AG.2", []uint8{1, 4, 3, 0})
	s.Add("BLANK", []uint8{0, 0, 0, 0})
	sum := s.Summary()
	base := &Baseline{Year: 2023, Source: SourceResponses, Summary: sum, Populations: Populations{"AG.1": 50, "AG.2": 50}}
	tests := []struct {
		name       string
		pops       Populations
		baseline   *Baseline
		stratified bool
	}{
		{"complete", Populations{"AG.1": 50, "AG.2": 50}, base, true},
		{"agency missing", Populations{"AG.1": 50}, base, false},
		{"baseline agency missing", Populations{"AG.1": 50, "AG.2": 50},
			&Baseline{Year: 2023, Source: SourceResponses, Summary: sum, Populations: Populations{"AG.2": 50}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Compute(Input{Design: d, Current: sum, Populations: tt.pops, Baseline: tt.baseline})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Respondents != 4 {
				t.Errorf("respondents = %d, want 4 (blank form included)", rep.Respondents)
			}
			for _, ix := range rep.Indices {
				curOK := tt.pops["AG.2"] > 0
				if got := ix.Stratified != nil; got != curOK {
					t.Errorf("%s: stratified present = %v, want %v", ix.ID, got, curOK)
				}
				if got := ix.Change.Stratified != nil; got != tt.stratified {
					t.Errorf("%s: stratified change present = %v, want %v", ix.ID, got, tt.stratified)
				}
				if ix.Unweighted == nil || ix.Change.Unweighted == nil {
					t.Errorf("%s: unweighted estimate or change missing", ix.ID)
				}
			}
			last := rep.Agencies[len(rep.Agencies)-1]
			if last.Agency != "BLANK" || last.N != 0 || last.Estimate != nil || last.Change.Verdict != InsufficientData {
				t.Errorf("blank-only agency row = %+v", last)
			}
		})
	}
}

// TestDegenerate covers METHODS §7 cases the reference data do not: an
// index with one respondent, identical years, and a sample of blank forms.
func TestDegenerate(t *testing.T) {
	d := synthDesign(2)
	one := NewSample(d)
	one.Add("AG", []uint8{5, 2})
	sum := one.Summary()
	rep, err := Compute(Input{Design: d, Current: sum, Populations: Populations{"AG": 10},
		Baseline: &Baseline{Year: 1, Source: SourceResponses, Summary: sum, Populations: Populations{"AG": 10}}})
	if err != nil {
		t.Fatal(err)
	}
	asp := rep.Indices[2]
	for _, e := range []*Estimate{asp.Unweighted, asp.Stratified} {
		if e.N != 1 || e.Value == nil || *e.Value != 0.5 || e.SE != nil || e.CILow != nil || e.CIHigh != nil {
			t.Errorf("aspect with n = 1: %+v, want estimate 0.5 and null SE and interval", e)
		}
	}
	for _, c := range []*Change{asp.Change.Unweighted, asp.Change.Stratified} {
		if c.Diff == nil || *c.Diff != 0 || c.SE != nil || c.PValue != nil || c.Verdict != InsufficientData {
			t.Errorf("aspect change with n = 1: %+v, want diff 0 and insufficient data", c)
		}
	}
	q := rep.Indices[0] // answered 5 by the one respondent
	if lo, hi := Wilson(1, 1); q.Unweighted.CILow == nil || *q.Unweighted.CILow != lo || *q.Unweighted.CIHigh != hi {
		t.Errorf("question with n = 1: %+v, want the Wilson interval", q.Unweighted)
	}
	if q.Stratified.Deff != nil {
		t.Errorf("deff at p = 1 = %v, want null", *q.Stratified.Deff)
	}
	if c := q.Change.Stratified; c.Verdict != InsufficientData || c.PValue != nil || c.CILow != nil || c.Diff == nil || *c.Diff != 0 {
		t.Errorf("identical years, one answer: %+v, want diff 0 with insufficient data (METHODS §13)", c)
	}

	blank := NewSample(d)
	blank.Add("AG", []uint8{0, 0})
	rep, err = Compute(Input{Design: d, Current: blank.Summary(), Populations: Populations{"AG": 10}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ix := range rep.Indices {
		for _, e := range []*Estimate{ix.Unweighted, ix.Stratified} {
			if e == nil || e.N != 0 || e.Value != nil || e.SE != nil {
				t.Errorf("%s of blank forms: %+v, want n 0 and nulls", ix.ID, e)
			}
		}
	}
	if got := rep.Indices[2].Unweighted.DroppedQuestions; !slices.Equal(got, d.Questions) {
		t.Errorf("dropped questions = %v, want all", got)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("marshal: %v", err)
	}

	// No responses at all (a filter that matches nothing): a report of
	// nulls with an empty, not null, agency list.
	rep, err = Compute(Input{Design: d, Current: NewSample(d).Summary(), Populations: Populations{}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"agencies":[]`) || rep.Respondents != 0 || rep.Indices[0].Stratified == nil {
		t.Errorf("empty sample report = %s", b)
	}
}
