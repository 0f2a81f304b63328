package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Comment is one citizen's free-text comment, without anything that identifies them.
type Comment struct {
	ID          int64
	AgencyCode  string
	AgencyName  string
	SubmittedAt time.Time
	Text        string
	Hidden      bool
}

// CommentFilter selects comments; Search matches text case-insensitively (SQLite's LIKE folds
// ASCII only, so the search also runs on the Go side for Vietnamese letters).
type CommentFilter struct {
	SurveyID   string
	Year       int
	AgencyCode string
	Search     string
	Hidden     *bool
	Limit      int
}

// ListComments returns comments newest first.
func (s *Store) ListComments(ctx context.Context, f CommentFilter) ([]Comment, error) {
	q := `SELECT r.id, a.code, a.name, r.submitted_at, r.comment, r.comment_hidden
		FROM responses r JOIN agencies a ON a.id = r.agency_id
		WHERE r.comment <> '' AND r.survey_id = ? AND r.year = ?`
	args := []any{f.SurveyID, f.Year}
	if f.AgencyCode != "" {
		q += ` AND a.code = ?`
		args = append(args, f.AgencyCode)
	}
	if f.Hidden != nil {
		q += ` AND r.comment_hidden = ?`
		args = append(args, *f.Hidden)
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY r.submitted_at DESC, r.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list comments: %w", err)
	}
	defer rows.Close()
	needle := strings.ToLower(strings.TrimSpace(f.Search))
	var out []Comment
	for rows.Next() && len(out) < f.Limit {
		var c Comment
		var at string
		if err := rows.Scan(&c.ID, &c.AgencyCode, &c.AgencyName, &at, &c.Text, &c.Hidden); err != nil {
			return nil, fmt.Errorf("store: list comments: %w", err)
		}
		if needle != "" && !strings.Contains(strings.ToLower(c.Text), needle) {
			continue
		}
		if c.SubmittedAt, err = parseTime(at); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetCommentHidden hides or shows a comment (it stays stored) and audits it. agencyCode, when
// set, confines the change to that agency's responses (ErrNotFound otherwise).
func (s *Store) SetCommentHidden(ctx context.Context, id int64, hidden bool, agencyCode, actor string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		q := `UPDATE responses SET comment_hidden = ? WHERE id = ? AND comment <> ''`
		args := []any{hidden, id}
		if agencyCode != "" {
			q += ` AND agency_id = (SELECT id FROM agencies WHERE code = ?)`
			args = append(args, agencyCode)
		}
		r, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("store: hide comment: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		action := "comment.show"
		if hidden {
			action = "comment.hide"
		}
		return audit(ctx, tx, now, actor, action, fmt.Sprintf("response %d", id))
	})
}
