package index

import "math"

// How officials read the small-area estimates (METHODS §14 "Reading it"):
// communes are ranked and compared with the baseline year on the model
// estimates and their MSE, never on the direct estimates, whose precision
// is luck.

// compare gives every row with a model estimate its rank range and every
// area with a baseline its change from it. The ranges are those of
// RankRanges with V_i = mse_i; the changes are one family, adjusted by
// Holm (and BH) as the agency rows are (METHODS §12).
func (sa *SmallArea) compare(areas []saArea) {
	var idx []int
	var est, mse []float64
	for i, r := range sa.Rows {
		if r.EBLUP != nil && r.MSE != nil {
			idx = append(idx, i)
			est, mse = append(est, *r.EBLUP), append(mse, *r.MSE)
		}
	}
	lo, hi := RankRanges(est, mse)
	for j, i := range idx {
		sa.Rows[i].RankLow, sa.Rows[i].RankHigh = &lo[j], &hi[j]
	}
	var family []*Change
	for i := range areas {
		if areas[i].baseline == nil {
			continue
		}
		c := modelChange(&sa.Rows[i], &areas[i])
		sa.Rows[i].Change = c
		family = append(family, &c.Change)
	}
	adjust(family)
}

// modelChange compares an area's model estimate with its predecessors'
// baseline b_i (METHODS §14):
//
//	d_i = θ̂_i − b_i,   V = mse_i + V0_i,   d_i ± z·√V,   p from z = d_i/√V.
//
// The model's MSE treats b_i as known (it is a covariate); the baseline's
// own sampling variance V0_i is added because the question is whether the
// commune changed, not whether it differs from a 2023 estimate. The two
// years' samples are independent, so the variances add. Without a model
// estimate, or with a baseline variance that is no evidence (one answer, 0
// from a sample, §13), the change has insufficient data.
func modelChange(r *SmallAreaRow, a *saArea) *AgencyChange {
	c := &AgencyChange{Change: Change{BaselineEstimate: num(*a.baseline), BaselineN: num(float64(a.baseN))}}
	d, se, lo, hi, p := math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if r.EBLUP != nil && r.MSE != nil {
		d = *r.EBLUP - *a.baseline
		if v := *r.MSE + a.baseVar; !math.IsNaN(v) {
			se = math.Sqrt(v)
			lo, hi, p = ZTest(d, v)
		}
	}
	c.Diff = num(d)
	c.fill(se, lo, hi, p, math.NaN())
	return c
}
