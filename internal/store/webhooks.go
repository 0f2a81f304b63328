package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/webhook"
)

// Webhooks: the endpoints, the outbox (webhook_deliveries) and its log (0011_webhooks.sql).
// An event's deliveries are inserted by queueEvent inside the transaction of the event
// itself: a response's (submitResponseIn, SubmitKioskResponse), a publication's, the
// refusal counts' (flushRefusals). The worker of package webhook sends them.

// WebhookEndpoint is an endpoint as an admin sees it: never its secrets.
type WebhookEndpoint struct {
	ID             int64
	URL            string
	Description    string
	Events         []string
	WithComments   bool
	PreviousUntil  time.Time // the previous secret signs too until then (zero: no rotation)
	FailingSince   time.Time
	DisabledAt     time.Time
	DisabledReason string
	CreatedAt      time.Time
	Pending        int64 // deliveries not finished
}

// Disabled reports whether the endpoint gets no deliveries.
func (e WebhookEndpoint) Disabled() bool { return !e.DisabledAt.IsZero() }

// NewWebhookEndpoint is what an admin registers.
type NewWebhookEndpoint struct {
	URL          string
	Description  string
	Events       []string
	WithComments bool
}

// Sealer seals a secret for the endpoint id (webhook.Sealer.Seal of a new secret).
type Sealer func(id int64) []byte

// eventsColumn pads the event names with spaces, so instr finds whole names only.
func eventsColumn(events []string) string { return " " + strings.Join(events, " ") + " " }

// CreateWebhookEndpoint stores a new endpoint; seal gives its sealed secret once its id is
// known (the id is part of what the seal protects).
func (s *Store) CreateWebhookEndpoint(ctx context.Context, ne NewWebhookEndpoint, seal Sealer) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (url, description, events, with_comments, secret, created_at, updated_at)
			VALUES (?, ?, ?, ?, x'', ?, ?)`, ne.URL, ne.Description, eventsColumn(ne.Events), ne.WithComments, formatTime(now), formatTime(now))
		if err != nil {
			return fmt.Errorf("store: create webhook endpoint: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("store: create webhook endpoint: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET secret = ? WHERE id = ?`, seal(id), id); err != nil {
			return fmt.Errorf("store: create webhook endpoint: %w", err)
		}
		return nil
	})
	return id, err
}

const endpointColumns = `e.id, e.url, e.description, e.events, e.with_comments, coalesce(e.previous_until, ''),
	coalesce(e.failing_since, ''), coalesce(e.disabled_at, ''), e.disabled_reason, e.created_at,
	(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'pending')`

func scanEndpoint(row scanner) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	var events string
	var times [4]string
	if err := row.Scan(&e.ID, &e.URL, &e.Description, &events, &e.WithComments, &times[0], &times[1], &times[2],
		&e.DisabledReason, &times[3], &e.Pending); err != nil {
		return e, err
	}
	e.Events = strings.Fields(events)
	for i, dst := range []*time.Time{&e.PreviousUntil, &e.FailingSince, &e.DisabledAt, &e.CreatedAt} {
		if times[i] == "" {
			continue
		}
		t, err := parseTime(times[i])
		if err != nil {
			return e, err
		}
		*dst = t
	}
	return e, nil
}

// ListWebhookEndpoints returns every endpoint, oldest first.
func (s *Store) ListWebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	return queryAll(ctx, s.r, "list webhook endpoints", `SELECT `+endpointColumns+` FROM webhook_endpoints e ORDER BY e.id`, nil, scanEndpoint)
}

// FindWebhookEndpoint returns one endpoint, or ErrNotFound.
func (s *Store) FindWebhookEndpoint(ctx context.Context, id int64) (WebhookEndpoint, error) {
	e, err := scanEndpoint(s.r.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints e WHERE e.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("store: find webhook endpoint: %w", err)
	}
	return e, nil
}

// updateEndpoint runs one UPDATE of endpoint id (with now as the first argument after the
// statement's own) and gives ErrNotFound when there is no such endpoint.
func (s *Store) updateEndpoint(ctx context.Context, what string, id int64, fn func(tx *sql.Tx, now time.Time) (sql.Result, error)) error {
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		res, err := fn(tx, now)
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err == nil {
		s.kickWebhooks()
	}
	return err
}

// RotateWebhookSecret gives the endpoint a new secret (seal); the current one becomes the
// previous one, which signs beside it for overlap (Standard Webhooks: two signatures).
func (s *Store) RotateWebhookSecret(ctx context.Context, id int64, seal Sealer, overlap time.Duration) error {
	return s.updateEndpoint(ctx, "rotate webhook secret", id, func(tx *sql.Tx, now time.Time) (sql.Result, error) {
		return tx.ExecContext(ctx, `UPDATE webhook_endpoints SET previous_secret = secret, previous_until = ?, secret = ?, updated_at = ?
			WHERE id = ?`, formatTime(now.Add(overlap)), seal(id), formatTime(now), id)
	})
}

