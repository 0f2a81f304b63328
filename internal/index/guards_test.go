package index

import (
	"math"
	"testing"
)

// sameForms returns a Summary of n identical forms in agency code.
func sameForms(d Design, code string, n int, answers []uint8) *Summary {
	s := NewSample(d)
	for range n {
		s.Add(code, answers)
	}
	return s.Summary()
}

// TestZeroVarianceFromSample is METHODS §13: five identical forms in each
// year are no proof of anything — every stratified change has no interval and
// insufficient data, and the estimates are indicative — while a census of
// the same agency keeps its exact difference.
func TestZeroVarianceFromSample(t *testing.T) {
	d := synthDesign(2, 2)
	cur := sameForms(d, "AG", 5, []uint8{5, 5, 5, 4})
	base := sameForms(d, "AG", 5, []uint8{2, 1, 3, 2})
	for _, tt := range []struct {
		name    string
		pops    Populations
		verdict Verdict
	}{
		{"sample of 5 out of 400", Populations{"AG": 400}, InsufficientData},
		{"census of 5", Populations{"AG": 5}, Higher},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Compute(Input{Design: d, Current: cur, Populations: tt.pops,
				Baseline: &Baseline{Year: 2023, Source: SourceResponses, Summary: base, Populations: tt.pops}})
			if err != nil {
				t.Fatal(err)
			}
			census := tt.verdict == Higher
			for _, ix := range rep.Indices {
				c := ix.Change.Stratified
				if c.Verdict != tt.verdict || c.Diff == nil || *c.Diff != 1 {
					t.Errorf("%s: change %+v, want diff 1 and %s", ix.ID, c, tt.verdict)
				}
				if census != (c.SE != nil && *c.SE == 0 && *c.CILow == 1 && *c.CIHigh == 1 && *c.PValue == 0) {
					t.Errorf("%s: se %v, ci [%v, %v], p %v", ix.ID, c.SE, c.CILow, c.CIHigh, c.PValue)
				}
				if *ix.Stratified.Indicative == census {
					t.Errorf("%s: indicative = %v for %s", ix.ID, *ix.Stratified.Indicative, tt.name)
				}
				// The unweighted basis has no fpc: a zero variance there is always a sample's.
				if ix.Kind != KindQuestion && ix.Change.Unweighted.Verdict != InsufficientData {
					t.Errorf("%s: unweighted verdict %s, want insufficient data", ix.ID, ix.Change.Unweighted.Verdict)
				}
			}
			row := rep.Agencies[0]
			if row.Stratified.Change.Verdict != tt.verdict || row.Indicative == census {
				t.Errorf("agency row: verdict %s, indicative %v", row.Stratified.Change.Verdict, row.Indicative)
			}
		})
	}
}

// TestOneAnswer is METHODS §13: a question answered by one respondent on the
// stratified basis has no standard error, interval or n_eff, and its change
// is insufficient data; the unweighted basis keeps Wilson's interval.
func TestOneAnswer(t *testing.T) {
	d := synthDesign(2)
	s := NewSample(d)
	s.Add("AG.1", []uint8{5, 4})
	for range 30 {
		s.Add("AG.2", []uint8{0, 4})
		s.Add("AG.2", []uint8{0, 2})
	}
	sum := s.Summary()
	pops := Populations{"AG.1": 100, "AG.2": 200}
	rep, err := Compute(Input{Design: d, Current: sum, Populations: pops,
		Baseline: &Baseline{Year: 2023, Source: SourceResponses, Summary: sum, Populations: pops}})
	if err != nil {
		t.Fatal(err)
	}
	q := rep.Indices[0] // answered by one respondent
	e := q.Stratified
	if e.N != 1 || e.Value == nil || e.SE != nil || e.CILow != nil || e.NEff != nil || e.Deff != nil || !*e.Indicative {
		t.Errorf("stratified question with n = 1: %+v", e)
	}
	if c := q.Change.Stratified; c.Verdict != InsufficientData || c.SE != nil || c.PValue != nil || c.PHolm != nil {
		t.Errorf("its change: %+v, want insufficient data outside the Holm family", c)
	}
	if q.Unweighted.CILow == nil {
		t.Error("unweighted question with n = 1 lost its Wilson interval")
	}
	if other := rep.Indices[1].Change.Stratified; other.PHolm == nil || *other.PHolm != *other.PValue {
		t.Errorf("a family of one: p_holm %v, p %v", other.PHolm, other.PValue)
	}
}

// TestPrecisionFlag: half-width above 5 points, or the heaviest strata with
// fewer than 30 answers, make an estimate indicative; a large precise sample
// does not (METHODS §12–13).
func TestPrecisionFlag(t *testing.T) {
	d := synthDesign(1)
	big := NewSample(d)
	for i := range 2000 {
		big.Add("BIG", []uint8{uint8(2 + 3*(i%5/4))})
	}
	for i := range 20 {
		big.Add("SMALL", []uint8{uint8(2 + 3*(i%2))})
	}
	sum := big.Summary()
	for _, tt := range []struct {
		name string
		pops Populations
		want bool
	}{
		{"weight on the large agency", Populations{"BIG": 100000, "SMALL": 1000}, false},
		{"weight on the small agency", Populations{"BIG": 2000, "SMALL": 100000}, true},
	} {
		rep, err := Compute(Input{Design: d, Current: sum, Populations: tt.pops})
		if err != nil {
			t.Fatal(err)
		}
		if got := *rep.Indices[0].Stratified.Indicative; got != tt.want {
			t.Errorf("%s: indicative = %v, want %v (estimate %+v)", tt.name, got, tt.want, rep.Indices[0].Stratified)
		}
	}
}

