package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"sipas/internal/dataset"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// clock is an adjustable store clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func newToken(t *testing.T) receipt.Token {
	t.Helper()
	tok, err := receipt.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestCreateAndFindReceipt(t *testing.T) {
	at := time.Date(2024, 3, 15, 2, 30, 0, 0, time.UTC)
	s := storetest.OpenOptions(t, store.Options{Now: newClock(at).Now})
	a := storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp tỉnh Minh Giang", "province")
	tok := newToken(t)

	created, err := s.CreateReceipts(t.Context(), []store.NewReceipt{{
		TokenHash: tok.Hash(), AgencyCode: "MG.STP", Procedure: "Chứng thực bản sao", Channel: "online", Source: "api",
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := store.Receipt{AgencyID: a.ID, AgencyCode: "MG.STP", AgencyName: "Sở Tư pháp tỉnh Minh Giang",
		Procedure: "Chứng thực bản sao", Channel: "online", Source: "api", IssuedAt: at}
	if diff := cmp.Diff([]store.Receipt{want}, created, cmpopts.IgnoreFields(store.Receipt{}, "ID")); diff != "" {
		t.Errorf("CreateReceipts (-want +got):\n%s", diff)
	}

	got, err := s.FindReceiptByTokenHash(t.Context(), tok.Hash())
	if err != nil {
		t.Fatal(err)
	}
	want.ID = created[0].ID
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindReceiptByTokenHash (-want +got):\n%s", diff)
	}

	// The token itself is nowhere in the database, only its hash.
	for _, q := range []string{`SELECT token_hash FROM receipts`, `SELECT procedure FROM receipts`} {
		vals, err := s.QueryStrings(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if v == string(tok) {
				t.Errorf("%s holds the plain token", q)
			}
		}
	}
}

func TestFindReceiptErrors(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	storetest.MustCreateReceipt(t, s, "A")
	tests := []struct {
		name, hash string
	}{
		{"unknown hash", newToken(t).Hash()},
		{"empty", ""},
		{"plain token instead of hash", string(newToken(t))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.FindReceiptByTokenHash(t.Context(), tt.hash)
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestCreateReceiptsIsAllOrNothing(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	good, bad := newToken(t), newToken(t)
	_, err := s.CreateReceipts(t.Context(), []store.NewReceipt{
		{TokenHash: good.Hash(), AgencyCode: "A", Channel: "counter", Source: "api"},
		{TokenHash: bad.Hash(), AgencyCode: "NO.SUCH", Channel: "counter", Source: "api"},
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CreateReceipts with an unknown agency: err = %v, want ErrNotFound", err)
	}
	if _, err := s.FindReceiptByTokenHash(t.Context(), good.Hash()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the valid receipt of a failed batch: err = %v, want ErrNotFound (rolled back)", err)
	}
}

func TestCreateReceiptRefusesBadValues(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	dup := newToken(t)
	storetest.MustCreateReceipt(t, s, "A")
	if _, err := s.CreateReceipts(t.Context(), []store.NewReceipt{{TokenHash: dup.Hash(), AgencyCode: "A", Channel: "counter", Source: "api"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		nr   store.NewReceipt
	}{
		{"duplicate hash", store.NewReceipt{TokenHash: dup.Hash(), AgencyCode: "A", Channel: "counter", Source: "api"}},
		{"bad channel", store.NewReceipt{TokenHash: newToken(t).Hash(), AgencyCode: "A", Channel: "fax", Source: "api"}},
		{"bad source", store.NewReceipt{TokenHash: newToken(t).Hash(), AgencyCode: "A", Channel: "counter", Source: "guess"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.CreateReceipts(t.Context(), []store.NewReceipt{tt.nr}); err == nil {
				t.Error("CreateReceipts = nil error, want the schema to refuse it")
			}
		})
	}
}

func TestPopulations(t *testing.T) {
	clk := newClock(time.Date(2024, 6, 1, 3, 0, 0, 0, time.UTC))
	s := storetest.OpenOptions(t, store.Options{Now: clk.Now})
	ctx := t.Context()
	for _, code := range []string{"A", "B", "C", "D"} {
		storetest.MustCreateAgency(t, s, code, "Cơ quan "+code, "district")
	}
	issue := func(code string, n int) {
		for range n {
			storetest.MustCreateReceipt(t, s, code)
		}
	}
	issue("A", 3)
	issue("B", 2)
	// 00:30 on 1 January 2025 in Vietnam, still 2024 in UTC: counts for 2025.
	clk.Set(time.Date(2024, 12, 31, 17, 30, 0, 0, time.UTC))
	issue("A", 1)

	pops, err := s.Populations(ctx, 2024)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64(pops)
	if diff := cmp.Diff(map[string]float64{"A": 3, "B": 2}, got); diff != "" {
		t.Errorf("Populations(2024) from issued receipts (-want +got):\n%s", diff)
	}
	pops, err = s.Populations(ctx, 2025)
	if err != nil {
		t.Fatal(err)
	}
	got = pops
	if diff := cmp.Diff(map[string]float64{"A": 1}, got); diff != "" {
		t.Errorf("Populations(2025) (-want +got):\n%s", diff)
	}
	pops, err = s.Populations(ctx, 2023)
	if err != nil {
		t.Fatal(err)
	}
	got = pops
	if len(got) != 0 {
		t.Errorf("Populations(2023) = %v, want empty", got)
	}

	// An imported figure overrides what sipas counted, and adds agencies it did not count.
	res, err := s.ImportPopulations(ctx, []dataset.Population{
		{Year: 2024, AgencyCode: "A", Receipts: 12000},
		{Year: 2024, AgencyCode: "C", Receipts: 450},
		{Year: 2023, AgencyCode: "D", Receipts: 70},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (store.ImportResult{Created: 3}); got != want {
		t.Errorf("ImportPopulations = %+v, want %+v", got, want)
	}
	pops, err = s.Populations(ctx, 2024)
	if err != nil {
		t.Fatal(err)
	}
	got = pops
	if diff := cmp.Diff(map[string]float64{"A": 12000, "B": 2, "C": 450}, got); diff != "" {
		t.Errorf("Populations(2024) after import (-want +got):\n%s", diff)
	}

	// Re-importing the same figures changes nothing; a new figure updates.
	res, err = s.ImportPopulations(ctx, []dataset.Population{
		{Year: 2024, AgencyCode: "A", Receipts: 12000},
		{Year: 2024, AgencyCode: "C", Receipts: 500},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res, (store.ImportResult{Updated: 1, Unchanged: 1}); got != want {
		t.Errorf("second ImportPopulations = %+v, want %+v", got, want)
	}
	pops, err = s.Populations(ctx, 2024)
	if err != nil {
		t.Fatal(err)
	}
	got = pops
	if got, want := got["C"], 500.0; got != want {
		t.Errorf("Populations(2024)[C] = %v, want %v", got, want)
	}

	// An unknown agency refuses the whole file.
	_, err = s.ImportPopulations(ctx, []dataset.Population{
		{Year: 2024, AgencyCode: "B", Receipts: 9999},
		{Year: 2024, AgencyCode: "NO.SUCH", Receipts: 1},
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ImportPopulations with an unknown agency: err = %v, want ErrNotFound", err)
	}
	pops, err = s.Populations(ctx, 2024)
	if err != nil {
		t.Fatal(err)
	}
	got = pops
	if got, want := got["B"], 2.0; got != want {
		t.Errorf("Populations(2024)[B] after a refused import = %v, want %v (unchanged)", got, want)
	}
}
