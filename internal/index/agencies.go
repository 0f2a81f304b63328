package index

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// agencyRows returns the agency rows of every stratum of the report year's
// domain (METHODS §10–12): the overall index on the unweighted basis with
// its t interval and Welch change, and on the stratified basis over the
// agency's own stratum with the z change from its predecessors' baseline
// (§11). Both changes are Holm- and BH-adjusted over all agencies with a
// p-value, and the stratified estimates get rank ranges (§12). base is nil
// without a raw baseline.
func agencyRows(cur, base *year, shares Shares, overall *indexDef) []AgencyRow {
	strata := cur.full.Strata
	rows := make([]AgencyRow, 0, len(strata))
	for h := range strata {
		if cur.dom != nil && cur.dom[h].Respondents == 0 {
			continue // nobody of the domain answered in this agency
		}
		rows = append(rows, agencyRow(cur, base, shares, overall, h))
	}
	if base != nil {
		var unw, str []*Change
		for i := range rows {
			unw = append(unw, &rows[i].Change.Change)
			if s := rows[i].Stratified; s != nil && s.Change != nil {
				str = append(str, &s.Change.Change)
			}
		}
		adjust(unw)
		adjust(str)
	}
	rankRows(rows)
	return rows
}

// familyOf counts the agency rows of the unfiltered report, those with a
// stratified estimate (ranked) and those whose stratified change has a
// p-value (the Holm family).
func familyOf(rows []AgencyRow) AgencyFamily {
	f := AgencyFamily{Agencies: len(rows)}
	for _, r := range rows {
		s := r.Stratified
		if s == nil || s.Estimate == nil {
			continue
		}
		f.Ranked++
		if s.Change != nil && s.Change.PValue != nil {
			f.Holm++
		}
	}
	return f
}

// agencyRow computes the row of stratum h of the report year.
func agencyRow(cur, base *year, shares Shares, overall *indexDef, h int) AgencyRow {
	code := cur.full.Strata[h].Code
	r1 := unweighted(cur.domain(h), overall)
	row := AgencyRow{Agency: code, N: r1.n, Estimate: num(r1.est), Predecessors: []Predecessor{}}
	if r1.n >= 2 {
		row.CILow, row.CIHigh = clippedCI(r1.est, math.Sqrt(r1.v), tQuantile975(float64(r1.n-1)))
	}
	row.Indicative = indicative(r1, row.CILow, row.CIHigh)

	var preds []member
	if base != nil {
		preds = predecessors(base, shares, code)
		for _, m := range preds {
			row.Predecessors = append(row.Predecessors, Predecessor{Agency: base.full.Strata[m.h].Code, Share: m.mult})
		}
		row.Change = &AgencyChange{Change: Change{Verdict: InsufficientData}}
		if len(preds) == 0 || (len(preds) == 1 && row.Predecessors[0].Agency == code && preds[0].mult == 1) {
			r0 := nullResult(0, nil)
			if len(preds) == 1 {
				r0 = unweighted(base.domain(preds[0].h), overall)
			}
			row.Change.Change = *rawChange(overall, r1, r0, false)
		}
	}

	ss, ok := cur.set([]member{{h, 1}})
	if !ok {
		return row
	}
	s1 := stratified(ss, overall, len(cur.full.Design.Questions))
	st := &AgencyStratified{N: s1.n, Estimate: num(s1.est), SE: num(math.Sqrt(s1.v))}
	if s1.n >= 2 {
		st.CILow, st.CIHigh = clippedCI(s1.est, math.Sqrt(s1.v), z975)
	}
	st.Indicative = indicative(s1, st.CILow, st.CIHigh)
	st.rankVar = s1.v
	if s1.v == 0 && s1.sampled {
		st.rankVar = math.NaN() // five identical answers are not a certain rank (§13)
	}
	row.Indicative = st.Indicative
	if base != nil {
		st.Change = &AgencyChange{Change: Change{Verdict: InsufficientData, BaselineN: num(0)}}
		if ss0, ok := base.set(preds); ok && len(preds) > 0 {
			s0 := stratified(ss0, overall, len(base.full.Design.Questions))
			st.Change.Change = *rawChange(overall, s1, s0, true)
		}
	}
	row.Stratified = st
	return row
}

// predecessors returns the baseline strata of unit T with the composed share
// of their receipts that T took over (METHODS §11): T itself when it
// continued, and every unit u with s(u→T) > 0, among the baseline year's
// strata with answers, in code order.
func predecessors(base *year, shares Shares, T string) []member {
	var ms []member
	for h := range base.full.Strata {
		st := &base.full.Strata[h]
		if st.WithAnswers == 0 {
			continue
		}
		if s := shares.Share(st.Code, T); s > 0 {
			ms = append(ms, member{h, s})
		}
	}
	return ms
}

// rankRows gives every agency row with a stratified estimate its rank range
// (METHODS §12): the joint 95% confidence region for the ranking of Klein,
// Wright & Wieczorek (2020) in its Bonferroni form. For each ordered pair of
// the K agencies with an estimate,
//
//	D_ij = (e_j − e_i) ± z_{1−α/(K(K−1))}·√(V_i + V_j),
//
// rank_low(i) = 1 + #{j: D_ij entirely above 0} and rank_high(i) =
// K − #{j: D_ij entirely below 0}; higher is better. An agency without a
// variance (one answer), or whose variance is 0 from a sample (§13), is never
// told apart from another.
func rankRows(rows []AgencyRow) {
	var idx []int
	for i := range rows {
		if s := rows[i].Stratified; s != nil && s.Estimate != nil {
			idx = append(idx, i)
		}
	}
	est := make([]float64, len(idx))
	vs := make([]float64, len(idx))
	for j, i := range idx {
		s := rows[i].Stratified
		est[j], vs[j] = *s.Estimate, s.rankVar
	}
	lo, hi := RankRanges(est, vs)
	for j, i := range idx {
		rows[i].Stratified.RankLow, rows[i].Stratified.RankHigh = &lo[j], &hi[j]
	}
}

// RankRanges returns the rank range of each of K estimates with variances v
// (NaN: unknown), as rankRows describes; 1 is the highest estimate.
func RankRanges(est, v []float64) (lo, hi []int) {
	k := len(est)
	lo, hi = make([]int, k), make([]int, k)
	if k == 0 {
		return lo, hi
	}
	z := 0.0
	if k > 1 {
		z = distuv.UnitNormal.Quantile(1 - (1-ConfidenceLevel)/float64(k*(k-1)))
	}
	for i := range k {
		above, below := 0, 0
		for j := range k {
			if j == i || math.IsNaN(v[i]) || math.IsNaN(v[j]) {
				continue
			}
			d, half := est[j]-est[i], z*math.Sqrt(v[i]+v[j])
			switch {
			case d-half > 0:
				above++
			case d+half < 0:
				below++
			}
		}
		lo[i], hi[i] = 1+above, k-below
	}
	return lo, hi
}
