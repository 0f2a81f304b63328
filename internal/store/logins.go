package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Sign-in throttling (docs/security.md, V2.2). Failures count per (email, client address) in
// LoginWindow, per address in LoginWindow (password spraying), and per email from every
// address in LoginEmailWindow: the slower global limit against guessing from many addresses.
// An address where the official signed in within KnownClientAge is exempt from the global
// limit, so an attacker elsewhere cannot lock the official out at their own desk.
const (
	LoginWindow               = 15 * time.Minute
	MaxFailuresPerEmailClient = 5
	MaxFailuresPerClient      = 20
	LoginEmailWindow          = 24 * time.Hour
	MaxFailuresPerEmail       = 50
	KnownClientAge            = 30 * 24 * time.Hour
)

// ErrLoginThrottled is returned by ReserveLogin when a limit is reached: the attempt is not
// recorded and its password must not be checked.
var ErrLoginThrottled = errors.New("store: too many failed sign-ins")

// ReserveLogin records a sign-in attempt of email from client before its password is
// checked, in the write transaction that counts the earlier ones: parallel attempts are
// serialised by the one writer, so they see each other and no more than the limits are ever
// checked. It returns the attempt's id for FinishLogin, or ErrLoginThrottled.
func (s *Store) ReserveLogin(ctx context.Context, email, client string) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var pair, byClient, byEmail int
		var known bool
		err := tx.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM login_attempts WHERE email = ?1 AND client = ?2 AND at > ?3 AND outcome != 'ok'),
			(SELECT count(*) FROM login_attempts WHERE client = ?2 AND at > ?3 AND outcome != 'ok'),
			(SELECT count(*) FROM login_attempts WHERE email = ?1 AND at > ?4 AND outcome != 'ok'),
			EXISTS (SELECT 1 FROM login_attempts WHERE email = ?1 AND client = ?2 AND at > ?5 AND outcome = 'ok')`,
			email, client, formatTime(now.Add(-LoginWindow)), formatTime(now.Add(-LoginEmailWindow)),
			formatTime(now.Add(-KnownClientAge))).Scan(&pair, &byClient, &byEmail, &known)
		if err != nil {
			return fmt.Errorf("store: reserve login: %w", err)
		}
		if pair >= MaxFailuresPerEmailClient || byClient >= MaxFailuresPerClient || (byEmail >= MaxFailuresPerEmail && !known) {
			return ErrLoginThrottled
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE at < ? OR (outcome != 'ok' AND at < ?)`,
			formatTime(now.Add(-KnownClientAge)), formatTime(now.Add(-LoginEmailWindow))); err != nil {
			return fmt.Errorf("store: reserve login: %w", err)
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO login_attempts (at, email, client) VALUES (?, ?, ?)`, formatTime(now), email, client)
		if err != nil {
			return fmt.Errorf("store: reserve login: %w", err)
		}
		id, err = r.LastInsertId()
		return err
	})
	return id, err
}

// FinishLogin records the outcome of a reserved attempt. A success forgets the failures of
// that email from that address and makes the address known (KnownClientAge).
func (s *Store) FinishLogin(ctx context.Context, id int64, ok bool) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if !ok {
			_, err := tx.ExecContext(ctx, `UPDATE login_attempts SET outcome = 'failed' WHERE id = ?`, id)
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE outcome != 'ok' AND id != ?1
			AND (email, client) = (SELECT email, client FROM login_attempts WHERE id = ?1)`, id); err != nil {
			return fmt.Errorf("store: finish login: %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE login_attempts SET outcome = 'ok' WHERE id = ?`, id)
		return err
	})
}

// throttledFlushInterval is how long throttled sign-ins are counted in memory before their
// summary reaches the audit log.
const throttledFlushInterval = 10 * time.Second

// maxThrottledKeys bounds the (email, address) pairs counted between two flushes; beyond it
// the attempts are counted under one "(other)" pair, so a flood of distinct emails cannot grow
// the map without end.
const maxThrottledKeys = 10000

type throttledKey struct{ email, client string }

// throttledBuffer counts sign-ins refused by ErrLoginThrottled, which cost no password check
// and no write each: one audit row per (email, address) summarises them every flush.
type throttledBuffer struct {
	mu      sync.Mutex
	pending map[throttledKey]int64
}

// CountThrottledLogin counts one throttled sign-in in memory.
func (s *Store) CountThrottledLogin(email, client string) {
	s.throttled.mu.Lock()
	defer s.throttled.mu.Unlock()
	if s.throttled.pending == nil {
		s.throttled.pending = map[throttledKey]int64{}
	}
	k := throttledKey{email, client}
	if _, ok := s.throttled.pending[k]; !ok && len(s.throttled.pending) >= maxThrottledKeys {
		k = throttledKey{"(other)", "(other)"}
	}
	s.throttled.pending[k]++
}

// flushThrottled writes the summary rows "login.throttled" of the counts so far.
func (s *Store) flushThrottled(ctx context.Context) error {
	s.throttled.mu.Lock()
	pending := s.throttled.pending
	s.throttled.pending = nil
	s.throttled.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		for k, n := range pending {
			detail := fmt.Sprintf("%d sign-in attempts refused unchecked from %s", n, k.client)
			if err := audit(ctx, tx, now, k.email, "login.throttled", detail); err != nil {
				return err
			}
		}
		return nil
	})
}

// startThrottledFlusher writes the throttled counts every throttledFlushInterval until Close.
func (s *Store) startThrottledFlusher() {
	s.every(throttledFlushInterval, "flush throttled sign-ins", s.flushThrottled)
}
