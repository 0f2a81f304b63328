package index

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// This file is the Fay–Herriot area-level model of METHODS §14 on a general
// design matrix: REML by Fisher scoring, GLS, EBLUP and the Prasad–Rao MSE.
// It knows nothing of surveys; smallarea.go turns the report's strata into
// its input. It is kept general (any X, ψ given) so that it can be held to
// published results on data no one here made (the sae package's milk data,
// with MajorArea dummies as covariates).

// Defaults of the Fisher scoring of METHODS §14.
const (
	// FHTolerance is the relative change |ΔA/A| of σ²_u that stops Fisher
	// scoring (METHODS §14; the reference ran sae's eblupFH with
	// PRECISION = 1e-13).
	FHTolerance = 1e-13
	// FHMaxIter caps the Fisher-scoring iterations, as sae's MAXITER
	// default; reaching it without meeting the tolerance is non-convergence.
	FHMaxIter = 100
	// fhNoiseRel is the relative change below which a step that is no
	// smaller than the previous one counts as convergence: Fisher scoring
	// contracts geometrically, so a step that stops shrinking is rounding
	// noise in the score (whose terms cancel at the optimum), not progress.
	// With σ²_u small against ψ that noise alone is above 1e-13 relative
	// (seen in the Monte Carlo test: A = 2.6e-5, ψ ≈ 1e-3, steps jitter at
	// 7e-12 relative for ever), and METHODS' rule would report a fit known
	// to 11 digits as not converged. Above 1e-9 the rule does not apply.
	fhNoiseRel = 1e-9
)

// ErrSingularDesign is returned by FitFayHerriot when XᵀV⁻¹X cannot be
// inverted (collinear covariates, or fewer areas than covariates), so that
// β and the REML criterion do not exist.
var ErrSingularDesign = errors.New("index: Fay–Herriot design matrix is singular")

// ErrCensusAtZero is returned by FitFayHerriot when σ²_u = 0 and an area
// has ψ = 0 (a census): V = diag(σ²_u + ψ_i) is then singular and GLS
// undefined.
var ErrCensusAtZero = errors.New("index: Fay–Herriot: σ²_u = 0 with a census area (ψ = 0) leaves V singular")

// FayHerriotInput is the data of a Fay–Herriot model
//
//	y_i = x_iᵀβ + u_i + e_i,  u_i ~ N(0, σ²_u),  e_i ~ N(0, ψ_i),
//
// over m areas with known sampling variances ψ_i (METHODS §14).
type FayHerriotInput struct {
	// Y are the direct estimates y_i.
	Y []float64
	// Psi are the sampling variances ψ_i ≥ 0; 0 is a census area.
	Psi []float64
	// X are the design rows x_i, all of the same length p ≥ 1 (an
	// intercept column is the caller's to include). m must exceed p.
	X [][]float64
	// Tol is the relative-change stopping rule; 0 means FHTolerance.
	Tol float64
	// MaxIter caps the iterations; 0 means FHMaxIter.
	MaxIter int
}

// FayHerriotFit is a fitted Fay–Herriot model, as sae's eblupFH and mseFH
// (method "REML") compute it. When Converged is false only A and
// Iterations are set: like sae, no estimate is made from an unconverged
// variance.
type FayHerriotFit struct {
	// A is the last Fisher-scoring iterate, which may be negative.
	A float64
	// Sigma2u is σ²_u = max(A, 0).
	Sigma2u float64
	// Iterations is the number of Fisher-scoring steps taken.
	Iterations int
	// RelChange is the last step's |ΔA/A|.
	RelChange float64
	// Converged reports that |ΔA/A| fell below the tolerance within the
	// iteration cap; or that it fell below 1e-9 and the step stopped
	// shrinking (rounding noise, see fhNoiseRel); or that the iteration left
	// the parameter space (A ≤ −min ψ) where the REML score at 0 is ≤ 0, so
	// that σ²_u = 0 is the REML estimate on [0, ∞) (Boundary).
	Converged bool
	// Boundary reports the second case of Converged.
	Boundary bool
	// Beta is the GLS β̂ = (XᵀV⁻¹X)⁻¹XᵀV⁻¹y at σ²_u.
	Beta []float64
	// Gamma, EBLUP and MSE are per area: γ_i = σ²_u/(σ²_u+ψ_i) (1 for a
	// census area), θ̂_i = x_iᵀβ̂ + γ_i(y_i − x_iᵀβ̂), and the Prasad–Rao
	// g1 + g2 + 2·g3.
	Gamma, EBLUP, MSE []float64
	// VarA is the asymptotic variance 2/Σ(σ²_u+ψ_j)⁻² of the REML σ²_u.
	VarA float64

	q *mat.SymDense // (XᵀV⁻¹X)⁻¹ at σ²_u
}

