package index

import (
	"fmt"
	"math"
)

// Populations maps an agency (stratum) code to N_h, the receipts it issued in
// the year: the stratum sizes of the stratified design (METHODS §0).
type Populations map[string]float64

// The bases of an index.
const (
	BasisUnweighted = "unweighted"
	BasisStratified = "stratified"
)

// The sources of a baseline.
const (
	SourceResponses  = "responses"
	SourceAggregates = "aggregates"
)

// Aggregate is one published index of a baseline year (aggregates.csv).
type Aggregate struct {
	Index    string  // question code, aspect id or "overall"
	Basis    string  // BasisUnweighted or BasisStratified
	Estimate float64 // a fraction: percent/100
	N        float64 // respondents it was computed from
}

// Baseline is the year a report compares with.
type Baseline struct {
	Year   int
	Source string // SourceResponses or SourceAggregates
	// Summary and Populations are the baseline year's responses and
	// receipts (SourceResponses).
	Summary     *Summary
	Populations Populations
	// Aggregates are the published indices (SourceAggregates). An index or
	// basis missing from them gets an insufficient-data change.
	Aggregates []Aggregate
}

// Input is everything Compute needs.
type Input struct {
	Design  Design
	Current *Summary
	// Populations are the current year's N_h. When an agency of the sample
	// lacks one, no receipts weighting exists: every stratified Estimate and
	// stratified Change is nil. An agency whose rows are all blank forms needs
	// none, being in no index.
	Populations Populations
	Baseline    *Baseline // nil: no comparison, every Change nil
}

// year is one year's data prepared for estimation.
type year struct {
	sum   *Summary
	total Stratum
	// strata with at least one answer, and their receipts; nil strata when a
	// population is missing (no stratified basis).
	strata []Stratum
	pops   []float64
}

// prepare checks one year's Summary against the design and its receipts
// and keeps the strata of the stratified design. what names the year in
// errors.
func prepare(d Design, s *Summary, pops Populations, what string) (*year, error) {
	if s == nil {
		return nil, fmt.Errorf("index: %s summary is missing", what)
	}
	if !s.Design.equal(d) {
		return nil, fmt.Errorf("index: %s summary has a different design", what)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, what)
	}
	y := &year{sum: s, total: s.total()}
	complete := true
	for i := range s.Strata {
		st := &s.Strata[i]
		N, ok := pops[st.Code]
		if !ok {
			if st.WithAnswers > 0 {
				complete = false
			}
			continue
		}
		if math.IsNaN(N) || math.IsInf(N, 0) {
			return nil, fmt.Errorf("index: %s: stratum %q: receipts %v is not a number", what, st.Code, N)
		}
		// survey stops here with "FPC implies >100% sampling" (METHODS §7).
		// Blank forms count too: each one was handed a receipt.
		if N < float64(st.Respondents) {
			return nil, fmt.Errorf("index: %s: stratum %q: receipts %v fewer than respondents %d",
				what, st.Code, N, st.Respondents)
		}
		if st.WithAnswers > 0 {
			y.strata = append(y.strata, *st)
			y.pops = append(y.pops, N)
		}
	}
	if !complete {
		y.strata, y.pops = nil, nil
	} else if y.strata == nil {
		y.strata = []Stratum{} // a sample of blank forms: stratified n = 0
	}
	return y, nil
}

// hasStratified reports whether the stratified basis exists for y.
func (y *year) hasStratified() bool { return y.strata != nil }

// results computes every index of defs on both bases; strat is nil without
// the stratified basis.
func (y *year) results(defs []indexDef) (unw, strat []result) {
	unw = make([]result, len(defs))
	for i := range defs {
		unw[i] = unweighted(&y.total, &defs[i])
	}
	if !y.hasStratified() {
		return unw, nil
	}
	strat = make([]result, len(defs))
	k := len(y.sum.Design.Questions)
	for i := range defs {
		strat[i] = stratified(y.strata, y.pops, &defs[i], k)
	}
	return unw, strat
}

