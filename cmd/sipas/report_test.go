package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the year of a response is taken in Asia/Ho_Chi_Minh on any machine

	"sipas/internal/index/indextest"
)

// refDir is the project's copy of the reference data (internal/index/testdata/refdata) seen
// from this package's directory; the tests make it absolute before isolate changes the
// working directory.
const refDir = "../../internal/index/testdata/refdata"

// TestReportMatchesReference is METHODS.md §9.2: the reference CSVs of each
// case are imported into a fresh database with the real CLI, `sipas report
// --format json` is run in-process, and every field refdata/README.md maps is
// compared with R's expected results (indextest). The subtests after the
// reference cases check the other outputs and options of `sipas report` on
// the same data.
func TestReportMatchesReference(t *testing.T) {
	ref, err := filepath.Abs(refDir)
	if err != nil {
		t.Fatal(err)
	}
	isolate(t)
	parent := t

	var rawDB string     // the database of the raw-baseline case, reused below
	var rawReport []byte // its report JSON
	for _, tc := range indextest.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			// The parent's directory: the raw-baseline database outlives this subtest.
			db := referenceDB(t, filepath.Join(parent.TempDir(), "sipas.db"), ref, tc)
			args := []string{"report", "--db", db, "--year", itoa(indextest.Year), "--baseline", itoa(indextest.BaselineYear), "--format", "json"}
			if tc.Source == "aggregates" {
				args = append(args, "--baseline-source", "aggregates")
			}
			out := mustRun(t, args...)
			cur := indextest.FlattenJSON(t, out)
			got := map[string]map[string]any{"cur": cur}
			if tc.Baseline != "" {
				// The expected "baseline" block is the baseline year on its own.
				got["base"] = indextest.FlattenJSON(t, mustRun(t, "report", "--db", db, "--year", itoa(indextest.BaselineYear), "--format", "json"))
				if b := got["base"]["baseline"]; b != nil {
					t.Errorf("report without --baseline: baseline = %v, want null", b)
				}
			}
			checkScope(t, cur, map[string]any{"survey": "sipas", "year": float64(indextest.Year),
				"filters/agency": nil, "filters/level": nil, "filters/channel": nil})

			expected, err := os.ReadFile(filepath.Join(ref, "expected", tc.Expected))
			if err != nil {
				t.Fatal(err)
			}
			st := indextest.Compare(t, expected, got, indextest.Options{
				NoAgencyChange: tc.Source == "aggregates",
				BaselineSource: tc.Source,
				Superseded:     tc.Superseded,
			})
			t.Logf("%s: %d values compared (%d of them null), %d report leaves", tc.Expected, st.Compared, st.Nulls, st.Leaves)
			if st.Compared < 1000 {
				t.Errorf("only %d values compared", st.Compared)
			}
			if tc.Expected == "2024_vs_2023_raw.json" {
				rawDB, rawReport = db, out
				checkCompareIsLoud(t, expected, got)
			}
		})
	}
	if rawDB == "" {
		t.Fatal("the raw-baseline case did not run")
	}
	reportArgs := func(extra ...string) []string {
		return append([]string{"report", "--db", rawDB, "--year", "2024", "--baseline", "2023"}, extra...)
	}

	t.Run("import twice", func(t *testing.T) {
		for _, f := range []string{"responses_2023.csv", "responses_2024.csv"} {
			out := string(mustRun(t, "import", "responses", "--db", rawDB, filepath.Join(ref, f)))
			want := "0 created, 0 updated, " + itoa(csvRows(t, filepath.Join(ref, f))) + " unchanged"
			if !strings.Contains(out, want) {
				t.Errorf("second import of %s: stdout = %q, want %q", f, out, want)
			}
		}
		if again := mustRun(t, reportArgs("--format", "json")...); !bytes.Equal(again, rawReport) {
			t.Errorf("the report changed after importing the same files again")
		}
	})

	t.Run("csv", func(t *testing.T) {
		checkReportCSV(t, rawReport, mustRun(t, reportArgs("--format", "csv")...))
	})

	t.Run("xlsx and pdf", func(t *testing.T) {
		for _, tt := range []struct{ format, magic string }{{"xlsx", "PK\x03\x04"}, {"pdf", "%PDF-"}} {
			for _, lang := range []string{"vi", "en"} {
				file := filepath.Join(t.TempDir(), "report."+tt.format)
				if out := mustRun(t, reportArgs("--format", tt.format, "--lang", lang, "-o", file)...); len(out) != 0 {
					t.Errorf("%s with -o: %d bytes on stdout, want none", tt.format, len(out))
				}
				b, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if len(b) == 0 || !bytes.HasPrefix(b, []byte(tt.magic)) {
					t.Errorf("%s (%s): %d bytes starting %q, want a file starting %q", tt.format, lang, len(b), b[:min(len(b), 8)], tt.magic)
				}
			}
		}
	})

	t.Run("filters", func(t *testing.T) {
		rows := referenceRows(t, ref, indextest.Year)
		baseRows := referenceRows(t, ref, indextest.BaselineYear)
		levels := agencyLevels(t, filepath.Join(ref, "agencies.csv"))
		tests := []struct {
			name    string
			args    []string
			filters map[string]any
			match   func(r responseRow) bool
		}{
			{"agency", []string{"--agency", "MG.STP"},
				map[string]any{"filters/agency": "MG.STP", "filters/level": nil, "filters/channel": nil},
				func(r responseRow) bool { return r.agency == "MG.STP" }},
			{"level", []string{"--level", "district"},
				map[string]any{"filters/agency": nil, "filters/level": "district", "filters/channel": nil},
				func(r responseRow) bool { return levels[r.agency] == "district" }},
			{"channel", []string{"--channel", "online"},
				map[string]any{"filters/agency": nil, "filters/level": nil, "filters/channel": "online"},
				func(r responseRow) bool { return r.channel == "online" }},
			{"level and channel", []string{"--level", "commune", "--channel", "counter"},
				map[string]any{"filters/agency": nil, "filters/level": "commune", "filters/channel": "counter"},
				func(r responseRow) bool { return levels[r.agency] == "commune" && r.channel == "counter" }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want, answered, agencies := 0, 0, map[string]bool{}
				for _, r := range rows {
					if tt.match(r) {
						want++
						agencies[r.agency] = true
						if r.answered {
							answered++
						}
					}
				}
				baseAnswered := 0
				for _, r := range baseRows {
					if tt.match(r) && r.answered {
						baseAnswered++
					}
				}
				if want == 0 || want == len(rows) {
					t.Fatalf("%d of %d rows match: the filter selects nothing or everything", want, len(rows))
				}
				rep := indextest.FlattenJSON(t, mustRun(t, reportArgs(append(tt.args, "--format", "json")...)...))
				if got := rep["respondents"]; got != float64(want) {
					t.Errorf("respondents = %v, want %d rows of 2024 matching in the CSV files", got, want)
				}
				checkScope(t, rep, tt.filters)
				var gotAgencies []string
				for p := range rep {
					if code, ok := strings.CutPrefix(p, "agencies/"); ok && strings.HasSuffix(code, "/agency") && !strings.Contains(code, "/predecessors/") {
						gotAgencies = append(gotAgencies, strings.TrimSuffix(code, "/agency"))
					}
				}
				slices.Sort(gotAgencies)
				wantAgencies := slices.Sorted(func(yield func(string) bool) {
					for a := range agencies {
						if !yield(a) {
							return
						}
					}
				})
				if !slices.Equal(gotAgencies, wantAgencies) {
					t.Errorf("agency rows %v, want %v", gotAgencies, wantAgencies)
				}
				// The overall index counts those who answered anything; the same
				// filters apply to the baseline year.
				if got := rep["indices/overall/unweighted/n"]; got != float64(answered) {
					t.Errorf("overall unweighted n = %v, want %d matching rows of 2024 with an answer", got, answered)
				}
				if got := rep["indices/overall/change/unweighted/baseline_n"]; got != float64(baseAnswered) {
					t.Errorf("overall baseline_n = %v, want %d matching rows of 2023 with an answer", got, baseAnswered)
				}
			})
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		tests := []struct {
			name       string
			args       []string
			wantStderr string
		}{
			{"no year", []string{"report", "--db", rawDB, "--format", "json"}, "--year"},
			{"format doc", reportArgs("--format", "doc"), "doc"},
			{"bad baseline source", reportArgs("--baseline-source", "guess"), "guess"},
			{"bad level", reportArgs("--level", "ward"), "ward"},
			{"bad channel", reportArgs("--channel", "fax"), "fax"},
			{"bad lang", reportArgs("--lang", "fr"), "--lang"},
			{"unknown flag", reportArgs("--colour", "red"), "colour"},
			{"extra argument", reportArgs("extra"), "extra"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				code, stdout, stderr := runCmd(t, "", tt.args...)
				if code != exitUsage {
					t.Errorf("sipas %v: exit %d, want %d\nstderr: %s", tt.args, code, exitUsage, stderr)
				}
				if stdout != "" {
					t.Errorf("stdout = %q, want nothing", stdout)
				}
				if !strings.Contains(stderr, tt.wantStderr) {
					t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantStderr)
				}
			})
		}
	})

	t.Run("agency without population", func(t *testing.T) {
		// MG.STP has responses but no receipts count in either year: no
		// stratum weights exist, so no stratified estimate or change.
		dir := t.TempDir()
		pops := filepath.Join(dir, "populations.csv")
		writeFilteredCSV(t, filepath.Join(ref, "populations.csv"), pops, func(rec []string) bool { return rec[1] != "MG.STP" })
		db := filepath.Join(dir, "sipas.db")
		mustImport(t, db, "agencies", filepath.Join(ref, "agencies.csv"))
		mustImport(t, db, "populations", pops)
		mustImport(t, db, "responses", filepath.Join(ref, "responses_2023.csv"))
		mustImport(t, db, "responses", filepath.Join(ref, "responses_2024.csv"))
		out := mustRun(t, "report", "--db", db, "--year", "2024", "--baseline", "2023", "--format", "json")
		var rep struct {
			Indices []struct {
				ID         string
				Unweighted *struct{ Estimate *float64 }
				Stratified json.RawMessage
				Change     *struct{ Unweighted, Stratified json.RawMessage }
			}
		}
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Indices) == 0 {
			t.Fatal("no indices")
		}
		for _, idx := range rep.Indices {
			if s := string(idx.Stratified); s != "null" {
				t.Errorf("%s: stratified = %.60s…, want null", idx.ID, s)
			}
			if idx.Change == nil || string(idx.Change.Stratified) != "null" || string(idx.Change.Unweighted) == "null" {
				t.Errorf("%s: change = %+v, want an unweighted change and a null stratified one", idx.ID, idx.Change)
			}
			if idx.ID == "overall" && (idx.Unweighted == nil || idx.Unweighted.Estimate == nil) {
				t.Errorf("overall unweighted estimate missing")
			}
		}
		// The CSV still has a row per basis; the stratified ones carry no estimate.
		recs := readReportCSV(t, mustRun(t, "report", "--db", db, "--year", "2024", "--format", "csv"))
		for _, r := range recs[1:] {
			if r[3] == "stratified" && r[4] != "" {
				t.Errorf("csv %s stratified estimate_pct = %q, want empty", r[0], r[4])
			}
		}
	})
}

