package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Guard and edge-case tests of ComputeSmallArea and FitFayHerriot
// (METHODS §14 "Guards"; the warning codes of SmallAreaWarning).

// saSpec is one hand-made area: its receipts, its respondents' answers
// (aligned with saGuardDesign) and its baseline.
type saSpec struct {
	code     string
	bigN     float64
	rows     [][]uint8
	baseline *float64
}

var saGuardDesign = synthDesign(2, 2)

// saInput turns specs into a SmallAreaInput.
func saInput(specs []saSpec) SmallAreaInput {
	s := NewSample(saGuardDesign)
	for _, sp := range specs {
		for _, r := range sp.rows {
			s.Add(sp.code, r)
		}
	}
	sum := s.Summary()
	in := SmallAreaInput{Level: "commune", Design: saGuardDesign}
	for _, sp := range specs {
		in.Areas = append(in.Areas, SmallAreaUnit{Code: sp.code, Receipts: sp.bigN, Stratum: sum.stratum(sp.code), Baseline: sp.baseline})
	}
	return in
}

// saRandomRows returns n respondents satisfied with each question with
// probability p.
func saRandomRows(rng *rand.Rand, n int, p float64) [][]uint8 {
	rows := make([][]uint8, n)
	for i := range rows {
		rows[i] = make([]uint8, len(saGuardDesign.Questions))
		for j := range rows[i] {
			rows[i][j] = 2
			if rng.Float64() < p {
				rows[i][j] = 4
			}
		}
	}
	return rows
}

// saRandomSpecs returns m areas with 3–30 answers, means spread around
// 0.75, and baselines near them.
func saRandomSpecs(rng *rand.Rand, m int) []saSpec {
	specs := make([]saSpec, m)
	for i := range specs {
		mu := 0.75 + 0.1*rng.NormFloat64()
		b := mu + 0.03*rng.NormFloat64()
		specs[i] = saSpec{code: fmt.Sprintf("X%02d", i), bigN: 500, rows: saRandomRows(rng, 3+rng.IntN(28), mu), baseline: &b}
	}
	return specs
}

func mustSmallArea(t *testing.T, in SmallAreaInput) *SmallArea {
	t.Helper()
	sa, err := ComputeSmallArea(in)
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

func TestSmallAreaFewAreas(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 19))
	sa := mustSmallArea(t, saInput(saRandomSpecs(rng, 6)))
	if !slices.Contains(sa.Warnings, WarnFewAreas) || sa.AreasInModel != 6 {
		t.Fatalf("warnings %v, %d areas in model; want few_areas with 6", sa.Warnings, sa.AreasInModel)
	}
	// The model is still fitted: the guard informs, it does not hide.
	if sa.Sigma2u == nil || len(sa.Beta) != 2 || sa.Rows[0].EBLUP == nil || sa.Rows[0].CI == nil {
		t.Fatalf("few areas: model not computed: %+v", sa)
	}
	if sa := mustSmallArea(t, saInput(saRandomSpecs(rng, MinSmallAreas))); slices.Contains(sa.Warnings, WarnFewAreas) {
		t.Errorf("%d areas: warnings %v", MinSmallAreas, sa.Warnings)
	}
}

// Every commune gives exactly the same answers, so the direct estimates are
// identical, the restricted likelihood is highest at σ²_u ≤ 0 and every
// model estimate is the regression's (here the common mean).
func TestSmallAreaSigma2uZero(t *testing.T) {
	rows := [][]uint8{{4, 4, 2, 4}, {2, 4, 4, 5}, {5, 5, 5, 5}, {1, 2, 4, 2}, {4, 4, 4, 3}}
	var specs []saSpec
	for i := range 12 {
		specs = append(specs, saSpec{code: fmt.Sprintf("X%02d", i), bigN: float64(50 + 10*i), rows: rows})
	}
	specs = append(specs, saSpec{code: "X99", bigN: 80}) // no answers: synthetic
	sa := mustSmallArea(t, saInput(specs))
	if sa.Sigma2u == nil || *sa.Sigma2u != 0 || !slices.Contains(sa.Warnings, WarnSigma2uZero) {
		t.Fatalf("sigma2_u %v, warnings %v; want 0 and sigma2_u_zero", sa.Sigma2u, sa.Warnings)
	}
	want := *sa.Rows[0].Direct
	if math.Abs(sa.Beta[0]-want) > 1e-12 {
		t.Errorf("beta %v, want the common direct estimate %v", sa.Beta, want)
	}
	for _, r := range sa.Rows {
		if *r.Gamma != 0 || math.Abs(*r.EBLUP-want) > 1e-12 || !(*r.MSE > 0) {
			t.Errorf("%s: gamma %v eblup %v mse %v; want 0, %v, > 0", r.Agency, *r.Gamma, *r.EBLUP, *r.MSE, want)
		}
	}
}

