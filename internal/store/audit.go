package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	At                    time.Time
	Actor, Action, Detail string
}

// Audit records what an actor (an official's email, "api:<key name>", "cli" or "system") did.
// Details never hold secrets or citizens' free text.
func (s *Store) Audit(ctx context.Context, actor, action, detail string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		return audit(ctx, tx, now, actor, action, detail)
	})
}

func audit(ctx context.Context, tx *sql.Tx, now time.Time, actor, action, detail string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)`,
		formatTime(now), actor, action, detail); err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// ListAudit returns the newest entries first, at most limit, optionally only one action. Throttled
// sign-ins counted in memory are summarised first, so the list is up to date.
func (s *Store) ListAudit(ctx context.Context, action string, limit int) ([]AuditEntry, error) {
	if err := s.flushThrottled(ctx); err != nil {
		return nil, err
	}
	q := `SELECT at, actor, action, detail FROM audit_log`
	var args []any
	if action != "" {
		q += ` WHERE action = ?`
		args = append(args, action)
	}
	return queryAll(ctx, s.r, "list audit", q+` ORDER BY id DESC LIMIT ?`, append(args, limit),
		func(r scanner) (e AuditEntry, err error) {
			var at string
			if err := r.Scan(&at, &e.Actor, &e.Action, &e.Detail); err != nil {
				return e, err
			}
			e.At, err = parseTime(at)
			return e, err
		})
}

// AuditActions returns every action the log holds, in order, for the audit page's filter.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	return queryAll(ctx, s.r, "audit actions", `SELECT DISTINCT action FROM audit_log ORDER BY action`, nil,
		func(r scanner) (a string, err error) { return a, r.Scan(&a) })
}