// definitions lists the indices of d in report order: questions, aspects,
// overall (CONTRACT.md).
func definitions(d Design) []indexDef {
	cols := d.aspectColumns()
	aspectOf := make(map[string]string, len(d.Questions))
	for a, asp := range d.Aspects {
		for _, q := range asp.Questions {
			if _, ok := aspectOf[q]; !ok {
				aspectOf[q] = d.Aspects[a].ID
			}
		}
	}
	defs := make([]indexDef, 0, len(d.Questions)+len(d.Aspects)+1)
	for k, q := range d.Questions {
		defs = append(defs, indexDef{id: q, kind: KindQuestion, aspect: aspectOf[q], col: k, groups: [][]int{{k}}})
	}
	for a, asp := range d.Aspects {
		defs = append(defs, indexDef{id: asp.ID, kind: KindAspect, aspIdx: a, groups: [][]int{cols[a]}})
	}
	defs = append(defs, indexDef{id: overallID, kind: KindOverall, groups: cols})
	return defs
}

// Compute returns the report body for in (METHODS.md, CONTRACT.md). It
// fails when the design is invalid, a Summary does not fit it, a baseline is
// incomplete, or an agency has fewer receipts than respondents in either year
// (METHODS §7); the error names the stratum.
func Compute(in Input) (*Report, error) {
	if err := in.Design.Validate(); err != nil {
		return nil, err
	}
	cur, err := prepare(in.Design, in.Current, in.Populations, "current year")
	if err != nil {
		return nil, err
	}
	defs := definitions(in.Design)
	unw1, str1 := cur.results(defs)

	rep := &Report{
		ConfidenceLevel: ConfidenceLevel,
		Respondents:     in.Current.Respondents(),
		Indices:         make([]Index, len(defs)),
	}
	for i := range defs {
		rep.Indices[i] = Index{
			ID:         defs[i].id,
			Kind:       defs[i].kind,
			Aspect:     defs[i].aspect,
			Unweighted: unweightedEstimate(&defs[i], unw1[i], in.Design),
		}
		if str1 != nil {
			rep.Indices[i].Stratified = stratifiedEstimate(&defs[i], str1[i], in.Design)
		}
	}

	var base *year
	if b := in.Baseline; b != nil {
		rep.Baseline = &BaselineRef{Year: b.Year, Source: b.Source}
		switch b.Source {
		case SourceResponses:
			base, err = prepare(in.Design, b.Summary, b.Populations, fmt.Sprintf("baseline %d", b.Year))
			if err != nil {
				return nil, err
			}
			unw0, str0 := base.results(defs)
			for i := range defs {
				ch := &IndexChange{Unweighted: rawChange(&defs[i], unw1[i], unw0[i], false)}
				if str1 != nil && str0 != nil {
					ch.Stratified = rawChange(&defs[i], str1[i], str0[i], true)
				}
				rep.Indices[i].Change = ch
			}
		case SourceAggregates:
			pub, err := publishedIndex(b.Aggregates)
			if err != nil {
				return nil, err
			}
			for i := range defs {
				d := &defs[i]
				ch := &IndexChange{Unweighted: aggregateChange(d, unw1[i], pub, BasisUnweighted)}
				if str1 != nil {
					ch.Stratified = aggregateChange(d, str1[i], pub, BasisStratified)
				}
				rep.Indices[i].Change = ch
			}
		default:
			return nil, fmt.Errorf("index: unknown baseline source %q", b.Source)
		}
	}
	rep.Agencies = agencyRows(cur, base, &defs[len(defs)-1], in.Populations)
	return rep, nil
}

// publishedIndex indexes aggregates by index id and basis.
func publishedIndex(aggs []Aggregate) (map[[2]string]Aggregate, error) {
	pub := make(map[[2]string]Aggregate, len(aggs))
	for _, a := range aggs {
		if a.Basis != BasisUnweighted && a.Basis != BasisStratified {
			return nil, fmt.Errorf("index: aggregate %s: unknown basis %q", a.Index, a.Basis)
		}
		if !(a.Estimate >= 0 && a.Estimate <= 1) || !(a.N >= 0) || math.IsInf(a.N, 0) {
			return nil, fmt.Errorf("index: aggregate %s %s: estimate %v or n %v out of range", a.Index, a.Basis, a.Estimate, a.N)
		}
		key := [2]string{a.Index, a.Basis}
		if _, dup := pub[key]; dup {
			return nil, fmt.Errorf("index: aggregate %s %s given twice", a.Index, a.Basis)
		}
		pub[key] = a
	}
	return pub, nil
}

