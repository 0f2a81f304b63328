package index

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Small-area estimates for the agencies of one level (METHODS §14): the
// Fay–Herriot model borrows strength across communes whose direct
// estimates rest on a handful of answers. ComputeSmallArea turns one year's
// per-area strata into direct estimates on exactly the report's estimator,
// smooths their sampling variances, and fits the model of smallarea_fh.go.

// MinSmallAreas is the number of areas with answers below which the
// variance σ²_u rests on too few areas to be trusted (WarnFewAreas).
const MinSmallAreas = 10

// SmallAreaWarning is a plain code for a condition that weakens or
// prevents the model estimates; the report layer words it for officials.
// The codes, in SmallArea.Warnings in the order they were found:
// "few_areas", "baseline_incomplete", "baseline_singular", "no_model",
// "not_converged", "sigma2_u_zero" (the constants below say what each
// means and what is still computed).
type SmallAreaWarning string

// The warnings of a SmallArea result (METHODS §14 "Guards"). Each reports
// a condition plainly instead of hiding it; estimates are still computed
// where they can be.
const (
	// WarnFewAreas: fewer than MinSmallAreas areas have answers. The model
	// is fitted if it can be, but σ²_u and the MSEs are shaky.
	WarnFewAreas SmallAreaWarning = "few_areas"
	// WarnNotConverged: Fisher scoring did not meet its tolerance within
	// the iteration cap (or stepped out of the parameter space with a
	// census area in the model). sigma2_u, beta and every model field are
	// null; the direct estimates and ψ are given.
	WarnNotConverged SmallAreaWarning = "not_converged"
	// WarnSigma2uZero: the REML σ²_u is 0, so γ = 0 and every model
	// estimate is the regression's x_iᵀβ̂.
	WarnSigma2uZero SmallAreaWarning = "sigma2_u_zero"
	// WarnBaselineIncomplete: some areas have a baseline and some do not,
	// so the model uses the intercept alone (METHODS §14: x_i = (1, b_i)
	// only when every area has one).
	WarnBaselineIncomplete SmallAreaWarning = "baseline_incomplete"
	// WarnBaselineSingular: the baselines cannot be told from the
	// intercept (e.g. all equal), so the model uses the intercept alone.
	WarnBaselineSingular SmallAreaWarning = "baseline_singular"
	// WarnNoModel: no model can be fitted: no area has 2 ≤ n_i < N_i to
	// pool S² from, S² is 0, there are no more areas with answers than
	// covariates, or σ²_u = 0 with a census area (ψ = 0) in the model,
	// which leaves V singular. Only the direct estimates (and ψ when S²
	// exists) are given.
	WarnNoModel SmallAreaWarning = "no_model"
)

// The covariate names of SmallArea.Covariates (CONTRACT small_area).
const (
	// CovariateIntercept names the constant column of x_i.
	CovariateIntercept = "intercept"
	// CovariateBaseline names b_i, the baseline-year index.
	CovariateBaseline = "baseline"
)

// SmallAreaInput is what ComputeSmallArea needs for one level.
type SmallAreaInput struct {
	// Level is the agency level of the areas, e.g. "commune"; echoed.
	Level string
	// Design is the questionnaire of the strata.
	Design Design
	// Areas are the agencies of the level with receipts in the report year,
	// in any order, each code once.
	Areas []SmallAreaUnit
	// Tol and MaxIter tune the Fisher scoring; 0 means FHTolerance and
	// FHMaxIter (METHODS §14). Reports leave them 0.
	Tol     float64
	MaxIter int
}

// SmallAreaUnit is one area of the level.
type SmallAreaUnit struct {
	Code string
	// Receipts is N_i, the receipts the area issued in the report year
	// (positive, at least its respondents).
	Receipts float64
	// Stratum holds the area's counts of the report year; nil when it has
	// no responses (n_i = 0, a synthetic estimate).
	Stratum *Stratum
	// Baseline is b_i, the baseline-year overall index (stratified basis)
	// over the area's predecessors (METHODS §11), computed by the caller;
	// nil when unknown. It is the covariate only when every area has one.
	Baseline *float64
	// BaselineVar is the variance of Baseline, nil when it is unknown or no
	// evidence of precision (PredecessorBaseline.Var); BaselineN its
	// respondents. With a Baseline, the area's model estimate is compared
	// with it (METHODS §14, smallarea_compare.go).
	BaselineVar *float64
	BaselineN   int
}

