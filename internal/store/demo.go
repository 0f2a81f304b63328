package store

import (
	"context"
	"database/sql"
	"time"
)

// Seed is one answered receipt of the demo data set, with its own times.
type Seed struct {
	NewReceipt
	IssuedAt, SubmittedAt time.Time
	Answered              bool
	Submission
}

// SeedReceipts stores demo receipts (answered or not) with explicit times, in one transaction.
// Only `sipas demo` uses it: real receipts and answers take the store's clock.
func (s *Store) SeedReceipts(ctx context.Context, seeds []Seed) error {
	return s.inTx(ctx, func(tx *sql.Tx, _ time.Time) error {
		t := newTally()
		for _, sd := range seeds {
			if _, err := createReceipt(ctx, tx, sd.NewReceipt, sd.IssuedAt); err != nil {
				return err
			}
			if !sd.Answered {
				continue
			}
			if err := s.submitResponse(ctx, tx, t, sd.TokenHash, sd.Submission, sd.SubmittedAt); err != nil {
				return err
			}
		}
		return t.flush(ctx, txStmts{tx: tx})
	})
}
