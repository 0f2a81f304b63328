package main

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sipas/internal/store/storetest"
	"sipas/internal/survey"
	"sipas/surveys"
)

// province generates a province's files: agencies of each year (a unit that exists only in
// 2024 and was merged into two others), two years of responses, the crosswalk.
func province(t *testing.T, prefix string, seed uint64, agencies2024, agencies2025 int) []string {
	t.Helper()
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	q, err := cat.Get(survey.DefaultID)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, y := range []struct{ year, agencies, responses int }{{2024, agencies2024, 2500}, {2025, agencies2025, 3000}} {
		dir := filepath.Join(t.TempDir(), prefix)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := storetest.WriteSynthetic(dir, storetest.Synthetic{Agencies: y.agencies, Responses: y.responses, Year: y.year,
			Codes: q.Codes(), Seed: seed + uint64(y.year), Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, "agencies="+f.Agencies, "populations="+f.Populations, "responses="+f.Responses)
	}
	if agencies2024 > agencies2025 {
		gone := filepath.Join(t.TempDir(), prefix+"crosswalk.csv")
		last := prefix + itoa2(agencies2024-1)
		csv := "from_code,to_code,share,since\n" + last + "," + prefix + "01,0.6,2025-01-01\n" + last + "," + prefix + "02,0.4,2025-01-01\n"
		if err := os.WriteFile(gone, []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, "crosswalk="+gone)
	}
	return files
}

func itoa2(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// load imports files (kind=path) into db, agencies first.
func load(t *testing.T, db string, files ...string) {
	t.Helper()
	for _, kind := range []string{"agencies", "populations", "responses", "crosswalk"} {
		for _, f := range files {
			if k, path, _ := strings.Cut(f, "="); k == kind {
				mustRun(t, "import", kind, "--db", db, path)
			}
		}
	}
}

// TestProvincesRollUpToNation is issue 13's province to nation: two provinces each export
// their summaries, a national database imports both, and every report there is byte for byte
// the report of one database holding both provinces' responses.
func TestProvincesRollUpToNation(t *testing.T) {
	dir := isolate(t)
	a := province(t, "AG", 1, 9, 8)
	b := province(t, "KG", 2, 6, 6)
	dbA, dbB, all, nation := filepath.Join(dir, "ag.db"), filepath.Join(dir, "kg.db"), filepath.Join(dir, "all.db"), filepath.Join(dir, "nation.db")
	load(t, dbA, a...)
	load(t, dbB, b...)
	load(t, all, append(a, b...)...)
	fileA, fileB := filepath.Join(dir, "ag.json"), filepath.Join(dir, "kg.json")
	mustRun(t, "summaries", "export", "--db", dbA, fileA)
	mustRun(t, "summaries", "export", "--db", dbB, fileB)
	exported, err := os.ReadFile(fileA)
	if err != nil {
		t.Fatal(err)
	}
	for _, private := range []string{"AG2024-0000001", "Rất hài lòng", "Thời gian chờ"} {
		if bytes.Contains(exported, []byte(private)) {
			t.Errorf("the summary file holds %q: a response id or comment", private)
		}
	}
	mustRun(t, "summaries", "import", "--db", nation, fileA)
	mustRun(t, "summaries", "import", "--db", nation, fileB)
	out := string(mustRun(t, "summaries", "import", "--db", nation, fileA)) // a newer file of A replaces A's
	if !strings.Contains(out, "0 created") || !strings.Contains(out, "crosswalk 0 created, 0 updated, 2 unchanged") {
		t.Errorf("importing the same file again: %q, want nothing new", out)
	}

	for _, args := range [][]string{
		{"--year", "2025", "--baseline", "2024"},
		{"--year", "2025", "--baseline", "2024", "--channel", "online"},
		{"--year", "2025", "--baseline", "2024", "--agency", "AG01"},
		{"--year", "2025", "--level", "district", "--format", "csv"},
		{"--year", "2024"},
	} {
		want := mustRun(t, append([]string{"report", "--db", all}, args...)...)
		got := mustRun(t, append([]string{"report", "--db", nation}, args...)...)
		if !bytes.Equal(got, want) {
			t.Errorf("report %v: the national database's differs from the one with every response:\n%.600s\nwant\n%.600s", args, got, want)
		}
		if len(want) < 1000 {
			t.Errorf("report %v is only %d bytes: the comparison proves little", args, len(want))
		}
	}
	mustRun(t, "verify", "--db", nation) // imported agencies have no rows to check against

	code, _, stderr := runCmd(t, "", "summaries", "import", "--db", all, fileA)
	if code != exitError || !strings.Contains(stderr, "responses stored in this database") {
		t.Errorf("importing a province into a database holding its responses: exit %d, %q; want a refusal", code, stderr)
	}
	code, _, stderr = runCmd(t, "", "summaries", "import", "--db", dbA, fileA)
	if code != exitError || !strings.Contains(stderr, "this database itself") {
		t.Errorf("importing a database's own file: exit %d, %q; want a refusal", code, stderr)
	}
}

// TestVerifyCommand: sipas verify says the summaries are exact, finds summaries changed behind
// its back (exit 1, where), and --repair makes them exact again.
func TestVerifyCommand(t *testing.T) {
	dir := isolate(t)
	db := filepath.Join(dir, "p.db")
	load(t, db, province(t, "P", 3, 5, 5)...)
	if out := string(mustRun(t, "verify", "--db", db)); !strings.Contains(out, "sipas: 5500 responses") || !strings.Contains(out, ": exact") {
		t.Errorf("verify of fresh summaries: %q, want 5500 responses, exact", out)
	}
	raw, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM summaries WHERE id IN (SELECT id FROM summaries ORDER BY id LIMIT 2)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	code, stdout, stderr := runCmd(t, "", "verify", "--db", db)
	if code != exitError || !strings.Contains(stdout, "2 differences") || !strings.Contains(stdout, "have no summary") || !strings.Contains(stderr, "--repair") {
		t.Errorf("verify of damaged summaries: exit %d\n%s%s\nwant exit 1, 2 differences, the advice to repair", code, stdout, stderr)
	}
	if out := string(mustRun(t, "verify", "--db", db, "--repair")); !strings.Contains(out, "before repair") || !strings.HasSuffix(strings.TrimSpace(strings.Split(out, "\n")[len(strings.Split(out, "\n"))-2]), "exact") {
		t.Errorf("verify --repair: %q, want the differences, then exact", out)
	}
	mustRun(t, "verify", "--db", db)
}