// unweightedEstimate shapes an unweighted result: a question gets the
// Wilson interval and SE √(p(1−p)/n) (METHODS §2, §10); an aspect or the
// overall index the t interval A ± qt(0.975, n−1)·√V clipped to [0, 1],
// null when n < 2 (§3).
func unweightedEstimate(d *indexDef, r result, design Design) *Estimate {
	e := &Estimate{N: r.n, Value: num(r.est), SE: num(math.Sqrt(r.v))}
	if d.kind == KindQuestion {
		if r.n > 0 {
			lo, hi := Wilson(r.x, float64(r.n))
			e.CILow, e.CIHigh = num(lo), num(hi)
		}
		return e
	}
	e.Composition = composition(r, design)
	if r.n >= 2 {
		e.CILow, e.CIHigh = clippedCI(r.est, math.Sqrt(r.v), tQuantile975(float64(r.n-1)))
	}
	return e
}

// stratifiedEstimate shapes a stratified result: a question gets the Wilson
// interval on the effective sample size and the design effect (METHODS §2);
// an aspect or the overall index the normal interval A ± z·√V clipped to
// [0, 1], null when n < 2 (§3: survey's confint uses df = Inf).
func stratifiedEstimate(d *indexDef, r result, design Design) *Estimate {
	e := &Estimate{N: r.n, Value: num(r.est), SE: num(math.Sqrt(r.v))}
	if d.kind == KindQuestion {
		e.DesignEffect = &DesignEffect{}
		if r.n == 0 {
			return e
		}
		n := float64(r.n)
		nEff, lo, hi := WilsonEffective(r.est, r.v, n)
		e.CILow, e.CIHigh, e.NEff = num(lo), num(hi), num(nEff)
		e.Deff = num(designEffect(r.est, r.v, n, r.bigN))
		return e
	}
	e.Composition = composition(r, design)
	if r.n >= 2 {
		e.CILow, e.CIHigh = clippedCI(r.est, math.Sqrt(r.v), z975)
	}
	return e
}

// designEffect returns survey's svymean(deff=TRUE) of a share p with
// variance v from n answerers weighted to N (METHODS §2):
//
//	deff = V / [S²_w (N−n)/(N n)],  S²_w = p(1−p)·n/(n−1)
//
// (S²_w of a 0/1 variable). NaN when p ∈ {0,1} (METHODS §10), n < 2, or the
// answerers are a census (no SRSWOR variance to compare with).
func designEffect(p, v, n, bigN float64) float64 {
	pq := p * (1 - p)
	if pq == 0 || n < 2 {
		return math.NaN()
	}
	vsrs := pq * n / (n - 1) * (bigN - n) / (bigN * n)
	if !(vsrs > 0) {
		return math.NaN()
	}
	return v / vsrs
}

// composition lists r's dropped questions by code, [] when none.
func composition(r result, design Design) *Composition {
	c := &Composition{DroppedQuestions: make([]string, 0, len(r.dropped))}
	for _, col := range r.dropped {
		c.DroppedQuestions = append(c.DroppedQuestions, design.Questions[col])
	}
	return c
}

// clippedCI returns est ± q·se clipped to [0, 1] (METHODS §3).
func clippedCI(est, se, q float64) (lo, hi *float64) {
	return num(max(0, est-q*se)), num(min(1, est+q*se))
}

// rawChange compares r1 with the baseline year's r0 (METHODS §5): Newcombe
// with the pooled z test for an unweighted question, Welch for an unweighted
// aspect or overall index, z for every stratified index. A difference exists
// when both years have an estimate; its interval also needs both variances
// (n ≥ 2 for aspects and the overall index).
func rawChange(d *indexDef, r1, r0 result, strat bool) *Change {
	c := &Change{BaselineEstimate: num(r0.est), BaselineN: num(float64(r0.n))}
	diff := r1.est - r0.est
	c.Diff = num(diff)
	lo, hi, p, df := math.NaN(), math.NaN(), math.NaN(), math.NaN()
	se := math.NaN()
	switch {
	case math.IsNaN(diff):
	case d.kind == KindQuestion && !strat:
		lo, hi = Newcombe(r1.x, float64(r1.n), r0.x, float64(r0.n))
		_, p = PooledZTest(r1.x, float64(r1.n), r0.x, float64(r0.n))
	case math.IsNaN(r1.v) || math.IsNaN(r0.v):
	case strat:
		se = math.Sqrt(r1.v + r0.v)
		lo, hi, p = ZTest(diff, r1.v+r0.v)
	default:
		se = math.Sqrt(r1.v + r0.v)
		lo, hi, p, df = Welch(diff, r1.v, float64(r1.n), r0.v, float64(r0.n))
	}
	c.fill(se, lo, hi, p, df)
	return c
}

