package store_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"sipas/internal/dataset"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

func TestImportAgenciesUpserts(t *testing.T) {
	s := storetest.Open(t)
	ctx := t.Context()
	list := []dataset.Agency{
		{Code: "MG", Name: "Trung tâm Phục vụ hành chính công tỉnh Minh Giang", Level: "province"},
		{Code: "MG.883", Name: "UBND thành phố Minh Châu", Level: "district", ParentCode: "MG"},
	}
	res, err := s.ImportAgencies(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (store.ImportResult{Created: 2}); got != want {
		t.Errorf("first import = %+v, want %+v", got, want)
	}
	res, err = s.ImportAgencies(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (store.ImportResult{Unchanged: 2}); got != want {
		t.Errorf("same file again = %+v, want %+v", got, want)
	}
	list[1].Name = "UBND thành phố Minh Châu (mới)"
	res, err = s.ImportAgencies(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (store.ImportResult{Updated: 1, Unchanged: 1}); got != want {
		t.Errorf("renamed agency = %+v, want %+v", got, want)
	}

	got, err := s.ListAgencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Agency{
		{Code: "MG", Name: "Trung tâm Phục vụ hành chính công tỉnh Minh Giang", Level: "province"},
		{Code: "MG.883", Name: "UBND thành phố Minh Châu (mới)", Level: "district", ParentCode: "MG"},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Agency{}, "ID")); diff != "" {
		t.Errorf("ListAgencies (-want +got):\n%s", diff)
	}
	codes, err := s.AgencyCodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"MG": true, "MG.883": true}, codes); diff != "" {
		t.Errorf("AgencyCodes (-want +got):\n%s", diff)
	}
	if _, err := s.FindAgencyByCode(ctx, "mg"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FindAgencyByCode(mg): err = %v, want ErrNotFound (codes are case-sensitive)", err)
	}
}

func TestImportAgenciesIsAllOrNothing(t *testing.T) {
	s := storetest.Open(t)
	_, err := s.ImportAgencies(t.Context(), []dataset.Agency{
		{Code: "OK", Name: "Cơ quan", Level: "province"},
		{Code: "BAD", Name: "Cơ quan", Level: "ward"}, // the schema's CHECK refuses it
	})
	if err == nil {
		t.Fatal("ImportAgencies with a bad level = nil error, want an error")
	}
	got, err := s.ListAgencies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("ListAgencies after a refused import = %v, want none", got)
	}
}

// TestAgencyLookupNFC: a code asked in decomposed Unicode finds the agency stored in NFC, for
// a lookup and for a new receipt (issue 16).
func TestAgencyLookupNFC(t *testing.T) {
	s := storetest.Open(t)
	ctx := t.Context()
	storetest.MustCreateAgency(t, s, "XÃ.01", "UBND xã Thử", "commune")
	nfd := "XA\u0303.01"
	a, err := s.FindAgencyByCode(ctx, nfd)
	if err != nil || a.Code != "XÃ.01" {
		t.Fatalf("FindAgencyByCode(NFD) = %+v, %v", a, err)
	}
	storetest.MustCreateReceipt(t, s, nfd)
}
