package index

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"sipas/internal/survey"
	"sipas/surveys"
)

// The tests of smallarea*.go (METHODS §14). Helpers are prefixed "sa" so
// that they cannot collide with the other test files of the package.

// saReference builds the input of refdata/README.md's small-area case:
// the commune-level agencies of sae_agencies.csv with receipts in 2025,
// their 2025 strata, and as covariate each commune's own 2023 overall index
// on the stratified basis (one stratum, 2023 receipts: the set has no
// crosswalk, so each commune is its own predecessor).
func saReference(t *testing.T) SmallAreaInput {
	t.Helper()
	d, cur := fixtureResponses(t, "sae_responses_2025.csv", 2025)
	d0, base := fixtureResponses(t, "sae_responses_2023.csv", 2023)
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	if q := cat["sipas"]; q == nil || !DesignOf(q).equal(d) || !d0.equal(d) {
		t.Fatal("the sae_* responses do not have the design of the sipas questionnaire")
	}
	pops, pops0 := fixturePopulations(t, "sae_populations.csv", 2025), fixturePopulations(t, "sae_populations.csv", 2023)
	_, agencies := mustReadCSV(t, "sae_agencies.csv")
	in := SmallAreaInput{Level: "commune", Design: d}
	for _, rec := range agencies {
		code, level := rec[0], rec[2]
		N, ok := pops[code]
		if level != "commune" || !ok {
			continue
		}
		u := SmallAreaUnit{Code: code, Receipts: N, Stratum: cur.stratum(code)}
		if st0 := base.stratum(code); st0 != nil {
			rep, err := Compute(Input{Design: d, Current: &Summary{Design: d, Strata: []Stratum{*st0}}, Populations: Populations{code: pops0[code]}})
			if err != nil {
				t.Fatal(err)
			}
			u.Baseline = rep.Indices[len(rep.Indices)-1].Stratified.Value
		}
		in.Areas = append(in.Areas, u)
	}
	return in
}

// TestSmallAreaReference holds ComputeSmallArea to every number of
// expected/sae_2025_small_area.json (sae's eblupFH/mseFH) at 1e-9, nulls as
// nulls, through encoding/json as the report writes it.
func TestSmallAreaReference(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(refdata, "expected", "sae_2025_small_area.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	sa, err := ComputeSmallArea(saReference(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(sa)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	c := saComparer{t: t}
	for key, w := range want {
		switch key {
		case "generated_by", "R", "sae", "note":
			continue
		}
		g, ok := got[key]
		if !ok {
			t.Errorf("%s missing", key)
			continue
		}
		c.compare(key, g, w)
	}
	t.Logf("%d values compared (%d null), max abs error %.3g at %s; %d REML iterations, warnings %v",
		c.n, c.nulls, c.worst, c.where, sa.Iterations, sa.Warnings)
	if c.n < 400 {
		t.Errorf("only %d values compared", c.n)
	}
	if len(sa.Warnings) != 0 {
		t.Errorf("warnings %v, want none", sa.Warnings)
	}
}

// saComparer compares decoded JSON values: numbers to 1e-9 absolute, the
// rest exactly; arrays must have the expected length and objects every
// expected key.
type saComparer struct {
	t        *testing.T
	n, nulls int
	worst    float64
	where    string
}

func (c *saComparer) compare(path string, got, want any) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			c.t.Errorf("%s: got %v, want an object", path, got)
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				c.t.Errorf("%s.%s missing", path, k)
				continue
			}
			c.compare(path+"."+k, gv, wv)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			c.t.Errorf("%s: got %v, want %d values", path, got, len(w))
			return
		}
		for i := range w {
			c.compare(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])
		}
	case float64:
		g, ok := got.(float64)
		if !ok {
			c.t.Errorf("%s: got %v, want %v", path, got, w)
			return
		}
		c.n++
		if d := math.Abs(g - w); d > c.worst || c.where == "" {
			c.worst, c.where = d, path
		}
		if math.Abs(g-w) > tolAbs {
			c.t.Errorf("%s = %.15g, want %.15g", path, g, w)
		}
	default: // nil, string, bool
		c.n++
		if w == nil {
			c.nulls++
		}
		if got != want {
			c.t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
}

