package index

import (
	"fmt"
	"math"
)

// rawChange compares r1 with the baseline year's r0 (METHODS §5): Newcombe
// with the pooled z test for an unweighted question, Welch for an unweighted
// aspect or overall index, z for every stratified index. A difference exists
// when both years have an estimate; its interval also needs both variances
// (n ≥ 2, §7, §13). A variance of 0 estimated from a sample is no evidence of
// certainty: the change then has no interval (§13), unless both years are a
// census of every stratum involved, which keeps its exact difference.
func rawChange(d *indexDef, r1, r0 result, strat bool) *Change {
	c := &Change{BaselineEstimate: num(r0.est), BaselineN: num(float64(r0.n))}
	diff := r1.est - r0.est
	c.Diff = num(diff)
	lo, hi, p, df := math.NaN(), math.NaN(), math.NaN(), math.NaN()
	se := math.NaN()
	v := r1.v + r0.v
	switch {
	case math.IsNaN(diff):
	case d.kind == KindQuestion && !strat:
		lo, hi = Newcombe(r1.x, float64(r1.n), r0.x, float64(r0.n))
		_, p = PooledZTest(r1.x, float64(r1.n), r0.x, float64(r0.n))
	case math.IsNaN(v):
	case v == 0 && (!strat || r1.sampled || r0.sampled):
		// No fpc on the unweighted basis: a zero variance is always a sample's.
	case strat:
		se = math.Sqrt(v)
		lo, hi, p = ZTest(diff, v)
	default:
		se = math.Sqrt(v)
		lo, hi, p, df = Welch(diff, r1.v, float64(r1.n), r0.v, float64(r0.n))
	}
	c.fill(se, lo, hi, p, df)
	return c
}

// fill sets the test results and the verdict, which follows the interval
// (METHODS §1), and flags a p-value that disagrees with it.
func (c *Change) fill(se, lo, hi, p, df float64) {
	c.SE, c.CILow, c.CIHigh, c.PValue, c.DF = num(se), num(lo), num(hi), num(p), num(df)
	c.Verdict = VerdictCI(lo, hi)
	if c.Verdict != InsufficientData && !math.IsNaN(p) {
		c.PCIDiscordant = (p < 1-ConfidenceLevel) != (c.Verdict != NoChange)
	}
}

// Aggregate is one published index of a baseline year (aggregates.csv).
type Aggregate struct {
	Index    string  // question code, aspect id or "overall"
	Basis    string  // BasisUnweighted or BasisStratified
	Estimate float64 // a fraction: percent/100
	N        float64 // respondents it was computed from
	// SE is the published standard error as a fraction; nil when none was
	// published (METHODS §13).
	SE *float64
	// Unit is the former unit the figure was published for (a former
	// province, §11); "" for the whole scope.
	Unit string
}

// aggregateKey is an index and a basis.
type aggregateKey struct{ index, basis string }

// publishedIndex groups aggregates by index and basis, checking each: a
// group is one scope-wide figure or figures of several distinct units.
func publishedIndex(aggs []Aggregate) (map[aggregateKey][]Aggregate, error) {
	pub := make(map[aggregateKey][]Aggregate, len(aggs))
	for _, a := range aggs {
		if a.Basis != BasisUnweighted && a.Basis != BasisStratified {
			return nil, fmt.Errorf("index: aggregate %s: unknown basis %q", a.Index, a.Basis)
		}
		if !(a.Estimate >= 0 && a.Estimate <= 1) || !(a.N >= 0) || math.IsInf(a.N, 0) || (a.SE != nil && !(*a.SE >= 0 && *a.SE <= 1)) {
			return nil, fmt.Errorf("index: aggregate %s %s: estimate %v or n %v or se out of range", a.Index, a.Basis, a.Estimate, a.N)
		}
		key := aggregateKey{a.Index, a.Basis}
		for _, o := range pub[key] {
			switch {
			case o.Unit == a.Unit:
				return nil, fmt.Errorf("index: aggregate %s %s given twice", a.Index, a.Basis)
			case o.Unit == "" || a.Unit == "":
				return nil, fmt.Errorf("index: aggregate %s %s is given for the whole scope and for former units", a.Index, a.Basis)
			}
		}
		pub[key] = append(pub[key], a)
	}
	return pub, nil
}

