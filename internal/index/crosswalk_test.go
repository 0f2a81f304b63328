package index

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sipas/internal/index/indextest"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixtureCrosswalk reads a crosswalk CSV (from_code,to_code,share,since).
func fixtureCrosswalk(tb testing.TB, name string) Crosswalk {
	tb.Helper()
	header, recs := mustReadCSV(tb, name)
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var cw Crosswalk
	for _, rec := range recs {
		s, err := strconv.ParseFloat(rec[col["share"]], 64)
		if err != nil {
			tb.Fatalf("%s: share %q", name, rec[col["share"]])
		}
		cw = append(cw, Transfer{From: rec[col["from_code"]], To: rec[col["to_code"]], Share: s, Since: date(rec[col["since"]])})
	}
	return cw
}

func TestComposeShares(t *testing.T) {
	cw := Crosswalk{
		{From: "D", To: "C1", Share: 0.55, Since: date("2025-07-01")},
		{From: "D", To: "C2", Share: 0.45, Since: date("2025-07-01")},
		{From: "C1", To: "M", Share: 1, Since: date("2025-07-01")},
		{From: "C3", To: "M", Share: 1, Since: date("2025-07-01")},
		{From: "S", To: "X", Share: 0.3, Since: date("2025-07-01")},
		{From: "S", To: "Y", Share: 0.7, Since: date("2025-07-01")},
		{From: "Y", To: "Z", Share: 0.5, Since: date("2025-07-01")},
		{From: "Y", To: "X", Share: 0.5, Since: date("2025-07-01")},
	}
	s, err := cw.Compose()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		u, T string
		want float64
	}{
		{"D", "M", 0.55}, {"D", "C2", 0.45}, {"D", "C1", 0}, // C1 ceased: its share went on to M
		{"C1", "M", 1}, {"C3", "M", 1}, {"M", "M", 1}, {"C2", "C2", 1},
		{"S", "X", 0.3 + 0.7*0.5}, {"S", "Z", 0.35}, {"S", "S", 0}, {"S", "Y", 0},
		{"Q", "Q", 1}, {"Q", "M", 0}, // a unit of no row continues as itself
	} {
		if got := s.Share(tt.u, tt.T); math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("s(%s→%s) = %v, want %v", tt.u, tt.T, got, tt.want)
		}
	}
	// Every unit's shares over the units that continue sum to 1.
	for u, m := range s {
		sum := 0.0
		for _, v := range m {
			sum += v
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("shares of %s sum to %v", u, sum)
		}
	}

	loop := Crosswalk{{From: "A", To: "B", Share: 1}, {From: "B", To: "C", Share: 1}, {From: "C", To: "A", Share: 1}}
	_, err = loop.Compose()
	var ce *CycleError
	if !errors.As(err, &ce) || len(ce.Path) != 4 || ce.Path[0] != ce.Path[3] || ce.Row < 0 {
		t.Errorf("cycle: err = %v, want a CycleError around A, B, C", err)
	}
}

func TestCrosswalkBetween(t *testing.T) {
	cw := Crosswalk{
		{From: "A", To: "B", Share: 1, Since: date("2023-01-01")}, // already in the 2023 units
		{From: "C", To: "D", Share: 1, Since: date("2023-07-01")}, // inside the baseline year
		{From: "E", To: "F", Share: 1, Since: date("2025-07-01")},
		{From: "G", To: "H", Share: 1, Since: date("2026-01-01")}, // after the report year
	}
	var got []string
	for _, tr := range cw.Between(2023, 2025) {
		got = append(got, tr.From)
	}
	if !slices.Equal(got, []string{"C", "E"}) {
		t.Errorf("Between(2023, 2025) = %v, want [C E]", got)
	}
	if len(cw.Between(2023, 2024)) != 1 {
		t.Errorf("Between(2023, 2024) = %v, want only C", cw.Between(2023, 2024))
	}
}

// xwInput is the reorganisation reference case: 2025 against 2023 through
// the crosswalk (refdata/README.md, xw_* files).
func xwInput(t *testing.T, scope []string) Input {
	d1, cur := fixtureResponses(t, "xw_responses_2025.csv", 2025)
	d0, base := fixtureResponses(t, "xw_responses_2023.csv", 2023)
	if !d1.equal(d0) {
		t.Fatal("xw years have different questions")
	}
	return Input{
		Design: d1, Current: cur, Populations: fixturePopulations(t, "xw_populations.csv", 2025), Scope: scope,
		Baseline: &Baseline{
			Year: 2023, Source: SourceResponses, Summary: base,
			Populations: fixturePopulations(t, "xw_populations.csv", 2023),
			Crosswalk:   fixtureCrosswalk(t, "xw_crosswalk.csv").Between(2023, 2025),
		},
	}
}

