package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/index"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

func mustSecret(t *testing.T, s *store.Store, agency string) receipt.Secret {
	t.Helper()
	key, err := receipt.NewSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	sec, err := s.CreateTokenSecret(t.Context(), agency, key)
	if err != nil {
		t.Fatal(err)
	}
	return receipt.Secret{ID: sec.ID, Key: key}
}

func mustMint(t *testing.T, sec receipt.Secret, day time.Time, serial uint32) receipt.Token {
	t.Helper()
	tok, err := receipt.Mint(sec, day, serial)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenSecrets(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp", "province")
	ctx := t.Context()
	if _, err := s.CreateTokenSecret(ctx, "NOPE", make([]byte, 32)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agency: err = %v, want ErrNotFound", err)
	}
	if _, err := s.CreateTokenSecret(ctx, "MG.STP", make([]byte, 8)); err == nil {
		t.Error("8-byte key: want an error")
	}
	a := mustSecret(t, s, "MG.STP")
	b := mustSecret(t, s, "MG.STP")
	if a.ID == 0 || b.ID <= a.ID {
		t.Errorf("secret IDs %d, %d: want increasing from 1", a.ID, b.ID)
	}
	if err := s.RevokeTokenSecret(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeTokenSecret(ctx, b.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke twice: err = %v, want ErrNotFound", err)
	}
	c := mustSecret(t, s, "MG.STP")
	if c.ID <= b.ID {
		t.Errorf("a secret after a revoked one got ID %d, want above %d (never reused)", c.ID, b.ID)
	}
	list, err := s.ListTokenSecrets(ctx)
	if err != nil || len(list) != 3 {
		t.Fatalf("ListTokenSecrets = %d, %v", len(list), err)
	}
	revoked := map[uint32]bool{}
	for _, x := range list {
		revoked[x.ID] = x.Revoked
	}
	if revoked[a.ID] || !revoked[b.ID] || revoked[c.ID] {
		t.Errorf("revoked = %v, want only %d", revoked, b.ID)
	}
}

func TestAcceptSignedToken(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, calendar.Zone)
	clk := storetest.NewClock(now)
	s := storetest.OpenOptions(t, store.Options{Now: clk.Now})
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp", "province")
	ctx := t.Context()
	sec := mustSecret(t, s, "MG.STP")
	p := store.TokenPolicy{ValidityDays: 60}

	tok := mustMint(t, sec, now, 1)
	rc, err := s.AcceptSignedToken(ctx, tok, p)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Source != "minted" || rc.Channel != "counter" || rc.AgencyCode != "MG.STP" || rc.Answered {
		t.Errorf("minted receipt = %+v", rc)
	}
	again, err := s.AcceptSignedToken(ctx, tok, p)
	if err != nil || again.ID != rc.ID {
		t.Errorf("second opening = %d, %v; want the same receipt %d", again.ID, err, rc.ID)
	}

	forged := []byte(tok)
	forged[20] = map[bool]byte{true: '1', false: '2'}[forged[20] != '1']
	other := receipt.Secret{ID: 999, Key: sec.Key}
	tests := []struct {
		name string
		tok  receipt.Token
		want error
	}{
		{"forged MAC", receipt.Token(forged), receipt.ErrForged},
		{"unknown secret", mustMint(t, other, now, 1), store.ErrNotFound},
		{"60 days old", mustMint(t, sec, now.AddDate(0, 0, -60), 2), nil},
		{"61 days old", mustMint(t, sec, now.AddDate(0, 0, -61), 3), receipt.ErrExpired},
		{"tomorrow", mustMint(t, sec, now.AddDate(0, 0, 1), 4), nil},
		{"in two days", mustMint(t, sec, now.AddDate(0, 0, 2), 5), receipt.ErrInvalidToken},
		{"random token", storetest.MustCreateReceipt(t, s, "MG.STP"), receipt.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.AcceptSignedToken(ctx, tt.tok, p)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}

	// Revoking the secret refuses its tokens, even one already opened.
	if err := s.RevokeTokenSecret(ctx, sec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptSignedToken(ctx, tok, p); !errors.Is(err, receipt.ErrRevoked) {
		t.Errorf("after revocation: err = %v, want ErrRevoked", err)
	}
}

// TestPopulationsMinted: receipts issued by sipas plus minted tokens, as reported per day
// or else as opened, never both; an imported figure still wins.
func TestPopulationsMinted(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, calendar.Zone)
	clk := storetest.NewClock(now)
	s := storetest.OpenOptions(t, store.Options{Now: clk.Now})
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp", "province")
	storetest.MustCreateAgency(t, s, "MG.STC", "Sở Tài chính", "province")
	storetest.MustCreateAgency(t, s, "MG.X01", "UBND xã Một", "commune")
	ctx := t.Context()
	for range 3 {
		storetest.MustCreateReceipt(t, s, "MG.STP") // source api, 2026
	}
	sec := mustSecret(t, s, "MG.STP")
	mar9, mar10 := now.AddDate(0, 0, -1), now
	open := func(day time.Time, serial uint32) {
		t.Helper()
		if _, err := s.AcceptSignedToken(ctx, mustMint(t, sec, day, serial), store.TokenPolicy{}); err != nil {
			t.Fatal(err)
		}
	}
	// 2 opened on 9 March, reported 40 minted; 3 opened on 10 March, not reported.
	open(mar9, 1)
	open(mar9, 2)
	open(mar10, 1)
	open(mar10, 2)
	open(mar10, 3)
	open(mar10, 3) // the same token twice is one receipt
	if err := s.ReportMinted(ctx, "MG.STP", "2026-03-09", 10); err != nil {
		t.Fatal(err)
	}
	if err := s.ReportMinted(ctx, "MG.STP", "2026-03-09", 40); err != nil { // the last report wins
		t.Fatal(err)
	}
	// MG.STC reports minted tokens of a day nobody opened yet, and a day of 2025.
	if err := s.ReportMinted(ctx, "MG.STC", "2026-01-05", 25); err != nil {
		t.Fatal(err)
	}
	if err := s.ReportMinted(ctx, "MG.STC", "2025-12-31", 7); err != nil {
		t.Fatal(err)
	}
	// A report below what citizens opened counts what they opened.
	sec2 := mustSecret(t, s, "MG.X01")
	for i := range 4 {
		if _, err := s.AcceptSignedToken(ctx, mustMint(t, sec2, mar10, uint32(i)), store.TokenPolicy{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ReportMinted(ctx, "MG.X01", "2026-03-10", 1); err != nil {
		t.Fatal(err)
	}
	got, err := s.Populations(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	want := index.Populations{"MG.STP": 3 + 40 + 3, "MG.STC": 25, "MG.X01": 4}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Populations(2026) (-want +got):\n%s", diff)
	}
	if got, _ := s.Populations(ctx, 2025); !cmp.Equal(got, index.Populations{"MG.STC": 7}) {
		t.Errorf("Populations(2025) = %v, want MG.STC 7", got)
	}
	if _, err := s.ImportPopulations(ctx, []dataset.Population{{Year: 2026, AgencyCode: "MG.STP", Receipts: 500}}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Populations(ctx, 2026)
	if got["MG.STP"] != 500 {
		t.Errorf("after import, MG.STP = %v, want 500 (imported wins)", got["MG.STP"])
	}
	minted, err := s.ListMinted(ctx, 100)
	if err != nil || len(minted) != 5 {
		t.Fatalf("ListMinted = %+v, %v", minted, err)
	}
	if m := minted[0]; m.Day != "2026-03-10" {
		t.Errorf("ListMinted newest first: %+v", m)
	}
	for _, bad := range []struct {
		agency, day string
		n           int64
	}{{"NOPE", "2026-03-01", 1}, {"MG.STP", "2026-3-1", 1}, {"MG.STP", "2026-03-01", -1}} {
		if err := s.ReportMinted(ctx, bad.agency, bad.day, bad.n); err == nil {
			t.Errorf("ReportMinted(%v): want an error", bad)
		}
	}
}
