package index

import (
	"cmp"
	"math"
	"slices"
	"sync/atomic"

	"gonum.org/v1/gonum/stat/distuv"
)

// ConfidenceLevel is the level of every interval in the report.
const ConfidenceLevel = 0.95

// z975 is qnorm(0.975) = 1.959963984540054, the normal quantile of every 95 %
// interval (METHODS §0).
var z975 = distuv.UnitNormal.Quantile(0.975)

// hillFrom is the df from which tQuantile975 uses Hill's expansion instead of
// gonum. gonum's StudentsT.Quantile goes through InvRegIncBeta, whose error
// grows with df (1e-12 at df 5000, 1.7e-9 at 1e7, 3e-7 at 1e9: measured
// against R), while the expansion below is within 3e-15 of R's qt from df
// 1000 on. Welch df reach millions on a national sample.
const hillFrom = 1000

// qtMemo caches qt(0.975, df) for integer df below hillFrom, as float bits
// (0: not yet computed). The t intervals of aspects and agencies use
// df = n−1, and one InvRegIncBeta costs tens of microseconds, which would
// otherwise dominate Compute on small samples. Atomics make it safe for
// concurrent reports without a lock.
var qtMemo [hillFrom]atomic.Uint64

// tQuantile975 returns qt(0.975, df) (METHODS §3, §5). df may be fractional.
func tQuantile975(df float64) float64 {
	if df < hillFrom {
		i := int(df)
		memo := float64(i) == df && i >= 1
		if memo {
			if b := qtMemo[i].Load(); b != 0 {
				return math.Float64frombits(b)
			}
		}
		q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(0.975)
		if memo {
			qtMemo[i].Store(math.Float64bits(q))
		}
		return q
	}
	// Cornish–Fisher expansion of the t quantile in powers of 1/df (Hill
	// 1970, Abramowitz & Stegun 26.7.5); the first omitted term is O(df⁻⁵).
	z := z975
	z2 := z * z
	z3, z5 := z2*z, z2*z2*z
	z7, z9 := z5*z2, z5*z2*z2
	g1 := (z3 + z) / 4
	g2 := (5*z5 + 16*z3 + 3*z) / 96
	g3 := (3*z7 + 19*z5 + 17*z3 - 15*z) / 384
	g4 := (79*z9 + 776*z7 + 1482*z5 - 1920*z3 - 945*z) / 92160
	u := 1 / df
	return z + u*(g1+u*(g2+u*(g3+u*g4)))
}

// tCDF returns pt(x, df). For df beyond 1e6 gonum's regularised incomplete
// beta loses digits in the tail, and the first-order expansion
// Φ(x) − φ(x)(x³+x)/(4df) is exact to O(df⁻²) < 1e-12 instead.
func tCDF(x, df float64) float64 {
	if df <= 1e6 {
		return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.CDF(x)
	}
	return distuv.UnitNormal.CDF(x) - distuv.UnitNormal.Prob(x)*(x*x*x+x)/(4*df)
}

// Wilson returns the Wilson (1927) score interval without continuity
// correction for x satisfied out of n (METHODS §2); it equals R's
// prop.test(x, n, correct=FALSE)$conf.int. x and n may be non-integer (the
// effective-n interval, an aggregate baseline). Both limits are NaN when
// n ≤ 0.
func Wilson(x, n float64) (lo, hi float64) {
	if !(n > 0) {
		return math.NaN(), math.NaN()
	}
	z2 := z975 * z975
	p := x / n
	den := 1 + z2/n
	centre := (p + z2/(2*n)) / den
	half := z975 / den * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	// At x = 0 or x = n the formula's limit is 0 or 1 analytically; pinning it
	// avoids a rounding residue of 1e-17 outside the data.
	lo, hi = max(0, centre-half), min(1, centre+half)
	if x == 0 {
		lo = 0
	}
	if x == n {
		hi = 1
	}
	return lo, hi
}