// fhModel is a checked FayHerriotInput.
type fhModel struct {
	y, psi []float64
	x      *mat.Dense // m × p
	m, p   int
}

// FitFayHerriot fits the model of METHODS §14 by REML. Fisher scoring
// starts at median(ψ) and updates A ← A + s/F with the REML score and
// information
//
//	s = −½ tr(P) + ½ yᵀPPy,  F = ½ tr(PP),
//	P = V⁻¹ − V⁻¹X(XᵀV⁻¹X)⁻¹XᵀV⁻¹,  V = diag(A + ψ_i),
//
// until |A_new − A|/|A| < Tol (sae's rule: relative to the previous
// iterate), then σ²_u = max(A, 0). It returns an error for malformed input
// (lengths, non-finite values, ψ < 0, m ≤ p), ErrSingularDesign and
// ErrCensusAtZero; a fit that does not converge is not an error (see
// FayHerriotFit).
func FitFayHerriot(in FayHerriotInput) (*FayHerriotFit, error) {
	fm, err := newFHModel(in)
	if err != nil {
		return nil, err
	}
	tol, maxIter := in.Tol, in.MaxIter
	if tol <= 0 {
		tol = FHTolerance
	}
	if maxIter <= 0 {
		maxIter = FHMaxIter
	}
	fit, err := fm.reml(tol, maxIter)
	if err != nil || !fit.Converged {
		return fit, err
	}
	return fit, fm.predict(fit)
}

// newFHModel checks in and copies X into a matrix.
func newFHModel(in FayHerriotInput) (*fhModel, error) {
	m := len(in.Y)
	if len(in.Psi) != m || len(in.X) != m {
		return nil, fmt.Errorf("index: Fay–Herriot: %d estimates, %d variances, %d design rows", m, len(in.Psi), len(in.X))
	}
	if m == 0 {
		return nil, errors.New("index: Fay–Herriot: no areas")
	}
	p := len(in.X[0])
	if p == 0 || m <= p {
		return nil, fmt.Errorf("index: Fay–Herriot: %d areas for %d covariates (REML needs more areas)", m, p)
	}
	x := mat.NewDense(m, p, nil)
	for i := range m {
		if len(in.X[i]) != p {
			return nil, fmt.Errorf("index: Fay–Herriot: design row %d has %d values, want %d", i, len(in.X[i]), p)
		}
		if !finite(in.Y[i]) || !finite(in.Psi[i]) || in.Psi[i] < 0 {
			return nil, fmt.Errorf("index: Fay–Herriot: area %d: estimate %v, variance %v", i, in.Y[i], in.Psi[i])
		}
		for j, v := range in.X[i] {
			if !finite(v) {
				return nil, fmt.Errorf("index: Fay–Herriot: design row %d column %d is %v", i, j, v)
			}
			x.Set(i, j, v)
		}
	}
	return &fhModel{y: slices.Clone(in.Y), psi: slices.Clone(in.Psi), x: x, m: m, p: p}, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// glsAt holds the generalised least squares fit at one value of A.
type glsAt struct {
	d    []float64     // V⁻¹ diagonal: 1/(A+ψ_i)
	q    *mat.SymDense // (XᵀV⁻¹X)⁻¹
	beta []float64     // (XᵀV⁻¹X)⁻¹XᵀV⁻¹y
}

// gls returns the GLS fit at A, which must exceed −min ψ (V positive
// definite); ErrSingularDesign when XᵀV⁻¹X is not invertible.
func (fm *fhModel) gls(a float64) (*glsAt, error) {
	g := &glsAt{d: make([]float64, fm.m)}
	for i, psi := range fm.psi {
		g.d[i] = 1 / (a + psi)
	}
	var chol mat.Cholesky
	if !chol.Factorize(fm.crossprod(g.d, 1)) {
		return nil, ErrSingularDesign
	}
	g.q = mat.NewSymDense(fm.p, nil)
	if err := chol.InverseTo(g.q); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSingularDesign, err)
	}
	xty := make([]float64, fm.p)
	for i := range fm.m {
		for j := range fm.p {
			xty[j] += fm.x.At(i, j) * g.d[i] * fm.y[i]
		}
	}
	g.beta = make([]float64, fm.p)
	for j := range fm.p {
		for l := range fm.p {
			g.beta[j] += g.q.At(j, l) * xty[l]
		}
	}
	return g, nil
}