// SmallArea is the small_area block of the report (CONTRACT.md, METHODS
// §14). Undefined quantities are null.
type SmallArea struct {
	Level string `json:"level"`
	// Covariates name the columns of the design x_i: "intercept", then
	// "baseline" when the baseline is the covariate.
	Covariates []string `json:"covariates"`
	// S2 is the pooled within-area variance of the ψ smoothing; null when
	// no area has 2 ≤ n_i < N_i.
	S2 *float64 `json:"S2"`
	// Sigma2u is the REML σ²_u; null without a converged model.
	Sigma2u *float64 `json:"sigma2_u"`
	// Beta is β̂ aligned with Covariates; null without a converged model.
	Beta []float64 `json:"beta"`
	// AreasInModel counts the areas with answers (n_i ≥ 1).
	AreasInModel int `json:"areas_in_model"`
	// Iterations (extra) is the number of Fisher-scoring steps; 0 when no
	// model was fitted.
	Iterations int `json:"iterations"`
	// Warnings (extra) lists the guards that fired, [] when none.
	Warnings []SmallAreaWarning `json:"warnings"`
	// Rows has one row per area, sorted by code.
	Rows []SmallAreaRow `json:"rows"`
}

// SmallAreaRow is one area's direct and model estimates.
type SmallAreaRow struct {
	Agency string `json:"agency"`
	// N is n_i, the respondents with at least one answer (METHODS §0).
	N int `json:"n"`
	// Direct is y_i, the overall index on the stratified basis over the
	// area's one stratum with fpc (METHODS §3); null when n_i = 0.
	Direct *float64 `json:"direct"`
	// DirectVar is v_i, its linearised variance; null when n_i < 2 (§3).
	DirectVar *float64 `json:"direct_var"`
	// Baseline (extra) is the area's b_i as given, null when unknown.
	Baseline *float64 `json:"baseline"`
	// Psi is the smoothed sampling variance ψ_i; null when n_i = 0 or S²
	// is undefined.
	Psi *float64 `json:"psi"`
	// Gamma is the weight γ_i of the area's own direct estimate: 0 for a
	// synthetic estimate, 1 for a census area.
	Gamma *float64 `json:"gamma"`
	// EBLUP is the model estimate θ̂_i (synthetic x_iᵀβ̂ when n_i = 0).
	EBLUP *float64 `json:"eblup"`
	// MSE is its Prasad–Rao mean squared error.
	MSE *float64 `json:"mse"`
	// CI is θ̂_i ± z·√mse clipped to [0, 1]; null without a model estimate.
	CI *[2]float64 `json:"ci"`
	// Synthetic is true for an area without answers, whose estimate can
	// only be the regression's.
	Synthetic bool `json:"synthetic"`
	// RankLow and RankHigh (extra) are the area's joint 95% rank range
	// among the areas with a model estimate, from the EBLUPs and their MSEs
	// (METHODS §12, §14), 1 = best; nil without a model estimate.
	RankLow  *int `json:"rank_low"`
	RankHigh *int `json:"rank_high"`
	// Change (extra) compares the model estimate with the area's baseline
	// (METHODS §14), Holm-adjusted over the level's areas; nil when the
	// area has no baseline.
	Change *AgencyChange `json:"change"`
}

// saArea is one area during the computation; NaN is undefined.
type saArea struct {
	code      string
	bigN      float64
	n         int
	direct, v float64
	baseline  *float64
	baseVar   float64 // NaN: unknown
	baseN     int
	psi       float64
}