// referenceDB imports the CSV files of a reference case into a new database
// with `sipas import`, checking that every row is created.
func referenceDB(t *testing.T, db, ref string, tc indextest.Case) string {
	t.Helper()
	mustImport(t, db, "agencies", filepath.Join(ref, tc.Agencies))
	mustImport(t, db, "populations", filepath.Join(ref, tc.Populations))
	for _, f := range []string{tc.Baseline, tc.Current} {
		if f != "" {
			mustImport(t, db, "responses", filepath.Join(ref, f))
		}
	}
	if tc.Aggregates != "" {
		mustImport(t, db, "aggregates", filepath.Join(ref, tc.Aggregates))
	}
	return db
}

// mustImport runs `sipas import KIND FILE` and checks that every row of the
// file was created.
func mustImport(t *testing.T, db, kind, file string) {
	t.Helper()
	out := string(mustRun(t, "import", kind, "--db", db, file))
	if want := ": " + itoa(csvRows(t, file)) + " created, 0 updated, 0 unchanged"; !strings.Contains(out, want) {
		t.Fatalf("import %s %s: stdout = %q, want %q", kind, filepath.Base(file), out, want)
	}
}

// mustRun runs sipas in-process and returns its stdout; any exit code but 0
// or any output on stderr fails the test.
func mustRun(t *testing.T, args ...string) []byte {
	t.Helper()
	code, stdout, stderr := runCmd(t, "", args...)
	if code != exitOK || stderr != "" {
		t.Fatalf("sipas %s: exit %d, want 0\nstderr: %s", strings.Join(args, " "), code, stderr)
	}
	return []byte(stdout)
}

