package index

import (
	"math"
	"math/rand/v2"
	"testing"
)

// domainRow is a generated response with its channel.
type domainRow struct {
	synthRow
	inDomain bool
}

// naiveDomain computes an index of a domain on the stratified basis straight
// from METHODS §13 (testdata/r documents the same formulas for R): the
// domain's share of each question is the combined ratio
// Σ_h N_h x_hk^dom/m_hk / Σ_h N_h m_hk^dom/m_hk, and the variance is the
// within-stratum variance of the linearised influence
//
//	e_i = Σ_k c_k N_h r_ik/(m_hk D_k) · [I(i)(y_ik − p_k) − g_hk]
//
// with explicit centring at the stratum mean (not relying on Σ e_i = 0).
func naiveDomain(rows []domainRow, k int, qs [][]int, pops Populations) (est, v float64, n int) {
	inIndex := map[int]bool{}
	for _, g := range qs {
		for _, c := range g {
			inIndex[c] = true
		}
	}
	answersIndex := func(r domainRow) bool {
		for c := range inIndex {
			if r.answers[c] > 0 {
				return true
			}
		}
		return false
	}
	byStratum := map[string][]domainRow{}
	for _, r := range rows {
		if answersIndex(r) {
			byStratum[r.stratum] = append(byStratum[r.stratum], r)
			if r.inDomain {
				n++
			}
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	type counts struct{ m, mDom, xDom []float64 }
	cs := map[string]*counts{}
	for h, rs := range byStratum {
		c := &counts{make([]float64, k), make([]float64, k), make([]float64, k)}
		for _, r := range rs {
			for col, a := range r.answers {
				if a == 0 {
					continue
				}
				c.m[col]++
				if r.inDomain {
					c.mDom[col]++
					if a >= 4 {
						c.xDom[col]++
					}
				}
			}
		}
		cs[h] = c
	}
	num, den := make([]float64, k), make([]float64, k)
	for h, c := range cs {
		for col := range k {
			if c.m[col] > 0 {
				num[col] += pops[h] * c.xDom[col] / c.m[col]
				den[col] += pops[h] * c.mDom[col] / c.m[col]
			}
		}
	}
	p := make([]float64, k)
	coef := make([]float64, k)
	kept := 0
	for _, g := range qs {
		ka := 0
		for _, col := range g {
			if den[col] > 0 {
				ka++
			}
		}
		if ka > 0 {
			kept++
			for _, col := range g {
				if den[col] > 0 {
					coef[col] += 1 / float64(ka)
					p[col] = num[col] / den[col]
				}
			}
		}
	}
	for col := range coef {
		coef[col] /= float64(kept)
		est += coef[col] * p[col]
	}
	if n < 2 {
		return est, math.NaN(), n
	}
	for h, rs := range byStratum {
		c, nh := cs[h], float64(len(rs))
		e := make([]float64, len(rs))
		mean := 0.0
		for i, r := range rs {
			for col, a := range r.answers {
				if a == 0 || coef[col] == 0 {
					continue
				}
				g := 0.0
				if nh >= 2 {
					g = (c.xDom[col] - p[col]*c.mDom[col]) / c.m[col]
				}
				y, dom := 0.0, 0.0
				if a >= 4 {
					y = 1
				}
				if r.inDomain {
					dom = 1
				}
				e[i] += coef[col] * pops[h] / (c.m[col] * den[col]) * (dom*(y-p[col]) - g)
			}
			mean += e[i] / nh
		}
		fpc := 1 - nh/pops[h]
		ss := 0.0
		for i := range e {
			if nh >= 2 {
				ss += (e[i] - mean) * (e[i] - mean)
			} else {
				ss += e[i] * e[i]
			}
		}
		if nh >= 2 {
			ss *= nh / (nh - 1)
		}
		v += fpc * ss
	}
	return est, v, n
}

// domainData generates one year of responses over several agencies with
// missing answers, a lonely stratum, a census stratum and three channels;
// about a third of the rows are in the domain.
func domainData(rng *rand.Rand, d Design) ([]domainRow, Populations) {
	model := answerModel{design: d, missing: 0.15, skipAspect: 0.05, blank: 0.02}
	sizes := map[string]int{"AG.1": 40, "AG.2": 25, "AG.3": 1, "AG.4": 12, "AG.5": 60}
	pops := Populations{"AG.1": 900, "AG.2": 300, "AG.3": 50, "AG.4": 12, "AG.5": 5000}
	var rows []domainRow
	for code, size := range sizes {
		mu := rng.NormFloat64() * 0.5
		for range size {
			r := domainRow{synthRow{code, make([]uint8, len(d.Questions))}, rng.Float64() < 0.35}
			model.fill(rng, mu, r.answers)
			rows = append(rows, r)
		}
	}
	return rows, pops
}

// TestDomainMatchesNaive holds the summary-based domain estimator (the
// channel filter of METHODS §13) to the per-respondent formulas on random
// data, for every question, aspect and the overall index.
func TestDomainMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	d := sipasDesign()
	defs := definitions(d)
	compared := 0
	for trial := range 60 {
		rows, pops := domainData(rng, d)
		full, dom := NewSample(d), NewSample(d)
		for _, r := range rows {
			full.Add(r.stratum, r.answers)
			if r.inDomain {
				dom.Add(r.stratum, r.answers)
			}
		}
		rep, err := Compute(Input{Design: d, Current: full.Summary(), Domain: dom.Summary(), Populations: pops})
		if err != nil {
			t.Fatal(err)
		}
		for i, def := range defs {
			est, v, n := naiveDomain(rows, len(d.Questions), def.groups, pops)
			e := rep.Indices[i].Stratified
			if e.N != n {
				t.Fatalf("trial %d %s: n = %d, want %d", trial, def.id, e.N, n)
			}
			if !closeTo(orNaN(e.Value), est, 1e-12) {
				t.Errorf("trial %d %s: estimate %v, want %v", trial, def.id, orNaN(e.Value), est)
			}
			if !closeTo(orNaN(e.SE), math.Sqrt(v), 1e-12) {
				t.Errorf("trial %d %s: se %v, want %v", trial, def.id, orNaN(e.SE), math.Sqrt(v))
			}
			compared += 2
		}
	}
	t.Logf("%d values compared", compared)
}

// TestDomainOfEverything: a domain that holds every respondent gives the
// report without a domain (METHODS §13 reduces to §2–3).
func TestDomainOfEverything(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 2))
	d := sipasDesign()
	for range 20 {
		rows, pops := domainData(rng, d)
		full := NewSample(d)
		for _, r := range rows {
			full.Add(r.stratum, r.answers)
		}
		plain, err := Compute(Input{Design: d, Current: full.Summary(), Populations: pops})
		if err != nil {
			t.Fatal(err)
		}
		all, err := Compute(Input{Design: d, Current: full.Summary(), Domain: full.Summary(), Populations: pops})
		if err != nil {
			t.Fatal(err)
		}
		for i := range plain.Indices {
			a, b := plain.Indices[i].Stratified, all.Indices[i].Stratified
			if a.N != b.N || !closeTo(orNaN(a.Value), orNaN(b.Value), 1e-13) || !closeTo(orNaN(a.SE), orNaN(b.SE), 1e-13) ||
				!closeTo(orNaN(a.CILow), orNaN(b.CILow), 1e-12) {
				t.Errorf("%s: domain of everything %+v, plain %+v", plain.Indices[i].ID, b, a)
			}
		}
	}
}

// TestDomainRefusesStrangers: a domain stratum the year does not have, or
// one larger than its stratum, is a caller's bug and an error.
func TestDomainRefusesStrangers(t *testing.T) {
	d := synthDesign(2)
	full, dom := NewSample(d), NewSample(d)
	full.Add("AG", []uint8{5, 4})
	dom.Add("AG", []uint8{5, 4})
	dom.Add("AG", []uint8{3, 4})
	if _, err := Compute(Input{Design: d, Current: full.Summary(), Domain: dom.Summary(), Populations: Populations{"AG": 9}}); err == nil {
		t.Error("domain larger than its stratum accepted")
	}
	other := NewSample(d)
	other.Add("ZZ", []uint8{5, 4})
	if _, err := Compute(Input{Design: d, Current: full.Summary(), Domain: other.Summary(), Populations: Populations{"AG": 9}}); err == nil {
		t.Error("domain stratum outside the year accepted")
	}
}
