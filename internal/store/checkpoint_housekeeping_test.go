package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The WAL stays bounded around a long read: while an export holds its snapshot the WAL grows
// (no checkpoint may pass the reader); when it ends, the passive checkpoint catches up, the
// next commit restarts the WAL and journal_size_limit cuts the file back; once no write has
// come for idleAfter, a truncate checkpoint empties it. With external checkpoints (Litestream)
// sipas does none of it. The limits are scaled down so the test writes megabytes, not
// hundreds of them.
func TestWALBoundedAroundALongRead(t *testing.T) {
	defer func(l int, idle, tick time.Duration) { walSizeLimit, idleAfter, housekeepingTick = l, idle, tick }(walSizeLimit, idleAfter, housekeepingTick)
	walSizeLimit, idleAfter, housekeepingTick = 256<<10, 300*time.Millisecond, 50*time.Millisecond
	for _, external := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "external"}[external], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sipas.db")
			s, err := Open(t.Context(), path, Options{ExternalCheckpoints: external})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := t.Context()
			if err := s.ExecOnWriter(ctx, `CREATE TABLE filler (b BLOB)`); err != nil {
				t.Fatal(err)
			}
			peak := longReadWithWrites(t, s)
			if peak < 4*int64(walSizeLimit) {
				t.Fatalf("WAL %d bytes during the read: the test did not grow it past the limit", peak)
			}
			// The passive checkpoint runs in the background; the first commit after it restarts
			// the WAL, and journal_size_limit cuts the file back.
			var after int64
			for i, deadline := 0, time.Now().Add(5*time.Second); time.Now().Before(deadline); i++ {
				if err := s.SetSetting(ctx, "after", fmt.Sprint(i)); err != nil {
					t.Fatal(err)
				}
				if after = walSize(t, path); after <= int64(walSizeLimit) || (external && i > 10) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			deadline := time.Now().Add(5 * time.Second) // the truncate comes after idleAfter
			if external {
				deadline = time.Now().Add(5 * idleAfter) // and must not come at all
			}
			for walSize(t, path) > 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			idle := walSize(t, path)
			t.Logf("WAL: %d bytes at the end of the read, %d after the next commit, %d when idle", peak, after, idle)
			switch {
			case external && (after < peak || idle < peak):
				t.Errorf("external checkpoints: the WAL shrank (%d → %d → %d): sipas checkpointed", peak, after, idle)
			case !external && after > int64(walSizeLimit):
				t.Errorf("after the read and a commit the WAL is %d bytes, want ≤ the limit %d", after, walSizeLimit)
			case !external && idle != 0:
				t.Errorf("idle for %v, the WAL is still %d bytes, want 0 (truncate checkpoint)", idleAfter, idle)
			}
		})
	}
}

// longReadWithWrites holds a read transaction as an export does while about 3 MB of commits
// go on, then ends it, and returns the WAL's size at its end.
func longReadWithWrites(t *testing.T, s *Store) int64 {
	t.Helper()
	ctx := context.Background()
	end := s.longRead()
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM filler`).Scan(&n); err != nil { // the snapshot starts
		t.Fatal(err)
	}
	row := strings.Repeat("x", 3000)
	for range 100 {
		if _, err := s.w.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 8)
			INSERT INTO filler (b) SELECT ? FROM n`, row); err != nil {
			t.Fatal(err)
		}
	}
	peak := walSize(t, s.path)
	tx.Rollback()
	end()
	return peak
}

func walSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
