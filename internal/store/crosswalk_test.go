package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"sipas/internal/dataset"
	"sipas/internal/index"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

func TestImportCrosswalkReplaces(t *testing.T) {
	s := storetest.Open(t)
	ctx := t.Context()
	july := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	first := []dataset.Transfer{
		{From: "D", To: "C1", Share: 0.55, Since: july, Line: 2},
		{From: "D", To: "C2", Share: 0.45, Since: july, Line: 3},
	}
	res, err := s.ImportCrosswalk(ctx, first)
	if err != nil || res != (store.ImportResult{Created: 2}) {
		t.Fatalf("first import = %+v, %v", res, err)
	}
	if res, err := s.ImportCrosswalk(ctx, first); err != nil || res != (store.ImportResult{Unchanged: 2}) {
		t.Errorf("same file again = %+v, %v; want 2 unchanged", res, err)
	}
	second := []dataset.Transfer{{From: "S", To: "N", Share: 1, Since: july, Line: 2}}
	if _, err := s.ImportCrosswalk(ctx, second); err != nil {
		t.Fatal(err)
	}
	got, err := s.Crosswalk(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(index.Crosswalk{{From: "S", To: "N", Share: 1, Since: july}}, got); diff != "" {
		t.Errorf("after a second import (-want +got):\n%s", diff)
	}
	// The schema refuses what the parser would have: nothing of the file is kept.
	bad := []dataset.Transfer{{From: "X", To: "Y", Share: 1, Since: july}, {From: "Z", To: "Z", Share: 1, Since: july}}
	if _, err := s.ImportCrosswalk(ctx, bad); err == nil {
		t.Error("self-map accepted by the schema")
	}
	if got, _ := s.Crosswalk(ctx); len(got) != 1 || got[0].From != "S" {
		t.Errorf("a refused import changed the crosswalk: %+v", got)
	}
}

func TestAggregatesWithSEAndUnits(t *testing.T) {
	s := storetest.Open(t)
	ctx := t.Context()
	se := 1.25
	list := []dataset.Aggregate{
		{Year: 2023, Index: "overall", Basis: "stratified", Percent: 80, N: 400, SE: &se, AgencyCode: "P1"},
		{Year: 2023, Index: "overall", Basis: "stratified", Percent: 70, N: 100, AgencyCode: "P2"},
	}
	if res, err := s.ImportAggregates(ctx, "sipas", list); err != nil || res.Created != 2 {
		t.Fatalf("import = %+v, %v", res, err)
	}
	got, err := s.Aggregates(ctx, "sipas", 2023)
	if err != nil {
		t.Fatal(err)
	}
	want := []index.Aggregate{
		{Index: "overall", Basis: "stratified", Estimate: 0.8, N: 400, SE: ptr(0.0125), Unit: "P1"},
		{Index: "overall", Basis: "stratified", Estimate: 0.7, N: 100, Unit: "P2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Aggregates (-want +got):\n%s", diff)
	}
	list[1].SE = &se
	if res, err := s.ImportAggregates(ctx, "sipas", list); err != nil || res != (store.ImportResult{Updated: 1, Unchanged: 1}) {
		t.Errorf("se added = %+v, %v", res, err)
	}
}

func ptr(f float64) *float64 { return &f }
