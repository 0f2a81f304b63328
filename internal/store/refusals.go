package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/receipt"
)

// refusalFlushInterval is how long a refusal count may wait in memory before it is written.
const refusalFlushInterval = 10 * time.Second

type refusalKey struct{ day, reason string }

// refusalBuffer holds counts not yet written. It is keyed by day and reason, so a flood of
// refused requests costs a map increment each and a handful of rows every flush.
type refusalBuffer struct {
	mu      sync.Mutex
	pending map[refusalKey]int64
}

// CountRefusal counts one refused attempt (reason: one of receipt.RefusalReasons). It does not touch the database: counts are
// buffered and written every few seconds, when Refusals is called, and at Close, so an attack
// cannot turn refused requests into write transactions.
func (s *Store) CountRefusal(ctx context.Context, reason string) error {
	if reason == "" || len(reason) > 32 {
		return fmt.Errorf("store: count refusal: bad reason %q", reason)
	}
	k := refusalKey{calendar.Day(s.now()), reason}
	s.refusals.mu.Lock()
	defer s.refusals.mu.Unlock()
	if s.refusals.pending == nil {
		s.refusals.pending = map[refusalKey]int64{}
	}
	s.refusals.pending[k]++
	return nil
}

// Refusals returns the refusal counts of every day from since's day (in Vietnam time) on,
// ordered by day and reason, including counts not yet flushed.
func (s *Store) Refusals(ctx context.Context, since time.Time) ([]receipt.RefusalCount, error) {
	if err := s.flushRefusals(ctx); err != nil {
		return nil, err
	}
	return queryAll(ctx, s.r, "refusals", `SELECT day, reason, count FROM refusals WHERE day >= ? ORDER BY day, reason`,
		[]any{calendar.Day(since)}, func(r scanner) (rc receipt.RefusalCount, err error) {
			return rc, r.Scan(&rc.Day, &rc.Reason, &rc.Count)
		})
}

// flushRefusals writes the buffered counts in one transaction. On failure they are kept for
// the next flush.
func (s *Store) flushRefusals(ctx context.Context) error {
	s.refusals.mu.Lock()
	pending := s.refusals.pending
	s.refusals.pending = nil
	s.refusals.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		byReason := map[string]int64{}
		for k, n := range pending {
			byReason[k.reason] += n
			if _, err := tx.ExecContext(ctx, `INSERT INTO refusals (day, reason, count) VALUES (?, ?, ?)
				ON CONFLICT (day, reason) DO UPDATE SET count = count + excluded.count`, k.day, k.reason, n); err != nil {
				return fmt.Errorf("store: flush refusals: %w", err)
			}
		}
		return s.countRefusalHour(ctx, tx, now, byReason) // refusals.spike (webhook_outbox.go)
	})
	s.kickWebhooks()
	if err != nil {
		s.refusals.mu.Lock()
		if s.refusals.pending == nil {
			s.refusals.pending = map[refusalKey]int64{}
		}
		for k, n := range pending {
			s.refusals.pending[k] += n
		}
		s.refusals.mu.Unlock()
	}
	return err
}

// startRefusalFlusher writes buffered refusal counts every refusalFlushInterval until Close.
func (s *Store) startRefusalFlusher() {
	s.every(refusalFlushInterval, "flush refusal counts", s.flushRefusals)
}

// AcceptedSince counts the responses citizens submitted (web and kiosk) since t, the figure
// the refusals are read against.
func (s *Store) AcceptedSince(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM responses WHERE source IN ('web', 'kiosk') AND submitted_at >= ?`,
		formatTime(t)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: accepted since: %w", err)
	}
	return n, nil
}