// aggregateChange compares r1 with a published baseline value on the same
// basis (METHODS §6). An unweighted question uses Newcombe and the pooled z
// test with x0 = e0·n0. Any other index borrows this year's
// variance-to-binomial ratio for the baseline variance,
//
//	V0 = V1 · [e0(1−e0)/n0] / [e1(1−e1)/n1]   (V0 = e0(1−e0)/n0 when e1 ∈ {0,1}),
//
// then applies Welch with df0 = n0−1 (unweighted) or z (stratified).
func aggregateChange(d *indexDef, r1 result, pub map[[2]string]Aggregate, basis string) *Change {
	a, ok := pub[[2]string{d.id, basis}]
	if !ok {
		return &Change{Verdict: InsufficientData}
	}
	c := &Change{BaselineEstimate: num(a.Estimate), BaselineN: num(a.N)}
	lo, hi, p, df, se := math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	diff := math.NaN()
	if a.N > 0 {
		diff = r1.est - a.Estimate
	}
	c.Diff = num(diff)
	switch {
	case math.IsNaN(diff):
	case d.kind == KindQuestion && basis == BasisUnweighted:
		x0 := a.Estimate * a.N
		lo, hi = Newcombe(r1.x, float64(r1.n), x0, a.N)
		_, p = PooledZTest(r1.x, float64(r1.n), x0, a.N)
	case math.IsNaN(r1.v):
	default:
		e1, n1, e0, n0 := r1.est, float64(r1.n), a.Estimate, a.N
		v0 := e0 * (1 - e0) / n0
		if b1 := e1 * (1 - e1) / n1; b1 > 0 {
			v0 *= r1.v / b1
		}
		se = math.Sqrt(r1.v + v0)
		if basis == BasisStratified {
			lo, hi, p = ZTest(diff, r1.v+v0)
		} else if n0 > 1 {
			lo, hi, p, df = Welch(diff, r1.v, n1, v0, n0)
		} else {
			se = math.NaN() // Welch needs n0 − 1 > 0
		}
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

// agencyRows returns the league table (METHODS §10): each agency's overall
// index on the unweighted basis with its t interval and, against a raw
// baseline, its Welch change, Holm- and BH-adjusted over the agencies that
// have a p-value.
func agencyRows(cur, base *year, overall *indexDef, pops Populations) []AgencyRow {
	strata := cur.sum.Strata
	rows := make([]AgencyRow, len(strata))
	ps := make([]float64, len(strata))
	for h := range strata {
		st := &strata[h]
		r1 := unweighted(st, overall)
		N, ok := pops[st.Code]
		if !ok {
			N = math.Inf(1)
		}
		row := AgencyRow{Agency: st.Code, N: r1.n, Estimate: num(r1.est), Indicative: r1.n < IndicativeMinN(N)}
		if r1.n >= 2 {
			row.CILow, row.CIHigh = clippedCI(r1.est, math.Sqrt(r1.v), tQuantile975(float64(r1.n-1)))
		}
		ps[h] = math.NaN()
		if base != nil {
			r0 := nullResult(0, nil)
			if st0 := base.sum.stratum(st.Code); st0 != nil {
				r0 = unweighted(st0, overall)
			}
			row.Change = &AgencyChange{Change: *rawChange(overall, r1, r0, false)}
			if row.Change.PValue != nil {
				ps[h] = *row.Change.PValue
			}
		}
		rows[h] = row
	}
	if base == nil {
		return rows
	}
	holm, bh := Holm(ps), BH(ps)
	for h := range rows {
		c := rows[h].Change
		d := math.NaN()
		if c.Diff != nil {
			d = *c.Diff
		}
		c.PHolm, c.VerdictHolm = num(holm[h]), VerdictAdjusted(holm[h], d)
		c.PBH, c.VerdictBH = num(bh[h]), VerdictAdjusted(bh[h], d)
	}
	return rows
}

// stratum returns the stratum with code, or nil.
func (s *Summary) stratum(code string) *Stratum {
	for i := range s.Strata {
		if s.Strata[i].Code == code {
			return &s.Strata[i]
		}
	}
	return nil
}

// num returns a pointer to x, or nil when x is NaN or infinite: undefined
// quantities marshal as null, and encoding/json rejects NaN.
func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
