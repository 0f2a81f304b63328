package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// heartbeat records every importHeartbeat that run is alive, until stop is called, so that
// another process does not take a long import for a dead one.
func (s *Store) heartbeat(run int64) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(importHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				err := s.inTx(context.Background(), func(tx *sql.Tx, now time.Time) error {
					_, err := tx.Exec(`UPDATE import_runs SET heartbeat_at = ? WHERE id = ? AND state = 'running'`, formatTime(now), run)
					return err
				})
				if err != nil {
					s.log.Warn("import heartbeat", "run", run, "err", err)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// recoverImports undoes the runs whose process died (no heartbeat for importStale): their rows
// were never counted, and they go.
func (s *Store) recoverImports(ctx context.Context) error {
	type run struct {
		id, watermark int64
		file          string
	}
	cutoff := formatTime(s.now().Add(-importStale))
	stale, err := queryAll(ctx, s.w, "recover imports", `SELECT id, watermark, file FROM import_runs WHERE state = 'running' AND heartbeat_at < ?`,
		[]any{cutoff}, func(r scanner) (x run, err error) { return x, r.Scan(&x.id, &x.watermark, &x.file) })
	if err != nil {
		return err
	}
	for _, r := range stale {
		s.log.Warn("undoing a response import whose process stopped", "run", r.id, "file", r.file)
		if err := s.undoImport(ctx, r.id, r.watermark, "abandoned"); err != nil {
			return err
		}
	}
	return nil
}

// undoImport deletes the rows of a running import run, a chunk per transaction, and gives the
// run its final state ("failed" or "abandoned").
func (s *Store) undoImport(ctx context.Context, run, watermark int64, state string) error {
	for {
		var n int64
		err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
			var running bool
			if err := tx.QueryRowContext(ctx, `SELECT state = 'running' FROM import_runs WHERE id = ?`, run).Scan(&running); err != nil {
				return fmt.Errorf("store: undo import: %w", err)
			}
			if !running {
				return nil
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM responses WHERE id IN
				(SELECT id FROM responses WHERE id > ? AND source = 'import' AND receipt_id IS NULL ORDER BY id LIMIT 5000)`, watermark)
			if err != nil {
				return fmt.Errorf("store: undo import: %w", err)
			}
			if n, _ = res.RowsAffected(); n > 0 {
				return nil
			}
			_, err = tx.ExecContext(ctx, `UPDATE import_runs SET state = ?, finished_at = ? WHERE id = ?`, state, formatTime(now), run)
			return err
		})
		if err != nil || n == 0 {
			return err
		}
		time.Sleep(importPause)
	}
}
