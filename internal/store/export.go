package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ExportRow is one response as the raw export writes it. Comment is empty when an official
// hid it.
type ExportRow struct {
	ResponseID  string
	AgencyCode  string
	Channel     string
	SubmittedAt time.Time
	Answers     string // survey.EncodeAnswers form
	Comment     string
}

const (
	qExportFrom = ` FROM responses r JOIN agencies a ON a.id = r.agency_id WHERE r.survey_id = ? AND r.year = ?`
	qExportRows = `SELECT r.response_id, a.code, r.channel, r.submitted_at, r.answers,
		CASE WHEN r.comment_hidden THEN '' ELSE r.comment END` + qExportFrom
	qExportCount = `SELECT count(*)` + qExportFrom
	// qExportOrder is served by the indexes responses_export and responses_agency_export
	// (migration 0012): no temporary B-tree, so no temporary space the size of the export.
	qExportOrder = ` ORDER BY r.submitted_at, r.id`
)

// exportQueries are the count and the rows of an export, with their arguments.
func exportQueries(surveyID string, year int, agencyCode string) (count, rows string, args []any) {
	count, rows, args = qExportCount, qExportRows, []any{surveyID, year}
	if agencyCode != "" {
		count, rows = count+` AND a.code = ?`, rows+` AND a.code = ?`
		args = append(args, agencyCode)
	}
	return count, rows + qExportOrder, args
}

// ExportResponses streams the responses of a survey and year (optionally one agency) in
// submission order, one row at a time, so a million rows never sit in memory. It first calls
// begin with the number of rows that follow, counted in the same read transaction, so the
// count and the rows are one snapshot; then fn for each row. When it returns, a passive
// checkpoint catches up with what was written meanwhile (checkpoint.go).
func (s *Store) ExportResponses(ctx context.Context, surveyID string, year int, agencyCode string,
	begin func(rows int64) error, fn func(*ExportRow) error) error {
	defer s.longRead()()
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: export responses: %w", err)
	}
	defer tx.Rollback()
	qCount, qRows, args := exportQueries(surveyID, year, agencyCode)
	var n int64
	if err := tx.QueryRowContext(ctx, qCount, args...).Scan(&n); err != nil {
		return fmt.Errorf("store: export responses: %w", err)
	}
	if err := begin(n); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, qRows, args...)
	if err != nil {
		return fmt.Errorf("store: export responses: %w", err)
	}
	defer rows.Close()
	var row ExportRow
	var at string
	for rows.Next() {
		if err := rows.Scan(&row.ResponseID, &row.AgencyCode, &row.Channel, &at, &row.Answers, &row.Comment); err != nil {
			return fmt.Errorf("store: export responses: %w", err)
		}
		if row.SubmittedAt, err = parseTime(at); err != nil {
			return err
		}
		if err := fn(&row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export responses: %w", err)
	}
	return nil
}