// ComputeSmallArea returns the Fay–Herriot estimates of METHODS §14 for
// the areas of in. It fails on malformed input (design, duplicate codes,
// receipts not positive or fewer than respondents, a stratum that does not
// fit the design); every statistical limitation is a warning instead.
func ComputeSmallArea(in SmallAreaInput) (*SmallArea, error) {
	areas, err := directEstimates(in)
	if err != nil {
		return nil, err
	}
	sa := &SmallArea{Level: in.Level, Covariates: []string{CovariateIntercept}, Warnings: []SmallAreaWarning{}}
	s2 := smoothPsi(areas)
	sa.S2 = num(s2)
	var inModel []int
	for i := range areas {
		if areas[i].n >= 1 {
			inModel = append(inModel, i)
		}
	}
	sa.AreasInModel = len(inModel)
	if len(inModel) < MinSmallAreas {
		sa.warn(WarnFewAreas)
	}
	var fit *FayHerriotFit
	if s2 > 0 {
		fit = sa.fit(areas, inModel, in.Tol, in.MaxIter)
	} else {
		sa.warn(WarnNoModel)
	}
	sa.Rows = make([]SmallAreaRow, len(areas))
	for i := range areas {
		sa.Rows[i] = areaRow(&areas[i])
	}
	switch {
	case fit == nil:
	case fit.Converged:
		sa.fill(fit, areas, inModel)
	default:
		sa.warn(WarnNotConverged)
	}
	sa.compare(areas)
	return sa, nil
}

func (sa *SmallArea) warn(w SmallAreaWarning) { sa.Warnings = append(sa.Warnings, w) }

// directEstimates checks in and computes every area's direct estimate and
// variance with the report's stratified estimator on a one-stratum slice
// (METHODS §3 with fpc), so that y_i is exactly what the report would give
// for that agency alone. The areas come back sorted by code.
func directEstimates(in SmallAreaInput) ([]saArea, error) {
	if err := in.Design.Validate(); err != nil {
		return nil, err
	}
	defs := definitions(in.Design)
	overall := &defs[len(defs)-1]
	k := len(in.Design.Questions)
	units := slices.Clone(in.Areas)
	slices.SortFunc(units, func(a, b SmallAreaUnit) int { return strings.Compare(a.Code, b.Code) })
	areas := make([]saArea, len(units))
	for i, u := range units {
		if i > 0 && units[i-1].Code == u.Code {
			return nil, fmt.Errorf("index: small area %q given twice", u.Code)
		}
		if !(u.Receipts > 0) || math.IsInf(u.Receipts, 0) {
			return nil, fmt.Errorf("index: small area %q: receipts %v", u.Code, u.Receipts)
		}
		if u.Baseline != nil && !finite(*u.Baseline) {
			return nil, fmt.Errorf("index: small area %q: baseline %v", u.Code, *u.Baseline)
		}
		a := saArea{code: u.Code, bigN: u.Receipts, direct: math.NaN(), v: math.NaN(), psi: math.NaN(), baseline: u.Baseline,
			baseVar: math.NaN(), baseN: u.BaselineN}
		if u.BaselineVar != nil && *u.BaselineVar >= 0 && finite(*u.BaselineVar) {
			a.baseVar = *u.BaselineVar
		}
		if st := u.Stratum; st != nil {
			one := Summary{Design: in.Design, Strata: []Stratum{*st}}
			if err := one.check(); err != nil {
				return nil, fmt.Errorf("%w (small area %q)", err, u.Code)
			}
			if u.Receipts < float64(st.Respondents) {
				return nil, fmt.Errorf("index: small area %q: receipts %v fewer than respondents %d", u.Code, u.Receipts, st.Respondents)
			}
			r := stratified(strataSet{full: one.Strata, weight: []float64{u.Receipts}, pop: []float64{u.Receipts}}, overall, k)
			a.n, a.direct, a.v = r.n, r.est, r.v
		}
		areas[i] = a
	}
	return areas, nil
}

