package web

import (
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/receipt"
	"sipas/internal/store"
)

// What the citizen routes limit is refusals, never answers. A valid, unanswered receipt's
// answer is looked up and stored before any limit is consulted, so hundreds of citizens
// behind one address (a service centre's Wi-Fi, a carrier's NAT) are never turned away. A
// refused attempt (an unknown, forged, reused or expired code, an invalid or empty form, an
// oversized body) charges its client address, and at a kiosk the kiosk too; a client whose
// refusals exceed its RefusalLimit has them answered 429 for a backoff that doubles while
// they go on. Receipt tokens carry 80 random bits, so the limit is not what stops guessing
// them; it bounds what a flood of refusals costs, and the guessing of the kiosk's 12-digit
// receipt numbers (docs/tokens.md, "Receipt numbers").

// RefusalLimit is how many refused attempts one client may make: Burst at once, then PerHour
// (spread evenly over the hour). Beyond that its refusals are answered 429 for backoffMin,
// doubling with each further excess up to backoffMax; nothing is regained while it is held
// back. The zero value means the default of its kind.
type RefusalLimit struct {
	Burst   int
	PerHour int
}

// The default refusal limits, and why they are generous: a service centre taking 500
// citizens an hour behind one address sees perhaps one refusal in ten (a receipt sent twice,
// an empty form), 50 an hour, well inside the address's 120 at once and 120 an hour; a
// carrier's NAT may exceed them, and then only its refusals get 429 (a refused form is still
// shown again, filled in). A kiosk types codes for the citizens at one counter: 20 at once
// and 60 an hour is more typing mistakes than a counter makes, and little for someone
// guessing receipt numbers at the tablet. docs/operations.md gives the figures.
var (
	DefaultAddressRefusals = RefusalLimit{Burst: 120, PerHour: 120}
	DefaultKioskRefusals   = RefusalLimit{Burst: 20, PerHour: 60}
)

const (
	backoffMin = time.Minute
	backoffMax = time.Hour
	// strikeMemory is how long after its last backoff a client's backoff starts from
	// backoffMin again.
	strikeMemory = 24 * time.Hour
	// maxClients bounds the clients a limiter tracks; beyond it (a flood from very many
	// addresses) the new ones share one entry, which holds back only refusals.
	maxClients = 1 << 16
	sweepEvery = time.Minute
)

// limiter holds the refusal budgets of one kind of client.
type limiter struct {
	lim RefusalLimit

	mu      sync.Mutex
	clients map[string]*budget
	swept   time.Time
}

// budget is one client's state: refusals it may still make, and its backoff.
type budget struct {
	tokens    float64
	at        time.Time // tokens is up to date at this time
	until     time.Time // refusals are answered 429 until then
	strikes   int       // backoffs since the client was last quiet for strikeMemory
	lastBlock time.Time
}

func newLimiter(lim, def RefusalLimit) *limiter {
	if lim == (RefusalLimit{}) {
		lim = def
	}
	return &limiter{lim: lim, clients: map[string]*budget{}}
}

// charge counts one refusal of client key at now and returns how long the client is held
// back: 0 means the refusal is answered for what it is, more means 429 with that
// Retry-After.
func (l *limiter) charge(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.clients[key]
	if !ok {
		if len(l.clients) >= maxClients {
			key = "overflow"
		}
		if b, ok = l.clients[key]; !ok {
			b = &budget{tokens: float64(l.lim.Burst), at: now}
			l.clients[key] = b
		}
	}
	if now.Before(b.until) {
		return b.until.Sub(now)
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	if now.Sub(b.lastBlock) > strikeMemory {
		b.strikes = 0
	}
	d := backoffMax
	if b.strikes < 6 { // 1 min << 6 > 1 h
		d = min(backoffMin<<b.strikes, backoffMax)
		b.strikes++
	}
	b.until, b.lastBlock = now.Add(d), now
	return d
}

// heldBack returns how long client key is held back at now, without charging it.
func (l *limiter) heldBack(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.clients[key]; ok && now.Before(b.until) {
		return b.until.Sub(now)
	}
	return 0
}

// refill brings b's tokens up to now: PerHour an hour since the later of its last update and
// the end of its backoff, at most Burst.
func (l *limiter) refill(b *budget, now time.Time) {
	from := b.at
	if b.until.After(from) {
		from = b.until
	}
	if now.After(from) {
		b.tokens = min(float64(l.lim.Burst), b.tokens+now.Sub(from).Hours()*float64(l.lim.PerHour))
	}
	b.at = now
}

// sweep forgets, once a minute, the clients that are as good as new: full, not held back and
// without a recent backoff.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < sweepEvery {
		return
	}
	l.swept = now
	for k, b := range l.clients {
		if now.Before(b.until) || now.Sub(b.lastBlock) <= strikeMemory && b.strikes > 0 {
			continue
		}
		l.refill(b, now)
		if b.tokens >= float64(l.lim.Burst) {
			delete(l.clients, k)
		}
	}
}

// limits are the server's two refusal limiters.
type limits struct {
	addresses, kiosks *limiter
}

func newLimits(cfg Config) limits {
	return limits{
		addresses: newLimiter(cfg.AddressRefusals, DefaultAddressRefusals),
		kiosks:    newLimiter(cfg.KioskRefusals, DefaultKioskRefusals),
	}
}

// addressKey is the client a refusal is charged to: its address, or for IPv6 its /64, the
// block one subscriber gets.
func addressKey(ip string) string {
	a := net.ParseIP(ip)
	if a == nil {
		return "ip:" + ip
	}
	if v4 := a.To4(); v4 != nil {
		return "ip:" + v4.String()
	}
	return "ip6:" + a.Mask(net.CIDRMask(64, 128)).String()
}

// refuse counts one refused citizen attempt for reason, charges the client address (and the
// kiosk, on kiosk routes), and returns how long they are held back. A refusal held back is
// counted as receipt.RefusalRateLimited: what the client was told.
func (s *Server) refuse(c echo.Context, reason string) time.Duration {
	now := time.Now()
	wait := s.limits.addresses.charge(addressKey(c.RealIP()), now)
	if k, ok := c.Get(ctxKiosk).(store.Kiosk); ok {
		wait = max(wait, s.limits.kiosks.charge(kioskKey(k), now))
	}
	if wait > 0 {
		reason = receipt.RefusalRateLimited
		setRetryAfter(c, wait)
	}
	s.refused(c, reason)
	return wait
}

// numberGate refuses a receipt number from a kiosk that is held back, before it is looked up.
// A valid answer is never limited, so a held-back client's guesses would otherwise still be
// tried; for an 80-bit token that is harmless, for a 12-digit number it is what the kiosk's
// limit must prevent (docs/tokens.md, "Receipt numbers"). Tokens still open receipts there.
func (s *Server) numberGate(c echo.Context) error {
	k, ok := c.Get(ctxKiosk).(store.Kiosk)
	if !ok {
		return nil
	}
	if wait := s.limits.kiosks.heldBack(kioskKey(k), time.Now()); wait > 0 {
		setRetryAfter(c, wait)
		s.refused(c, receipt.RefusalRateLimited)
		return errHeldBack
	}
	return nil
}

func kioskKey(k store.Kiosk) string { return "kiosk:" + strconv.FormatInt(k.ID, 10) }

func setRetryAfter(c echo.Context, wait time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)))
}
