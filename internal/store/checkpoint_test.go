package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With ExternalCheckpoints the writer never checkpoints: the WAL keeps every frame until
// another process (Litestream) checkpoints it. By default SQLite checkpoints at 1000 pages and
// the WAL is reused from its start, so it stays near that size.
func TestExternalCheckpoints(t *testing.T) {
	tests := []struct {
		name     string
		external bool
		wantAuto int
	}{
		{name: "sqlite", external: false, wantAuto: 1000},
		{name: "external", external: true, wantAuto: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sipas.db")
			s, err := Open(t.Context(), path, Options{ExternalCheckpoints: tt.external})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := t.Context()
			var auto, pageSize int
			if err := s.w.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil {
				t.Fatal(err)
			}
			if auto != tt.wantAuto {
				t.Errorf("writer: wal_autocheckpoint = %d, want %d", auto, tt.wantAuto)
			}
			if err := s.w.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
				t.Fatal(err)
			}
			// About 2000 pages in 20 commits (one fsync each): twice the automatic threshold.
			if _, err := s.w.ExecContext(ctx, `CREATE TABLE filler (b BLOB)`); err != nil {
				t.Fatal(err)
			}
			row := strings.Repeat("x", pageSize-200)
			for range 20 {
				if _, err := s.w.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 100)
					INSERT INTO filler (b) SELECT ? FROM n`, row); err != nil {
					t.Fatal(err)
				}
			}
			fi, err := os.Stat(path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			pages := int(fi.Size()) / (pageSize + 24) // a WAL frame is a 24-byte header and a page
			t.Logf("WAL: %d pages", pages)
			if tt.external && pages < 2000 {
				t.Errorf("WAL holds %d pages after 2000 written: sipas checkpointed it", pages)
			}
			if !tt.external && pages >= 1500 {
				t.Errorf("WAL holds %d pages after 2000 written: SQLite did not checkpoint at 1000", pages)
			}
		})
	}
}
