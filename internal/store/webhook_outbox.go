package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/webhook"
)

// The outbox as the delivery worker sees it (webhook.Queue), the delivery log, the
// publications of reports and the refusal spikes.

var _ webhook.Queue = (*Store)(nil)

// ClaimDeliveries returns up to max pending deliveries due at now, of enabled endpoints,
// with the endpoints' sealed secrets, and puts them off until now+lease in the same
// transaction (webhook.Queue). It looks on a reader first, so an idle outbox costs no write.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, max int) ([]webhook.Delivery, error) {
	var due int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries d
		JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND e.disabled_at IS NULL LIMIT 1)`, formatTime(now)).Scan(&due); err != nil {
		return nil, fmt.Errorf("store: claim webhook deliveries: %w", err)
	}
	if due == 0 {
		return nil, nil
	}
	var list []webhook.Delivery
	err := s.inTx(ctx, func(tx *sql.Tx, _ time.Time) error {
		var err error
		list, err = queryAll(ctx, tx, "claim webhook deliveries", `SELECT d.id, d.endpoint_id, e.url, d.message_id, d.event_type,
				d.body, d.attempts, d.retry_until, coalesce(e.failing_since, ''), e.secret,
				CASE WHEN e.previous_until > ?1 THEN e.previous_secret END
			FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
			WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 AND e.disabled_at IS NULL
			ORDER BY d.next_attempt_at, d.id LIMIT ?2`, []any{formatTime(now), max}, scanDelivery)
		if err != nil {
			return err
		}
		for _, d := range list {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?`,
				formatTime(now.Add(lease)), d.ID); err != nil {
				return fmt.Errorf("store: claim webhook deliveries: %w", err)
			}
		}
		return nil
	})
	return list, err
}

func scanDelivery(row scanner) (webhook.Delivery, error) {
	var d webhook.Delivery
	var until, failing string
	var current, previous []byte
	if err := row.Scan(&d.ID, &d.EndpointID, &d.URL, &d.MessageID, &d.EventType, &d.Body, &d.Attempts, &until, &failing,
		&current, &previous); err != nil {
		return d, err
	}
	d.Secrets = [][]byte{current}
	if previous != nil {
		d.Secrets = append(d.Secrets, previous)
	}
	var err error
	if d.RetryUntil, err = parseTime(until); err != nil {
		return d, err
	}
	if failing != "" {
		d.FailingSince, err = parseTime(failing)
	}
	return d, err
}

// RecordAttempt writes one attempt into the delivery log and applies its outcome to the
// delivery and its endpoint (webhook.Queue).
func (s *Store) RecordAttempt(ctx context.Context, a webhook.Attempt) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		status := sql.NullInt64{Int64: int64(a.Status), Valid: a.Status != 0}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?)`,
			a.DeliveryID, formatTime(a.At), status, a.Error, a.Duration.Milliseconds()); err != nil {
			return fmt.Errorf("store: record webhook attempt: %w", err)
		}
		for _, st := range outcomeStatements(a, formatTime(now)) {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return fmt.Errorf("store: record webhook attempt: %w", err)
			}
		}
		return nil
	})
}

type statement struct {
	q    string
	args []any
}

// outcomeStatements apply an attempt's outcome: the delivery delivered, put off or failed
// for good; the endpoint's run of failures ended or begun; the endpoint disabled.
func outcomeStatements(a webhook.Attempt, now string) []statement {
	var out []statement
	switch {
	case a.Delivered:
		out = append(out,
			statement{`UPDATE webhook_deliveries SET attempts = attempts + 1, state = 'delivered', finished_at = ? WHERE id = ?`, []any{now, a.DeliveryID}},
			statement{`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?`, []any{a.EndpointID}})
	case !a.Retry.IsZero():
		out = append(out, statement{`UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?`,
			[]any{formatTime(a.Retry), a.DeliveryID}})
	default:
		out = append(out, statement{`UPDATE webhook_deliveries SET attempts = attempts + 1, state = 'failed', finished_at = ? WHERE id = ?`,
			[]any{now, a.DeliveryID}})
	}
	if !a.Delivered {
		out = append(out, statement{`UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, ?) WHERE id = ?`,
			[]any{formatTime(a.At), a.EndpointID}})
	}
	if a.Disable != "" {
		out = append(out, statement{`UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ? WHERE id = ? AND disabled_at IS NULL`,
			[]any{now, a.Disable, a.EndpointID}})
	}
	return out
}

// PruneDeliveries deletes finished deliveries (with their log) finished before `before`.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx, _ time.Time) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE state != 'pending' AND finished_at < ?`,
			formatTime(before)); err != nil {
			return fmt.Errorf("store: prune webhook deliveries: %w", err)
		}
		return nil
	})
}

