package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

var kioskSub = store.Submission{SurveyID: "sipas-quick", SurveyVersion: "2026.1", Source: "kiosk", Answers: "A0:4 B0:5"}

// mustKiosk registers a kiosk of MG.STP and returns it with its enrolment code.
func mustKiosk(t *testing.T, s *store.Store, anon bool) (store.Kiosk, receipt.Token) {
	t.Helper()
	code, err := receipt.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.CreateKiosk(t.Context(), store.NewKiosk{AgencyCode: "MG.STP", Counter: "Quầy 2", AllowWithoutReceipt: anon, EnrolHash: code.Hash()})
	if err != nil {
		t.Fatal(err)
	}
	return k, code
}

func TestCreateKioskDefaults(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp", "province")
	k, _ := mustKiosk(t, s, false)
	if k.SurveyID != "sipas-quick" || k.IdleSeconds != 60 || k.AllowWithoutReceipt || k.Enrolled || k.Revoked {
		t.Errorf("new kiosk = %+v, want sipas-quick, 60 s, no anon, not enrolled", k)
	}
	if k.AgencyCode != "MG.STP" || k.Counter != "Quầy 2" {
		t.Errorf("kiosk agency/counter = %s/%s", k.AgencyCode, k.Counter)
	}
	if !k.EnrolPending(time.Now()) || k.EnrolPending(time.Now().Add(25*time.Hour)) {
		t.Errorf("enrolment code valid until %v, want 24 h", k.EnrolExpiresAt)
	}
	if _, err := s.CreateKiosk(t.Context(), store.NewKiosk{AgencyCode: "MG.STP", Counter: "x", IdleSeconds: 14, EnrolHash: "h"}); err == nil {
		t.Error("idle 14 s: want an error")
	}
	if _, err := s.CreateKiosk(t.Context(), store.NewKiosk{AgencyCode: "NOPE", Counter: "x", EnrolHash: "h2"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agency: err = %v, want ErrNotFound", err)
	}
}

func TestEnrolKiosk(t *testing.T) {
	clk := storetest.NewClock(time.Now())
	s := storetest.OpenOptions(t, store.Options{Now: clk.Now})
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp", "province")
	ctx := t.Context()

	k, code := mustKiosk(t, s, false)
	if _, err := s.EnrolKiosk(ctx, "wrong", "dev1"); !errors.Is(err, store.ErrEnrolCode) {
		t.Errorf("wrong code: err = %v, want ErrEnrolCode", err)
	}
	got, err := s.EnrolKiosk(ctx, code.Hash(), "dev1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != k.ID || !got.Enrolled || got.EnrolPending(clk.Now()) {
		t.Errorf("enrolled kiosk = %+v", got)
	}
	if _, err := s.EnrolKiosk(ctx, code.Hash(), "dev2"); !errors.Is(err, store.ErrEnrolCode) {
		t.Errorf("second use of the code: err = %v, want ErrEnrolCode (single use)", err)
	}
	if f, err := s.FindKioskByDevice(ctx, "dev1"); err != nil || f.ID != k.ID {
		t.Errorf("FindKioskByDevice(dev1) = %v, %v", f.ID, err)
	}
	if _, err := s.FindKioskByDevice(ctx, "dev2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FindKioskByDevice(dev2): err = %v, want ErrNotFound", err)
	}

	// A new code for a replacement tablet: it replaces the credential.
	code2, _ := receipt.NewToken()
	if err := s.RenewKioskEnrolment(ctx, k.ID, code2.Hash()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnrolKiosk(ctx, code2.Hash(), "dev3"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindKioskByDevice(ctx, "dev1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old tablet after re-enrolment: err = %v, want ErrNotFound", err)
	}

	// Expiry: 24 h.
	k2, code3 := mustKiosk(t, s, false)
	clk.Advance(24*time.Hour + time.Second)
	if _, err := s.EnrolKiosk(ctx, code3.Hash(), "dev4"); !errors.Is(err, store.ErrEnrolCode) {
		t.Errorf("code after 24 h: err = %v, want ErrEnrolCode", err)
	}

	// Revocation.
	if err := s.RevokeKiosk(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if f, err := s.FindKioskByDevice(ctx, "dev3"); err != nil || !f.Revoked {
		t.Errorf("revoked kiosk: %+v, %v; want Revoked", f, err)
	}
	if err := s.RevokeKiosk(ctx, k.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke twice: err = %v, want ErrNotFound", err)
	}
	if err := s.RenewKioskEnrolment(ctx, k.ID, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renew a revoked kiosk: err = %v, want ErrNotFound", err)
	}
	list, err := s.ListKiosks(ctx)
	if err != nil || len(list) != 2 || list[0].ID != k2.ID {
		t.Errorf("ListKiosks = %d kiosks (%v), want 2, newest first", len(list), err)
	}
	if acts := storetest.AuditActions(t, s); len(acts) != 2 || acts[0] != "kiosk.enrol" {
		t.Errorf("audit = %v, want two kiosk.enrol", acts)
	}
}

func TestSubmitKioskResponse(t *testing.T) {
	clk := storetest.NewClock(time.Date(2026, 3, 10, 9, 0, 0, 0, calendar.Zone))
	s := storetest.OpenOptions(t, store.Options{Now: clk.Now})
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp", "province")
	ctx := t.Context()
	k, _ := mustKiosk(t, s, true)
	tok := storetest.MustCreateReceipt(t, s, "MG.STP")

	sub := store.KioskSubmission{KioskID: k.ID, Key: "key-with-receipt-0001", Token: tok, Submission: kioskSub}
	res, err := s.SubmitKioskResponse(ctx, sub)
	if err != nil || res.Replay || res.ResponseID == "" {
		t.Fatalf("first submission = %+v, %v", res, err)
	}
	// The same key again: the first outcome, nothing stored.
	again, err := s.SubmitKioskResponse(ctx, sub)
	if err != nil || !again.Replay || again.ResponseID != res.ResponseID {
		t.Errorf("replay = %+v, %v; want the first response, Replay", again, err)
	}
	// Another key for the same receipt: already used.
	sub.Key = "key-with-receipt-0002"
	if _, err := s.SubmitKioskResponse(ctx, sub); !errors.Is(err, receipt.ErrAlreadyUsed) {
		t.Errorf("second key for one receipt: err = %v, want ErrAlreadyUsed", err)
	}
	unknown, _ := receipt.NewToken()
	sub.Key, sub.Token = "key-unknown-receipt", unknown
	if _, err := s.SubmitKioskResponse(ctx, sub); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown receipt: err = %v, want ErrNotFound", err)
	}

	rows := storetest.Responses(t, s)
	if len(rows) != 1 || rows[0].Source != "kiosk" || !rows[0].HasReceipt || rows[0].SurveyID != "sipas-quick" {
		t.Fatalf("responses = %+v, want one kiosk response with its receipt", rows)
	}
	if rc, _ := s.FindReceiptByTokenHash(ctx, tok.Hash()); !rc.Answered {
		t.Error("the receipt is not answered")
	}

	// Without a receipt, a queued answer keeps the time it was given.
	at := clk.Now().Add(-2 * time.Hour)
	anon := store.KioskSubmission{KioskID: k.ID, Key: "anon-0000000000001", AnsweredAt: at, Submission: kioskSub}
	if _, err := s.SubmitKioskResponse(ctx, anon); err != nil {
		t.Fatal(err)
	}
	rows = storetest.Responses(t, s)
	if len(rows) != 2 || rows[1].HasReceipt || rows[1].Channel != "counter" {
		t.Errorf("anonymous kiosk response = %+v", rows[len(rows)-1])
	}
	counts, err := s.CountKioskResponses(ctx)
	if err != nil || counts[k.ID] != (store.KioskCounts{WithReceipt: 1, WithoutReceipt: 1}) {
		t.Errorf("CountKioskResponses = %v, %v", counts, err)
	}

	// A kiosk that takes no answers without a receipt, and a revoked one.
	k2, _ := mustKiosk(t, s, false)
	if _, err := s.SubmitKioskResponse(ctx, store.KioskSubmission{KioskID: k2.ID, Key: "anon-k2-000000000", Submission: kioskSub}); !errors.Is(err, auth.ErrForbidden) {
		t.Errorf("anonymous at a kiosk that does not allow it: err = %v, want auth.ErrForbidden", err)
	}
	if err := s.RevokeKiosk(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SubmitKioskResponse(ctx, store.KioskSubmission{KioskID: k.ID, Key: "after-revoke-00000", Submission: kioskSub}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked kiosk: err = %v, want ErrNotFound", err)
	}
}

// TestKioskAnonRate: one answer without a receipt per 20 s and 60 an hour, judged by the
// answer times, so a burst of queued answers given far enough apart all pass.
func TestKioskAnonRate(t *testing.T) {
	clk := storetest.NewClock(time.Date(2026, 3, 10, 9, 0, 0, 0, calendar.Zone))
	s := storetest.OpenOptions(t, store.Options{Now: clk.Now})
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp", "province")
	ctx := t.Context()
	k, _ := mustKiosk(t, s, true)
	submit := func(key string, at time.Time) error {
		_, err := s.SubmitKioskResponse(ctx, store.KioskSubmission{KioskID: k.ID, Key: key, AnsweredAt: at, Submission: kioskSub})
		return err
	}
	now := clk.Now()
	if err := submit("rate-000000000000", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := submit("rate-000000000001", time.Time{}); !errors.Is(err, store.ErrRateLimited) {
		t.Errorf("second at once: err = %v, want ErrRateLimited", err)
	}
	if err := submit("rate-000000000002", now.Add(-19*time.Second)); !errors.Is(err, store.ErrRateLimited) {
		t.Errorf("19 s before: err = %v, want ErrRateLimited", err)
	}
	clk.Advance(21 * time.Second)
	if err := submit("rate-000000000003", time.Time{}); err != nil {
		t.Errorf("21 s later: %v", err)
	}

	// 60 in an hour by answer time: a second kiosk, seen, then offline for an hour, sends 61
	// queued answers given 21 s apart.
	k2, _ := mustKiosk(t, s, true)
	if err := s.TouchKiosk(ctx, k2.ID); err != nil {
		t.Fatal(err)
	}
	base := clk.Now()
	clk.Advance(time.Hour)
	for i := range store.AnonPerHour {
		_, err := s.SubmitKioskResponse(ctx, store.KioskSubmission{KioskID: k2.ID, Key: fmt.Sprintf("hour-%012d", i),
			AnsweredAt: base.Add(time.Duration(i+1) * 21 * time.Second), Submission: kioskSub})
		if err != nil {
			t.Fatalf("answer %d of the hour: %v", i+1, err)
		}
	}
	_, err := s.SubmitKioskResponse(ctx, store.KioskSubmission{KioskID: k2.ID, Key: "hour-over-000000",
		AnsweredAt: base.Add(time.Duration(store.AnonPerHour+1) * 21 * time.Second), Submission: kioskSub})
	if !errors.Is(err, store.ErrRateLimited) {
		t.Errorf("61st in an hour: err = %v, want ErrRateLimited", err)
	}
	// An answer time in the future (a kiosk clock far ahead) is taken as now.
	_, err = s.SubmitKioskResponse(ctx, store.KioskSubmission{KioskID: k.ID, Key: "future-000000000", AnsweredAt: clk.Now().Add(time.Hour), Submission: kioskSub})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SubmitKioskResponse(ctx, store.KioskSubmission{KioskID: k.ID, Key: "future-000000001", AnsweredAt: clk.Now().Add(time.Hour), Submission: kioskSub})
	if !errors.Is(err, store.ErrRateLimited) {
		t.Errorf("future answer time right after an answer: err = %v, want ErrRateLimited (taken as now)", err)
	}
}

// TestKioskBackdatedAnswersRefused is the finding of issue 17: a tablet that backdates its
// answers without a receipt in 61-second steps stored 400 in 2.3 s, because the limits were
// judged on the time it claimed. Now a claimed time is believed only inside the kiosk's real
// offline window as the server saw it, and backfills are capped per real hour.
func TestKioskBackdatedAnswersRefused(t *testing.T) {
	clk := storetest.NewClock(time.Date(2026, 3, 10, 9, 0, 0, 0, calendar.Zone))
	s := storetest.OpenOptions(t, store.Options{Now: clk.Now})
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp", "province")
	ctx := t.Context()
	submit := func(k store.Kiosk, key string, at time.Time) error {
		_, err := s.SubmitKioskResponse(ctx, store.KioskSubmission{KioskID: k.ID, Key: key, AnsweredAt: at, Submission: kioskSub})
		return err
	}
	stored := func(k store.Kiosk) (all, backfilled int) {
		rows, err := s.QueryStrings(ctx, fmt.Sprintf(`SELECT count(*) || ' ' || coalesce(sum(backfilled), 0) FROM responses WHERE kiosk_id = %d`, k.ID))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Sscan(rows[0], &all, &backfilled)
		return all, backfilled
	}

	// An online kiosk (it was just in touch) claims 400 answers, each 61 s before the last.
	online, _ := mustKiosk(t, s, true)
	if err := s.TouchKiosk(ctx, online.ID); err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		submit(online, fmt.Sprintf("backdate-%09d", i), clk.Now().Add(-time.Duration(i+3)*61*time.Second))
	}
	// One is taken as given now; a claimed time is believed only within the clock-skew
	// allowance (5 min) before the kiosk's last contact, which holds at most 300/61 of them.
	if all, _ := stored(online); all < 1 || all > 1+300/61 {
		t.Errorf("online kiosk backdating 400 answers: %d stored, want 1 to %d", all, 1+300/61)
	}

	// A real outage: seen at 9:00, silent until 12:00, then 100 queued answers given 100 s
	// apart in between. BackfillPerHour of them are stored at once, flagged, with the times
	// they were given; the rest are refused until the next real hour.
	outage, _ := mustKiosk(t, s, true)
	if err := s.TouchKiosk(ctx, outage.ID); err != nil {
		t.Fatal(err)
	}
	wentOffline := clk.Now()
	clk.Advance(3 * time.Hour)
	var refused int
	for i := range 100 {
		if err := submit(outage, fmt.Sprintf("queued-%011d", i), wentOffline.Add(time.Duration(i+1)*100*time.Second)); errors.Is(err, store.ErrRateLimited) {
			refused++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if all, backfilled := stored(outage); all != store.BackfillPerHour || backfilled != all || refused != 100-store.BackfillPerHour {
		t.Errorf("after the outage: %d stored (%d flagged backfilled), %d refused; want %d, all flagged, %d refused",
			all, backfilled, refused, store.BackfillPerHour, 100-store.BackfillPerHour)
	}
	rows := storetest.Responses(t, s)
	if last := rows[len(rows)-1]; last.Month != 3 {
		t.Errorf("backfilled answer stored in month %d", last.Month)
	}
	// Claimed before the kiosk went offline: it could not have held that answer; taken as now.
	if err := submit(outage, "before-outage-0000", wentOffline.Add(-time.Hour)); err != nil {
		t.Fatalf("an answer claimed before the outage, taken as now: %v", err)
	}
	if _, backfilled := stored(outage); backfilled != store.BackfillPerHour {
		t.Errorf("the answer claimed before the outage was stored as a backfill")
	}
	// A real hour later, the kiosk having stayed in touch (its start screen every 5 minutes),
	// the rest of the queue is taken: its offline window is still 9:00 to 12:00.
	for range 13 {
		clk.Advance(5*time.Minute + time.Second)
		if err := s.TouchKiosk(ctx, outage.ID); err != nil {
			t.Fatal(err)
		}
	}
	for i := store.BackfillPerHour; i < 100; i++ {
		if err := submit(outage, fmt.Sprintf("queued-%011d", i), wentOffline.Add(time.Duration(i+1)*100*time.Second)); err != nil {
			t.Errorf("queued answer %d an hour later: %v", i, err)
		}
	}
	if _, backfilled := stored(outage); backfilled != 100 {
		t.Errorf("%d backfilled answers stored in all, want 100", backfilled)
	}
}

// TestKioskConcurrentReplays: many copies of one answer at once (a flaky network retrying)
// store one row.
func TestKioskConcurrentReplays(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp", "province")
	k, _ := mustKiosk(t, s, true)
	var wg sync.WaitGroup
	replays := make(chan bool, 16)
	for range 16 {
		wg.Go(func() {
			res, err := s.SubmitKioskResponse(t.Context(), store.KioskSubmission{KioskID: k.ID, Key: "same-key-000000000", Submission: kioskSub})
			if err != nil {
				t.Error(err)
				return
			}
			replays <- res.Replay
		})
	}
	wg.Wait()
	close(replays)
	first := 0
	for r := range replays {
		if !r {
			first++
		}
	}
	if first != 1 {
		t.Errorf("%d submissions were not replays, want 1", first)
	}
	if n := len(storetest.Responses(t, s)); n != 1 {
		t.Errorf("%d rows, want 1", n)
	}
}

func TestTouchKiosk(t *testing.T) {
	clk := storetest.NewClock(time.Now())
	s := storetest.OpenOptions(t, store.Options{Now: clk.Now})
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp", "province")
	k, code := mustKiosk(t, s, false)
	if _, err := s.EnrolKiosk(t.Context(), code.Hash(), "dev"); err != nil {
		t.Fatal(err)
	}
	enrolled := clk.Now()
	clk.Advance(time.Minute)
	if err := s.TouchKiosk(t.Context(), k.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindKiosk(t.Context(), k.ID); !got.LastSeenAt.Equal(enrolled.Truncate(time.Millisecond)) {
		t.Errorf("last seen after 1 min = %v, want unchanged %v (written at most every 5 min)", got.LastSeenAt, enrolled)
	}
	clk.Advance(5 * time.Minute)
	if err := s.TouchKiosk(t.Context(), k.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindKiosk(t.Context(), k.ID); !got.LastSeenAt.Equal(clk.Now().Truncate(time.Millisecond)) {
		t.Errorf("last seen = %v, want %v", got.LastSeenAt, clk.Now())
	}
}
