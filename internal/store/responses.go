package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/index"
	"sipas/internal/receipt"
)

// Submission is one citizen's answers, already validated and encoded by package survey.
type Submission struct {
	SurveyID, SurveyVersion string
	Source                  string // web | kiosk
	Answers                 string // survey.EncodeAnswers form
	Expectations            string // space-separated option codes
	Comment                 string
}

// SubmitResponse stores the answers to the receipt whose token hashes to tokenHash and marks
// the receipt answered, atomically. It returns ErrNotFound for an unknown receipt and
// receipt.ErrAlreadyUsed when the receipt was answered before (the first answer is kept). It
// returns nil only once the transaction holding the response has committed (synchronous=FULL:
// it is on disk). Concurrent submissions share one transaction (group commit, batcher.go).
//
// A database that cannot take the write now (disk full, I/O error, locked) gives an error
// Unavailable reports; the outcome is recorded for Health.
func (s *Store) SubmitResponse(ctx context.Context, tokenHash string, sub Submission) error {
	var err error
	if s.b == nil {
		err = s.submitOne(ctx, tokenHash, sub)
	} else {
		err = s.noteWrite(s.b.submit(ctx, tokenHash, sub)) // submitOne's inTx notes its own
	}
	if err == nil {
		s.kickWebhooks() // committed: its webhook deliveries may go
	}
	return err
}

const (
	qFindReceiptForSubmit = `SELECT id, agency_id, channel, answered_at IS NOT NULL FROM receipts WHERE token_hash = ?`
	qInsertResponse       = `INSERT INTO responses (response_id, receipt_id, agency_id, survey_id, survey_version,
		channel, source, submitted_at, year, month, answers, expectations, comment)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qMarkAnswered = `UPDATE receipts SET answered_at = ? WHERE id = ?`
)

// submitResponse stores one submission in tx and counts it into t, which the caller adds to
// the summaries before it commits.
func (s *Store) submitResponse(ctx context.Context, tx *sql.Tx, t *tally, tokenHash string, sub Submission, now time.Time) error {
	return s.submitAndCount(ctx, txStmts{tx: tx}, t, tokenHash, sub, now)
}

// submitResponseIn stores one submission and marks its receipt answered; it returns the row
// it stored, for the summaries and the webhooks.
func submitResponseIn(ctx context.Context, tx txStmts, tokenHash string, sub Submission, now time.Time) (responseRecord, error) {
	var receiptID, agencyID int64
	var channel string
	var answered bool
	err := tx.queryRow(ctx, qFindReceiptForSubmit, tokenHash).
		Scan(&receiptID, &agencyID, &channel, &answered)
	if errors.Is(err, sql.ErrNoRows) {
		return responseRecord{}, ErrNotFound
	}
	if err != nil {
		return responseRecord{}, fmt.Errorf("store: submit response: %w", err)
	}
	if answered {
		return responseRecord{}, receipt.ErrAlreadyUsed
	}
	rec := responseRecord{
		ResponseID: newResponseID(), ReceiptID: sql.NullInt64{Int64: receiptID, Valid: true}, AgencyID: agencyID,
		Channel: channel, SubmittedAt: now, Submission: sub,
	}
	if err := insertResponseIn(ctx, tx, rec); err != nil {
		return responseRecord{}, err
	}
	if _, err := tx.exec(ctx, qMarkAnswered, formatTime(now), receiptID); err != nil {
		return responseRecord{}, fmt.Errorf("store: submit response: %w", err)
	}
	if _, err := tx.exec(ctx, qCountAnswered, receiptID); err != nil {
		return responseRecord{}, fmt.Errorf("store: submit response: %w", err)
	}
	return rec, nil
}

// responseRecord is one row of responses.
type responseRecord struct {
	ResponseID  string
	ReceiptID   sql.NullInt64
	AgencyID    int64
	Channel     string
	SubmittedAt time.Time
	Submission
}

func insertResponseIn(ctx context.Context, tx txStmts, r responseRecord) error {
	year, month := calendar.YearMonth(r.SubmittedAt)
	_, err := tx.exec(ctx, qInsertResponse,
		r.ResponseID, r.ReceiptID, r.AgencyID, r.SurveyID, r.SurveyVersion, r.Channel, r.Source,
		formatTime(r.SubmittedAt), year, month, r.Answers, r.Expectations, r.Comment)
	if isUniqueViolation(err) && r.ReceiptID.Valid {
		return receipt.ErrAlreadyUsed // the schema caught a race the check above missed
	}
	if err != nil {
		return fmt.Errorf("store: insert response: %w", err)
	}
	return nil
}

// newResponseID is a random id unrelated to the receipt token, so a response cannot be traced
// back to the receipt (and the citizen) through its id.
func newResponseID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "w-" + hex.EncodeToString(b)
}

// ResponseFilter selects responses of one survey and year; nil fields do not filter.
type ResponseFilter struct {
	SurveyID   string
	Year       int
	AgencyCode *string
	Level      *string
	Channel    *string
}

func (f ResponseFilter) where() (string, []any) {
	return filterWhere(f.SurveyID, f.Year, index.Filters{Agency: f.AgencyCode, Level: f.Level, Channel: f.Channel})
}

// ResponseRow is what the indices read of a response.
type ResponseRow struct {
	AgencyCode   string
	Channel      string
	Month        int
	Answers      string
	Expectations string
}

// ScanResponses calls fn for every response matching f, ordered by agency code. The row is
// reused between calls. It reads on one connection without holding the writer.
func (s *Store) ScanResponses(ctx context.Context, f ResponseFilter, fn func(*ResponseRow) error) error {
	where, args := f.where()
	rows, err := s.r.QueryContext(ctx, `SELECT a.code, r.channel, r.month, r.answers, r.expectations
		FROM responses r JOIN agencies a ON a.id = r.agency_id WHERE `+where+` ORDER BY a.code, r.id`, args...)
	if err != nil {
		return fmt.Errorf("store: scan responses: %w", err)
	}
	defer rows.Close()
	var row ResponseRow
	for rows.Next() {
		if err := rows.Scan(&row.AgencyCode, &row.Channel, &row.Month, &row.Answers, &row.Expectations); err != nil {
			return fmt.Errorf("store: scan responses: %w", err)
		}
		if err := fn(&row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: scan responses: %w", err)
	}
	return nil
}

// CountResponses counts all stored responses (for tests and the demo).
func (s *Store) CountResponses(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM responses`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count responses: %w", err)
	}
	return n, nil
}

// Years returns the years that have responses of a survey, newest first. They are read from
// the summaries once the survey has them (the rows of a running import show when it is done).
func (s *Store) Years(ctx context.Context, surveyID string) ([]int, error) {
	c, err := s.storedDesign(ctx, s.r, surveyID)
	if err != nil {
		return nil, err
	}
	from := "summaries"
	if c == nil {
		from = "responses"
	}
	return queryAll(ctx, s.r, "years", `SELECT DISTINCT year FROM `+from+` WHERE survey_id = ?
		UNION SELECT DISTINCT year FROM aggregates WHERE survey_id = ? ORDER BY 1 DESC`, []any{surveyID, surveyID},
		func(r scanner) (y int, err error) { return y, r.Scan(&y) })
}
