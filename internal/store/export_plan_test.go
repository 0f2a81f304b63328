package store

import (
	"path/filepath"
	"strings"
	"testing"
)

// The export's order (the rowid) needs no sort, for the whole year (the table scanned in rowid
// order) and for one agency (responses_survey_year): SQLite's plan has no "USE TEMP B-TREE", which would need temporary space as large as the export and
// fail half-way when it runs out (issue 18).
func TestExportNeedsNoSort(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "sipas.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// ANALYZE-like statistics are absent, as in a fresh database; the plan must not depend
	// on them.
	for _, agency := range []string{"", "DEMO.STP"} {
		_, q, args := exportQueries("sipas", 2026, agency)
		plan, err := queryAll(t.Context(), s.r, "plan", `EXPLAIN QUERY PLAN `+q, args, func(r scanner) (string, error) {
			var id, parent, notused int
			var detail string
			err := r.Scan(&id, &parent, &notused, &detail)
			return detail, err
		})
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		t.Logf("agency %q:\n%s", agency, text)
		if strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("agency %q: the export sorts in a temporary B-tree:\n%s", agency, text)
		}
		want := "SCAN r"
		if agency != "" {
			want = "responses_survey_year"
		}
		if !strings.Contains(text, want) {
			t.Errorf("agency %q: plan does not use %s:\n%s", agency, want, text)
		}
	}
}
