package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/index"
	"sipas/internal/survey"
)

// TestDemoAcrossTheReorganisation seeds the demo and reads it back through `sipas report`: this
// year's report compares the province with 2023 across the merger, its agency rows are this
// year's units only, each compared with the predecessors the demo's crosswalk gives it
// (composed independently here), and the communes have a Fay–Herriot model without warnings;
// what the demo prints still offers links, an API key and one sign-in per role.
func TestDemoAcrossTheReorganisation(t *testing.T) {
	isolate(t)
	db := filepath.Join(t.TempDir(), "demo.db")
	st := openDB(t, db)
	now := time.Now()
	info, err := seedDemo(t.Context(), st, defaultQuestionnaire(t), "http://sipas.test", now)
	if err != nil {
		t.Fatal(err)
	}
	checkDemoInfo(t, info)
	year := strconv.Itoa(calendar.Year(now))
	out := mustRun(t, "report", "--db", db, "--year", year, "--baseline", "2023", "--small-area", "commune", "--format", "json")
	var rep index.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatal(err)
	}
	for _, ix := range rep.Indices {
		if ix.Kind == index.KindOverall && (ix.Change == nil || ix.Change.Stratified == nil || ix.Change.Stratified.Verdict == index.InsufficientData) {
			t.Errorf("overall index of %s against 2023: %+v, want a comparison", year, ix.Change)
		}
	}
	checkDemoPredecessors(t, rep.Agencies)
	checkDemoSmallArea(t, rep.SmallArea)
}

// defaultQuestionnaire is the built-in questionnaire the demo answers.
func defaultQuestionnaire(t *testing.T) *survey.Questionnaire {
	t.Helper()
	cat, err := loadSurveys("")
	if err != nil {
		t.Fatal(err)
	}
	q, err := cat.Get(survey.DefaultID)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// checkDemoInfo: five survey links, the API key, the kiosk link, the pages and four accounts.
func checkDemoInfo(t *testing.T, info string) {
	t.Helper()
	for _, w := range []string{"units of 2023", "crosswalk of 46 rows", "/kiosk/enrol?code=",
		"/admin/communes", "/admin/crosswalk", "admin@demo.sipas.vn", "analyst@demo.sipas.vn", "stp@demo.sipas.vn", "tayhoa@demo.sipas.vn"} {
		if !strings.Contains(info, w) {
			t.Errorf("the demo's output lacks %q\n%s", w, info)
		}
	}
	if !regexp.MustCompile(`API key \(demo[^)]*\): sipas_`).MatchString(info) {
		t.Errorf("the demo's output lacks its API key\n%s", info)
	}
	if n := len(regexp.MustCompile(`(?i)http://sipas\.test/s/[0-9A-Z]+`).FindAllString(info, -1)); n != 5 {
		t.Errorf("%d survey links, want 5", n)
	}
	if n := strings.Count(info, " password "); n != 4 {
		t.Errorf("%d sign-ins printed, want 4", n)
	}
}

// checkDemoPredecessors compares each agency row with the crosswalk of demo_units.go composed
// over its chains: the rows are exactly this year's units with answers, and each one's
// predecessors (the units of 2023 with answers and a positive composed share) and shares.
func checkDemoPredecessors(t *testing.T, rows []index.AgencyRow) {
	t.Helper()
	want := composeDemoCrosswalk(t)
	var current []string
	for _, u := range demoUnits {
		if u.nNow > 0 {
			current = append(current, u.code)
		}
	}
	slices.Sort(current)
	var got []string
	for _, r := range rows {
		got = append(got, r.Agency)
		preds := map[string]float64{}
		for _, p := range r.Predecessors {
			preds[p.Agency] = p.Share
		}
		w := want[r.Agency]
		if len(preds) != len(w) {
			t.Errorf("%s: predecessors %v, want %v", r.Agency, preds, w)
			continue
		}
		for u, s := range w {
			if math.Abs(preds[u]-s) > 1e-12 {
				t.Errorf("%s: share of %s = %v, want %v", r.Agency, u, preds[u], s)
			}
		}
	}
	if !slices.Equal(got, current) {
		t.Errorf("agency rows %v, want this year's units %v", got, current)
	}
}

// composeDemoCrosswalk maps each of this year's units to its predecessors of 2023 with answers
// and their composed shares.
func composeDemoCrosswalk(t *testing.T) map[string]map[string]float64 {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(demoCrosswalk)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	next := map[string]map[string]float64{}
	for _, r := range recs[1:] {
		s, err := strconv.ParseFloat(r[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		if next[r[0]] == nil {
			next[r[0]] = map[string]float64{}
		}
		next[r[0]][r[1]] = s
	}
	var reach func(u string, share float64, into map[string]float64)
	reach = func(u string, share float64, into map[string]float64) {
		if len(next[u]) == 0 {
			into[u] += share
			return
		}
		for v, s := range next[u] {
			reach(v, share*s, into)
		}
	}
	out := map[string]map[string]float64{}
	for _, u := range demoUnits {
		if u.n23 == 0 {
			continue
		}
		ends := map[string]float64{}
		reach(u.code, 1, ends)
		for T, s := range ends {
			if out[T] == nil {
				out[T] = map[string]float64{}
			}
			out[T][u.code] = s
		}
	}
	return out
}

// checkDemoSmallArea: at least ten communes with answers, from 3 to 90 or more each, a
// converged model with the baseline as covariate and no warning, the special zone synthetic,
// and every commune ranked and compared with its predecessors.
func checkDemoSmallArea(t *testing.T, sa *index.SmallArea) {
	t.Helper()
	if sa == nil || sa.Sigma2u == nil || len(sa.Warnings) != 0 || sa.AreasInModel < 10 || !slices.Contains(sa.Covariates, index.CovariateBaseline) {
		t.Fatalf("small_area %+v, want ≥ 10 communes with answers, a converged model on the baseline and no warnings", sa)
	}
	minN, maxN := math.MaxInt, 0
	for _, r := range sa.Rows {
		if r.Synthetic != (r.Agency == "DEMO.XM12") {
			t.Errorf("%s: synthetic %v", r.Agency, r.Synthetic)
		}
		if r.N > 0 {
			minN, maxN = min(minN, r.N), max(maxN, r.N)
		}
		if r.RankLow == nil || r.Change == nil || r.Change.PHolm == nil {
			t.Errorf("%s: rank %v change %+v, want both", r.Agency, r.RankLow, r.Change)
		}
	}
	if minN > 5 || maxN < 90 {
		t.Errorf("answers per commune %d–%d, want from a handful to 90 or more", minN, maxN)
	}
}
