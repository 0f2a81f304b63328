package store

import (
	"context"
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

// ExportResponses streams the responses of a survey and year (optionally one agency) to fn in
// submission order, one row at a time, so a million rows never sit in memory.
func (s *Store) ExportResponses(ctx context.Context, surveyID string, year int, agencyCode string, fn func(*ExportRow) error) error {
	q := `SELECT r.response_id, a.code, r.channel, r.submitted_at, r.answers, CASE WHEN r.comment_hidden THEN '' ELSE r.comment END
		FROM responses r JOIN agencies a ON a.id = r.agency_id WHERE r.survey_id = ? AND r.year = ?`
	args := []any{surveyID, year}
	if agencyCode != "" {
		q += ` AND a.code = ?`
		args = append(args, agencyCode)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY r.submitted_at, r.id`, args...)
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