// WilsonEffective returns the effective-sample-size Wilson interval of a
// design-based share p with variance v from n respondents (METHODS §2):
// n_eff = min(n, p(1−p)/v), n_eff = n when v = 0, and the interval is
// Wilson(p·n_eff, n_eff). Capping at n (design effect truncated at 1) keeps
// the interval conservative and non-degenerate at p ∈ {0,1} or for a census.
func WilsonEffective(p, v, n float64) (nEff, lo, hi float64) {
	nEff = n
	// p(1−p) = 0 forces v = 0 in exact arithmetic; a rounding residue in v
	// must not turn the interval into a point.
	if pq := p * (1 - p); v > 0 && pq > 0 {
		nEff = min(n, pq/v)
	}
	lo, hi = Wilson(p*nEff, nEff)
	return nEff, lo, hi
}

// Newcombe returns Newcombe's (1998) hybrid score interval (method 10) for
// p1 − p0 with p1 = x1/n1 and p0 = x0/n0 (METHODS §5). Non-integer counts
// are allowed (an aggregate baseline gives x0 = e0·n0, METHODS §6). Both
// limits are NaN when n1 or n0 is not positive.
func Newcombe(x1, n1, x0, n0 float64) (lo, hi float64) {
	if !(n1 > 0 && n0 > 0) {
		return math.NaN(), math.NaN()
	}
	p1, p0 := x1/n1, x0/n0
	l1, u1 := Wilson(x1, n1)
	l0, u0 := Wilson(x0, n0)
	d := p1 - p0
	return d - math.Sqrt((p1-l1)*(p1-l1)+(u0-p0)*(u0-p0)),
		d + math.Sqrt((u1-p1)*(u1-p1)+(p0-l0)*(p0-l0))
}

// PooledZTest returns the pooled two-proportion z statistic and its
// two-sided p-value (METHODS §5), equal to R's prop.test(correct=FALSE).
// When the pooled share is 0 or 1 the statistic is undefined (z = NaN) and
// p = 1 if the shares are equal, else 0. Both are NaN when n1 or n0 is not
// positive.
func PooledZTest(x1, n1, x0, n0 float64) (z, p float64) {
	if !(n1 > 0 && n0 > 0) {
		return math.NaN(), math.NaN()
	}
	d := x1/n1 - x0/n0
	pbar := (x1 + x0) / (n1 + n0)
	se := math.Sqrt(pbar * (1 - pbar) * (1/n1 + 1/n0))
	if !(se > 0) {
		if d == 0 {
			return math.NaN(), 1
		}
		return math.NaN(), 0
	}
	z = d / se
	return z, 2 * distuv.UnitNormal.CDF(-math.Abs(z))
}

// WelchDF returns the Welch–Satterthwaite degrees of freedom
// (V1+V0)² / (V1²/(n1−1) + V0²/(n0−1)) of METHODS §5. It is NaN when both
// variances are 0.
func WelchDF(v1, n1, v0, n0 float64) float64 {
	v := v1 + v0
	return v * v / (v1*v1/(n1-1) + v0*v0/(n0-1))
}

// Welch returns the 95 % interval d ± qt(0.975, df)·√(V1+V0) and the
// two-sided p-value 2·pt(−|d|/√V, df) of the Welch test of METHODS §5, used
// for unweighted aspect and overall indices with their linearised variances.
// With both variances 0 the interval is the point d and p is 1 if d = 0,
// else 0 (df NaN).
func Welch(d, v1, n1, v0, n0 float64) (lo, hi, p, df float64) {
	v := v1 + v0
	if v == 0 {
		return d, d, pointP(d), math.NaN()
	}
	df = WelchDF(v1, n1, v0, n0)
	se := math.Sqrt(v)
	half := tQuantile975(df) * se
	return d - half, d + half, 2 * tCDF(-math.Abs(d)/se, df), df
}

// ZTest returns the normal 95 % interval d ± z·√v and the two-sided p-value
// 2Φ(−|d|/√v) of a stratified comparison (METHODS §5, §6). With v = 0 the
// interval is the point d and p is 1 if d = 0, else 0.
func ZTest(d, v float64) (lo, hi, p float64) {
	if v == 0 {
		return d, d, pointP(d)
	}
	se := math.Sqrt(v)
	return d - z975*se, d + z975*se, 2 * distuv.UnitNormal.CDF(-math.Abs(d)/se)
}

