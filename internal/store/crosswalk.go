package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"sipas/internal/dataset"
	"sipas/internal/index"
)

// CrosswalkRow is one stored transfer of the crosswalk (METHODS §11).
type CrosswalkRow struct {
	From, To string
	Share    float64
	Since    time.Time // the date, midnight UTC
	Line     int       // its line in the imported file
}

// ImportCrosswalk replaces the crosswalk with list in one transaction
// (CONTRACT.md: importing a crosswalk replaces the previous one). The list
// has been validated by dataset.ParseCrosswalk; the table's constraints are
// a second line of defence. The result counts the rows created (all of
// them), updated (none) and unchanged (every row when the file equals the
// stored crosswalk, which then is not rewritten).
func (s *Store) ImportCrosswalk(ctx context.Context, list []dataset.Transfer) (ImportResult, error) {
	var res ImportResult
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		old, err := listCrosswalk(ctx, tx)
		if err != nil {
			return err
		}
		if sameCrosswalk(old, list) {
			res = ImportResult{Unchanged: len(list)}
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM crosswalk`); err != nil {
			return fmt.Errorf("store: import crosswalk: %w", err)
		}
		for _, t := range list {
			if _, err := tx.ExecContext(ctx, `INSERT INTO crosswalk (from_code, to_code, share, since, line) VALUES (?, ?, ?, ?, ?)`,
				t.From, t.To, t.Share, t.Since.Format(time.DateOnly), t.Line); err != nil {
				return fmt.Errorf("store: import crosswalk: %w", err)
			}
		}
		res = ImportResult{Created: len(list)}
		return nil
	})
	return res, err
}

// sameCrosswalk reports whether the stored rows are the file's, in any
// order (lines aside).
func sameCrosswalk(old []CrosswalkRow, list []dataset.Transfer) bool {
	if len(old) != len(list) {
		return false
	}
	type key struct{ from, to string }
	m := make(map[key]CrosswalkRow, len(old))
	for _, r := range old {
		m[key{r.From, r.To}] = r
	}
	for _, t := range list {
		r, ok := m[key{t.From, t.To}]
		if !ok || r.Share != t.Share || !r.Since.Equal(t.Since) {
			return false
		}
	}
	return true
}

// ListCrosswalk returns the stored crosswalk ordered by date, former unit
// and successor.
func (s *Store) ListCrosswalk(ctx context.Context) ([]CrosswalkRow, error) {
	return listCrosswalk(ctx, s.r)
}

func listCrosswalk(ctx context.Context, q querier) ([]CrosswalkRow, error) {
	return queryAll(ctx, q, "crosswalk", `SELECT from_code, to_code, share, since, line FROM crosswalk ORDER BY since, from_code, to_code`,
		nil, func(r scanner) (c CrosswalkRow, err error) {
			var since string
			if err = r.Scan(&c.From, &c.To, &c.Share, &since, &c.Line); err != nil {
				return c, err
			}
			c.Since, err = time.Parse(time.DateOnly, since)
			return c, err
		})
}

// Crosswalk returns the stored crosswalk as the index package computes with
// it; empty when none was imported.
func (s *Store) Crosswalk(ctx context.Context) (index.Crosswalk, error) {
	rows, err := s.ListCrosswalk(ctx)
	if err != nil {
		return nil, err
	}
	cw := make(index.Crosswalk, len(rows))
	for i, r := range rows {
		cw[i] = index.Transfer{From: r.From, To: r.To, Share: r.Share, Since: r.Since}
	}
	return cw, nil
}
