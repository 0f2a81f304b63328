package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// wantTables are tables the citizen loop needs; later migrations may add more.
var wantTables = []string{"agencies", "aggregates", "api_keys", "populations", "receipts", "responses", "schema_migrations", "settings"}

func checkTables(t *testing.T, got []string) {
	t.Helper()
	have := map[string]bool{}
	for _, n := range got {
		have[n] = true
	}
	for _, n := range wantTables {
		if !have[n] {
			t.Errorf("table %s missing; tables are %v", n, got)
		}
	}
}

func tables(t *testing.T, s *store.Store) []string {
	t.Helper()
	got, err := s.QueryStrings(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestOpenMigratesEmptyDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stat before open: %v, want not exist", err)
	}
	s := storetest.OpenPath(t, path, store.Options{})

	embedded := store.EmbeddedMigrations()
	if len(embedded) == 0 {
		t.Fatal("no embedded migrations")
	}
	got, err := s.Migrations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(embedded, got); diff != "" {
		t.Errorf("applied migrations (-embedded +applied):\n%s", diff)
	}
	checkTables(t, tables(t, s))
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping = %v, want nil", err)
	}
	if got, want := s.Path(), path; got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sipas.db")
	s, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustCreateAgency(t, s, "MG.STP", "Sở Tư pháp tỉnh Minh Giang", "province")
	firstTables := tables(t, s)
	appliedAt, err := s.QueryStrings(t.Context(), `SELECT name || ' ' || applied_at FROM schema_migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for i := range 2 {
		s := storetest.OpenPath(t, path, store.Options{Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }})
		again, err := s.QueryStrings(t.Context(), `SELECT name || ' ' || applied_at FROM schema_migrations ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(appliedAt, again); diff != "" {
			t.Errorf("reopen %d: schema_migrations changed (-first +reopened):\n%s", i+1, diff)
		}
		if diff := cmp.Diff(firstTables, tables(t, s)); diff != "" {
			t.Errorf("reopen %d: tables changed (-first +reopened):\n%s", i+1, diff)
		}
		a, err := s.FindAgencyByCode(t.Context(), "MG.STP")
		if err != nil {
			t.Fatalf("reopen %d: agency lost: %v", i+1, err)
		}
		if got, want := a.Name, "Sở Tư pháp tỉnh Minh Giang"; got != want {
			t.Errorf("reopen %d: agency name = %q, want %q", i+1, got, want)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRefusesUnknownMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	s, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// As if a newer sipas had applied a migration this binary does not have.
	if err := s.ExecOnWriter(t.Context(), `INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_from_the_future.sql', '2030-01-01T00:00:00.000Z')`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = store.Open(t.Context(), path, store.Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a database with an unknown migration = nil error, want a refusal")
	}
	if got, want := err.Error(), "9999_from_the_future.sql"; !strings.Contains(got, want) {
		t.Errorf("error = %q, want it to name %q", got, want)
	}
}

func TestOpenRefusesPathWithQuery(t *testing.T) {
	for _, p := range []string{"x.db?mode=memory", "x.db#frag"} {
		s, err := store.Open(t.Context(), filepath.Join(t.TempDir(), p), store.Options{})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) = nil error, want an error", p)
		}
	}
}

func TestPragmas(t *testing.T) {
	s := storetest.Open(t)
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL: an acknowledged response survives a power cut
		{"foreign_keys", "1"},
	}
	// The writer waits for the lock in Store.begin (fine retries, bounded); readers in SQLite.
	for pragma, want := range map[string]string{"busy_timeout": "0", "temp_store": "2"} {
		if got, err := s.PragmaOnWriter(t.Context(), pragma); err != nil || got != want {
			t.Errorf("PRAGMA %s on the writer = %q, %v; want %q", pragma, got, err, want)
		}
	}
	if got, err := s.PragmaOnReader(t.Context(), "busy_timeout"); err != nil || got != "10000" {
		t.Errorf("PRAGMA busy_timeout on a reader = %q, %v; want 10000", got, err)
	}
	for _, tt := range tests {
		t.Run("writer/"+tt.pragma, func(t *testing.T) {
			got, err := s.PragmaOnWriter(t.Context(), tt.pragma)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s on the writer = %q, want %q", tt.pragma, got, tt.want)
			}
		})
		t.Run("reader/"+tt.pragma, func(t *testing.T) {
			got, err := s.PragmaOnReader(t.Context(), tt.pragma)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("PRAGMA %s on a reader = %q, want %q", tt.pragma, got, tt.want)
			}
		})
	}
	t.Run("reader/query_only", func(t *testing.T) {
		if err := s.ExecOnReader(t.Context(), `INSERT INTO settings (key, value) VALUES ('x', 'y')`); err == nil {
			t.Error("a write on a reader connection succeeded, want it refused (query_only)")
		}
	})
	t.Run("foreign key enforced", func(t *testing.T) {
		err := s.ExecOnWriter(t.Context(), `INSERT INTO receipts (token_hash, agency_id, channel, source, issued_at, year)
			VALUES ('h', 999, 'counter', 'api', '2024-01-01T00:00:00.000Z', 2024)`)
		if err == nil {
			t.Error("receipt of a missing agency was stored, want a foreign key error")
		}
	})
}

func TestSettings(t *testing.T) {
	s := storetest.Open(t)
	if _, err := s.Setting(t.Context(), "demo"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Setting of a missing key: err = %v, want ErrNotFound", err)
	}
	for _, v := range []string{"1", "2"} {
		if err := s.SetSetting(t.Context(), "demo", v); err != nil {
			t.Fatal(err)
		}
		got, err := s.Setting(t.Context(), "demo")
		if err != nil {
			t.Fatal(err)
		}
		if got != v {
			t.Errorf("Setting = %q, want %q", got, v)
		}
	}
}
