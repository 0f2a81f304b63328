package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveIndex is a per-respondent implementation of METHODS §2–3 written
// straight from the formulas, with none of the shortcuts of the package
// (no pair counts, explicit within-stratum centring), to check the
// sufficient-statistics variance. qs are the index's aspects as lists of
// question columns. pops nil means the unweighted basis: one stratum,
// N := n, no fpc. It returns the estimate, the variance and n.
func naiveIndex(rows []synthRow, k int, qs [][]int, pops Populations) (est, v float64, n int) {
	stratumOf := func(r synthRow) string {
		if pops == nil {
			return ""
		}
		return r.stratum
	}
	inIndex := map[int]bool{}
	for _, g := range qs {
		for _, c := range g {
			inIndex[c] = true
		}
	}
	// The analysis sample: respondents with an answer to a question of the index.
	var sample []synthRow
	for _, r := range rows {
		for c := range inIndex {
			if r.answers[c] > 0 {
				sample = append(sample, r)
				break
			}
		}
	}
	n = len(sample)
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	m := map[string][]float64{}
	x := map[string][]float64{}
	nh := map[string]float64{}
	for _, r := range sample {
		h := stratumOf(r)
		if m[h] == nil {
			m[h], x[h] = make([]float64, k), make([]float64, k)
		}
		nh[h]++
		for c, a := range r.answers {
			if a > 0 {
				m[h][c]++
				if a >= 4 {
					x[h][c]++
				}
			}
		}
	}
	popOf := func(h string) float64 {
		if pops == nil {
			return float64(n)
		}
		return pops[h]
	}
	bigN := make([]float64, k)
	p := make([]float64, k)
	for h := range m {
		for c := range k {
			if m[h][c] > 0 {
				bigN[c] += popOf(h)
			}
		}
	}
	for h := range m {
		for c := range k {
			if m[h][c] > 0 {
				p[c] += popOf(h) / bigN[c] * x[h][c] / m[h][c]
			}
		}
	}
	// c_k = 1/(#aspects kept · K_a), over answered questions.
	coef := make([]float64, k)
	kept := 0
	for _, g := range qs {
		ka := 0
		for _, c := range g {
			if bigN[c] > 0 {
				ka++
			}
		}
		if ka > 0 {
			kept++
			for _, c := range g {
				if bigN[c] > 0 {
					coef[c] += 1 / float64(ka)
				}
			}
		}
	}
	for c := range coef {
		coef[c] /= float64(kept)
		est += coef[c] * p[c]
	}
	// e_i = Σ_k c_k W_h^(k) r_ik (y_ik − centre_hk)/m_hk.
	e := map[string][]float64{}
	for _, r := range sample {
		h := stratumOf(r)
		ei := 0.0
		for c, a := range r.answers {
			if a == 0 || coef[c] == 0 {
				continue
			}
			centre := x[h][c] / m[h][c]
			if nh[h] == 1 {
				centre = p[c]
			}
			y := 0.0
			if a >= 4 {
				y = 1
			}
			ei += coef[c] * popOf(h) / bigN[c] * (y - centre) / m[h][c]
		}
		e[h] = append(e[h], ei)
	}
	for h, es := range e {
		fpc := 1 - nh[h]/popOf(h)
		if pops == nil {
			fpc = 1
		}
		if len(es) == 1 {
			v += fpc * es[0] * es[0]
			continue
		}
		mean := 0.0
		for _, ei := range es {
			mean += ei
		}
		mean /= float64(len(es))
		ss := 0.0
		for _, ei := range es {
			ss += (ei - mean) * (ei - mean)
		}
		v += fpc * nh[h] / (nh[h] - 1) * ss
	}
	if pops == nil && n < 2 {
		v = math.NaN()
	}
	return est, v, n
}

