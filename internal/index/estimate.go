package index

import (
	"math"
	"slices"
)

// Kind tells what an index summarises.
type Kind string

// The index kinds of CONTRACT.md.
const (
	KindQuestion Kind = "question"
	KindAspect   Kind = "aspect"
	KindOverall  Kind = "overall"
)

// overallID is the id of the overall index in the report and in aggregates.
const overallID = "overall"

// indexDef describes one index as a linear combination of question shares
// (METHODS §3): groups are the aspects it averages over, each a list of
// question columns. A question index is one group of one column, an aspect
// one group, the overall index one group per aspect.
type indexDef struct {
	id     string
	kind   Kind
	aspect string // the aspect of a question index
	col    int    // the column of a question index
	aspIdx int    // the aspect number of an aspect index
	groups [][]int
}

// analysisN returns n_h of the index in st: the respondents who answered at
// least one of its questions (METHODS §0).
func (d *indexDef) analysisN(st *Stratum) int {
	switch d.kind {
	case KindQuestion:
		return st.Answered[d.col]
	case KindAspect:
		return st.AspectN[d.aspIdx]
	}
	return st.WithAnswers
}

// coefficients returns the weights c_k of METHODS §3 given which questions
// have at least one answer: c_k = 1/K_a within an aspect, divided by the
// number of aspects that keep a question; unanswered questions get 0 and are
// returned as dropped (column numbers, in questionnaire order).
func (d *indexDef) coefficients(k int, answered func(col int) bool) (c []float64, dropped []int) {
	c = make([]float64, k)
	kept := 0
	for _, g := range d.groups {
		ka := 0
		for _, col := range g {
			if answered(col) {
				ka++
			}
		}
		if ka == 0 {
			dropped = append(dropped, g...)
			continue
		}
		kept++
		for _, col := range g {
			if answered(col) {
				c[col] += 1 / float64(ka)
			} else {
				dropped = append(dropped, col)
			}
		}
	}
	if kept > 1 {
		for col := range c {
			c[col] /= float64(kept)
		}
	}
	slices.Sort(dropped)
	return c, slices.Compact(dropped)
}

// result is one index on one basis before it is shaped for the report.
// Undefined values are NaN.
type result struct {
	n       int     // analysis-sample size
	est     float64 // the index, a fraction
	v       float64 // its (linearised) variance
	x       float64 // satisfied answers (unweighted question)
	bigN    float64 // N^(k) (stratified question)
	dropped []int   // columns dropped for want of answers (aspect, overall)
}

func nullResult(n int, dropped []int) result {
	return result{n: n, est: math.NaN(), v: math.NaN(), x: math.NaN(), bigN: math.NaN(), dropped: dropped}
}

// unweighted computes an index on the unweighted basis from the pooled
// counts t of its respondents (all strata, or one agency for the league
// table). This is METHODS §3's "same code with one stratum, N := n, no fpc":
//
//	e_i = Σ_k c_k r_ik (y_ik − p_k)/n_k,   V = n/(n−1) · Σ_i e_i²
//
// For a question it follows the report convention of METHODS §10 instead:
// p = x/n with V = p(1−p)/n (the Wilson interval needs only x and n).
// The variance of an aspect or the overall index is NaN when n < 2 (§7).
func unweighted(t *Stratum, d *indexDef) result {
	k := len(t.Answered)
	c, dropped := d.coefficients(k, func(col int) bool { return t.Answered[col] > 0 })
	n := d.analysisN(t)
	r := nullResult(n, dropped)
	if n == 0 {
		return r
	}
	p := make([]float64, k)
	for col := range k {
		if t.Answered[col] > 0 {
			p[col] = float64(t.Satisfied[col]) / float64(t.Answered[col])
		}
	}
	if d.kind == KindQuestion {
		r.x = float64(t.Satisfied[d.col])
		r.est = p[d.col]
		r.v = r.est * (1 - r.est) / float64(n)
		return r
	}
	r.est = combine(c, p)
	if n < 2 {
		return r
	}
	a := make([]float64, k)
	for col, ck := range c {
		if ck != 0 {
			a[col] = ck / float64(t.Answered[col])
		}
	}
	nf := float64(n)
	r.v = nf / (nf - 1) * sumSquares(t, a, p)
	return r
}