// Direct estimates less spread than their sampling variances imply. With
// equal ψ and an intercept the REML estimate is known in closed form,
// A = s²_y − ψ (s²_y the sample variance of y); here it is negative but
// inside the parameter space, so Fisher scoring converges to it and
// σ²_u = 0.
func TestFayHerriotNegativeA(t *testing.T) {
	var in FayHerriotInput
	for i := range 20 {
		in.Y = append(in.Y, 0.5+0.08*float64(1-2*(i%2)))
		in.Psi = append(in.Psi, 0.01)
		in.X = append(in.X, []float64{1})
	}
	// y alternates 0.58, 0.42: mean 0.5, s²_y = 20·0.08²/19.
	sy2 := 20 * 0.08 * 0.08 / 19
	fit, err := FitFayHerriot(in)
	if err != nil {
		t.Fatal(err)
	}
	if !fit.Converged || fit.Boundary || math.Abs(fit.A-(sy2-0.01)) > 1e-14 || fit.Sigma2u != 0 {
		t.Fatalf("converged %v boundary %v A %v (want %v) sigma2_u %v", fit.Converged, fit.Boundary, fit.A, sy2-0.01, fit.Sigma2u)
	}
	for i, g := range fit.Gamma {
		if g != 0 || math.Abs(fit.EBLUP[i]-fit.Beta[0]) > 1e-15 || math.Abs(fit.Beta[0]-0.5) > 1e-15 {
			t.Errorf("area %d: gamma %v eblup %v, want 0 and β = 0.5", i, g, fit.EBLUP[i])
		}
	}
	// Identical estimates: the score is negative everywhere, Fisher scoring
	// steps out of A > −min ψ, and the boundary rule gives σ²_u = 0.
	in.Y = slices.Repeat([]float64{0.5}, 20)
	if fit, err := FitFayHerriot(in); err != nil || !fit.Converged || !fit.Boundary || fit.Sigma2u != 0 {
		t.Errorf("identical estimates: err %v, %+v", err, fit)
	}
}

// One area without a baseline: the model falls back to the intercept and
// says so; the baselines given are still echoed.
func TestSmallAreaBaselineIncomplete(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 19))
	specs := saRandomSpecs(rng, 14)
	specs[3].baseline = nil
	sa := mustSmallArea(t, saInput(specs))
	if !slices.Equal(sa.Covariates, []string{CovariateIntercept}) || len(sa.Beta) != 1 ||
		!slices.Contains(sa.Warnings, WarnBaselineIncomplete) {
		t.Fatalf("covariates %v beta %v warnings %v", sa.Covariates, sa.Beta, sa.Warnings)
	}
	if sa.Rows[3].Baseline != nil || sa.Rows[4].Baseline == nil || *sa.Rows[4].Baseline != *specs[4].baseline {
		t.Errorf("baselines not echoed: %v %v", sa.Rows[3].Baseline, sa.Rows[4].Baseline)
	}
	// With every baseline the design is (1, b_i).
	specs[3].baseline = specs[2].baseline
	if sa := mustSmallArea(t, saInput(specs)); len(sa.Covariates) != 2 || len(sa.Warnings) != 0 {
		t.Errorf("all baselines: covariates %v warnings %v", sa.Covariates, sa.Warnings)
	}
}

