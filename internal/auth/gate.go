package auth

import (
	"sync/atomic"
)

// MaxEmailBytes is the longest email accepted anywhere (RFC 5321's 254-byte path limit): a
// longer one is refused before it costs a lookup, a hash or an audit row.
const MaxEmailBytes = 254

// PasswordGate bounds the password verifications that run at once. Each argon2id check holds
// DefaultArgon2.Memory (19 MiB) and a core for tens of milliseconds, so unbounded parallel
// sign-ins turn the hash into a weapon against memory and against citizens' answers. A
// request that finds every slot taken is refused at once (Enter returns false): it never
// waits, so waiting requests cannot pile up memory either.
type PasswordGate struct {
	slots    chan struct{}
	verified atomic.Int64
	refused  atomic.Int64
}

// NewPasswordGate returns a gate of n slots (at least 1).
func NewPasswordGate(n int) *PasswordGate {
	return &PasswordGate{slots: make(chan struct{}, max(n, 1))}
}

// Enter takes a slot, or returns false at once when there is none; call Leave after.
func (g *PasswordGate) Enter() bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
		g.refused.Add(1)
		return false
	}
}

// Leave gives the slot back.
func (g *PasswordGate) Leave() { <-g.slots }

// Verify checks pw against a PHC hash (VerifyPassword), or against a hash of the same cost
// when phc is "" (an unknown email), so that every answer costs the same time. Call it
// between Enter and Leave.
func (g *PasswordGate) Verify(pw, phc string) bool {
	g.verified.Add(1)
	if phc == "" {
		VerifyNobody(pw)
		return false
	}
	return VerifyPassword(pw, phc)
}

// Size is the number of slots.
func (g *PasswordGate) Size() int { return cap(g.slots) }

// Verified counts the passwords checked so far; Refused the requests turned away.
func (g *PasswordGate) Verified() int64 { return g.verified.Load() }

// Refused counts the requests Enter turned away.
func (g *PasswordGate) Refused() int64 { return g.refused.Load() }
