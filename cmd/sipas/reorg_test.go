package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sipas/internal/index/indextest"
)

// stressDir is the project's own reference cases (internal/index/testdata/stress), seen from
// this package's directory.
const stressDir = "../../internal/index/testdata/stress"

// TestStressThroughCLI runs every case of testdata/stress end to end: its CSV files imported
// with the real CLI into a fresh database, `sipas report` with the case's flags, and every
// leaf R wrote compared (channel domains, stratified agency rows through the crosswalk,
// published standard errors, former units' aggregates, the §13 guards).
func TestStressThroughCLI(t *testing.T) {
	dir, err := filepath.Abs(stressDir)
	if err != nil {
		t.Fatal(err)
	}
	testdata := filepath.Dir(dir)
	isolate(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) < 5 {
		t.Fatalf("stress files: %v, %v", files, err)
	}
	total := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var sf indextest.StressFile
		if err := json.Unmarshal(raw, &sf); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, c := range sf.Cases {
			t.Run(filepath.Base(file)+"/"+c.Name, func(t *testing.T) {
				db := stressDB(t, testdata, c)
				out := mustRun(t, append([]string{"report", "--db", db, "--format", "json"}, c.Args...)...)
				total += indextest.ComparePartial(t, c.Name, c.Report, indextest.FlattenJSON(t, out))
			})
		}
	}
	t.Logf("%d values compared with R through the CLI", total)
}

// stressDB imports the files of a stress case into a fresh database.
func stressDB(t *testing.T, testdata string, c indextest.StressCase) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "sipas.db")
	in := c.Inputs
	mustImport(t, db, "agencies", filepath.Join(testdata, in.Agencies))
	mustImport(t, db, "populations", filepath.Join(testdata, in.Populations))
	for _, f := range in.Responses {
		mustImport(t, db, "responses", filepath.Join(testdata, f))
	}
	if in.Aggregates != "" {
		mustImport(t, db, "aggregates", filepath.Join(testdata, in.Aggregates))
	}
	if in.Crosswalk != "" {
		mustImport(t, db, "crosswalk", filepath.Join(testdata, in.Crosswalk))
	}
	return db
}

// xwDB is a database of the reorganisation reference set (refdata xw_*).
func xwDB(t *testing.T, ref string, crosswalk bool) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "sipas.db")
	mustImport(t, db, "agencies", filepath.Join(ref, "xw_agencies.csv"))
	mustImport(t, db, "populations", filepath.Join(ref, "xw_populations.csv"))
	mustImport(t, db, "responses", filepath.Join(ref, "xw_responses_2023.csv"))
	mustImport(t, db, "responses", filepath.Join(ref, "xw_responses_2025.csv"))
	if crosswalk {
		mustImport(t, db, "crosswalk", filepath.Join(ref, "xw_crosswalk.csv"))
	}
	return db
}

