package web

import (
	"fmt"
	"testing"
	"time"
)

// The refusal limiter on its own, on a clock of the test's: a budget, a backoff that doubles
// and regains nothing while it lasts, and a client that starts afresh after a quiet day.
func TestLimiterBackoff(t *testing.T) {
	l := newLimiter(RefusalLimit{Burst: 3, PerHour: 60}, DefaultAddressRefusals)
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	for i := range 3 {
		if d := l.charge("a", now); d != 0 {
			t.Fatalf("refusal %d of the burst held back for %v", i, d)
		}
	}
	if d := l.charge("a", now); d != time.Minute {
		t.Fatalf("the refusal past the burst: held back %v, want 1m", d)
	}
	if d := l.charge("a", now.Add(30*time.Second)); d != 30*time.Second {
		t.Errorf("during the backoff: %v left, want 30s", d)
	}
	if d := l.charge("b", now); d != 0 {
		t.Errorf("another client held back for %v", d)
	}
	// A minute of backoff regains nothing: the next refusal right after it starts a longer one.
	if d := l.charge("a", now.Add(time.Minute)); d != 2*time.Minute {
		t.Errorf("right after the first backoff: %v, want 2m", d)
	}
	// After the backoff, one refusal a minute is regained.
	end := now.Add(3 * time.Minute)
	if d := l.charge("a", end.Add(time.Minute)); d != 0 {
		t.Errorf("a minute after the backoff: held back %v, want a regained refusal", d)
	}
	if d := l.charge("a", end.Add(time.Minute)); d != 4*time.Minute {
		t.Errorf("the backoff doubles again: %v, want 4m", d)
	}
	// The backoff stops at an hour.
	at := end.Add(time.Minute)
	for range 10 {
		at = at.Add(l.charge("a", at))
	}
	if d := l.charge("a", at); d != backoffMax {
		t.Errorf("after many backoffs: %v, want %v", d, backoffMax)
	}
	// A day and more of quiet: a full budget and the shortest backoff again.
	at = at.Add(backoffMax + strikeMemory + time.Hour)
	for i := range 3 {
		if d := l.charge("a", at); d != 0 {
			t.Fatalf("after a quiet day, refusal %d held back for %v", i, d)
		}
	}
	if d := l.charge("a", at); d != time.Minute {
		t.Errorf("after a quiet day the backoff starts at %v, want 1m", d)
	}
}

func TestLimiterForgetsAndBounds(t *testing.T) {
	l := newLimiter(RefusalLimit{Burst: 2, PerHour: 120}, DefaultAddressRefusals)
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	l.charge("a", now)
	l.charge("b", now)
	l.charge("b", now)
	l.charge("b", now) // held back
	// Two minutes on, a is full again and forgotten; b, held back recently, is kept.
	l.charge("c", now.Add(2*time.Minute))
	if _, ok := l.clients["a"]; ok {
		t.Error("a full, quiet client is still tracked")
	}
	if _, ok := l.clients["b"]; !ok {
		t.Error("a client held back is forgotten")
	}
	// However many clients come, the table stays bounded; the newest share one entry.
	for i := range maxClients + 10 {
		l.charge(fmt.Sprintf("ip:%d", i), now.Add(2*time.Minute))
	}
	if n := len(l.clients); n > maxClients+1 {
		t.Errorf("%d clients tracked, want at most %d", n, maxClients+1)
	}
}

func TestAddressKey(t *testing.T) {
	for _, tt := range []struct{ ip, want string }{
		{"192.0.2.7", "ip:192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "ip6:2001:db8:1:2::"},
		{"2001:db8:1:2::ffff", "ip6:2001:db8:1:2::"},
		{"::ffff:192.0.2.7", "ip:192.0.2.7"},
		{"not an address", "ip:not an address"},
	} {
		if got := addressKey(tt.ip); got != tt.want {
			t.Errorf("addressKey(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}