// pointP is the p-value of a difference known without sampling error.
func pointP(d float64) float64 {
	if d == 0 {
		return 1
	}
	return 0
}

// Holm returns Holm's (1979) adjusted p-values, as R's p.adjust(p, "holm")
// (METHODS §8): over the m non-missing p-values in ascending order,
// adj_(i) = min(1, max_{j≤i} (m−j+1)·p_(j)). NaN entries are not part of the
// family and stay NaN.
func Holm(p []float64) []float64 {
	out, idx := adjustSetup(p)
	m := float64(len(idx))
	run := 0.0
	for i, j := range idx {
		run = max(run, (m-float64(i))*p[j])
		out[j] = min(1, run)
	}
	return out
}

// BH returns the Benjamini–Hochberg (1995) adjusted p-values, as R's
// p.adjust(p, "BH") (METHODS §8): adj_(i) = min(1, min_{j≥i} (m/j)·p_(j)).
// NaN entries are not part of the family and stay NaN.
func BH(p []float64) []float64 {
	out, idx := adjustSetup(p)
	m := float64(len(idx))
	run := math.Inf(1)
	for i := len(idx) - 1; i >= 0; i-- {
		j := idx[i]
		run = min(run, m/float64(i+1)*p[j])
		out[j] = min(1, run)
	}
	return out
}

// adjustSetup returns an all-NaN result and the positions of the non-NaN
// p-values in ascending order of p. Ties keep their input order; the
// adjusted values of tied p-values are equal whatever their order.
func adjustSetup(p []float64) ([]float64, []int) {
	out := make([]float64, len(p))
	idx := make([]int, 0, len(p))
	for i, v := range p {
		out[i] = math.NaN()
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	return out, idx
}

// SampleSize returns Cochran's minimum sample size for a 95 % margin of
// error margin at share p, design effect deff and population N (METHODS §8):
// n0 = z²·p(1−p)·deff/margin², n = n0/(1 + (n0−1)/N), rounded up (after a
// 1e-9 allowance so that an exact integer is not pushed up by rounding).
// Pass N = math.Inf(1) for a population too large to matter; p = 0.5 is the
// worst case.
func SampleSize(margin, p, deff, N float64) int {
	n0 := z975 * z975 * p * (1 - p) * deff / (margin * margin)
	n := n0 / (1 + (n0-1)/N)
	return int(math.Ceil(n - 1e-9))
}

// IndicativeMinN returns the respondents an agency with N receipts needs for
// its index to be reported at ±5 % (p = 0.5, no design effect: the
// per_agency_5pct table of METHODS §8). Agencies below it are flagged
// "indicative". N = math.Inf(1) when the receipts are unknown.
func IndicativeMinN(N float64) int { return SampleSize(0.05, 0.5, 1, N) }

// Verdict is the reading of a comparison (METHODS §1).
type Verdict string

// The verdicts of CONTRACT.md.
const (
	Higher           Verdict = "higher"            // significantly higher
	Lower            Verdict = "lower"             // significantly lower
	NoChange         Verdict = "no_change"         // no significant change
	InsufficientData Verdict = "insufficient_data" // no interval (or p) exists
)

// VerdictCI reads an interval for a difference by the rule of METHODS §1:
// higher when the lower limit is above 0, lower when the upper limit is
// below 0, no change otherwise, insufficient data when a limit is NaN.
func VerdictCI(lo, hi float64) Verdict {
	switch {
	case math.IsNaN(lo) || math.IsNaN(hi):
		return InsufficientData
	case lo > 0:
		return Higher
	case hi < 0:
		return Lower
	}
	return NoChange
}

// VerdictAdjusted reads an adjusted p-value (Holm or BH) by the rule of
// METHODS §1 for multiple comparisons: significant when p < 0.05, with the
// direction of the difference d.
func VerdictAdjusted(p, d float64) Verdict {
	switch {
	case math.IsNaN(p) || math.IsNaN(d):
		return InsufficientData
	case p < 1-ConfidenceLevel && d > 0:
		return Higher
	case p < 1-ConfidenceLevel && d < 0:
		return Lower
	}
	return NoChange
}
