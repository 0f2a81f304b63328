package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"time"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// migrate applies, in lexical order and each in its own transaction, every embedded migration
// not yet recorded in schema_migrations. Migrations are forward only: an applied file is never
// edited, and a database that has a migration this binary lacks is refused (it was opened by a
// newer sipas, and running on would misread its data).
func (s *Store) migrate(ctx context.Context) error {
	if err := s.inTx(ctx, func(tx *sql.Tx, _ time.Time) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`)
		return err
	}); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	names, err := fs.Glob(migrationsFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	sort.Strings(names)
	known := map[string]bool{}
	for _, n := range names {
		known[n[len("migrations/"):]] = true
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	for name := range applied {
		if !known[name] {
			return fmt.Errorf("store: migrate: the database has migration %s, which this sipas does not know: use a newer sipas", name)
		}
	}
	for _, path := range names {
		name := path[len("migrations/"):]
		if applied[name] {
			continue
		}
		body, err := migrationsFS.ReadFile(path)
		if err != nil {
			return fmt.Errorf("store: migrate %s: %w", name, err)
		}
		if err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("store: migrate %s: %w", name, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, formatTime(now))
			return err
		}); err != nil {
			return err
		}
		s.log.Info("applied migration", "name", name)
	}
	return nil
}

func (s *Store) appliedMigrations(ctx context.Context) (map[string]bool, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: migrate: %w", err)
		}
		applied[n] = true
	}
	return applied, rows.Err()
}

// Migrations lists the applied migrations in order (for `sipas migrate`).
func (s *Store) Migrations(ctx context.Context) ([]string, error) {
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(applied))
	for n := range applied {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}
