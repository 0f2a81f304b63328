package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"sipas/internal/report"
)

// ResponseRates returns, per agency with sipas-issued receipts in the year, issued and
// answered counts (optionally one agency).
func (s *Store) ResponseRates(ctx context.Context, year int, agencyCode string) ([]report.ResponseRate, error) {
	q := `SELECT a.code, count(*), count(r.answered_at) FROM receipts r JOIN agencies a ON a.id = r.agency_id WHERE r.year = ?`
	args := []any{year}
	if agencyCode != "" {
		q += ` AND a.code = ?`
		args = append(args, agencyCode)
	}
	rows, err := s.r.QueryContext(ctx, q+` GROUP BY a.code ORDER BY a.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: response rates: %w", err)
	}
	defer rows.Close()
	var out []report.ResponseRate
	for rows.Next() {
		var r report.ResponseRate
		if err := rows.Scan(&r.AgencyCode, &r.Issued, &r.Answered); err != nil {
			return nil, fmt.Errorf("store: response rates: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Years returns the years that have responses of a survey, newest first.
func (s *Store) Years(ctx context.Context, surveyID string) ([]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT year FROM responses WHERE survey_id = ?
		UNION SELECT DISTINCT year FROM aggregates WHERE survey_id = ? ORDER BY 1 DESC`, surveyID, surveyID)
	if err != nil {
		return nil, fmt.Errorf("store: years: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var y int
		if err := rows.Scan(&y); err != nil {
			return nil, fmt.Errorf("store: years: %w", err)
		}
		out = append(out, y)
	}
	return out, rows.Err()
}

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

// UpdateAgency changes an agency's name, level and parent.
func (s *Store) UpdateAgency(ctx context.Context, code, name, level, parent string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `UPDATE agencies SET name = ?, level = ?, parent_code = ?, updated_at = ? WHERE code = ?`,
			name, level, parent, formatTime(now), code)
		if err != nil {
			return fmt.Errorf("store: update agency: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// PopulationRow is one stratum size as shown to admins: imported, counted by sipas, or both.
type PopulationRow struct {
	Year       int
	AgencyCode string
	Imported   int64 // 0 when none
	Issued     int64 // receipts sipas knows of (ReceiptCounts)
}

// ListPopulations returns stratum sizes per year and agency, newest year first, for every year
// with an imported population or a receipt.
func (s *Store) ListPopulations(ctx context.Context) ([]PopulationRow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT p.year, a.code, p.receipts FROM populations p JOIN agencies a ON a.id = p.agency_id
		UNION ALL SELECT DISTINCT year, '', 0 FROM receipts`)
	if err != nil {
		return nil, fmt.Errorf("store: list populations: %w", err)
	}
	imported := map[int]map[string]int64{}
	for rows.Next() {
		var year int
		var code string
		var n int64
		if err := rows.Scan(&year, &code, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list populations: %w", err)
		}
		if imported[year] == nil {
			imported[year] = map[string]int64{}
		}
		if code != "" {
			imported[year][code] = n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list populations: %w", err)
	}
	var out []PopulationRow
	for year, imp := range imported {
		counted, err := s.ReceiptCounts(ctx, year)
		if err != nil {
			return nil, err
		}
		codes := map[string]bool{}
		for c := range imp {
			codes[c] = true
		}
		for c := range counted {
			codes[c] = true
		}
		for c := range codes {
			out = append(out, PopulationRow{Year: year, AgencyCode: c, Imported: imp[c], Issued: int64(counted[c])})
		}
	}
	slices.SortFunc(out, func(a, b PopulationRow) int {
		if a.Year != b.Year {
			return b.Year - a.Year
		}
		return strings.Compare(a.AgencyCode, b.AgencyCode)
	})
	return out, nil
}