// checkScope checks report leaves that describe the request.
func checkScope(t *testing.T, rep map[string]any, want map[string]any) {
	t.Helper()
	for p, w := range want {
		g, ok := rep[p]
		if !ok {
			t.Errorf("report field %s is missing", p)
		} else if g != w {
			t.Errorf("%s = %v, want %v", p, g, w)
		}
	}
}

// readReportCSV parses `report --format csv`, which starts with a BOM.
func readReportCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\uFEFF")) {
		t.Errorf("csv starts %q, want a UTF-8 BOM", b[:min(len(b), 3)])
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatalf("report csv: %v", err)
	}
	if len(recs) < 2 {
		t.Fatalf("report csv has %d records, want a header and rows", len(recs))
	}
	return recs
}

// checkReportCSV holds the CSV report to the JSON one: one row
// per index and basis, in report order, with every estimate as a
// percentage rounded to at most 4 decimals.
func checkReportCSV(t *testing.T, jsonReport, b []byte) {
	t.Helper()
	rep := indextest.FlattenJSON(t, jsonReport)
	recs := readReportCSV(t, b)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, c := range []string{"index", "kind", "basis", "estimate_pct", "ci_low_pct", "ci_high_pct", "n", "change_pct", "verdict"} {
		if _, ok := col[c]; !ok {
			t.Fatalf("csv header %v lacks %q", recs[0], c)
		}
	}
	var order struct{ Indices []struct{ ID string } }
	if err := json.Unmarshal(jsonReport, &order); err != nil {
		t.Fatal(err)
	}
	if got, want := len(recs)-1, 2*len(order.Indices); got != want {
		t.Fatalf("csv has %d rows, want %d (%d indices × 2 bases)", got, want, len(order.Indices))
	}
	seen := map[string]bool{}
	overall := false
	for i, r := range recs[1:] {
		id, basis := r[col["index"]], r[col["basis"]]
		if want := order.Indices[i/2].ID; id != want {
			t.Errorf("csv row %d is index %s, want %s (report order)", i+1, id, want)
		}
		key := id + "/" + basis
		if seen[key] {
			t.Errorf("csv row %s appears twice", key)
		}
		seen[key] = true
		if basis != "stratified" && basis != "unweighted" {
			t.Errorf("csv row %s: basis %q", id, basis)
			continue
		}
		base := "indices/" + id + "/" + basis + "/"
		if _, ok := rep["indices/"+id+"/kind"]; !ok {
			t.Errorf("csv row %s is not an index of the JSON report", id)
			continue
		}
		if got, want := r[col["kind"]], rep["indices/"+id+"/kind"]; got != want {
			t.Errorf("csv %s kind = %q, want %v", key, got, want)
		}
		if got, want := r[col["n"]], rep[base+"n"]; want != nil && got != strconv.FormatFloat(want.(float64), 'f', -1, 64) {
			t.Errorf("csv %s n = %q, want %v", key, got, want)
		}
		for _, f := range []string{"estimate", "ci_low", "ci_high"} {
			checkPct(t, key+" "+f+"_pct", r[col[f+"_pct"]], rep[base+f])
		}
		checkPct(t, key+" change_pct", r[col["change_pct"]], rep["indices/"+id+"/change/"+basis+"/diff"])
		if got, want := r[col["verdict"]], rep["indices/"+id+"/change/"+basis+"/verdict"]; got != want {
			t.Errorf("csv %s verdict = %q, want %v", key, got, want)
		}
		if key == "overall/stratified" {
			overall = true
			v := rep[base+"estimate"].(float64)
			got, err := strconv.ParseFloat(r[col["estimate_pct"]], 64)
			if want := math.Round(v*100*1e4) / 1e4; err != nil || got != want {
				t.Errorf("csv overall stratified estimate_pct = %q, want %v (100 × %v rounded to 4 decimals)", r[col["estimate_pct"]], want, v)
			}
		}
	}
	if !overall {
		t.Error("csv has no overall stratified row")
	}
}