// messyData generates a small data set with every edge case of METHODS §7:
// lonely strata, census strata, item nonresponse, blank forms, an agency
// that never answers a question and a question nobody answers.
func messyData(rng *rand.Rand, d Design) ([]synthRow, Populations) {
	k := len(d.Questions)
	model := answerModel{design: d, missing: 0.2, skipAspect: 0.1, blank: 0.03}
	pops := Populations{}
	var rows []synthRow
	nStrata := 2 + rng.IntN(6)
	never := rng.IntN(k) // one agency never answers this question
	dropped := -1        // and sometimes nobody does
	if rng.IntN(3) == 0 {
		dropped = rng.IntN(k)
	}
	for h := range nStrata {
		code := fmt.Sprintf("S%02d", h)
		var nh int
		switch rng.IntN(4) {
		case 0:
			nh = 1 // lonely
		default:
			nh = 2 + rng.IntN(40)
		}
		N := float64(nh)
		if rng.IntN(4) > 0 { // otherwise a census
			N = float64(nh * (1 + rng.IntN(60)))
		}
		pops[code] = N
		mu := rng.NormFloat64() * 0.7
		for range nh {
			a := make([]uint8, k)
			model.fill(rng, mu, a)
			if h == 0 {
				a[never] = 0
			}
			if dropped >= 0 {
				a[dropped] = 0
			}
			rows = append(rows, synthRow{code, a})
		}
	}
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	return rows, pops
}

func summarise(d Design, rows []synthRow) *Summary {
	s := NewSample(d)
	for _, r := range rows {
		s.Add(r.stratum, r.answers)
	}
	return s.Summary()
}

// TestNaiveVariance compares Compute with naiveIndex on random messy data,
// for every index on both bases and for every agency row.
func TestNaiveVariance(t *testing.T) {
	d := synthDesign(3, 4, 2)
	k := len(d.Questions)
	defs := definitions(d)
	rng := rand.New(rand.NewPCG(1, 2))
	compared := 0
	for trial := range 300 {
		rows, pops := messyData(rng, d)
		rep, err := Compute(Input{Design: d, Current: summarise(d, rows), Populations: pops})
		if err != nil {
			t.Fatal(err)
		}
		check := func(what string, e *Estimate, est, v float64, n int, question, stratified bool) {
			t.Helper()
			compared += 3
			if e.N != n {
				t.Errorf("trial %d %s: n = %d, want %d", trial, what, e.N, n)
			}
			if !closeTo(orNaN(e.Value), est, 1e-12) {
				t.Errorf("trial %d %s: estimate = %v, want %v", trial, what, orNaN(e.Value), est)
			}
			wantSE := math.Sqrt(v)
			if (!question || stratified) && n < 2 {
				wantSE = math.NaN() // one answer carries no variance (METHODS §7, §13)
			}
			if !closeTo(orNaN(e.SE), wantSE, 1e-10) {
				t.Errorf("trial %d %s: se = %v, want %v", trial, what, orNaN(e.SE), wantSE)
			}
		}
		for i, def := range defs {
			ix := rep.Indices[i]
			est, v, n := naiveIndex(rows, k, def.groups, pops)
			check(ix.ID+" stratified", ix.Stratified, est, v, n, def.kind == KindQuestion, true)
			est, v, n = naiveIndex(rows, k, def.groups, nil)
			if def.kind == KindQuestion {
				v = est * (1 - est) / float64(n) // the report convention, METHODS §10
			}
			check(ix.ID+" unweighted", ix.Unweighted, est, v, n, def.kind == KindQuestion, false)
		}
		for _, row := range rep.Agencies {
			var own []synthRow
			for _, r := range rows {
				if r.stratum == row.Agency {
					own = append(own, r)
				}
			}
			est, v, n := naiveIndex(own, k, defs[len(defs)-1].groups, nil)
			compared += 2
			if row.N != n || !closeTo(orNaN(row.Estimate), est, 1e-12) {
				t.Errorf("trial %d agency %s: n, estimate = %d, %v, want %d, %v", trial, row.Agency, row.N, orNaN(row.Estimate), n, est)
			}
			if n >= 2 {
				compared++
				q := tQuantile975(float64(n - 1))
				if want := max(0, est-q*math.Sqrt(v)); !closeTo(orNaN(row.CILow), want, 1e-10) {
					t.Errorf("trial %d agency %s: ci_low = %v, want %v", trial, row.Agency, orNaN(row.CILow), want)
				}
			}
		}
	}
	t.Logf("%d values compared", compared)
}

// closeTo compares with a tolerance relative to max(1, |want|); NaN only
// matches NaN.
func closeTo(got, want, tol float64) bool {
	if math.IsNaN(got) || math.IsNaN(want) {
		return math.IsNaN(got) && math.IsNaN(want)
	}
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}