// SetWebhookEndpointEnabled disables an endpoint (reason: why), or enables it again: its
// failure run is forgotten and its pending deliveries are due at once.
func (s *Store) SetWebhookEndpointEnabled(ctx context.Context, id int64, enabled bool, reason string) error {
	return s.updateEndpoint(ctx, "enable webhook endpoint", id, func(tx *sql.Tx, now time.Time) (sql.Result, error) {
		if !enabled {
			return tx.ExecContext(ctx, `UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ?, updated_at = ?
				WHERE id = ?`, formatTime(now), reason, formatTime(now), id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE endpoint_id = ? AND state = 'pending'`,
			formatTime(now), id); err != nil {
			return nil, err
		}
		return tx.ExecContext(ctx, `UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = '', failing_since = NULL,
			updated_at = ? WHERE id = ?`, formatTime(now), id)
	})
}

// DeleteWebhookEndpoint deletes an endpoint with its deliveries and their log.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id int64) error {
	return s.updateEndpoint(ctx, "delete webhook endpoint", id, func(tx *sql.Tx, now time.Time) (sql.Result, error) {
		return tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = ?`, id)
	})
}

// RedeliverWebhook sends a delivery of the endpoint again, at once, with a new retry window.
func (s *Store) RedeliverWebhook(ctx context.Context, endpointID, deliveryID int64) error {
	return s.updateEndpoint(ctx, "redeliver webhook", endpointID, func(tx *sql.Tx, now time.Time) (sql.Result, error) {
		return tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?, retry_until = ?,
			finished_at = NULL WHERE id = ? AND endpoint_id = ?`, formatTime(now), formatTime(now.Add(webhook.RetryWindow)), deliveryID, endpointID)
	})
}

// WebhookWake is signalled after a transaction that queued deliveries has committed.
func (s *Store) WebhookWake() <-chan struct{} { return s.webhooks.wake }

// webhookSignal is how a committed event wakes the worker at once instead of at its next look.
type webhookSignal struct {
	queued atomic.Bool // a delivery was queued by a transaction that may have committed since
	wake   chan struct{}
}

// kickWebhooks wakes the worker if a delivery was queued. Called after commits.
func (s *Store) kickWebhooks() {
	if s.webhooks.queued.Swap(false) {
		select {
		case s.webhooks.wake <- struct{}{}:
		default:
		}
	}
}

// Statements of the submission path, prepared on the writer with the batcher's.
const (
	qSubscribers  = `SELECT id, with_comments FROM webhook_endpoints WHERE disabled_at IS NULL AND instr(events, ?) > 0`
	qAgencyCode   = `SELECT code FROM agencies WHERE id = ?`
	qInsertOutbox = `INSERT INTO webhook_deliveries (endpoint_id, message_id, event_type, body, next_attempt_at, retry_until, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
)

// webhookStatements are prepared once on the writer (batcher.go).
var webhookStatements = []string{qSubscribers, qAgencyCode, qInsertOutbox}

type subscriber struct {
	id           int64
	withComments bool
}

// subscribers are the enabled endpoints that want event.
func subscribers(ctx context.Context, tx txStmts, event string) ([]subscriber, error) {
	var rows *sql.Rows
	var err error
	if st := tx.stmt(ctx, qSubscribers); st != nil {
		rows, err = st.QueryContext(ctx, " "+event+" ")
	} else {
		rows, err = tx.tx.QueryContext(ctx, qSubscribers, " "+event+" ")
	}
	if err != nil {
		return nil, fmt.Errorf("store: webhook subscribers: %w", err)
	}
	defer rows.Close()
	var out []subscriber
	for rows.Next() {
		var sub subscriber
		if err := rows.Scan(&sub.id, &sub.withComments); err != nil {
			return nil, fmt.Errorf("store: webhook subscribers: %w", err)
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// queueEvent writes, in tx, one delivery of an event of type event that happened at `at`
// for every enabled endpoint that wants it; data gives the payload's data for an endpoint
// that may (or may not) receive comments. No subscriber: nothing is written.
func (s *Store) queueEvent(ctx context.Context, tx txStmts, event string, at, now time.Time, data func(withComments bool) (any, error)) error {
	subs, err := subscribers(ctx, tx, event)
	if err != nil || len(subs) == 0 {
		return err
	}
	id := webhook.NewMessageID()
	for _, sub := range subs {
		d, err := data(sub.withComments)
		if err != nil {
			return err
		}
		body, err := json.Marshal(webhook.Envelope{Type: event, Timestamp: at.UTC(), Data: d})
		if err != nil {
			return fmt.Errorf("store: webhook %s: %w", event, err)
		}
		if _, err := tx.exec(ctx, qInsertOutbox, sub.id, id, event, body, formatTime(now), formatTime(now.Add(webhook.RetryWindow)),
			formatTime(now)); err != nil {
			return fmt.Errorf("store: queue webhook %s: %w", event, err)
		}
	}
	s.webhooks.queued.Store(true)
	return nil
}

// queueResponseCreated is the hook of every response a citizen submitted (web and kiosk),
// run in the transaction (and for group commit the savepoint) that stores it.
func (s *Store) queueResponseCreated(ctx context.Context, tx txStmts, r responseRecord) error {
	code := ""
	return s.queueEvent(ctx, tx, webhook.ResponseCreated, r.SubmittedAt, r.SubmittedAt, func(withComments bool) (any, error) {
		if code == "" {
			if err := tx.queryRow(ctx, qAgencyCode, r.AgencyID).Scan(&code); err != nil {
				return nil, fmt.Errorf("store: webhook response.created: %w", err)
			}
		}
		return responseEvent(r, code, withComments), nil
	})
}

// responseEvent is the data of response.created for r of the agency code.
func responseEvent(r responseRecord, code string, withComments bool) webhook.Response {
	year, month := calendar.YearMonth(r.SubmittedAt)
	ev := webhook.Response{ResponseID: r.ResponseID, Survey: r.SurveyID, SurveyVersion: r.SurveyVersion, Agency: code,
		Channel: r.Channel, Source: r.Source, SubmittedAt: r.SubmittedAt.UTC(), Year: year, Month: month,
		Answers: webhook.ParseAnswers(r.Answers), Expectations: strings.Fields(r.Expectations)}
	if ev.Expectations == nil {
		ev.Expectations = []string{}
	}
	if withComments {
		ev.Comment = &r.Comment
	}
	return ev
}
