package index

import (
	"cmp"
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
	bigN    float64 // N^(k), or the domain's weight total (stratified question)
	dropped []int   // columns dropped for want of answers (aspect, overall)
	// sampled and smallMajor feed the precision flag and the zero-variance
	// guard of METHODS §13 (stratified basis; see strataSet.precision).
	sampled, smallMajor bool
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
	r.sampled = true // no fpc on this basis: every sample is a sample
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

// strataSet is the stratified design of one estimate (METHODS §2–3, §11,
// §13): per stratum h, its counts over the whole year (full), its counts in
// the report's domain (dom, aligned with full; nil when the domain is the
// whole year), its weight ω_h and its receipts N_h for the finite-population
// correction. ω_h is N_h for a year's own strata and s(u→T)·N_u for the
// predecessors of a reorganised unit (§11).
type strataSet struct {
	full   []Stratum
	dom    []Stratum
	weight []float64
	pop    []float64
}

// domain returns the domain counts of stratum h.
func (ss *strataSet) domain(h int) *Stratum {
	if ss.dom == nil {
		return &ss.full[h]
	}
	return &ss.dom[h]
}

// stratified computes an index on the stratified basis (METHODS §2–3) over
// the strata of ss. Per question k the estimator is
//
//	p_k = Σ_h ω_h x_hk/m_hk / D_k,   D_k = Σ_h ω_h m_hk^dom/m_hk
//
// where x_hk counts the satisfied answers in the domain and m_hk the
// stratum's answerers of k over the whole year. Without a domain D_k =
// N^(k) = Σ_{h∈H_k} N_h and this is the separate estimator of §2 (an agency
// without answers to k drops out and the weights renormalise). With a
// domain (a channel filter, §13) it is survey's svymean(~y, subset(design,
// channel == c)): a combined ratio across strata of the per-stratum ratios.
//
// The variance is the Taylor linearisation of survey's onestage:
//
//	V = Σ_{h: n_h≥2} (1−f_h) n_h/(n_h−1) Σ_i e_i²  +  Σ_{h: n_h=1} (1−f_h) e_i²
//	e_i = Σ_k c_k ω_h r_ik/(m_hk D_k) · [I_dom(i)(y_ik − p_k) − g_hk]
//	g_hk = (x_hk − p_k m_hk^dom)/m_hk  (n_h ≥ 2),  0  (n_h = 1)
//
// g_hk makes e_i sum to 0 within the stratum, so the within-stratum centring
// of the formula is a no-op. Without a domain it turns the centre into the
// stratum's share p̂_hk, as §3 writes it, and a lonely stratum (n_h = 1) is
// centred at p_k (survey.lonely.psu = "adjust", §7). A census stratum has
// f_h = 1 and adds 0. n_h and f_h = n_h/N_h are those of the index's own
// analysis sample over the whole stratum; the estimate's n is the domain's.
// The variance is NaN when n < 2 (§7, §13: one answer is no evidence of
// precision, for questions too).
func stratified(ss strataSet, d *indexDef, k int) result {
	bigN := make([]float64, k)
	p := make([]float64, k)
	for h := range ss.full {
		full, dom, w := &ss.full[h], ss.domain(h), ss.weight[h]
		for col, m := range full.Answered {
			if m == 0 || dom.Answered[col] == 0 {
				continue
			}
			if dom == full {
				bigN[col] += w
			} else {
				bigN[col] += w * float64(dom.Answered[col]) / float64(m)
			}
			p[col] += w * float64(dom.Satisfied[col]) / float64(m)
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
	for h := range ss.full {
		n += d.analysisN(ss.domain(h))
	}
	r := nullResult(n, dropped)
	if n == 0 {
		return r
	}
	r.est = combine(c, p)
	r.bigN = bigN[d.col]
	r.sampled, r.smallMajor = ss.precision(d)
	if n < 2 {
		return r
	}
	r.v = ss.variance(d, c, p, bigN)
	return r
}

// variance returns V of METHODS §3 (see stratified) for the coefficients c,
// the shares p and the denominators D_k (bigN).
func (ss *strataSet) variance(d *indexDef, c, p, bigN []float64) float64 {
	k := len(c)
	a := make([]float64, k)
	centre := make([]float64, k)
	g := make([]float64, k)
	v := 0.0
	for h := range ss.full {
		full, dom := &ss.full[h], ss.domain(h)
		nh := d.analysisN(full)
		if nh == 0 {
			continue
		}
		nhf := float64(nh)
		fpc := 1 - nhf/ss.pop[h]
		if fpc <= 0 {
			continue // census: no sampling variance (METHODS §2)
		}
		scale := fpc
		if nh >= 2 {
			scale *= nhf / (nhf - 1)
		}
		for col, ck := range c {
			a[col], centre[col], g[col] = 0, 0, 0
			m := full.Answered[col]
			if ck == 0 || m == 0 {
				continue
			}
			mf := float64(m)
			a[col] = ck * ss.weight[h] / (mf * bigN[col])
			switch {
			case nh < 2:
				centre[col] = p[col]
			case dom == full:
				// p_k + g_hk is p̂_hk; written directly it is exact, so that
				// identical answers give exactly V = 0 (the §13 guard).
				centre[col] = float64(full.Satisfied[col]) / mf
			default:
				g[col] = (float64(dom.Satisfied[col]) - p[col]*float64(dom.Answered[col])) / mf
				centre[col] = p[col] + g[col]
			}
		}
		s := sumSquares(dom, a, centre)
		if dom != full {
			s += outsideSquares(full, dom, a, g)
		}
		v += scale * s
	}
	return v
}

// outsideSquares returns Σ e_i² over the respondents of a stratum outside
// the domain, whose influence is e_i = −Σ_k a_k r_ik g_k: the quadratic form
// Σ_kl a_k a_l g_k g_l N_kl over the pair counts of full minus dom.
func outsideSquares(full, dom *Stratum, a, g []float64) float64 {
	k := len(a)
	s := 0.0
	for i, ai := range a {
		if ai == 0 || g[i] == 0 {
			continue
		}
		for j, aj := range a {
			if aj == 0 || g[j] == 0 {
				continue
			}
			nb := full.Both[i*k+j] - dom.Both[i*k+j]
			s += ai * aj * g[i] * g[j] * float64(nb)
		}
	}
	return max(0, s)
}

// precision returns what the precision flag of METHODS §13 needs besides the
// interval: whether some stratum that contributes to the index is sampled
// (n_h < N_h, so a zero variance is an accident of the sample, not a census),
// and whether the strata that carry most of the weight — taken by decreasing
// weight until their share exceeds one half — include a sampled one with
// fewer than 30 of the index's answers.
func (ss *strataSet) precision(d *indexDef) (sampled, smallMajor bool) {
	type part struct {
		w       float64
		n       int
		sampled bool
	}
	var parts []part
	total := 0.0
	for h := range ss.full {
		n := d.analysisN(ss.domain(h))
		if n == 0 {
			continue
		}
		pt := part{w: ss.weight[h], n: n, sampled: float64(d.analysisN(&ss.full[h])) < ss.pop[h]}
		sampled = sampled || pt.sampled
		parts = append(parts, pt)
		total += pt.w
	}
	slices.SortStableFunc(parts, func(x, y part) int { return cmp.Compare(y.w, x.w) })
	cum := 0.0
	for _, pt := range parts {
		if pt.sampled && pt.n < minStratumAnswers {
			smallMajor = true
		}
		cum += pt.w
		if cum > total/2 {
			break
		}
	}
	return sampled, smallMajor
}

// minStratumAnswers is the fewest answers a stratum that carries much of an
// estimate's weight may have before the estimate is flagged indicative
// (METHODS §13).
const minStratumAnswers = 30

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