// saMilk reads testdata/sae/milk.csv (README there): the direct estimates
// yi, their variances SD² and the design intercept + MajorArea dummies.
func saMilk(t *testing.T) FayHerriotInput {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sae", "milk.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := saCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	var in FayHerriotInput
	for _, rec := range recs {
		y, err1 := strconv.ParseFloat(rec["yi"], 64)
		sd, err2 := strconv.ParseFloat(rec["SD"], 64)
		major, err3 := strconv.Atoi(rec["MajorArea"])
		if err1 != nil || err2 != nil || err3 != nil || major < 1 || major > 4 {
			t.Fatalf("milk.csv: bad row %v", rec)
		}
		x := []float64{1, 0, 0, 0}
		if major > 1 {
			x[major-1] = 1
		}
		in.Y, in.Psi, in.X = append(in.Y, y), append(in.Psi, sd*sd), append(in.X, x)
	}
	if len(in.Y) != 43 {
		t.Fatalf("milk.csv: %d areas, want 43", len(in.Y))
	}
	return in
}

// TestFayHerriotMilk checks the Fisher scoring, GLS and Prasad–Rao MSE on
// the classic published example: sae's milk data (Arora & Lahiri 1997)
// with MajorArea as factor covariates. With sae's default PRECISION = 1e-4
// the REML fit gives σ²_u = 0.01855022, first EBLUP 1.0219703 and first
// MSE 0.013460220 (printed to those digits); at METHODS §14's 1e-13 it
// gives the values of testdata/sae/README.md.
func TestFayHerriotMilk(t *testing.T) {
	in := saMilk(t)
	cases := []struct {
		name             string
		tol              float64
		iter             int
		sigma2, est, mse float64
		tSig, tEst, tMSE float64
		beta             []float64
	}{
		{"sae default 1e-4", 1e-4, 4, 0.01855022, 1.0219703, 0.013460220, 5e-9, 5e-8, 5e-10, nil},
		{"METHODS 1e-13", 0, 13, 0.018550334762766706, 1.0219705441506155, 0.013460256459645581, 1e-12, 1e-12, 1e-12,
			[]float64{0.9681889869749658, 0.13278030545673783, 0.22694622452059199, -0.24130103994463092}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := in
			in.Tol = tc.tol
			fit, err := FitFayHerriot(in)
			if err != nil {
				t.Fatal(err)
			}
			if !fit.Converged || fit.Boundary || fit.Iterations != tc.iter {
				t.Fatalf("converged %v boundary %v after %d iterations, want converged after %d", fit.Converged, fit.Boundary, fit.Iterations, tc.iter)
			}
			for _, c := range []struct {
				what           string
				got, want, tol float64
			}{
				{"sigma2_u", fit.Sigma2u, tc.sigma2, tc.tSig},
				{"EBLUP[0]", fit.EBLUP[0], tc.est, tc.tEst},
				{"MSE[0]", fit.MSE[0], tc.mse, tc.tMSE},
			} {
				if math.Abs(c.got-c.want) > c.tol {
					t.Errorf("%s = %.12g, want %.12g ± %g", c.what, c.got, c.want, c.tol)
				}
			}
			for j, b := range tc.beta {
				if math.Abs(fit.Beta[j]-b) > 1e-12 {
					t.Errorf("beta[%d] = %.15g, want %.15g", j, fit.Beta[j], b)
				}
			}
			t.Logf("σ²_u %.10g, β %.8g, EBLUP[0] %.10g, MSE[0] %.10g", fit.Sigma2u, fit.Beta, fit.EBLUP[0], fit.MSE[0])
		})
	}
}

// saCSV reads a CSV file with a header into one map per record.
func saCSV(r io.Reader) ([]map[string]string, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, fmt.Errorf("csv: %v, %d records", err, len(recs))
	}
	out := make([]map[string]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		m := make(map[string]string, len(rec))
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out, nil
}
