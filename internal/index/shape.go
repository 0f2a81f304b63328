package index

import "math"

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
// [0, 1] (§3: survey's confint uses df = Inf). Both are null when n < 2: one
// answer gives no variance to speak of (§13). Every estimate carries the
// precision flag of §12–13.
func stratifiedEstimate(d *indexDef, r result, design Design) *Estimate {
	e := &Estimate{N: r.n, Value: num(r.est), SE: num(math.Sqrt(r.v))}
	if d.kind == KindQuestion {
		e.DesignEffect = &DesignEffect{}
		if r.n >= 2 {
			n := float64(r.n)
			nEff, lo, hi := WilsonEffective(r.est, r.v, n)
			e.CILow, e.CIHigh, e.NEff = num(lo), num(hi), num(nEff)
			e.Deff = num(designEffect(r.est, r.v, n, r.bigN))
		}
	} else {
		e.Composition = composition(r, design)
		if r.n >= 2 {
			e.CILow, e.CIHigh = clippedCI(r.est, math.Sqrt(r.v), z975)
		}
	}
	flag := indicative(r, e.CILow, e.CIHigh)
	e.Indicative = &flag
	return e
}

// indicative is the precision flag of METHODS §12–13 for an estimate on the
// stratified basis: its 95% interval is wider than ±5 points (the larger
// side, after clipping), or it has none, or its variance is 0 from a sample,
// or the strata that carry most of its weight have fewer than 30 answers. A
// census is exact; an index nobody answered is not flagged (it has no
// estimate).
func indicative(r result, lo, hi *float64) bool {
	if math.IsNaN(r.est) || !r.sampled {
		return false
	}
	if lo == nil || hi == nil {
		return true
	}
	return max(r.est-*lo, *hi-r.est) > maxHalfWidth || (r.v == 0 && r.sampled) || r.smallMajor
}

// maxHalfWidth is the widest half-interval an estimate may have before it is
// "indicative" (METHODS §12): ±5 percentage points.
const maxHalfWidth = 0.05

// designEffect returns survey's svymean(deff=TRUE) of a share p with
// variance v from n answerers weighted to N (METHODS §2):
//
//	deff = V / [S²_w (N−n)/(N n)],  S²_w = p(1−p)·n/(n−1)
//
// (S²_w of a 0/1 variable). For a domain N is the domain's weight total, as
// survey's subset design gives. NaN when p ∈ {0,1} (METHODS §10), n < 2, or
// the answerers are a census (no SRSWOR variance to compare with).
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

// NormalInterval returns est ± z·√v clipped to [0, 1], the 95% interval of a stratified
// index (METHODS §3), for a direct estimate whose variance is given (the small areas' v_i);
// nil when v is NaN or negative.
func NormalInterval(est, v float64) (lo, hi *float64) {
	if math.IsNaN(v) || v < 0 || math.IsNaN(est) {
		return nil, nil
	}
	return clippedCI(est, math.Sqrt(v), z975)
}

// clippedCI returns est ± q·se clipped to [0, 1] (METHODS §3).
func clippedCI(est, se, q float64) (lo, hi *float64) {
	return num(max(0, est-q*se)), num(min(1, est+q*se))
}