// Equal baselines cannot be told from the intercept.
func TestSmallAreaBaselineSingular(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 19))
	specs := saRandomSpecs(rng, 14)
	for i := range specs {
		specs[i].baseline = specs[0].baseline
	}
	sa := mustSmallArea(t, saInput(specs))
	if !slices.Equal(sa.Covariates, []string{CovariateIntercept}) || !slices.Contains(sa.Warnings, WarnBaselineSingular) || sa.Sigma2u == nil {
		t.Fatalf("covariates %v warnings %v sigma2_u %v", sa.Covariates, sa.Warnings, sa.Sigma2u)
	}
}

// ψ smoothing (METHODS §14): one answer, or identical answers (v_i = 0),
// still get a sampling variance from the pooled S²; a census area is left
// out of S²; an area without answers gets a synthetic estimate.
func TestSmallAreaPsiSmoothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 19))
	specs := saRandomSpecs(rng, 12)
	same := [][]uint8{{4, 2, 4, 4}, {4, 2, 4, 4}, {4, 2, 4, 4}, {4, 2, 4, 4}, {4, 2, 4, 4}}
	b := 0.7
	specs = append(specs,
		saSpec{code: "Y1", bigN: 40, rows: same[:1], baseline: &b},
		saSpec{code: "Y2", bigN: 40, rows: same, baseline: &b},
		saSpec{code: "Y4", bigN: 40, baseline: &b})
	in := saInput(specs)
	sa := mustSmallArea(t, in)
	// S² by hand over the areas with 2 ≤ n_i < N_i (the one-answer Y1 is
	// left out; Y2 adds (5−1)·0).
	num, den := 0.0, 0.0
	for _, r := range sa.Rows {
		N := in.Areas[slices.IndexFunc(in.Areas, func(u SmallAreaUnit) bool { return u.Code == r.Agency })].Receipts
		if n := float64(r.N); r.N >= 2 && n < N {
			num += (n - 1) * *r.DirectVar * n / (1 - n/N)
			den += n - 1
		}
	}
	s2 := num / den
	if math.Abs(*sa.S2-s2) > 1e-15 {
		t.Fatalf("S2 %v, want %v", *sa.S2, s2)
	}
	if sa.Sigma2u == nil {
		t.Fatalf("no model: warnings %v after %d iterations", sa.Warnings, sa.Iterations)
	}
	row := func(code string) SmallAreaRow {
		return sa.Rows[slices.IndexFunc(sa.Rows, func(r SmallAreaRow) bool { return r.Agency == code })]
	}
	y1, y2, y4 := row("Y1"), row("Y2"), row("Y4")
	if y1.N != 1 || y1.Direct == nil || y1.DirectVar != nil || math.Abs(*y1.Psi-(1-1.0/40)*s2) > 1e-15 || !(*y1.Gamma < 1) {
		t.Errorf("one answer: %+v", y1)
	}
	if *y2.DirectVar != 0 || math.Abs(*y2.Psi-(1-5.0/40)*s2/5) > 1e-15 || !(*y2.Gamma < 1) {
		t.Errorf("identical answers: direct_var %v psi %v gamma %v", *y2.DirectVar, *y2.Psi, *y2.Gamma)
	}
	syn, mse := sa.Beta[0]+sa.Beta[1]*b, *sa.Sigma2u
	if !y4.Synthetic || y4.Direct != nil || y4.Psi != nil || *y4.Gamma != 0 || math.Abs(*y4.EBLUP-syn) > 1e-15 || !(*y4.MSE > mse) {
		t.Errorf("no answers: %+v (synthetic %v, mse > %v)", y4, syn, mse)
	}
	if !slices.IsSortedFunc(sa.Rows, func(a, b SmallAreaRow) int { return strings.Compare(a.Agency, b.Agency) }) {
		t.Error("rows not sorted by agency")
	}
}