// aggregateChanges compares every index with the published figures of the
// baseline year (METHODS §6, §11, §13).
func aggregateChanges(rep *Report, b *Baseline, defs []indexDef, unw1, str1 []result) error {
	pub, err := publishedIndex(b.Aggregates)
	if err != nil {
		return err
	}
	for i := range defs {
		d := &defs[i]
		un, err := aggregateChange(d, unw1[i], pub[aggregateKey{d.id, BasisUnweighted}], BasisUnweighted, b.Populations)
		if err != nil {
			return err
		}
		ch := &IndexChange{Unweighted: un}
		if str1 != nil {
			if ch.Stratified, err = aggregateChange(d, str1[i], pub[aggregateKey{d.id, BasisStratified}], BasisStratified, b.Populations); err != nil {
				return err
			}
		}
		rep.Indices[i].Change = ch
	}
	return nil
}

// published is an aggregate baseline combined over its units: e0, n0, V0 and
// the rule V0 came from.
type published struct {
	e0, n0, v0 float64
	rule       string
}

// combinePublished returns the baseline of one index and basis from its
// published figures (METHODS §6, §11, §13). For one scope-wide figure e0 and
// n0 are the published ones; for several former units
//
//	e0 = Σ W_u e_u,  W_u = N_u/Σ N_u (baseline-year receipts),  n0 = Σ n_u,  V0 = Σ W_u² V0_u.
//
// Each V0_u is the published (se)² when a standard error was published,
// else borrowed from this year's variance-to-binomial ratio,
//
//	V0_u = V1 · [e_u(1−e_u)/n_u] / [e1(1−e1)/n1],
//
// or binomial e_u(1−e_u)/n_u when e1 ∈ {0, 1}. The rule is VarPublished when
// every figure has its se. v1 may be NaN (then only published variances
// exist).
func combinePublished(group []Aggregate, e1, n1, v1 float64, pops Populations) (published, error) {
	b1 := e1 * (1 - e1) / n1
	weights := make([]float64, len(group))
	if len(group) == 1 && group[0].Unit == "" {
		weights[0] = 1
	} else {
		total := 0.0
		for i, a := range group {
			N, ok := pops[a.Unit]
			if !ok || !(N > 0) {
				return published{}, fmt.Errorf("index: aggregate %s %s: no receipts of former unit %q in the baseline year", a.Index, a.Basis, a.Unit)
			}
			weights[i] = N
			total += N
		}
		for i := range weights {
			weights[i] /= total
		}
	}
	out := published{rule: VarPublished}
	for i, a := range group {
		w := weights[i]
		out.e0 += w * a.Estimate
		out.n0 += a.N
		var vu float64
		if a.SE != nil {
			vu = *a.SE * *a.SE
		} else {
			vu = a.Estimate * (1 - a.Estimate) / a.N
			if b1 > 0 {
				vu *= v1 / b1
				out.rule = VarBorrowed
			} else if out.rule != VarBorrowed {
				out.rule = VarBinomial
			}
		}
		out.v0 += w * w * vu
	}
	return out, nil
}

// aggregateChange compares r1 with a published baseline on the same basis
// (METHODS §6): an unweighted question uses Newcombe and the pooled z test
// with x0 = e0·n0 (no baseline variance needed, so no rule); any other index
// V0 of combinePublished, then Welch with df0 = n0−1 (unweighted) or z
// (stratified). Without a figure for the index and basis the change has
// insufficient data.
func aggregateChange(d *indexDef, r1 result, group []Aggregate, basis string, pops Populations) (*Change, error) {
	if len(group) == 0 {
		return &Change{Verdict: InsufficientData}, nil
	}
	pb, err := combinePublished(group, r1.est, float64(r1.n), r1.v, pops)
	if err != nil {
		return nil, err
	}
	c := &Change{BaselineEstimate: num(pb.e0), BaselineN: num(pb.n0)}
	lo, hi, p, df, se := math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	diff := math.NaN()
	if pb.n0 > 0 {
		diff = r1.est - pb.e0
	}
	c.Diff = num(diff)
	newcombe := d.kind == KindQuestion && basis == BasisUnweighted
	if !newcombe {
		c.BaselineVarRule = &pb.rule
	}
	v := r1.v + pb.v0
	switch {
	case math.IsNaN(diff):
	case newcombe:
		x0 := pb.e0 * pb.n0
		lo, hi = Newcombe(r1.x, float64(r1.n), x0, pb.n0)
		_, p = PooledZTest(r1.x, float64(r1.n), x0, pb.n0)
	case math.IsNaN(v):
	case v == 0 && (basis == BasisUnweighted || r1.sampled):
	case basis == BasisStratified:
		se = math.Sqrt(v)
		lo, hi, p = ZTest(diff, v)
	case pb.n0 > 1:
		se = math.Sqrt(v)
		lo, hi, p, df = Welch(diff, r1.v, float64(r1.n), pb.v0, pb.n0)
	}
	c.fill(se, lo, hi, p, df)
	return c, nil
}