// TestWilsonProperties: the interval is inside [0, 1] and contains p
// (METHODS §9).
func TestWilsonProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		n := float64(1 + rng.IntN(5000))
		if rng.IntN(2) == 0 {
			n = 0.5 + rng.Float64()*50 // effective n
		}
		x := math.Floor(rng.Float64() * (n + 1))
		if rng.IntN(2) == 0 {
			x = rng.Float64() * n
		}
		x = min(x, n)
		lo, hi := Wilson(x, n)
		if p := x / n; !(0 <= lo && lo <= p && p <= hi && hi <= 1) {
			t.Fatalf("Wilson(%v, %v) = [%v, %v] does not hold p = %v inside [0, 1]", x, n, lo, hi, p)
		}
	}
}

// TestRespondentScores: with no missing answers the aspect (and overall)
// index is the mean of respondent scores and V = var(s)/n (METHODS §3, §9).
func TestRespondentScores(t *testing.T) {
	d := synthDesign(3, 4, 5)
	rng := rand.New(rand.NewPCG(5, 6))
	model := answerModel{design: d}
	var rows []synthRow
	for i := range 700 {
		a := make([]uint8, len(d.Questions))
		model.fill(rng, 0.3, a)
		rows = append(rows, synthRow{fmt.Sprint("S", i%4), a})
	}
	rep, err := Compute(Input{Design: d, Current: summarise(d, rows)})
	if err != nil {
		t.Fatal(err)
	}
	cols := d.aspectColumns()
	for i, ix := range rep.Indices {
		if ix.Kind == KindQuestion {
			continue
		}
		// s_i: share of satisfied answers in the aspect, or the mean of the
		// aspect shares for the overall index (all answered).
		var s []float64
		for _, r := range rows {
			var groups [][]int
			if ix.Kind == KindAspect {
				groups = [][]int{cols[i-len(d.Questions)]}
			} else {
				groups = cols
			}
			si := 0.0
			for _, g := range groups {
				sat := 0
				for _, c := range g {
					if r.answers[c] >= 4 {
						sat++
					}
				}
				si += float64(sat) / float64(len(g)) / float64(len(groups))
			}
			s = append(s, si)
		}
		mean, v := meanVar(s)
		if got := *ix.Unweighted.Value; !closeTo(got, mean, 1e-13) {
			t.Errorf("%s: estimate = %v, want mean score %v", ix.ID, got, mean)
		}
		if got, want := *ix.Unweighted.SE, math.Sqrt(v/float64(len(s))); !closeTo(got, want, 1e-12) {
			t.Errorf("%s: se = %v, want sd(s)/√n = %v", ix.ID, got, want)
		}
	}
}

// meanVar returns the mean and the sample variance (n − 1).
func meanVar(s []float64) (mean, v float64) {
	for _, x := range s {
		mean += x
	}
	mean /= float64(len(s))
	for _, x := range s {
		v += (x - mean) * (x - mean)
	}
	return mean, v / float64(len(s)-1)
}