// TestPublishedSE: a published standard error is the baseline variance
// (METHODS §13); a missing one is borrowed (§6); figures of former units
// combine by their receipts (§11).
func TestPublishedSE(t *testing.T) {
	d := synthDesign(2)
	s := NewSample(d)
	for i := range 300 {
		s.Add("AG", []uint8{uint8(1 + i%5), uint8(1 + (i/2)%5)})
	}
	sum := s.Summary()
	pops := Populations{"AG": 10000}
	cur, err := Compute(Input{Design: d, Current: sum, Populations: pops})
	if err != nil {
		t.Fatal(err)
	}
	ov := cur.Indices[len(cur.Indices)-1].Stratified
	e1, v1 := *ov.Value, *ov.SE**ov.SE
	se := 0.012
	oneUnit := []Aggregate{{Index: "overall", Basis: BasisStratified, Estimate: 0.5, N: 400, SE: &se}}
	units := []Aggregate{
		{Index: "overall", Basis: BasisStratified, Estimate: 0.5, N: 400, SE: &se, Unit: "P1"},
		{Index: "overall", Basis: BasisStratified, Estimate: 0.6, N: 100, Unit: "P2"},
	}
	for _, tt := range []struct {
		name           string
		aggs           []Aggregate
		e0, n0, v0     float64
		rule           string
		basePopulation Populations
	}{
		{"published se", oneUnit, 0.5, 400, se * se, VarPublished, nil},
		{"borrowed", []Aggregate{{Index: "overall", Basis: BasisStratified, Estimate: 0.5, N: 400}}, 0.5, 400,
			v1 * (0.25 / 400) / (e1 * (1 - e1) / float64(ov.N)), VarBorrowed, nil},
		{"two former provinces", units, 0.75*0.5 + 0.25*0.6, 500,
			0.75*0.75*se*se + 0.25*0.25*v1*(0.24/100)/(e1*(1-e1)/float64(ov.N)), VarBorrowed, Populations{"P1": 3000, "P2": 1000}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Compute(Input{Design: d, Current: sum, Populations: pops,
				Baseline: &Baseline{Year: 2023, Source: SourceAggregates, Aggregates: tt.aggs, Populations: tt.basePopulation}})
			if err != nil {
				t.Fatal(err)
			}
			c := rep.Indices[len(rep.Indices)-1].Change.Stratified
			if c.BaselineVarRule == nil || *c.BaselineVarRule != tt.rule || !closeTo(*c.BaselineEstimate, tt.e0, 1e-15) || *c.BaselineN != tt.n0 {
				t.Errorf("baseline %v (n %v, rule %q), want %v (n %v, rule %q)", *c.BaselineEstimate, *c.BaselineN, *c.BaselineVarRule, tt.e0, tt.n0, tt.rule)
			}
			if want := math.Sqrt(v1 + tt.v0); !closeTo(*c.SE, want, 1e-15) {
				t.Errorf("se = %v, want %v", *c.SE, want)
			}
		})
	}
	_, err = Compute(Input{Design: d, Current: sum, Populations: pops,
		Baseline: &Baseline{Year: 2023, Source: SourceAggregates, Aggregates: units}})
	if err == nil {
		t.Error("former units without their receipts accepted")
	}
	mixed := append([]Aggregate{{Index: "overall", Basis: BasisStratified, Estimate: 0.5, N: 400}}, units...)
	if _, err := Compute(Input{Design: d, Current: sum, Populations: pops,
		Baseline: &Baseline{Year: 2023, Source: SourceAggregates, Aggregates: mixed, Populations: Populations{"P1": 1, "P2": 1}}}); err == nil {
		t.Error("a scope-wide figure mixed with former units' accepted")
	}
}

// TestRankRanges: far-apart estimates are told apart, overlapping ones get
// wide ranges, and an estimate without a variance gets the whole range and
// widens everyone else's by one.
func TestRankRanges(t *testing.T) {
	lo, hi := RankRanges([]float64{0.9, 0.5, 0.1, 0.52, 0.7}, []float64{1e-6, 1e-6, 1e-6, 0.01, math.NaN()})
	wantLo, wantHi := []int{1, 2, 4, 2, 1}, []int{2, 4, 5, 4, 5}
	for i := range lo {
		if lo[i] != wantLo[i] || hi[i] != wantHi[i] {
			t.Errorf("estimate %d: rank %d–%d, want %d–%d", i, lo[i], hi[i], wantLo[i], wantHi[i])
		}
	}
}
