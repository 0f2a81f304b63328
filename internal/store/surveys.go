package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"sipas/internal/survey"
)

// SaveSurveyDefinition stores an uploaded questionnaire version (already validated by
// survey.Parse) and audits it. A version number may be used once per survey (ErrExists).
func (s *Store) SaveSurveyDefinition(ctx context.Context, q *survey.Questionnaire, raw []byte, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO survey_definitions (survey_id, version, definition, uploaded_at, uploaded_by)
			VALUES (?, ?, ?, ?, ?)`, q.ID, q.Version, string(raw), formatTime(now), actor)
		if isUniqueViolation(err) {
			return ErrExists
		}
		if err != nil {
			return fmt.Errorf("store: save survey definition: %w", err)
		}
		return audit(ctx, tx, now, actor, "survey.upload", q.ID+" "+q.Version)
	})
}

// LatestSurveyDefinitions returns, per survey id, the newest uploaded definition, parsed and
// validated again (a definition that no longer validates is an error naming it).
func (s *Store) LatestSurveyDefinitions(ctx context.Context) ([]*survey.Questionnaire, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT survey_id, version, definition FROM survey_definitions d
		WHERE id = (SELECT max(id) FROM survey_definitions WHERE survey_id = d.survey_id) ORDER BY survey_id`)
	if err != nil {
		return nil, fmt.Errorf("store: survey definitions: %w", err)
	}
	defer rows.Close()
	var out []*survey.Questionnaire
	for rows.Next() {
		var id, version, def string
		if err := rows.Scan(&id, &version, &def); err != nil {
			return nil, fmt.Errorf("store: survey definitions: %w", err)
		}
		q, err := survey.Parse(fmt.Sprintf("uploaded %s %s", id, version), []byte(def))
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}
