package store

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// Test hooks: store_test (an external package, so it can use storetest) reaches the
// connection pools and the embedded migrations through these.

// PragmaOnWriter returns PRAGMA name as the writer connection sees it.
func (s *Store) PragmaOnWriter(ctx context.Context, name string) (string, error) {
	var v string
	err := s.w.QueryRowContext(ctx, `PRAGMA `+name).Scan(&v)
	return v, err
}

// PragmaOnReader returns PRAGMA name as a reader connection sees it.
func (s *Store) PragmaOnReader(ctx context.Context, name string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `PRAGMA `+name).Scan(&v)
	return v, err
}

// ExecOnWriter runs a statement on the writer, outside any store method.
func (s *Store) ExecOnWriter(ctx context.Context, query string, args ...any) error {
	_, err := s.w.ExecContext(ctx, query, args...)
	return err
}

// ExecOnReader runs a statement on a reader connection (which must refuse writes).
func (s *Store) ExecOnReader(ctx context.Context, query string, args ...any) error {
	_, err := s.r.ExecContext(ctx, query, args...)
	return err
}

// QueryStrings runs a one-column query on a reader and returns the values.
func (s *Store) QueryStrings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// EmbeddedMigrations lists the migration file names the binary carries, in order.
func EmbeddedMigrations() []string { return migrationNames() }

// LimitWriterPages caps the database at its current size plus extra pages on the writer
// (PRAGMA max_page_count): every write that needs more fails with SQLITE_FULL, as on a full
// disk. A large extra lifts the cap.
func (s *Store) LimitWriterPages(ctx context.Context, extra int) error {
	var n int
	if err := s.w.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&n); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `PRAGMA max_page_count = `+itoa(n+extra))
	return err
}

func itoa(n int) string { return fmt.Sprint(n) }

// LockForTest locks name as a running backup locks its temporary file, until release.
func LockForTest(t *testing.T, name string) (release func()) {
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	lockFile(f)
	return func() { f.Close() }
}
