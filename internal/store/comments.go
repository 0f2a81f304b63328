package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"sipas/internal/i18n"
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

// CommentFilter selects comments and one page of them. Search matches without regard to
// case or diacritics ("hai long" finds "Hài lòng", i18n.Fold): every word of it must occur.
type CommentFilter struct {
	SurveyID   string
	Year       int
	AgencyCode string
	Search     string
	Hidden     *bool
	// Page is the page wanted, from 1 (0 is 1; past the last page is the last); PerPage its
	// size (0 is CommentsPerPage).
	Page, PerPage int
}

// CommentsPerPage is the page size of ListComments when the filter gives none.
const CommentsPerPage = 50

// CommentPage is one page of the comments a filter selects, and how many there are in all.
type CommentPage struct {
	Comments    []Comment
	Total       int // comments the filter selects, over every page
	Page, Pages int // this page (from 1) and the number of pages (at least 1)
}

// ListComments returns one page of the comments f selects, newest first, and their total.
// Without a search the database pages; with one, every comment of the year is folded and
// matched here (SQLite's LIKE folds ASCII only and knows no diacritics), which for a year's
// comments is a few megabytes of text.
func (s *Store) ListComments(ctx context.Context, f CommentFilter) (CommentPage, error) {
	where := ` FROM responses r JOIN agencies a ON a.id = r.agency_id
		WHERE r.comment <> '' AND r.survey_id = ? AND r.year = ?`
	args := []any{f.SurveyID, f.Year}
	if f.AgencyCode != "" {
		where += ` AND a.code = ?`
		args = append(args, f.AgencyCode)
	}
	if f.Hidden != nil {
		where += ` AND r.comment_hidden = ?`
		args = append(args, *f.Hidden)
	}
	if f.PerPage <= 0 {
		f.PerPage = CommentsPerPage
	}
	const cols = `SELECT r.id, a.code, a.name, r.submitted_at, r.comment, r.comment_hidden`
	const order = ` ORDER BY r.submitted_at DESC, r.id DESC`
	terms := strings.Fields(i18n.Fold(f.Search))
	if len(terms) == 0 {
		var total int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*)`+where, args...).Scan(&total); err != nil {
			return CommentPage{}, fmt.Errorf("store: list comments: %w", err)
		}
		p := paged(total, f.Page, f.PerPage)
		list, err := queryAll(ctx, s.r, "list comments", cols+where+order+` LIMIT ? OFFSET ?`,
			append(args, f.PerPage, (p.Page-1)*f.PerPage), scanComment)
		p.Comments = list
		return p, err
	}
	all, err := queryAll(ctx, s.r, "list comments", cols+where+order, args, scanComment)
	if err != nil {
		return CommentPage{}, err
	}
	all = slices.DeleteFunc(all, func(c Comment) bool { return !matchesAll(i18n.Fold(c.Text), terms) })
	p := paged(len(all), f.Page, f.PerPage)
	p.Comments = all[(p.Page-1)*f.PerPage : min(p.Page*f.PerPage, len(all))]
	return p, nil
}

// paged is the page of total items that page asks for, kept within the pages that exist.
func paged(total, page, per int) CommentPage {
	pages := max(1, (total+per-1)/per)
	return CommentPage{Total: total, Page: min(max(page, 1), pages), Pages: pages}
}

// matchesAll reports whether folded text holds every term.
func matchesAll(text string, terms []string) bool {
	for _, t := range terms {
		if !strings.Contains(text, t) {
			return false
		}
	}
	return true
}

func scanComment(r scanner) (c Comment, err error) {
	var at string
	if err := r.Scan(&c.ID, &c.AgencyCode, &c.AgencyName, &at, &c.Text, &c.Hidden); err != nil {
		return c, err
	}
	c.SubmittedAt, err = parseTime(at)
	return c, err
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
