package index

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"sipas/internal/index/indextest"
)

// The reference test computes the reports of refdata/README.md ("How the
// expected results were obtained") and compares every field the report maps
// (README "Where each report field is in the expected JSON") with the
// expected JSON of R's survey package. The mapping, the tolerances and the
// check that no field goes uncompared are in indextest, which the
// end-to-end test of cmd/sipas shares.

// Tolerances of refdata/README.md, for the other tests of this package.
const (
	tolAbs    = indextest.TolAbs
	pValueRel = indextest.PValueRel
)

func TestReference(t *testing.T) {
	for _, tc := range indextest.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(refdata, "expected", tc.Expected))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]map[string]any{}
			for _, r := range referenceReports(t, tc) {
				rep, err := Compute(r.in)
				if err != nil {
					t.Fatalf("Compute(%s): %v", r.name, err)
				}
				got[r.name] = flattenReport(t, rep)
			}
			st := indextest.Compare(t, raw, got, indextest.Options{
				NoAgencyChange: tc.Source == SourceAggregates,
				BaselineSource: tc.Source,
				Superseded:     tc.Superseded,
			})
			t.Logf("%s: %d values compared (%d of them null), %d report leaves", tc.Expected, st.Compared, st.Nulls, st.Leaves)
			if st.Compared < 100 {
				t.Errorf("only %d values compared", st.Compared)
			}
		})
	}
}

// TestVerdictCodes holds indextest's verdict codes to this package's.
func TestVerdictCodes(t *testing.T) {
	want := map[string]bool{string(Higher): true, string(Lower): true, string(NoChange): true, string(InsufficientData): true}
	got := map[string]bool{}
	for _, v := range indextest.Verdicts {
		got[v] = true
	}
	if len(got) != len(want) {
		t.Fatalf("indextest verdicts %v, want %v", got, want)
	}
	for v := range got {
		if !want[v] {
			t.Errorf("indextest verdict %q is not a Verdict of this package", v)
		}
	}
}

// report is one Compute input of a reference case: "cur" is the report
// under test, "base" the baseline year computed on its own.
type report struct {
	name string
	in   Input
}

// referenceReports are the Compute inputs of a reference case: against a raw
// baseline, the report and the baseline year alone (whose indices are the
// expected JSON's "baseline" block); against aggregates, the report.
func referenceReports(t *testing.T, tc indextest.Case) []report {
	if tc.Baseline == "" {
		d, cur := fixtureResponses(t, tc.Current, indextest.Year)
		return []report{{"cur", Input{
			Design:      d,
			Current:     cur,
			Populations: fixturePopulations(t, tc.Populations, indextest.Year),
			Baseline:    &Baseline{Year: indextest.BaselineYear, Source: SourceAggregates, Aggregates: fixtureAggregates(t, tc.Aggregates)},
		}}}
	}
	return rawReports(t, tc.Current, tc.Baseline, tc.Populations)
}

// rawReports are the report against a raw baseline and the baseline year
// alone.
func rawReports(t *testing.T, current, baseline, populations string) []report {
	d1, cur := fixtureResponses(t, current, indextest.Year)
	d0, base := fixtureResponses(t, baseline, indextest.BaselineYear)
	if !d1.equal(d0) {
		t.Fatalf("%s and %s have different questions", current, baseline)
	}
	pops0 := fixturePopulations(t, populations, indextest.BaselineYear)
	return []report{
		{"cur", Input{
			Design:      d1,
			Current:     cur,
			Populations: fixturePopulations(t, populations, indextest.Year),
			Baseline:    &Baseline{Year: indextest.BaselineYear, Source: SourceResponses, Summary: base, Populations: pops0},
		}},
		{"base", Input{Design: d0, Current: base, Populations: pops0}},
	}
}

// flattenReport marshals rep with encoding/json, as the CLI and the API do,
// and flattens the result.
func flattenReport(t *testing.T, rep *Report) map[string]any {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return indextest.FlattenJSON(t, b)
}