// TestReorganisationThroughCLI holds `sipas report --year 2025 --baseline 2023` on the xw set
// to R's expected/xw_2025_vs_2023.json (every agency row's stratified numbers to 1e-9,
// predecessors as sets, verdicts and rank ranges exactly), checks that importing the
// crosswalk leaves the province-wide indices unchanged and that an agency-filtered report
// gives the agency the same row (Holm p, rank range) as the full one.
func TestReorganisationThroughCLI(t *testing.T) {
	ref, err := filepath.Abs(refDir)
	if err != nil {
		t.Fatal(err)
	}
	isolate(t)
	db := xwDB(t, ref, true)
	args := []string{"report", "--db", db, "--year", "2025", "--baseline", "2023", "--format", "json"}
	full := mustRun(t, args...)
	var rep struct {
		Indices  json.RawMessage
		Agencies []map[string]any
	}
	if err := json.Unmarshal(full, &rep); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(ref, "expected", "xw_2025_vs_2023.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	// R's rows in the report's shape: the stratified block with its change.
	expected := map[string]any{"agencies": []any{}}
	for _, w := range want.Rows {
		ch := w["change"].(map[string]any)
		ci, cci := w["ci"].([]any), ch["ci"].([]any)
		verdict := func(s any) string { return indextest.Verdicts[s.(string)] }
		expected["agencies"] = append(expected["agencies"].([]any), map[string]any{
			"agency": w["agency"], "predecessors": w["predecessors"],
			"stratified": map[string]any{
				"estimate": w["est"], "se": w["se"], "ci_low": ci[0], "ci_high": ci[1], "n": w["n"],
				"rank_low": w["rank_low"], "rank_high": w["rank_high"],
				"change": map[string]any{
					"diff": ch["diff"], "se": ch["se"], "ci_low": cci[0], "ci_high": cci[1], "p_value": ch["p_value"],
					"p_holm": ch["p_holm"], "verdict": verdict(ch["verdict"]), "verdict_holm": verdict(ch["verdict_holm"]),
					"baseline_estimate": ch["baseline_estimate"], "baseline_n": ch["baseline_n"],
				},
			},
		})
	}
	exp, _ := json.Marshal(expected)
	got := indextest.FlattenJSON(t, full)
	n := indextest.ComparePartial(t, "xw_2025_vs_2023.json", exp, got)
	if n < 7*17 {
		t.Errorf("only %d values compared", n)
	}
	t.Logf("xw_2025_vs_2023.json: %d values compared with R through the CLI", n)

	t.Run("province unchanged by the crosswalk", func(t *testing.T) {
		without := mustRun(t, "report", "--db", xwDB(t, ref, false), "--year", "2025", "--baseline", "2023", "--format", "json")
		var a, b struct{ Indices any }
		if err := json.Unmarshal(full, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(without, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Indices, b.Indices) {
			t.Error("the province-wide indices changed when the crosswalk was imported")
		}
	})
	t.Run("agency filter keeps the row", func(t *testing.T) {
		for _, code := range []string{"MG.30600", "MG.STP"} {
			one := indextest.FlattenJSON(t, mustRun(t, append(args, "--agency", code)...))
			prefix := "agencies/" + code + "/"
			compared := 0
			for p, v := range got {
				if strings.HasPrefix(p, prefix) {
					if !reflect.DeepEqual(one[p], v) {
						t.Errorf("--agency %s: %s = %v, the full report has %v", code, p, one[p], v)
					}
					compared++
				}
			}
			for p := range one {
				if strings.HasPrefix(p, "agencies/") && !strings.HasPrefix(p, prefix) {
					t.Errorf("--agency %s shows %s", code, p)
				}
			}
			if compared < 20 {
				t.Errorf("--agency %s: only %d fields of its row", code, compared)
			}
		}
	})
}

// TestImportBadCrosswalk: a crosswalk with a cycle, a self-map, an unknown code or shares not
// summing to 1 is refused with the line and column of each problem, and changes nothing: the
// report afterwards is the one before.
func TestImportBadCrosswalk(t *testing.T) {
	ref, err := filepath.Abs(refDir)
	if err != nil {
		t.Fatal(err)
	}
	isolate(t)
	db := xwDB(t, ref, true)
	before := mustRun(t, "report", "--db", db, "--year", "2025", "--baseline", "2023", "--format", "json")
	h := "from_code,to_code,share,since\n"
	for _, tt := range []struct {
		name, csv string
		want      []string
	}{
		{"cycle", h + "MG.883,MG.884,1,2025-07-01\nMG.884,MG.883,1,2025-07-01\n",
			[]string{"bad.csv:2:2: to_code \"MG.884\" makes a loop", "bad.csv:3:2: to_code \"MG.883\" makes a loop"}},
		{"self-map", h + "MG.883,MG.883,1,2025-07-01\n", []string{"bad.csv:2:2: to_code \"MG.883\" is the from_code itself"}},
		{"unknown code", h + "MG.883,MG.999,1,2025-07-01\n", []string{"bad.csv:2:2: to_code \"MG.999\" is not a known agency"}},
		{"shares", h + "MG.888,MG.888.30520,0.5,2025-07-01\nMG.888,MG.884.30310,0.45,2025-07-01\n",
			[]string{"bad.csv:2:3: the shares of from_code \"MG.888\" sum to 0.95", "bad.csv:3:3: the shares"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bad.csv")
			if err := os.WriteFile(file, []byte(tt.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := runCmd(t, "", "import", "crosswalk", "--db", db, file)
			if code != 1 {
				t.Errorf("exit %d, want 1 (stderr %s)", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			after := mustRun(t, "report", "--db", db, "--year", "2025", "--baseline", "2023", "--format", "json")
			if string(after) != string(before) {
				t.Error("a refused crosswalk changed the report")
			}
		})
	}
}

// TestSmallAreaThroughCLI holds `sipas report --year 2025 --baseline 2023 --small-area commune`
// on the sae_* reference files to R's expected/sae_2025_small_area.json (sae's eblupFH and
// mseFH): S², σ²_u, β, and every commune's direct estimate, ψ, γ, EBLUP, MSE and interval to
// 1e-9, synthetic flags exactly.
func TestSmallAreaThroughCLI(t *testing.T) {
	ref, err := filepath.Abs(refDir)
	if err != nil {
		t.Fatal(err)
	}
	isolate(t)
	db := filepath.Join(t.TempDir(), "sipas.db")
	for _, f := range [][2]string{{"agencies", "sae_agencies.csv"}, {"populations", "sae_populations.csv"},
		{"responses", "sae_responses_2023.csv"}, {"responses", "sae_responses_2025.csv"}} {
		mustImport(t, db, f[0], filepath.Join(ref, f[1]))
	}
	raw, err := os.ReadFile(filepath.Join(ref, "expected", "sae_2025_small_area.json"))
	if err != nil {
		t.Fatal(err)
	}
	var block map[string]any
	if err := json.Unmarshal(raw, &block); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"generated_by", "R", "sae", "note"} {
		delete(block, k)
	}
	exp, _ := json.Marshal(map[string]any{"small_area": block})
	out := mustRun(t, "report", "--db", db, "--year", "2025", "--baseline", "2023", "--small-area", "commune", "--format", "json")
	n := indextest.ComparePartial(t, "sae_2025_small_area.json", exp, indextest.FlattenJSON(t, out))
	if n < 400 {
		t.Errorf("only %d values compared", n)
	}
	t.Logf("sae_2025_small_area.json: %d values compared with R through the CLI", n)
}
