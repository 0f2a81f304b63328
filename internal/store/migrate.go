package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// extraMigrations are migrations beyond the embedded ones, by name: empty except in a binary
// built with the sipas_extra_migration tag (extra_migration.go), which tests use to be a
// "newer sipas" without one existing.
var extraMigrations = map[string]string{}

// migrationNames lists every migration this binary carries, in the order they apply.
func migrationNames() []string {
	paths, _ := fs.Glob(migrationsFS, "migrations/*.sql")
	names := make([]string, 0, len(paths)+len(extraMigrations))
	for _, p := range paths {
		names = append(names, strings.TrimPrefix(p, "migrations/"))
	}
	for n := range extraMigrations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func migrationBody(name string) (string, error) {
	if body, ok := extraMigrations[name]; ok {
		return body, nil
	}
	b, err := migrationsFS.ReadFile("migrations/" + name)
	return string(b), err
}

// migrate applies the named migrations in order, each in its own transaction, recording each
// in schema_migrations. Migrations are forward only: an applied file is never edited, and
// Open refuses a database that has a migration this binary lacks (it was opened by a newer
// sipas, and running on would misread its data).
func (s *Store) migrate(ctx context.Context, names []string) error {
	if err := s.inTx(ctx, func(tx *sql.Tx, _ time.Time) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`)
		return err
	}); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, name := range names {
		body, err := migrationBody(name)
		if err != nil {
			return fmt.Errorf("store: migrate %s: %w", name, err)
		}
		if err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
			if _, err := tx.ExecContext(ctx, body); err != nil {
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