// A census area (every receipt answered) has ψ = 0, γ = 1, MSE 0 and its
// direct estimate, and is left out of S². (With a census area in the model
// Fisher scoring often oscillates slowly or steps below A = 0 = −min ψ and
// then reports not_converged; seed 5 with 30 areas converges in 9 steps.)
func TestSmallAreaCensus(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 19))
	specs := saRandomSpecs(rng, 30)
	b := 0.7
	specs = append(specs, saSpec{code: "Y3", bigN: 6, rows: saRandomRows(rng, 6, 0.7), baseline: &b})
	in := saInput(specs)
	sa := mustSmallArea(t, in)
	if len(sa.Warnings) != 0 {
		t.Fatalf("warnings %v after %d iterations", sa.Warnings, sa.Iterations)
	}
	y3 := sa.Rows[len(sa.Rows)-1]
	if y3.Agency != "Y3" || *y3.Psi != 0 || *y3.Gamma != 1 || *y3.MSE != 0 || *y3.EBLUP != *y3.Direct || y3.CI[0] != *y3.Direct || y3.CI[1] != *y3.Direct {
		t.Errorf("census: %s psi %v gamma %v mse %v eblup %v direct %v ci %v", y3.Agency, *y3.Psi, *y3.Gamma, *y3.MSE, *y3.EBLUP, *y3.Direct, *y3.CI)
	}
	in.Areas = in.Areas[:len(in.Areas)-1]
	if without := mustSmallArea(t, in); *without.S2 != *sa.S2 {
		t.Errorf("S2 %v with the census area, %v without", *sa.S2, *without.S2)
	}
}

// Nobody has two answers: no S², no ψ, no model; the direct estimates are
// still reported and the JSON has nulls where nothing is defined.
func TestSmallAreaNoModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 19))
	var specs []saSpec
	for i := range 12 {
		specs = append(specs, saSpec{code: fmt.Sprintf("X%02d", i), bigN: 100, rows: saRandomRows(rng, i%2, 0.7)})
	}
	sa := mustSmallArea(t, saInput(specs))
	if !slices.Contains(sa.Warnings, WarnNoModel) || sa.S2 != nil || sa.Sigma2u != nil || sa.Beta != nil {
		t.Fatalf("warnings %v S2 %v sigma2_u %v beta %v", sa.Warnings, sa.S2, sa.Sigma2u, sa.Beta)
	}
	b, err := json.Marshal(sa)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		S2, Sigma2u *float64
		Beta        []float64
		Rows        []map[string]any
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	r := got.Rows[1]
	for _, k := range []string{"direct_var", "psi", "gamma", "eblup", "mse", "ci"} {
		if v, ok := r[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	if r["direct"] == nil || r["n"] != 1.0 {
		t.Errorf("direct %v n %v", r["direct"], r["n"])
	}
}

func TestSmallAreaNotConverged(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 19))
	in := saInput(saRandomSpecs(rng, 15))
	in.MaxIter = 1
	sa := mustSmallArea(t, in)
	if !slices.Equal(sa.Warnings, []SmallAreaWarning{WarnNotConverged}) || sa.Sigma2u != nil || sa.Beta != nil || sa.Iterations != 1 {
		t.Fatalf("warnings %v sigma2_u %v beta %v iterations %d", sa.Warnings, sa.Sigma2u, sa.Beta, sa.Iterations)
	}
	for _, r := range sa.Rows {
		if r.Direct == nil || r.Psi == nil || r.EBLUP != nil || r.CI != nil {
			t.Errorf("%s: direct %v psi %v eblup %v ci %v", r.Agency, r.Direct, r.Psi, r.EBLUP, r.CI)
		}
	}
}

// The JSON keys are CONTRACT's small_area block plus the documented
// extras; warnings is [] (not null) when none fired.
func TestSmallAreaJSONShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 19))
	b, err := json.Marshal(mustSmallArea(t, saInput(saRandomSpecs(rng, 12))))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if diff := slices.Compare(keys(got), sorted("level", "covariates", "S2", "sigma2_u", "beta", "areas_in_model", "rows", "iterations", "warnings")); diff != 0 {
		t.Errorf("keys %v", keys(got))
	}
	if w, ok := got["warnings"].([]any); !ok || len(w) != 0 {
		t.Errorf("warnings = %v, want []", got["warnings"])
	}
	row := got["rows"].([]any)[0].(map[string]any)
	if diff := slices.Compare(keys(row), sorted("agency", "n", "direct", "direct_var", "baseline", "psi", "gamma", "eblup", "mse", "ci", "synthetic",
		"rank_low", "rank_high", "change")); diff != 0 {
		t.Errorf("row keys %v", keys(row))
	}
	if ci, ok := row["ci"].([]any); !ok || len(ci) != 2 {
		t.Errorf("ci = %v", row["ci"])
	}
}

func TestSmallAreaErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 19))
	base := saInput(saRandomSpecs(rng, 12))
	bad := math.NaN()
	cases := map[string]func(in *SmallAreaInput){
		"duplicate code":     func(in *SmallAreaInput) { in.Areas[1].Code = in.Areas[0].Code },
		"no receipts":        func(in *SmallAreaInput) { in.Areas[0].Receipts = 0 },
		"receipts < answers": func(in *SmallAreaInput) { in.Areas[0].Receipts = 2 },
		"baseline NaN":       func(in *SmallAreaInput) { in.Areas[0].Baseline = &bad },
		"stratum shape": func(in *SmallAreaInput) {
			st := *in.Areas[0].Stratum
			st.Answered = st.Answered[:1]
			in.Areas[0].Stratum = &st
		},
		"invalid design":        func(in *SmallAreaInput) { in.Design = Design{} },
		"receipts not a number": func(in *SmallAreaInput) { in.Areas[0].Receipts = math.Inf(1) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			in := base
			in.Areas = slices.Clone(base.Areas)
			mutate(&in)
			if sa, err := ComputeSmallArea(in); err == nil {
				t.Errorf("no error; warnings %v", sa.Warnings)
			}
		})
	}
	if _, err := ComputeSmallArea(base); err != nil {
		t.Errorf("base input: %v", err)
	}
}

func TestFayHerriotErrors(t *testing.T) {
	ok := FayHerriotInput{Y: []float64{0.1, 0.2, 0.4}, Psi: []float64{0.01, 0.02, 0.01}, X: [][]float64{{1}, {1}, {1}}}
	cases := map[string]FayHerriotInput{
		"lengths":        {Y: ok.Y, Psi: ok.Psi[:2], X: ok.X},
		"no areas":       {},
		"m <= p":         {Y: ok.Y, Psi: ok.Psi, X: [][]float64{{1, 0, 0}, {1, 1, 0}, {1, 0, 1}}},
		"ragged X":       {Y: ok.Y, Psi: ok.Psi, X: [][]float64{{1}, {1, 2}, {1}}},
		"negative psi":   {Y: ok.Y, Psi: []float64{0.01, -0.02, 0.01}, X: ok.X},
		"NaN estimate":   {Y: []float64{0.1, math.NaN(), 0.4}, Psi: ok.Psi, X: ok.X},
		"infinite x":     {Y: ok.Y, Psi: ok.Psi, X: [][]float64{{1}, {math.Inf(1)}, {1}}},
		"collinear X":    {Y: []float64{0.1, 0.2, 0.4, 0.3}, Psi: []float64{0.01, 0.02, 0.01, 0.01}, X: [][]float64{{1, 2}, {1, 2}, {1, 2}, {1, 2}}},
		"empty X column": {Y: ok.Y, Psi: ok.Psi, X: [][]float64{{}, {}, {}}},
	}
	for name, in := range cases {
		if _, err := FitFayHerriot(in); err == nil {
			t.Errorf("%s: no error", name)
		} else if name == "collinear X" && !errors.Is(err, ErrSingularDesign) {
			t.Errorf("%s: %v, want ErrSingularDesign", name, err)
		}
	}
	if _, err := FitFayHerriot(ok); err != nil {
		t.Errorf("ok: %v", err)
	}
	fit, err := FitFayHerriot(FayHerriotInput{Y: ok.Y, Psi: ok.Psi, X: ok.X, MaxIter: 1, Tol: 1e-300})
	if err != nil || fit.Converged || fit.Beta != nil || fit.EBLUP != nil {
		t.Errorf("not converged: err %v fit %+v", err, fit)
	}
	if est, mse := fit.Synthetic([]float64{1}); !math.IsNaN(est) || !math.IsNaN(mse) {
		t.Errorf("Synthetic of an unconverged fit = %v, %v", est, mse)
	}
}