// crossprod returns XᵀWX with W = diag(w_i^pow), summing over areas in
// order.
func (fm *fhModel) crossprod(w []float64, pow int) *mat.SymDense {
	s := mat.NewSymDense(fm.p, nil)
	for i := range fm.m {
		wi := w[i]
		for range pow - 1 {
			wi *= w[i]
		}
		for j := range fm.p {
			xij := fm.x.At(i, j)
			for l := j; l < fm.p; l++ {
				s.SetSym(j, l, s.At(j, l)+wi*xij*fm.x.At(i, l))
			}
		}
	}
	return s
}

// scoring returns the REML score s and Fisher information F at A. With V
// diagonal, P = D − DXQXᵀD (D = V⁻¹, Q = (XᵀDX)⁻¹), so
//
//	tr(P)  = Σ d_i − tr(Q·XᵀD²X)
//	tr(PP) = Σ d_i² − 2 tr(Q·XᵀD³X) + tr(Q·XᵀD²X·Q·XᵀD²X)
//	Py     = D(y − Xβ̃)
//
// which costs O(m p²) instead of the m × m matrix P.
func (fm *fhModel) scoring(a float64) (s, f float64, err error) {
	g, err := fm.gls(a)
	if err != nil {
		return 0, 0, err
	}
	var sumD, sumD2, pyPy float64
	for i, di := range g.d {
		sumD += di
		sumD2 += di * di
		r := fm.y[i]
		for j, b := range g.beta {
			r -= fm.x.At(i, j) * b
		}
		pyPy += di * di * r * r
	}
	var qm2, qm3 mat.Dense
	qm2.Mul(g.q, fm.crossprod(g.d, 2))
	qm3.Mul(g.q, fm.crossprod(g.d, 3))
	trP := sumD - mat.Trace(&qm2)
	var qm2sq mat.Dense
	qm2sq.Mul(&qm2, &qm2)
	trPP := sumD2 - 2*mat.Trace(&qm3) + mat.Trace(&qm2sq)
	return -0.5*trP + 0.5*pyPy, 0.5 * trPP, nil
}

// reml runs the Fisher scoring of FitFayHerriot.
func (fm *fhModel) reml(tol float64, maxIter int) (*FayHerriotFit, error) {
	minPsi := slices.Min(fm.psi)
	a := median(fm.psi)
	fit := &FayHerriotFit{A: a, Sigma2u: math.NaN(), VarA: math.NaN(), RelChange: math.NaN()}
	prevStep := math.Inf(1)
	for k := 1; k <= maxIter; k++ {
		if !(a > -minPsi) {
			// V is no longer a covariance matrix (or A is NaN).
			return fm.boundary(fit, minPsi)
		}
		s, f, err := fm.scoring(a)
		if err != nil {
			return nil, err
		}
		next := a + s/f
		step := math.Abs(next - a)
		fit.Iterations, fit.A, fit.RelChange = k, next, step/math.Abs(a)
		if step == 0 || fit.RelChange < tol || (fit.RelChange < fhNoiseRel && step >= prevStep) {
			fit.Converged = true
			break
		}
		a, prevStep = next, step
	}
	return fit, nil
}

