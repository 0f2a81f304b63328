package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"sipas/internal/calendar"
)

// ExpireComments blanks the free-text comments of the responses submitted before cutoff and
// keeps their answers, so the indices do not change while the text (which may name people)
// does not outlive the retention period. An audit line records how many were blanked, in the
// same transaction. It returns that number; nothing is audited when it is 0. The summaries
// hold no comment, so they do not change.
func (s *Store) ExpireComments(ctx context.Context, cutoff time.Time, actor string) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, `UPDATE responses SET comment = '' WHERE comment != '' AND submitted_at < ?`,
			formatTime(cutoff))
		if err != nil {
			return fmt.Errorf("store: expire comments: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return audit(ctx, tx, now, actor, "retention.comments_blanked",
			fmt.Sprintf("blanked the comments of %d responses submitted before %s", n, formatTime(cutoff)))
	})
	return n, err
}

// RetentionCutoff is the moment before which comments are blanked when they are kept for
// months months: the same day and time that many calendar months back, in Vietnam time.
func RetentionCutoff(now time.Time, months int) time.Time {
	return calendar.MonthsBefore(now, months)
}