// TestOneStratum: with one stratum and no fpc the stratified basis is the
// unweighted one, apart from z against t in the aspect intervals and the
// question SE convention p(1−p)/n against the design's p(1−p)/(n−1)
// (METHODS §9, §10).
func TestOneStratum(t *testing.T) {
	d := synthDesign(3, 4, 5)
	rng := rand.New(rand.NewPCG(7, 8))
	model := answerModel{design: d, missing: 0.15, skipAspect: 0.05}
	var rows []synthRow
	for range 400 {
		a := make([]uint8, len(d.Questions))
		model.fill(rng, 0.2, a)
		rows = append(rows, synthRow{"ONLY", a})
	}
	// N so large that f = n/N vanishes below the tolerance.
	rep, err := Compute(Input{Design: d, Current: summarise(d, rows), Populations: Populations{"ONLY": 1e18}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ix := range rep.Indices {
		u, s := ix.Unweighted, ix.Stratified
		if u.N != s.N || !closeTo(*s.Value, *u.Value, 1e-14) {
			t.Errorf("%s: stratified %v (n %d), unweighted %v (n %d)", ix.ID, *s.Value, s.N, *u.Value, u.N)
		}
		n := float64(u.N)
		wantSE := *u.SE
		if ix.Kind == KindQuestion {
			wantSE *= math.Sqrt(n / (n - 1))
		} else {
			q := tQuantile975(n - 1)
			if got, want := *u.CILow, *u.Value-q**u.SE; !closeTo(got, want, 1e-13) {
				t.Errorf("%s: unweighted ci_low = %v, want A − t·se = %v", ix.ID, got, want)
			}
			if got, want := *s.CILow, *u.Value-z975**u.SE; !closeTo(got, want, 1e-12) {
				t.Errorf("%s: stratified ci_low = %v, want A − z·se = %v", ix.ID, got, want)
			}
		}
		if !closeTo(*s.SE, wantSE, 1e-12) {
			t.Errorf("%s: stratified se = %v, want %v", ix.ID, *s.SE, wantSE)
		}
	}
}

// TestNewcombeVerdict: the Newcombe interval contains 0 exactly when the
// verdict is "no significant change" (METHODS §9), for the formula and for
// the question changes of a report.
func TestNewcombeVerdict(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 20000 {
		n1, n0 := float64(1+rng.IntN(300)), float64(1+rng.IntN(300))
		x1, x0 := math.Floor(rng.Float64()*(n1+1)), math.Floor(rng.Float64()*(n0+1))
		lo, hi := Newcombe(x1, n1, x0, n0)
		if contains, v := lo <= 0 && 0 <= hi, VerdictCI(lo, hi); contains != (v == NoChange) {
			t.Fatalf("Newcombe(%v/%v, %v/%v) = [%v, %v], verdict %s", x1, n1, x0, n0, lo, hi, v)
		}
		if d := x1/n1 - x0/n0; !(lo <= d && d <= hi) {
			t.Fatalf("Newcombe(%v/%v, %v/%v) = [%v, %v] misses the difference %v", x1, n1, x0, n0, lo, hi, d)
		}
	}
	d := synthDesign(3, 3)
	for trial := range 50 {
		rows1, pops1 := messyData(rng, d)
		rows0, pops0 := messyData(rng, d)
		rep, err := Compute(Input{Design: d, Current: summarise(d, rows1), Populations: pops1,
			Baseline: &Baseline{Year: 1, Source: SourceResponses, Summary: summarise(d, rows0), Populations: pops0}})
		if err != nil {
			t.Fatal(err)
		}
		for _, ix := range rep.Indices[:len(d.Questions)] {
			c := ix.Change.Unweighted
			if c.CILow == nil {
				if c.Verdict != InsufficientData {
					t.Errorf("trial %d %s: no interval, verdict %s", trial, ix.ID, c.Verdict)
				}
				continue
			}
			if contains := *c.CILow <= 0 && 0 <= *c.CIHigh; contains != (c.Verdict == NoChange) {
				t.Errorf("trial %d %s: [%v, %v] with verdict %s", trial, ix.ID, *c.CILow, *c.CIHigh, c.Verdict)
			}
			if c.SE != nil {
				t.Errorf("trial %d %s: Newcombe se = %v, want null", trial, ix.ID, *c.SE)
			}
		}
	}
}

// TestHolmBH checks the adjustments' invariants on random families: Holm ≥
// BH ≥ raw, monotone in the raw p-values, at most 1.
func TestHolmBH(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 2000 {
		p := make([]float64, 1+rng.IntN(30))
		for i := range p {
			p[i] = math.Pow(rng.Float64(), 3)
			if rng.IntN(8) == 0 {
				p[i] = math.NaN()
			}
			if i > 0 && rng.IntN(6) == 0 {
				p[i] = p[i-1] // ties
			}
		}
		holm, bh := Holm(p), BH(p)
		order := make([]int, 0, len(p))
		for i := range p {
			if math.IsNaN(p[i]) {
				if !math.IsNaN(holm[i]) || !math.IsNaN(bh[i]) {
					t.Fatalf("NaN p adjusted to %v, %v", holm[i], bh[i])
				}
				continue
			}
			order = append(order, i)
			if !(p[i] <= bh[i] && bh[i] <= holm[i] && holm[i] <= 1) {
				t.Fatalf("p %v: bh %v, holm %v out of order", p[i], bh[i], holm[i])
			}
		}
		slices.SortFunc(order, func(a, b int) int { return cmpFloat(p[a], p[b]) })
		for j := 1; j < len(order); j++ {
			a, b := order[j-1], order[j]
			if holm[a] > holm[b] || bh[a] > bh[b] {
				t.Fatalf("adjustment not monotone: p %v→%v holm %v→%v bh %v→%v", p[a], p[b], holm[a], holm[b], bh[a], bh[b])
			}
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