// checkPct checks a CSV percentage against a JSON fraction: empty for null,
// else 100 × the fraction rounded to at most 4 decimals.
func checkPct(t *testing.T, what, cell string, frac any) {
	t.Helper()
	if frac == nil {
		if cell != "" {
			t.Errorf("csv %s = %q, want empty for null", what, cell)
		}
		return
	}
	f, ok := frac.(float64)
	if !ok {
		t.Errorf("csv %s: JSON value %v is not a number", what, frac)
		return
	}
	got, err := strconv.ParseFloat(cell, 64)
	if err != nil {
		t.Errorf("csv %s = %q, want a number", what, cell)
		return
	}
	if _, dec, ok := strings.Cut(cell, "."); ok && len(dec) > 4 {
		t.Errorf("csv %s = %q, want at most 4 decimals", what, cell)
	}
	if d := math.Abs(got - 100*f); d > 0.5e-4+1e-9 {
		t.Errorf("csv %s = %q, want %.6f (100 × %v), |Δ| = %.3g", what, cell, 100*f, f, d)
	}
}

// responseRow is what the filter test needs of a responses CSV row.
type responseRow struct {
	agency, channel string
	answered        bool // some question is answered
}

// referenceRows reads both reference responses files and keeps the rows
// submitted in year, Asia/Ho_Chi_Minh time (CONTRACT.md), independently of
// the importer.
func referenceRows(t *testing.T, ref string, year int) []responseRow {
	t.Helper()
	vn, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	var out []responseRow
	for _, f := range []string{"responses_2023.csv", "responses_2024.csv"} {
		recs := readCSVFile(t, filepath.Join(ref, f))
		col := map[string]int{}
		for i, h := range recs[0] {
			col[strings.TrimPrefix(h, "\uFEFF")] = i
		}
		for _, r := range recs[1:] {
			s := r[col["submitted_at"]]
			var y int
			if d, err := time.ParseInLocation(time.DateOnly, s, vn); err == nil {
				y = d.Year()
			} else if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
				y = ts.In(vn).Year()
			} else {
				t.Fatalf("%s: submitted_at %q: %v", f, s, err)
			}
			if y != year {
				continue
			}
			row := responseRow{agency: r[col["agency_code"]], channel: r[col["channel"]]}
			for h, i := range col {
				if !responseMeta[h] && r[i] != "" {
					row.answered = true
				}
			}
			out = append(out, row)
		}
	}
	return out
}

