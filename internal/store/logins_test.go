package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// TestReserveLoginIsAtomic: 100 parallel attempts for one email from one address reserve
// exactly the limit; the rest are throttled before any password is checked.
func TestReserveLoginIsAtomic(t *testing.T) {
	s := storetest.Open(t)
	var reserved, throttled atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			id, err := s.ReserveLogin(t.Context(), "quantri@sipas.test", "192.0.2.1")
			switch {
			case errors.Is(err, store.ErrLoginThrottled):
				throttled.Add(1)
			case err != nil:
				t.Error(err)
			default:
				reserved.Add(1)
				if err := s.FinishLogin(t.Context(), id, false); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if reserved.Load() != store.MaxFailuresPerEmailClient || throttled.Load() != 100-store.MaxFailuresPerEmailClient {
		t.Errorf("%d reserved, %d throttled; want exactly %d reserved", reserved.Load(), throttled.Load(), store.MaxFailuresPerEmailClient)
	}
}

// TestLoginLimits: per (email, address), per address, and the slower per-email limit from
// every address, which spares an address where the official signed in before.
func TestLoginLimits(t *testing.T) {
	clk := storetest.NewClock(time.Now())
	s := storetest.OpenOptions(t, store.Options{Now: clk.Now})
	ctx := t.Context()
	try := func(email, client string, ok bool) error {
		id, err := s.ReserveLogin(ctx, email, client)
		if err != nil {
			return err
		}
		return s.FinishLogin(ctx, id, ok)
	}
	const email = "lanhdao@sipas.test"
	if err := try(email, "203.0.113.9", true); err != nil { // the official's own desk
		t.Fatal(err)
	}
	// An attacker spreads guesses over many addresses, 4 each: under the per-pair limit.
	for i := range store.MaxFailuresPerEmail / 4 {
		for range 4 {
			if err := try(email, fmt.Sprintf("198.51.100.%d", i), false); err != nil {
				t.Fatalf("guess from address %d: %v", i, err)
			}
		}
	}
	clk.Advance(time.Minute)
	// 48 failures so far: two more reach the global limit, the next is throttled.
	for i := range 3 {
		err := try(email, fmt.Sprintf("198.51.100.%d", 200+i), false)
		if want := i == 2; errors.Is(err, store.ErrLoginThrottled) != want {
			t.Errorf("guess %d from a new address after 48 failures: %v, throttled want %v", 49+i, err, want)
		}
	}
	if err := try(email, "203.0.113.9", true); err != nil {
		t.Errorf("the official at a known address: %v, want to sign in", err)
	}
	if err := try(email, "203.0.113.10", false); !errors.Is(err, store.ErrLoginThrottled) {
		t.Errorf("an unknown address past the global limit: %v", err)
	}
	clk.Advance(store.LoginEmailWindow + time.Second)
	if err := try(email, "203.0.113.10", true); err != nil {
		t.Errorf("a day later: %v", err)
	}
	// Throttled attempts are counted in memory and reach the audit as one summary row.
	for range 50 {
		s.CountThrottledLogin(email, "198.51.100.1")
	}
	entries, err := s.ListAudit(ctx, "login.throttled", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !strings.HasPrefix(entries[0].Detail, "50 sign-in attempts") || entries[0].Actor != email {
		t.Errorf("audit of 50 throttled attempts = %+v, want one summary row", entries)
	}
}
