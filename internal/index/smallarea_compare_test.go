package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// Tests of the rank ranges and baseline verdicts of the small-area
// estimates (METHODS §14 "Reading it", smallarea_compare.go).

// TestSmallAreaCompareByHand recomputes every rank range and change from
// the rows' own EBLUPs and MSEs: ranks are RankRanges on them, the change is
// θ̂ − b with variance mse + V0, and Holm runs over the areas with a
// baseline.
func TestSmallAreaCompareByHand(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 19))
	in := saInput(saRandomSpecs(rng, 14))
	v0 := make([]float64, len(in.Areas))
	for i := range in.Areas {
		v0[i] = 0.0004 * float64(1+i%4)
		in.Areas[i].BaselineVar, in.Areas[i].BaselineN = &v0[i], 20+i
	}
	in.Areas[13].Stratum = nil // a synthetic area is ranked and compared too
	sa := mustSmallArea(t, in)
	var est, mse, ps []float64
	for _, r := range sa.Rows {
		est, mse = append(est, *r.EBLUP), append(mse, *r.MSE)
	}
	lo, hi := RankRanges(est, mse)
	for i, r := range sa.Rows {
		if r.RankLow == nil || *r.RankLow != lo[i] || *r.RankHigh != hi[i] {
			t.Errorf("%s: rank %v–%v, want %d–%d", r.Agency, r.RankLow, r.RankHigh, lo[i], hi[i])
		}
		c := r.Change
		if c == nil || c.Diff == nil || c.SE == nil || c.PValue == nil || c.Adjustment == nil {
			t.Fatalf("%s: change %+v", r.Agency, c)
		}
		d := est[i] - *r.Baseline
		se := math.Sqrt(mse[i] + v0[i])
		p := 2 * distuv.UnitNormal.CDF(-math.Abs(d)/se)
		ps = append(ps, p)
		for name, got := range map[string][2]float64{
			"diff": {*c.Diff, d}, "se": {*c.SE, se}, "p": {*c.PValue, p},
			"ci_low": {*c.CILow, d - z975*se}, "ci_high": {*c.CIHigh, d + z975*se},
			"baseline": {*c.BaselineEstimate, *r.Baseline}, "baseline_n": {*c.BaselineN, float64(20 + i)},
		} {
			if math.Abs(got[0]-got[1]) > 1e-12 {
				t.Errorf("%s %s = %.15g, want %.15g", r.Agency, name, got[0], got[1])
			}
		}
		if c.Verdict != VerdictCI(d-z975*se, d+z975*se) {
			t.Errorf("%s verdict %s for interval [%g, %g]", r.Agency, c.Verdict, d-z975*se, d+z975*se)
		}
	}
	for i, h := range Holm(ps) {
		c := sa.Rows[i].Change
		if math.Abs(*c.PHolm-h) > 1e-12 || c.VerdictHolm != VerdictAdjusted(h, *c.Diff) {
			t.Errorf("%s: Holm p %g %s, want %g", sa.Rows[i].Agency, *c.PHolm, c.VerdictHolm, h)
		}
	}
}

// A baseline without a variance that is evidence (one answer, or 0 from a
// sample) gives the difference but insufficient data; without a model
// estimate there is no difference and no rank; without a baseline no
// change at all.
func TestSmallAreaCompareGuards(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 19))
	specs := saRandomSpecs(rng, 12)
	specs[2].baseline = nil
	in := saInput(specs)
	sa := mustSmallArea(t, in) // BaselineVar nil everywhere
	if len(sa.Warnings) != 1 || sa.Warnings[0] != WarnBaselineIncomplete {
		t.Fatalf("warnings %v", sa.Warnings)
	}
	for i, r := range sa.Rows {
		switch {
		case i == 2 && r.Change != nil:
			t.Errorf("%s has no baseline but a change %+v", r.Agency, r.Change)
		case i == 2:
		case r.Change == nil || r.Change.Diff == nil || r.Change.SE != nil || r.Change.Verdict != InsufficientData ||
			r.Change.VerdictHolm != InsufficientData:
			t.Errorf("%s: change %+v, want a difference with insufficient data", r.Agency, r.Change)
		}
		if r.RankLow == nil {
			t.Errorf("%s: no rank range", r.Agency)
		}
	}

	in = saInput(saRandomSpecs(rng, 12))
	in.MaxIter = 1 // no model estimate
	for _, r := range mustSmallArea(t, in).Rows {
		if r.RankLow != nil || r.Change == nil || r.Change.Diff != nil || r.Change.Verdict != InsufficientData {
			t.Errorf("%s without a model: rank %v change %+v", r.Agency, r.RankLow, r.Change)
		}
	}
}