// boundary decides a Fisher scoring that stepped out of the parameter
// space A > −min ψ, which happens when the restricted likelihood peaks far
// below 0. If the REML score at A = 0 is ≤ 0 the likelihood falls from 0
// on, so σ²_u = 0 is the estimate on [0, ∞); otherwise (or with a census
// area, where A = 0 is itself outside the space) the fit has not converged.
func (fm *fhModel) boundary(fit *FayHerriotFit, minPsi float64) (*FayHerriotFit, error) {
	if !(minPsi > 0) {
		return fit, nil
	}
	s, _, err := fm.scoring(0)
	if err != nil {
		return nil, err
	}
	fit.Converged, fit.Boundary = s <= 0, s <= 0
	return fit, nil
}

// median returns the median of v as R's median does (mean of the two
// middle values when len(v) is even).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// predict sets σ²_u, β̂, γ, the EBLUPs and their Prasad–Rao MSE (sae's
// mseFH, REML):
//
//	g1 = γ_iψ_i,  g2 = (1−γ_i)² x_iᵀ(XᵀV⁻¹X)⁻¹x_i,
//	g3 = (1−γ_i)² Var(Â)/(σ²_u+ψ_i),  Var(Â) = 2/Σ_j(σ²_u+ψ_j)⁻²,
//	mse = g1 + g2 + 2·g3.
//
// A census area (ψ = 0) has γ = 1 and mse = 0: its direct estimate is exact.
func (fm *fhModel) predict(fit *FayHerriotFit) error {
	s2 := max(fit.A, 0)
	if s2+slices.Min(fm.psi) <= 0 {
		return ErrCensusAtZero
	}
	g, err := fm.gls(s2)
	if err != nil {
		return err
	}
	fit.Sigma2u, fit.Beta, fit.q = s2, g.beta, g.q
	sumD2 := 0.0
	for _, di := range g.d {
		sumD2 += di * di
	}
	fit.VarA = 2 / sumD2
	fit.Gamma = make([]float64, fm.m)
	fit.EBLUP = make([]float64, fm.m)
	fit.MSE = make([]float64, fm.m)
	for i, psi := range fm.psi {
		xi := fm.x.RawRowView(i)
		xb, xqx := fit.fitted(xi), fit.quad(xi)
		gamma := 1.0
		if psi > 0 {
			gamma = s2 / (s2 + psi)
		}
		shrink := (1 - gamma) * (1 - gamma)
		fit.Gamma[i] = gamma
		fit.EBLUP[i] = xb + gamma*(fm.y[i]-xb)
		fit.MSE[i] = gamma*psi + shrink*xqx + 2*shrink*fit.VarA/(s2+psi)
	}
	return nil
}

// Synthetic returns the regression estimate x_iᵀβ̂ of an area outside the
// model (no direct estimate) and its MSE σ²_u + x_iᵀ(XᵀV⁻¹X)⁻¹x_i
// (METHODS §14). x has the model's p covariates. Both are NaN when the fit
// did not converge or x has the wrong length.
func (f *FayHerriotFit) Synthetic(x []float64) (est, mse float64) {
	if f.q == nil || len(x) != len(f.Beta) {
		return math.NaN(), math.NaN()
	}
	return f.fitted(x), f.Sigma2u + f.quad(x)
}

// fitted returns xᵀβ̂.
func (f *FayHerriotFit) fitted(x []float64) float64 {
	s := 0.0
	for j, b := range f.Beta {
		s += x[j] * b
	}
	return s
}

// quad returns xᵀ(XᵀV⁻¹X)⁻¹x.
func (f *FayHerriotFit) quad(x []float64) float64 {
	xv := mat.NewVecDense(len(x), slices.Clone(x))
	return mat.Inner(xv, f.q, xv)
}