// WebhookDelivery is one row of an endpoint's delivery log, with its attempts.
type WebhookDelivery struct {
	ID            int64
	MessageID     string
	EventType     string
	State         string // pending | delivered | failed
	NextAttemptAt time.Time
	CreatedAt     time.Time
	Attempts      []WebhookAttempt // newest first
}

// WebhookAttempt is one attempt of a delivery.
type WebhookAttempt struct {
	At       time.Time
	Status   int // 0: no answer
	Error    string
	Duration time.Duration
}

// ListWebhookDeliveries returns the endpoint's newest deliveries (at most limit), each with
// its attempts.
func (s *Store) ListWebhookDeliveries(ctx context.Context, endpointID int64, limit int) ([]WebhookDelivery, error) {
	list, err := queryAll(ctx, s.r, "list webhook deliveries", `SELECT id, message_id, event_type, state, next_attempt_at, created_at
		FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?`, []any{endpointID, limit},
		func(r scanner) (d WebhookDelivery, err error) {
			var next, created string
			if err = r.Scan(&d.ID, &d.MessageID, &d.EventType, &d.State, &next, &created); err != nil {
				return d, err
			}
			if d.NextAttemptAt, err = parseTime(next); err != nil {
				return d, err
			}
			d.CreatedAt, err = parseTime(created)
			return d, err
		})
	if err != nil || len(list) == 0 {
		return list, err
	}
	byID := make(map[int64]*WebhookDelivery, len(list))
	for i := range list {
		byID[list[i].ID] = &list[i]
	}
	type row struct {
		delivery int64
		a        WebhookAttempt
	}
	rows, err := queryAll(ctx, s.r, "list webhook attempts", `SELECT delivery_id, at, coalesce(status, 0), error, duration_ms
		FROM webhook_attempts WHERE delivery_id >= ? AND delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = ?)
		ORDER BY id DESC`, []any{list[len(list)-1].ID, endpointID}, func(r scanner) (x row, err error) {
		var at string
		var ms int64
		if err = r.Scan(&x.delivery, &at, &x.a.Status, &x.a.Error, &ms); err != nil {
			return x, err
		}
		x.a.Duration = time.Duration(ms) * time.Millisecond
		x.a.At, err = parseTime(at)
		return x, err
	})
	for _, x := range rows {
		if d := byID[x.delivery]; d != nil {
			d.Attempts = append(d.Attempts, x.a)
		}
	}
	return list, err
}

// ReportPublication is one publication of a year's report (report.published).
type ReportPublication struct {
	Survey      string
	Year        int
	Baseline    *int
	PublishedAt time.Time
	PublishedBy string
}