// stratified computes an index on the stratified basis (METHODS §2–3) from
// the strata of the sample and their receipts N_h (pops, aligned, all
// positive and ≥ n_h). Per question the separate estimator is
//
//	p_k = Σ_{h∈H_k} W_h^(k) p̂_hk,  W_h^(k) = N_h / N^(k),  H_k = {h: m_hk > 0},
//
// so an agency without answers to k drops out and the weights renormalise.
// The variance is the Taylor linearisation of survey's onestage:
//
//	V = Σ_{h: n_h≥2} (1−f_h) n_h/(n_h−1) Σ_i e_i²  +  Σ_{h: n_h=1} (1−f_h) e_i²
//	e_i = Σ_k c_k W_h^(k) r_ik (y_ik − centre_hk)/m_hk
//
// with centre_hk = p̂_hk, which makes e_i sum to 0 within the stratum (so
// the within-stratum centring of the formula is a no-op), and centre_hk = p_k
// for a lonely stratum (survey.lonely.psu = "adjust", METHODS §7). A census
// stratum has f_h = 1 and adds 0. n_h and f_h = n_h/N_h are those of the
// index's own analysis sample. The variance of an aspect or the overall
// index is NaN when n < 2 (§7).
func stratified(strata []Stratum, pops []float64, d *indexDef, k int) result {
	bigN := make([]float64, k)
	p := make([]float64, k)
	for h := range strata {
		st := &strata[h]
		for col, m := range st.Answered {
			if m > 0 {
				bigN[col] += pops[h]
				p[col] += pops[h] * float64(st.Satisfied[col]) / float64(m)
			}
		}
	}
	// Dividing once at the end keeps p_k exactly 1 (or 0) when every stratum
	// is: Σ N_h·1 = N^(k) in floating point, whereas Σ (N_h/N^(k)) need not
	// be 1. Design effects and the aggregate-baseline rule branch on that.
	for col := range p {
		if bigN[col] > 0 {
			p[col] /= bigN[col]
		}
	}
	c, dropped := d.coefficients(k, func(col int) bool { return bigN[col] > 0 })
	n := 0
	for h := range strata {
		n += d.analysisN(&strata[h])
	}
	r := nullResult(n, dropped)
	if n == 0 {
		return r
	}
	r.est = combine(c, p)
	if d.kind == KindQuestion {
		r.bigN = bigN[d.col]
	} else if n < 2 {
		return r
	}
	a := make([]float64, k)
	centre := make([]float64, k)
	v := 0.0
	for h := range strata {
		st := &strata[h]
		nh := d.analysisN(st)
		if nh == 0 {
			continue
		}
		nhf := float64(nh)
		fpc := 1 - nhf/pops[h]
		if fpc <= 0 {
			continue // census: no sampling variance (METHODS §2)
		}
		scale := fpc
		if nh >= 2 {
			scale *= nhf / (nhf - 1)
		}
		for col, ck := range c {
			a[col], centre[col] = 0, 0
			m := st.Answered[col]
			if ck == 0 || m == 0 {
				continue
			}
			a[col] = ck * pops[h] / bigN[col] / float64(m)
			if nh >= 2 {
				centre[col] = float64(st.Satisfied[col]) / float64(m)
			} else {
				centre[col] = p[col]
			}
		}
		v += scale * sumSquares(st, a, centre)
	}
	r.v = v
	return r
}

// combine returns Σ_k c_k p_k, the index as a combination of shares.
func combine(c, p []float64) float64 {
	s := 0.0
	for col, ck := range c {
		if ck != 0 {
			s += ck * p[col]
		}
	}
	return s
}

// sumSquares returns Σ_i e_i² over the respondents of st for the influence
// e_i = Σ_k a_k r_ik (y_ik − centre_k). Expanding the square,
//
//	Σ_i r_ik r_il (y_ik − c_k)(y_il − c_l) = S_kl − c_l A_kl − c_k A_lk + c_k c_l N_kl
//
// so the sum is a quadratic form in the pair counts of st (package doc). A
// tiny negative result from rounding is clamped to 0.
func sumSquares(st *Stratum, a, centre []float64) float64 {
	k := len(a)
	s := 0.0
	for i, ai := range a {
		if ai == 0 {
			continue
		}
		ci := centre[i]
		row := i * k
		for j, aj := range a {
			if aj == 0 {
				continue
			}
			cj := centre[j]
			q := float64(st.BothSatisfied[row+j]) -
				cj*float64(st.SatisfiedAnswered[row+j]) -
				ci*float64(st.SatisfiedAnswered[j*k+i]) +
				ci*cj*float64(st.Both[row+j])
			s += ai * aj * q
		}
	}
	return max(0, s)
}
