package index

import (
	"fmt"
	"math"
	"slices"
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

// Baseline is the year a report compares with.
type Baseline struct {
	Year   int
	Source string // SourceResponses or SourceAggregates
	// Summary and Populations are the baseline year's responses (all
	// channels) and receipts (SourceResponses). Populations also gives the
	// receipts of the former units an aggregate baseline names (§11).
	Summary     *Summary
	Populations Populations
	// Domain holds the baseline year's counts in the report's domain; nil
	// when the report has none.
	Domain *Summary
	// Crosswalk is the reorganisation between the two years
	// (Crosswalk.Between); nil when the units did not change.
	Crosswalk Crosswalk
	// Aggregates are the published indices (SourceAggregates). An index or
	// basis missing from them gets an insufficient-data change.
	Aggregates []Aggregate
}

// Input is everything Compute needs.
type Input struct {
	Design Design
	// Current holds the report year's responses over every channel: the
	// full design of METHODS §0. It must hold every agency of the year, not
	// only those in Scope: agency rows are compared over all of them.
	Current *Summary
	// Domain, when set, holds the counts of the report's domain (a channel
	// filter): a subset of Current's respondents, stratum by stratum. The
	// stratified basis then estimates the domain within the full design
	// (METHODS §13); the unweighted basis analyses the domain's respondents
	// on their own.
	Domain *Summary
	// Populations are the current year's N_h. When a stratum with answers
	// lacks one, no receipts weighting exists for the estimates it enters:
	// their stratified Estimate and Change are nil. An agency whose rows are
	// all blank forms needs none, being in no index.
	Populations Populations
	// Scope lists the agencies the report covers (an agency or level
	// filter); nil covers all. The indices are those of the strata in
	// scope, compared with the predecessors of those strata; the agency rows
	// are computed over every agency and then those in scope are kept.
	Scope    []string
	Baseline *Baseline // nil: no comparison, every Change nil
}

// Compute returns the report body for in (METHODS.md, CONTRACT.md). It
// fails when the design is invalid, a Summary does not fit it, a baseline is
// incomplete, the crosswalk loops, or an agency has fewer receipts than
// respondents in either year (METHODS §7); the error names the stratum.
func Compute(in Input) (*Report, error) {
	if err := in.Design.Validate(); err != nil {
		return nil, err
	}
	cur, err := prepare(in.Design, in.Current, in.Domain, in.Populations, "current year")
	if err != nil {
		return nil, err
	}
	defs := definitions(in.Design)
	scope := newScope(in.Scope)
	curSet := cur.members(scope.weight)
	unw1, str1 := cur.results(defs, curSet)

	rep := &Report{
		ConfidenceLevel: ConfidenceLevel,
		Respondents:     cur.respondents(curSet),
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
	var shares Shares
	if b := in.Baseline; b != nil {
		rep.Baseline = &BaselineRef{Year: b.Year, Source: b.Source}
		switch b.Source {
		case SourceResponses:
			if base, shares, err = rawChanges(rep, in, defs, scope, unw1, str1); err != nil {
				return nil, err
			}
		case SourceAggregates:
			if err := aggregateChanges(rep, b, defs, unw1, str1); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("index: unknown baseline source %q", b.Source)
		}
		adjustQuestions(rep)
	}
	rows := agencyRows(cur, base, shares, &defs[len(defs)-1])
	rep.AgencyFamily = familyOf(rows)
	rep.Agencies = scope.rows(rows)
	return rep, nil
}

// rawChanges compares every index with the baseline year's responses
// (METHODS §5): over the predecessors of the strata in scope (§11), the
// whole baseline year for an unfiltered report.
func rawChanges(rep *Report, in Input, defs []indexDef, scope scope, unw1, str1 []result) (*year, Shares, error) {
	b := in.Baseline
	base, err := prepare(in.Design, b.Summary, b.Domain, b.Populations, fmt.Sprintf("baseline %d", b.Year))
	if err != nil {
		return nil, nil, err
	}
	shares, err := b.Crosswalk.Compose()
	if err != nil {
		return nil, nil, err
	}
	baseSet, identity := base.members(scope.predecessorWeight(shares)), true
	if !scope.all {
		identity = scope.identity(base, baseSet)
	}
	unw0, str0 := base.results(defs, baseSet)
	for i := range defs {
		ch := &IndexChange{Unweighted: &Change{Verdict: InsufficientData}}
		if identity {
			ch.Unweighted = rawChange(&defs[i], unw1[i], unw0[i], false)
		}
		if str1 != nil && str0 != nil {
			ch.Stratified = rawChange(&defs[i], str1[i], str0[i], true)
		}
		rep.Indices[i].Change = ch
	}
	return base, shares, nil
}

// year is one year's data prepared for estimation.
type year struct {
	full *Summary
	// dom holds the domain's counts aligned with full.Strata (a zero
	// stratum where the domain has none); nil without a domain.
	dom  []Stratum
	pops Populations
}

// prepare checks one year's Summaries against the design and its receipts.
// what names the year in errors.
func prepare(d Design, s, dom *Summary, pops Populations, what string) (*year, error) {
	if s == nil {
		return nil, fmt.Errorf("index: %s summary is missing", what)
	}
	for _, x := range []*Summary{s, dom} {
		if x == nil {
			continue
		}
		if !x.Design.equal(d) {
			return nil, fmt.Errorf("index: %s summary has a different design", what)
		}
		if err := x.check(); err != nil {
			return nil, fmt.Errorf("%w (%s)", err, what)
		}
	}
	for i := range s.Strata {
		st := &s.Strata[i]
		N, ok := pops[st.Code]
		if !ok {
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
	}
	y := &year{full: s, pops: pops}
	if dom != nil {
		aligned, err := alignDomain(s, dom)
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, what)
		}
		y.dom = aligned
	}
	return y, nil
}

// alignDomain returns dom's strata in the order of full's, with a zero
// stratum where dom has none, and refuses a domain that is not a subset.
func alignDomain(full, dom *Summary) ([]Stratum, error) {
	k, na := len(full.Design.Questions), len(full.Design.Aspects)
	out := make([]Stratum, len(full.Strata))
	for i := range full.Strata {
		f := &full.Strata[i]
		d := dom.stratum(f.Code)
		if d == nil {
			out[i] = newStratum(f.Code, k, na)
			continue
		}
		if d.Respondents > f.Respondents || d.WithAnswers > f.WithAnswers {
			return nil, fmt.Errorf("index: domain stratum %q is larger than the stratum", f.Code)
		}
		out[i] = *d
	}
	for i := range dom.Strata {
		if full.stratum(dom.Strata[i].Code) == nil {
			return nil, fmt.Errorf("index: domain stratum %q is not in the summary", dom.Strata[i].Code)
		}
	}
	return out, nil
}

// domain returns the domain counts of stratum h.
func (y *year) domain(h int) *Stratum {
	if y.dom == nil {
		return &y.full.Strata[h]
	}
	return &y.dom[h]
}

// member is a stratum of one estimate and its weight multiplier: 1 for a
// year's own strata, s(u→T) summed over the units in scope for the
// predecessors of a reorganised unit (METHODS §11).
type member struct {
	h    int
	mult float64
}

// members returns the strata whose multiplier is positive.
func (y *year) members(mult func(code string) float64) []member {
	var ms []member
	for h := range y.full.Strata {
		if m := mult(y.full.Strata[h].Code); m > 0 {
			ms = append(ms, member{h, m})
		}
	}
	return ms
}

// respondents counts the domain's response rows of ms, blank forms included.
func (y *year) respondents(ms []member) int {
	n := 0
	for _, m := range ms {
		n += y.domain(m.h).Respondents
	}
	return n
}

// pooled returns the domain counts of ms as one stratum: the unweighted basis
// treats the sample as a single stratum (METHODS §3).
func (y *year) pooled(ms []member) Stratum {
	t := newStratum("", len(y.full.Design.Questions), len(y.full.Design.Aspects))
	for _, m := range ms {
		t.add(y.domain(m.h))
	}
	return t
}

// set returns the stratified design of ms; ok is false when a stratum with
// answers lacks its receipts, so no receipts weighting exists.
func (y *year) set(ms []member) (ss strataSet, ok bool) {
	for _, m := range ms {
		st := &y.full.Strata[m.h]
		if st.WithAnswers == 0 {
			continue
		}
		N, found := y.pops[st.Code]
		if !found {
			return strataSet{}, false
		}
		ss.full = append(ss.full, *st)
		if y.dom != nil {
			ss.dom = append(ss.dom, y.dom[m.h])
		}
		ss.weight = append(ss.weight, m.mult*N)
		ss.pop = append(ss.pop, N)
	}
	return ss, true
}

// results computes every index of defs over the strata ms on both bases;
// strat is nil without the stratified basis.
func (y *year) results(defs []indexDef, ms []member) (unw, strat []result) {
	total := y.pooled(ms)
	unw = make([]result, len(defs))
	for i := range defs {
		unw[i] = unweighted(&total, &defs[i])
	}
	ss, ok := y.set(ms)
	if !ok {
		return unw, nil
	}
	strat = make([]result, len(defs))
	k := len(y.full.Design.Questions)
	for i := range defs {
		strat[i] = stratified(ss, &defs[i], k)
	}
	return unw, strat
}

// scope is the set of agencies a report covers.
type scope struct {
	all   bool
	codes map[string]bool
}

func newScope(codes []string) scope {
	if codes == nil {
		return scope{all: true}
	}
	s := scope{codes: make(map[string]bool, len(codes))}
	for _, c := range codes {
		s.codes[c] = true
	}
	return s
}

func (s scope) has(code string) bool { return s.all || s.codes[code] }

// weight is 1 for the strata in scope of the report year.
func (s scope) weight(code string) float64 {
	if s.has(code) {
		return 1
	}
	return 0
}

// predecessorWeight returns the multiplier of a baseline stratum u: the part
// of u's receipts that the units in scope took over, Σ_{T in scope} s(u→T)
// (METHODS §11). An unfiltered report compares with the whole baseline
// year, which needs no crosswalk.
func (s scope) predecessorWeight(shares Shares) func(string) float64 {
	if s.all {
		return func(string) float64 { return 1 }
	}
	return func(u string) float64 {
		if m, ok := shares[u]; ok {
			w := 0.0
			for T, sh := range m {
				if s.codes[T] {
					w += sh
				}
			}
			return w
		}
		return s.weight(u)
	}
}

// identity reports whether the baseline strata of a filtered report are the
// units in scope themselves, whole: only then does the unweighted basis,
// which pools respondents, compare like with like (METHODS §11).
func (s scope) identity(base *year, ms []member) bool {
	for _, m := range ms {
		st := &base.full.Strata[m.h]
		if st.WithAnswers > 0 && (m.mult != 1 || !s.codes[st.Code]) {
			return false
		}
	}
	return true
}

// rows keeps the agency rows in scope.
func (s scope) rows(rows []AgencyRow) []AgencyRow {
	if s.all {
		return rows
	}
	return slices.DeleteFunc(rows, func(r AgencyRow) bool { return !s.codes[r.Agency] })
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

// adjustQuestions adds the Holm (and BH) adjustment over the report's
// questions to each question's change, one family per basis (METHODS §8,
// §12). A question without a p-value is outside the family.
func adjustQuestions(rep *Report) {
	for _, basis := range []func(*IndexChange) *Change{
		func(c *IndexChange) *Change { return c.Unweighted },
		func(c *IndexChange) *Change { return c.Stratified },
	} {
		var family []*Change
		for i := range rep.Indices {
			ix := &rep.Indices[i]
			if ix.Kind != KindQuestion || ix.Change == nil {
				continue
			}
			if c := basis(ix.Change); c != nil {
				family = append(family, c)
			}
		}
		adjust(family)
	}
}

// adjust sets the Holm and BH adjustment of every change of one family.
func adjust(family []*Change) {
	ps := make([]float64, len(family))
	for i, c := range family {
		ps[i] = math.NaN()
		if c.PValue != nil {
			ps[i] = *c.PValue
		}
	}
	holm, bh := Holm(ps), BH(ps)
	for i, c := range family {
		d := math.NaN()
		if c.Diff != nil {
			d = *c.Diff
		}
		c.Adjustment = &Adjustment{
			PHolm: num(holm[i]), VerdictHolm: VerdictAdjusted(holm[i], d),
			PBH: num(bh[i]), VerdictBH: VerdictAdjusted(bh[i], d),
		}
	}
}

// stratum returns the stratum with code, or nil.
func (s *Summary) stratum(code string) *Stratum {
	i, ok := slices.BinarySearchFunc(s.Strata, code, func(st Stratum, c string) int {
		switch {
		case st.Code < c:
			return -1
		case st.Code > c:
			return 1
		}
		return 0
	})
	if !ok {
		return nil
	}
	return &s.Strata[i]
}

// num returns a pointer to x, or nil when x is NaN or infinite: undefined
// quantities marshal as null, and encoding/json rejects NaN.
func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