// TestCrosswalkReference compares the stratified agency rows of 2025 against
// 2023 through the crosswalk with R (expected/xw_2025_vs_2023.json): every
// number to 1e-9, predecessors as sets, verdicts exactly.
func TestCrosswalkReference(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(refdata, "expected", "xw_2025_vs_2023.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		K    int `json:"K"`
		Rows []struct {
			Agency   string     `json:"agency"`
			N        int        `json:"n"`
			Est      float64    `json:"est"`
			SEv      float64    `json:"se"`
			CI       [2]float64 `json:"ci"`
			RankLow  int        `json:"rank_low"`
			RankHigh int        `json:"rank_high"`
			Change   struct {
				Diff, SE         float64
				CI               [2]float64
				PValue           float64 `json:"p_value"`
				PHolm            float64 `json:"p_holm"`
				Verdict          string
				VerdictHolm      string  `json:"verdict_holm"`
				BaselineEstimate float64 `json:"baseline_estimate"`
				BaselineN        float64 `json:"baseline_n"`
			} `json:"change"`
			Predecessors []Predecessor `json:"predecessors"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	rep, err := Compute(xwInput(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]AgencyRow{}
	for _, r := range rep.Agencies {
		rows[r.Agency] = r
	}
	if len(rows) != want.K || len(want.Rows) != want.K {
		t.Fatalf("%d agency rows, want %d", len(rows), want.K)
	}
	near := func(what string, got *float64, w float64, p bool) {
		t.Helper()
		if got == nil {
			t.Errorf("%s = null, want %.15g", what, w)
			return
		}
		d := math.Abs(*got - w)
		if d > indextest.TolAbs || (p && w < 1e-6 && d > indextest.PValueRel*w) {
			t.Errorf("%s = %.15g, want %.15g", what, *got, w)
		}
	}
	compared := 0
	for _, w := range want.Rows {
		r, ok := rows[w.Agency]
		if !ok || r.Stratified == nil || r.Stratified.Change == nil {
			t.Errorf("%s: no stratified row with a change", w.Agency)
			continue
		}
		s, c := r.Stratified, r.Stratified.Change
		if s.N != w.N {
			t.Errorf("%s: n = %d, want %d", w.Agency, s.N, w.N)
		}
		near(w.Agency+" estimate", s.Estimate, w.Est, false)
		near(w.Agency+" se", s.SE, w.SEv, false)
		near(w.Agency+" ci_low", s.CILow, w.CI[0], false)
		near(w.Agency+" ci_high", s.CIHigh, w.CI[1], false)
		near(w.Agency+" diff", c.Diff, w.Change.Diff, false)
		near(w.Agency+" change se", c.SE, w.Change.SE, false)
		near(w.Agency+" change ci_low", c.CILow, w.Change.CI[0], false)
		near(w.Agency+" change ci_high", c.CIHigh, w.Change.CI[1], false)
		near(w.Agency+" p", c.PValue, w.Change.PValue, true)
		near(w.Agency+" p_holm", c.PHolm, w.Change.PHolm, true)
		near(w.Agency+" baseline_estimate", c.BaselineEstimate, w.Change.BaselineEstimate, false)
		near(w.Agency+" baseline_n", c.BaselineN, w.Change.BaselineN, false)
		compared += 12
		if v := indextest.Verdicts[w.Change.Verdict]; string(c.Verdict) != v {
			t.Errorf("%s: verdict %s, want %s", w.Agency, c.Verdict, v)
		}
		if v := indextest.Verdicts[w.Change.VerdictHolm]; string(c.VerdictHolm) != v {
			t.Errorf("%s: verdict_holm %s, want %s", w.Agency, c.VerdictHolm, v)
		}
		if s.RankLow == nil || *s.RankLow != w.RankLow || *s.RankHigh != w.RankHigh {
			t.Errorf("%s: rank %v–%v, want %d–%d", w.Agency, s.RankLow, s.RankHigh, w.RankLow, w.RankHigh)
		}
		got := slices.Clone(r.Predecessors)
		wp := slices.Clone(w.Predecessors)
		byCode := func(a, b Predecessor) int { return strings.Compare(a.Agency, b.Agency) }
		slices.SortFunc(got, byCode)
		slices.SortFunc(wp, byCode)
		if !slices.EqualFunc(got, wp, func(a, b Predecessor) bool {
			return a.Agency == b.Agency && math.Abs(a.Share-b.Share) < 1e-12
		}) {
			t.Errorf("%s: predecessors %v, want %v", w.Agency, got, wp)
		}
		// The unweighted basis has no meaning across a reorganisation (§11).
		self := len(wp) == 1 && wp[0].Agency == w.Agency
		if self == (r.Change.Diff == nil) {
			t.Errorf("%s: unweighted change diff = %v with predecessors %v", w.Agency, r.Change.Diff, wp)
		}
		if !self && r.Change.Verdict != InsufficientData {
			t.Errorf("%s: unweighted verdict %s, want insufficient_data", w.Agency, r.Change.Verdict)
		}
	}
	t.Logf("%d values compared with R", compared)
}

// TestAgencyRowsIgnoreScope: an agency or level filter chooses which rows
// are shown, never their numbers: the Holm family and the rank ranges are
// those of the unfiltered report (METHODS §12).
func TestAgencyRowsIgnoreScope(t *testing.T) {
	full, err := Compute(xwInput(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]AgencyRow{}
	holm := 0
	for _, r := range full.Agencies {
		byCode[r.Agency] = r
		if r.Stratified.Change.PValue != nil {
			holm++
		}
	}
	if want := (AgencyFamily{Agencies: len(full.Agencies), Ranked: len(full.Agencies), Holm: holm}); full.AgencyFamily != want {
		t.Errorf("unfiltered agency family = %+v, want %+v", full.AgencyFamily, want)
	}
	for _, scope := range [][]string{
		{"MG.30600"},
		{"MG.883.30280", "MG.884.30310", "MG.886.30400", "MG.30600", "MG.888.30520", "MG.888.30535"}, // communes
		{"MG.STP"},
	} {
		rep, err := Compute(xwInput(t, scope))
		if err != nil {
			t.Fatal(err)
		}
		if rep.AgencyFamily != full.AgencyFamily {
			t.Errorf("scope %v: agency family %+v, want the unfiltered %+v", scope, rep.AgencyFamily, full.AgencyFamily)
		}
		for _, r := range rep.Agencies {
			if !slices.Contains(scope, r.Agency) {
				t.Errorf("scope %v: row %s shown", scope, r.Agency)
			}
			if !reflect.DeepEqual(r, byCode[r.Agency]) {
				t.Errorf("scope %v: row %s differs from the unfiltered report's", scope, r.Agency)
			}
		}
	}
}

// TestScopeBaselineThroughCrosswalk: a filtered report compares its units
// with their predecessors (METHODS §11): for one agency the indices are that
// agency's own stratified row, and its baseline is its predecessors'.
func TestScopeBaselineThroughCrosswalk(t *testing.T) {
	rep, err := Compute(xwInput(t, []string{"MG.30600"}))
	if err != nil {
		t.Fatal(err)
	}
	row := rep.Agencies[0]
	overall := rep.Indices[len(rep.Indices)-1]
	c := overall.Change.Stratified
	rc := row.Stratified.Change
	for _, p := range [][2]*float64{
		{overall.Stratified.Value, row.Stratified.Estimate},
		{overall.Stratified.SE, row.Stratified.SE},
		{c.BaselineEstimate, rc.BaselineEstimate},
		{c.Diff, rc.Diff},
		{c.SE, rc.SE},
		{c.PValue, rc.PValue},
	} {
		if p[0] == nil || p[1] == nil || math.Abs(*p[0]-*p[1]) > 1e-15 {
			t.Errorf("scoped overall index %v differs from the agency row %v", p[0], p[1])
		}
	}
	if overall.Change.Unweighted.Diff != nil || overall.Change.Unweighted.Verdict != InsufficientData {
		t.Errorf("unweighted change across a merger = %+v, want insufficient data", overall.Change.Unweighted)
	}
}

// TestProvinceUnchangedByCrosswalk: the province-wide indices need no
// crosswalk (METHODS §11): importing one changes none of them.
func TestProvinceUnchangedByCrosswalk(t *testing.T) {
	in := xwInput(t, nil)
	with, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	in.Baseline.Crosswalk = nil
	without, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(with.Indices, without.Indices) || with.Respondents != without.Respondents {
		t.Error("province-wide indices differ with and without the crosswalk")
	}
}