// PublishReport records the publication of a report and queues report.published, with
// reportURL (where subscribers fetch it), in the same transaction.
func (s *Store) PublishReport(ctx context.Context, p ReportPublication, reportURL string) error {
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var baseline sql.NullInt64
		if p.Baseline != nil {
			baseline = sql.NullInt64{Int64: int64(*p.Baseline), Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_publications (survey_id, year, baseline_year, published_at, published_by)
			VALUES (?, ?, ?, ?, ?)`, p.Survey, p.Year, baseline, formatTime(now), p.PublishedBy); err != nil {
			return fmt.Errorf("store: publish report: %w", err)
		}
		return s.queueEvent(ctx, txStmts{tx: tx}, webhook.ReportPublished, now, now, func(bool) (any, error) {
			return webhook.Publication{Survey: p.Survey, Year: p.Year, Baseline: p.Baseline, PublishedAt: now.UTC(), ReportURL: reportURL}, nil
		})
	})
	if err == nil {
		s.kickWebhooks()
	}
	return err
}

// ListReportPublications returns the newest publications, at most limit.
func (s *Store) ListReportPublications(ctx context.Context, limit int) ([]ReportPublication, error) {
	return queryAll(ctx, s.r, "list report publications", `SELECT survey_id, year, baseline_year, published_at, published_by
		FROM report_publications ORDER BY id DESC LIMIT ?`, []any{limit}, func(r scanner) (p ReportPublication, err error) {
		var baseline sql.NullInt64
		var at string
		if err = r.Scan(&p.Survey, &p.Year, &baseline, &at, &p.PublishedBy); err != nil {
			return p, err
		}
		if baseline.Valid {
			y := int(baseline.Int64)
			p.Baseline = &y
		}
		p.PublishedAt, err = parseTime(at)
		return p, err
	})
}

// DefaultRefusalSpike is the refusals.spike threshold when Options.RefusalSpike is 0.
const DefaultRefusalSpike = 100

// hourLayout names a clock hour of Asia/Ho_Chi_Minh in refusal_hours.
const hourLayout = "2006-01-02T15"

// countRefusalHour adds a flush's refusal counts (reason → count) to the hour of now, in
// the flush's transaction, and queues refusals.spike when they take the hour's total across
// the threshold: once per hour, since counts only grow. Counts buffered across the turn of
// an hour (at most the flush interval) go to the new hour.
func (s *Store) countRefusalHour(ctx context.Context, tx *sql.Tx, now time.Time, counts map[string]int64) error {
	hour := calendar.In(now).Truncate(time.Hour)
	key := hour.Format(hourLayout)
	var before, added int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(count), 0) FROM refusal_hours WHERE hour = ?`, key).Scan(&before); err != nil {
		return fmt.Errorf("store: refusal hours: %w", err)
	}
	for reason, n := range counts {
		added += n
		if _, err := tx.ExecContext(ctx, `INSERT INTO refusal_hours (hour, reason, count) VALUES (?, ?, ?)
			ON CONFLICT (hour, reason) DO UPDATE SET count = count + excluded.count`, key, reason, n); err != nil {
			return fmt.Errorf("store: refusal hours: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM refusal_hours WHERE hour < ?`, hour.Add(-48*time.Hour).Format(hourLayout)); err != nil {
		return fmt.Errorf("store: refusal hours: %w", err)
	}
	threshold := s.refusalSpike
	if threshold <= 0 || before >= threshold || before+added < threshold {
		return nil
	}
	byReason, err := refusalsOfHour(ctx, tx, key)
	if err != nil {
		return err
	}
	return s.queueEvent(ctx, txStmts{tx: tx}, webhook.RefusalsSpike, now, now, func(bool) (any, error) {
		return webhook.Spike{HourStart: hour, Threshold: threshold, Refusals: before + added, ByReason: byReason}, nil
	})
}

// refusalsOfHour returns the refusal counts of one hour by reason.
func refusalsOfHour(ctx context.Context, tx *sql.Tx, key string) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT reason, count FROM refusal_hours WHERE hour = ?`, key)
	if err != nil {
		return nil, fmt.Errorf("store: refusal hours: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var reason string
		var n int64
		if err := rows.Scan(&reason, &n); err != nil {
			return nil, fmt.Errorf("store: refusal hours: %w", err)
		}
		out[reason] = n
	}
	return out, rows.Err()
}
