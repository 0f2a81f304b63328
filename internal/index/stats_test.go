package index

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// unitCases is refdata/expected/unit_cases.json: formula vectors from R.
type unitCases struct {
	Z975 float64 `json:"z_975"`
	QT   []struct {
		DF float64 `json:"df"`
		Q  float64 `json:"q"`
	} `json:"qt_975"`
	Wilson []struct {
		X  float64     `json:"x"`
		N  float64     `json:"n"`
		CI [2]*float64 `json:"ci"`
	} `json:"wilson"`
	Newcombe []struct {
		X1   float64    `json:"x1"`
		N1   float64    `json:"n1"`
		X0   float64    `json:"x0"`
		N0   float64    `json:"n0"`
		Diff float64    `json:"diff"`
		CI   [2]float64 `json:"ci"`
		P    float64    `json:"p_pooled_z"`
	} `json:"newcombe"`
	Published struct {
		CI [2]float64 `json:"ci"`
	} `json:"newcombe_published_example"`
	PAdjust struct {
		P    []float64 `json:"p"`
		Holm []float64 `json:"holm"`
		BH   []float64 `json:"bh"`
	} `json:"p_adjust"`
	WilsonNEff []struct {
		P    float64    `json:"p"`
		Var  float64    `json:"var"`
		N    float64    `json:"n"`
		NEff float64    `json:"n_eff"`
		CI   [2]float64 `json:"ci"`
	} `json:"wilson_neff"`
	SampleSize []struct {
		Margin float64  `json:"margin"`
		P      float64  `json:"p"`
		N      *float64 `json:"N"`
		Deff   float64  `json:"deff"`
		Want   int      `json:"n"`
	} `json:"min_sample_size"`
	WelchDF struct {
		V1, N1, V0, N0, DF float64
	} `json:"welch_df"`
}

