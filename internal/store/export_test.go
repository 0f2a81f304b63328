package store

import (
	"context"
	"io/fs"
	"sort"
	"strings"
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
func EmbeddedMigrations() []string {
	names, _ := fs.Glob(migrationsFS, "migrations/*.sql")
	sort.Strings(names)
	for i, n := range names {
		names[i] = strings.TrimPrefix(n, "migrations/")
	}
	return names
}
