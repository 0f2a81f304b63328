package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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

// The export is in the order the rows were stored (the rowid): for answers, the order they
// were submitted; for an imported file, its order. That order costs no index of its own and
// no sort: the whole year is a scan of the table in rowid order (NOT INDEXED: an index on
// survey and year would need a temporary B-tree to sort, as large as the export, which fails
// half-way when temporary space runs out), and one agency's rows come from
// responses_survey_year in rowid order, every column of that index being fixed. (An index in
// submission time served this order before; it made imports of files not sorted by time
// four to ten times slower, each row an insert at a random place of a large index.)
const (
	qExportColumns = `SELECT r.response_id, a.code, r.channel, r.submitted_at, r.answers,
		CASE WHEN r.comment_hidden THEN '' ELSE r.comment END`
	qExportYear = ` FROM responses r JOIN agencies a ON a.id = r.agency_id
		WHERE r.survey_id = ? AND r.year = ?`
	qExportAgency = ` FROM responses r JOIN agencies a ON a.id = r.agency_id
		WHERE r.survey_id = ? AND r.year = ? AND r.agency_id = (SELECT id FROM agencies WHERE code = ?)`
	qExportOrder = ` ORDER BY r.id`
)

// exportQueries are the count and the rows of an export, with their arguments.
func exportQueries(surveyID string, year int, agencyCode string) (count, rows string, args []any) {
	if agencyCode != "" {
		return `SELECT count(*)` + qExportAgency, qExportColumns + qExportAgency + qExportOrder, []any{surveyID, year, agencyCode}
	}
	// The count may use the index; the rows are read in the table's own order.
	scan := strings.Replace(qExportYear, "responses r", "responses r NOT INDEXED", 1)
	return `SELECT count(*)` + qExportYear, qExportColumns + scan + qExportOrder, []any{surveyID, year}
}

// ExportResponses streams the responses of a survey and year (optionally one agency) in
// the order they were stored, one row at a time, so a million rows never sit in memory. It first calls
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