// A census commune compared with a census baseline knows its change
// exactly: the interval is the difference itself (METHODS §13).
func TestSmallAreaCompareCensus(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 19))
	specs := saRandomSpecs(rng, 30)
	b := 0.7
	specs = append(specs, saSpec{code: "Y3", bigN: 6, rows: saRandomRows(rng, 6, 0.7), baseline: &b})
	in := saInput(specs)
	zero := 0.0
	in.Areas[len(in.Areas)-1].BaselineVar = &zero
	sa := mustSmallArea(t, in)
	r := sa.Rows[len(sa.Rows)-1]
	if r.Agency != "Y3" || r.Gamma == nil || *r.Gamma != 1 || *r.MSE != 0 {
		t.Fatalf("census area %s: gamma %v mse %v, warnings %v", r.Agency, r.Gamma, r.MSE, sa.Warnings)
	}
	c := r.Change
	if c.CILow == nil || *c.CILow != *c.Diff || *c.CIHigh != *c.Diff || *c.SE != 0 {
		t.Errorf("census change %+v, want the exact difference", c)
	}
}

// TestSmallAreaVerdictMonteCarlo simulates provinces whose communes did not
// change since the baseline year and provinces where every commune improved
// by 10 points. With no change, the change intervals cover 0 at least 95 %
// of the time on average (V = mse + V0 ignores a positive covariance between
// the model's error and the baseline's, so it errs wide) and Holm's verdicts
// wrongly say "changed" in at most 5 % of provinces; with the improvement,
// the communes with many answers are found higher.
func TestSmallAreaVerdictMonteCarlo(t *testing.T) {
	reps := 300
	if testing.Short() {
		reps = 80
	}
	src := rand.NewPCG(19, 10)
	rng := rand.New(src)
	prov := newSAProvince(rng)
	theta0 := make([]float64, len(prov.n))
	for i := range theta0 {
		theta0[i] = 0.62 + 0.23*rng.Float64()
	}
	for _, shift := range []float64{0, 0.10} {
		covered, total, wrongProvinces, found, big, noModel := 0, 0, 0, 0, 0, 0
		for range reps {
			in := prov.drawChange(rng, src, theta0, shift)
			sa := mustSmallArea(t, in)
			if sa.Sigma2u == nil { // not converged: the guard says so, no verdicts
				noModel++
				continue
			}
			wrong := false
			for i, r := range sa.Rows {
				c := r.Change
				if c == nil || c.CILow == nil {
					t.Fatalf("%s: change %+v (warnings %v)", r.Agency, c, sa.Warnings)
				}
				total++
				if *c.CILow <= shift && shift <= *c.CIHigh {
					covered++
				}
				wrong = wrong || (shift == 0 && c.VerdictHolm != NoChange)
				if prov.n[i] >= 40 {
					big++
					if c.VerdictHolm == Higher {
						found++
					}
				}
			}
			if wrong {
				wrongProvinces++
			}
		}
		cover := float64(covered) / float64(total)
		t.Logf("shift %+.2f: %d provinces without a model; change intervals cover %.2f %% of %d; provinces with a wrong Holm verdict %d/%d; communes with ≥ 40 answers found higher %d/%d",
			shift, noModel, 100*cover, total, wrongProvinces, reps-noModel, found, big)
		if noModel > reps/20 {
			t.Errorf("shift %+.2f: %d of %d provinces without a model", shift, noModel, reps)
		}
		if cover < 0.95 {
			t.Errorf("shift %+.2f: coverage %.4f, want ≥ 0.95", shift, cover)
		}
		if shift == 0 && float64(wrongProvinces) > 0.05*float64(reps) {
			t.Errorf("no change: %d of %d provinces with a wrong verdict, want ≤ 5 %%", wrongProvinces, reps)
		}
		if shift > 0 && float64(found) < 0.5*float64(big) {
			t.Errorf("+%.2f everywhere: %d of %d large communes found higher, want most", shift, found, big)
		}
	}
}

// drawChange draws one report year of the province whose true means are
// θ0_i + shift, and gives each area the baseline a survey of the baseline
// year would: b_i ~ N(θ0_i, V0_i) with V0_i = θ0_i(1−θ0_i)/(4 n0_i), n0_i
// 30–150 answers (the overall index averages correlated questions, so its
// variance is well below a single question's).
func (p *saProvince) drawChange(rng *rand.Rand, src rand.Source, theta0 []float64, shift float64) SmallAreaInput {
	k := len(p.design.Questions)
	s := NewSample(p.design)
	answers := make([]uint8, k)
	in := SmallAreaInput{Level: "commune", Design: p.design}
	for i, n := range p.n {
		code := fmt.Sprintf("C%02d", i)
		theta := theta0[i] + shift
		mood := distuv.Beta{Alpha: 10 * theta, Beta: 10 * (1 - theta), Src: src}
		for range n {
			q := mood.Rand()
			for j := range answers {
				answers[j] = 2
				if rng.Float64() < q {
					answers[j] = 5
				}
			}
			s.Add(code, answers)
		}
		n0 := 30 + 3*(i%41)
		v0 := theta0[i] * (1 - theta0[i]) / (4 * float64(n0))
		b := theta0[i] + math.Sqrt(v0)*rng.NormFloat64()
		in.Areas = append(in.Areas, SmallAreaUnit{Code: code, Receipts: p.bigN[i], Baseline: &b, BaselineVar: &v0, BaselineN: n0})
	}
	sum := s.Summary()
	for i := range in.Areas {
		in.Areas[i].Stratum = sum.stratum(in.Areas[i].Code)
	}
	return in
}