// smoothPsi sets ψ_i = (1 − n_i/N_i)·S²/n_i for every area with answers and
// returns S² = Σ(n_i−1)s_i² / Σ(n_i−1), s_i² = v_i·n_i/(1 − n_i/N_i), over
// the areas with 2 ≤ n_i < N_i (METHODS §14): a generalised variance
// function, so that one answer or identical answers (v_i = 0) do not make an
// area look exact. NaN (ψ undefined) when no area qualifies.
func smoothPsi(areas []saArea) float64 {
	sum, den := 0.0, 0.0
	for i := range areas {
		a := &areas[i]
		nf := float64(a.n)
		if a.n >= 2 && nf < a.bigN {
			s2 := a.v * nf / (1 - nf/a.bigN)
			sum += (nf - 1) * s2
			den += nf - 1
		}
	}
	if den == 0 {
		return math.NaN()
	}
	s2 := sum / den
	for i := range areas {
		a := &areas[i]
		if a.n >= 1 {
			nf := float64(a.n)
			a.psi = (1 - nf/a.bigN) * s2 / nf
		}
	}
	return s2
}

// fit chooses the design (METHODS §14: x_i = (1, b_i) when every area has a
// baseline, else (1)) and fits the model on the areas with answers. It
// returns nil, with a warning, when no model can be fitted.
func (sa *SmallArea) fit(areas []saArea, inModel []int, tol float64, maxIter int) *FayHerriotFit {
	withBase := 0
	for i := range areas {
		if areas[i].baseline != nil {
			withBase++
		}
	}
	if withBase > 0 && withBase < len(areas) {
		sa.warn(WarnBaselineIncomplete)
	}
	useBase := withBase == len(areas) && len(areas) > 0
	for {
		in := FayHerriotInput{Tol: tol, MaxIter: maxIter}
		for _, i := range inModel {
			in.Y = append(in.Y, areas[i].direct)
			in.Psi = append(in.Psi, areas[i].psi)
			in.X = append(in.X, designRow(&areas[i], useBase))
		}
		p := 1
		if useBase {
			p = 2
		}
		if len(inModel) <= p {
			sa.warn(WarnNoModel)
			return nil
		}
		fit, err := FitFayHerriot(in)
		switch {
		case errors.Is(err, ErrSingularDesign) && useBase:
			sa.warn(WarnBaselineSingular)
			useBase = false
			continue
		case err != nil:
			sa.warn(WarnNoModel)
			return nil
		}
		if useBase {
			sa.Covariates = append(sa.Covariates, CovariateBaseline)
		}
		sa.Iterations = fit.Iterations
		return fit
	}
}

// designRow returns x_i.
func designRow(a *saArea, useBase bool) []float64 {
	if useBase {
		return []float64{1, *a.baseline}
	}
	return []float64{1}
}

// areaRow returns an area's row with its direct estimates only.
func areaRow(a *saArea) SmallAreaRow {
	return SmallAreaRow{
		Agency:    a.code,
		N:         a.n,
		Direct:    num(a.direct),
		DirectVar: num(a.v),
		Baseline:  cloneNum(a.baseline),
		Psi:       num(a.psi),
		Synthetic: a.n == 0,
	}
}

// fill adds a converged fit's estimates to the rows: EBLUP, γ and MSE for
// the areas in the model, the synthetic estimate x_iᵀβ̂ with MSE
// σ²_u + x_iᵀ(XᵀV⁻¹X)⁻¹x_i and γ = 0 for the others, and every interval
// θ̂_i ± z·√mse clipped to [0, 1].
func (sa *SmallArea) fill(fit *FayHerriotFit, areas []saArea, inModel []int) {
	useBase := len(sa.Covariates) == 2
	sa.Sigma2u, sa.Beta = num(fit.Sigma2u), fit.Beta
	if fit.Sigma2u == 0 {
		sa.warn(WarnSigma2uZero)
	}
	pos := make(map[int]int, len(inModel))
	for j, i := range inModel {
		pos[i] = j
	}
	for i := range areas {
		row := &sa.Rows[i]
		est, mse, gamma := 0.0, 0.0, 0.0
		if j, ok := pos[i]; ok {
			est, mse, gamma = fit.EBLUP[j], fit.MSE[j], fit.Gamma[j]
		} else {
			est, mse = fit.Synthetic(designRow(&areas[i], useBase))
		}
		row.EBLUP, row.MSE, row.Gamma = num(est), num(mse), num(gamma)
		se := math.Sqrt(mse)
		row.CI = &[2]float64{max(0, est-z975*se), min(1, est+z975*se)}
	}
}

func cloneNum(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