// responseMeta are the responses.csv columns that are not questions
// (CONTRACT.md).
var responseMeta = map[string]bool{"response_id": true, "agency_code": true, "channel": true, "submitted_at": true, "comment": true}

// agencyLevels maps agency codes to levels.
func agencyLevels(t *testing.T, file string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range readCSVFile(t, file)[1:] {
		out[r[0]] = r[2]
	}
	return out
}

func readCSVFile(t *testing.T, file string) [][]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return recs
}

// writeFilteredCSV copies the header and the rows of src that keep accepts.
func writeFilteredCSV(t *testing.T, src, dst string, keep func(rec []string) bool) {
	t.Helper()
	recs := readCSVFile(t, src)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	dropped := 0
	for i, r := range recs {
		if i > 0 && !keep(r) {
			dropped++
			continue
		}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if dropped == 0 {
		t.Fatalf("%s: no row dropped", src)
	}
	if err := os.WriteFile(dst, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkCompareIsLoud makes sure the comparison would catch a wrong report:
// a number off by twice the tolerance, a wrong verdict, a missing mapped
// field and an extra field each give exactly one error naming its path.
func checkCompareIsLoud(t *testing.T, expected []byte, got map[string]map[string]any) {
	t.Helper()
	cur := maps.Clone(got["cur"])
	bad := map[string]map[string]any{"cur": cur, "base": got["base"]}
	paths := []string{
		"indices/overall/stratified/estimate",
		"indices/B/change/stratified/verdict",
		"indices/D/change/stratified/p_value",
		"indices/A1/unweighted/bogus",
	}
	v, ok := cur[paths[0]].(float64)
	if !ok {
		t.Fatalf("%s = %v, want a number", paths[0], cur[paths[0]])
	}
	cur[paths[0]] = v + 2*indextest.TolAbs
	cur[paths[1]] = "no_change" // B is significantly higher (refdata/README.md)
	if _, ok := cur[paths[2]]; !ok {
		t.Fatalf("%s is missing", paths[2])
	}
	delete(cur, paths[2])
	cur[paths[3]] = 1.0
	rec := &recordingTB{TB: t}
	indextest.Compare(rec, expected, bad, indextest.Options{BaselineSource: "responses"})
	if len(rec.errs) != len(paths) {
		t.Errorf("Compare of a broken report gave %d errors, want %d:\n%s", len(rec.errs), len(paths), strings.Join(rec.errs, "\n"))
	}
	for _, p := range paths {
		if !slices.ContainsFunc(rec.errs, func(e string) bool { return strings.Contains(e, p) }) {
			t.Errorf("Compare of a broken report did not name %s:\n%s", p, strings.Join(rec.errs, "\n"))
		}
	}
}

// recordingTB collects the errors of a comparison instead of failing.
type recordingTB struct {
	testing.TB
	errs []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