func mustUnitCases(t *testing.T) *unitCases {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(refdata, "expected", "unit_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var uc unitCases
	if err := json.Unmarshal(b, &uc); err != nil {
		t.Fatal(err)
	}
	return &uc
}

// near reports |got − want| ≤ 1e-9; NaN matches NaN (undefined).
func near(got, want float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	return math.Abs(got-want) <= tolAbs
}

// nearP is near plus the relative tolerance of tiny p-values (README).
func nearP(got, want float64) bool {
	return near(got, want) && (want >= 1e-6 || math.Abs(got-want) <= pValueRel*want)
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func TestUnitCases(t *testing.T) {
	uc := mustUnitCases(t)
	count := 0
	check := func(name string, got, want float64, p bool) {
		t.Helper()
		count++
		ok := near(got, want)
		if p {
			ok = nearP(got, want)
		}
		if !ok {
			t.Errorf("%s = %.15g, want %.15g", name, got, want)
		}
	}
	t.Run("z", func(t *testing.T) {
		check("z975", z975, uc.Z975, false)
	})
	t.Run("qt_975", func(t *testing.T) {
		for _, c := range uc.QT {
			check("qt(0.975, "+ftoa(c.DF)+")", tQuantile975(c.DF), c.Q, false)
		}
	})
	t.Run("wilson", func(t *testing.T) {
		for _, c := range uc.Wilson {
			lo, hi := Wilson(c.X, c.N)
			name := "Wilson(" + ftoa(c.X) + ", " + ftoa(c.N) + ")"
			check(name+".lo", lo, orNaN(c.CI[0]), false)
			check(name+".hi", hi, orNaN(c.CI[1]), false)
		}
	})
	t.Run("newcombe", func(t *testing.T) {
		for _, c := range uc.Newcombe {
			name := "Newcombe(" + ftoa(c.X1) + "/" + ftoa(c.N1) + " vs " + ftoa(c.X0) + "/" + ftoa(c.N0) + ")"
			lo, hi := Newcombe(c.X1, c.N1, c.X0, c.N0)
			check(name+".lo", lo, c.CI[0], false)
			check(name+".hi", hi, c.CI[1], false)
			check(name+".diff", c.X1/c.N1-c.X0/c.N0, c.Diff, false)
			_, p := PooledZTest(c.X1, c.N1, c.X0, c.N0)
			check(name+".p", p, c.P, true)
		}
		// The published example is given to 4 decimals (Newcombe 1998).
		c := uc.Newcombe[0]
		lo, hi := Newcombe(c.X1, c.N1, c.X0, c.N0)
		count += 2
		if math.Abs(lo-uc.Published.CI[0]) > 5e-5 || math.Abs(hi-uc.Published.CI[1]) > 5e-5 {
			t.Errorf("Newcombe published example = [%.4f, %.4f], want %v", lo, hi, uc.Published.CI)
		}
	})
	t.Run("p_adjust", func(t *testing.T) {
		holm, bh := Holm(uc.PAdjust.P), BH(uc.PAdjust.P)
		for i := range uc.PAdjust.P {
			check("holm["+ftoa(float64(i))+"]", holm[i], uc.PAdjust.Holm[i], true)
			check("bh["+ftoa(float64(i))+"]", bh[i], uc.PAdjust.BH[i], true)
		}
		// Missing p-values are left out of the family (R's p.adjust with
		// NA): the result is that of the shorter vector, NaN in place.
		withNaN := append([]float64{math.NaN()}, uc.PAdjust.P...)
		holm2, bh2 := Holm(withNaN), BH(withNaN)
		check("holm[NaN]", holm2[0], math.NaN(), false)
		check("bh[NaN]", bh2[0], math.NaN(), false)
		for i := range uc.PAdjust.P {
			check("holm with NaN", holm2[i+1], uc.PAdjust.Holm[i], true)
			check("bh with NaN", bh2[i+1], uc.PAdjust.BH[i], true)
		}
	})
	t.Run("wilson_neff", func(t *testing.T) {
		for _, c := range uc.WilsonNEff {
			nEff, lo, hi := WilsonEffective(c.P, c.Var, c.N)
			name := "WilsonEffective(" + ftoa(c.P) + ", " + ftoa(c.Var) + ", " + ftoa(c.N) + ")"
			check(name+".n_eff", nEff, c.NEff, false)
			check(name+".lo", lo, c.CI[0], false)
			check(name+".hi", hi, c.CI[1], false)
		}
	})
	t.Run("sample_size", func(t *testing.T) {
		for _, c := range uc.SampleSize {
			N := math.Inf(1)
			if c.N != nil {
				N = *c.N
			}
			count++
			if got := SampleSize(c.Margin, c.P, c.Deff, N); got != c.Want {
				t.Errorf("SampleSize(%v, %v, %v, %v) = %d, want %d", c.Margin, c.P, c.Deff, N, got, c.Want)
			}
		}
	})
	t.Run("welch_df", func(t *testing.T) {
		w := uc.WelchDF
		check("WelchDF", WelchDF(w.V1, w.N1, w.V0, w.N0), w.DF, false)
	})
	t.Logf("%d values compared", count)
}

// TestSampleSizeTables checks SampleSize and IndicativeMinN against the
// sample_size blocks of the reference reports (METHODS §8).
func TestSampleSizeTables(t *testing.T) {
	for _, name := range []string{"2024_vs_2023_raw.json", "2024_vs_aggregates_2023.json", "edge_2024_vs_2023_raw.json"} {
		b, err := os.ReadFile(filepath.Join(refdata, "expected", name))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			SampleSize struct {
				National []struct {
					Margin, N, Deff float64
					SRS             int     `json:"n_srs"`
					WithDeff        int     `json:"n_deff"`
					DeffUsed        float64 `json:"deff_used"`
				} `json:"national"`
				PerAgency []struct {
					Agency string
					N      float64
					Want   int `json:"n"`
				} `json:"per_agency_5pct"`
			} `json:"sample_size"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.SampleSize.National) == 0 || len(doc.SampleSize.PerAgency) == 0 {
			t.Fatalf("%s: sample_size block missing", name)
		}
		for _, c := range doc.SampleSize.National {
			if got := SampleSize(c.Margin, 0.5, 1, c.N); got != c.SRS {
				t.Errorf("%s: SampleSize(%v, 0.5, 1, %v) = %d, want %d", name, c.Margin, c.N, got, c.SRS)
			}
			if got := SampleSize(c.Margin, 0.5, c.DeffUsed, c.N); got != c.WithDeff {
				t.Errorf("%s: SampleSize(%v, 0.5, %v, %v) = %d, want %d", name, c.Margin, c.DeffUsed, c.N, got, c.WithDeff)
			}
		}
		for _, c := range doc.SampleSize.PerAgency {
			if got := IndicativeMinN(c.N); got != c.Want {
				t.Errorf("%s: IndicativeMinN(%v) for %s = %d, want %d", name, c.N, c.Agency, got, c.Want)
			}
		}
	}
	// The worked examples of METHODS §8. Its "Kish deff 1.35 needs 517" is
	// left out: z²/4·1.35/0.05² = 518.6 gives 519 for any large N (517 is the
	// N = 5000, deff 1.5 row of unit_cases.json, which passes above).
	tests := []struct {
		margin, deff, N float64
		want            int
	}{
		{0.05, 1, math.Inf(1), 385},
		{0.03, 1, math.Inf(1), 1068},
		{0.05, 1, 44, 40},
	}
	for _, tt := range tests {
		if got := SampleSize(tt.margin, 0.5, tt.deff, tt.N); got != tt.want {
			t.Errorf("SampleSize(%v, 0.5, %v, %v) = %d, want %d", tt.margin, tt.deff, tt.N, got, tt.want)
		}
	}
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// TestTDistribution checks the switch-overs of tQuantile975 (gonum below
// df 1000, Hill's expansion above) and tCDF (gonum up to 1e6): each is
// continuous at its boundary, and the two invert each other at every df.
func TestTDistribution(t *testing.T) {
	for _, df := range []float64{1, 2.5, 7, 29, 100, 999, 999.999, 1000, 1000.5, 4321.7, 1e5, 1e6, 1e6 + 1, 2e6, 1e8, 1e12} {
		q := tQuantile975(df)
		if p := tCDF(-q, df); math.Abs(p-0.025) > 1e-11 {
			t.Errorf("pt(−qt(0.975, %g), %g) = %.15g, want 0.025", df, df, p)
		}
		if q2 := tQuantile975(df); q2 != q {
			t.Errorf("qt(0.975, %g) = %v, then %v from the memo", df, q, q2)
		}
	}
	for _, b := range []float64{hillFrom, 1e6} {
		if d := math.Abs(tQuantile975(b-1e-9) - tQuantile975(b+1e-9)); d > 1e-12 {
			t.Errorf("qt jumps by %g at df %g", d, b)
		}
		// At 1e6 gonum's own tail error (about 1.5e-12) shows; it is far
		// below the 1e-9 the reports need.
		if d := math.Abs(tCDF(-2.5, b) - tCDF(-2.5, math.Nextafter(b, math.Inf(1)))); d > 5e-12 {
			t.Errorf("pt jumps by %g at df %g", d, b)
		}
	}
	if q := tQuantile975(1e15); math.Abs(q-z975) > 1e-12 {
		t.Errorf("qt(0.975, 1e15) = %v, want z %v", q, z975)
	}
}
