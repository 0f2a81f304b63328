package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// Access is what Open may do to a database file.
//
// A database is never migrated by accident: only Migrate applies migrations (`sipas
// migrate`, `sipas serve --migrate`), and only after a backup beside the file. Commands that
// only read (reports, backups) open the file read-only, so they can neither migrate nor
// change it, and a newer binary taking a backup leaves the live schema as it found it.
type Access uint8

const (
	// ReadWrite opens a database for reading and writing. One with migrations still to apply
	// is refused (ErrNeedsMigration).
	ReadWrite Access = iota
	// Migrate is ReadWrite that first applies pending migrations, after writing a backup of
	// the database beside it.
	Migrate
	// ReadOnly opens the file read-only (SQLite mode=ro): nothing is written to it and no
	// migration runs. A database with migrations pending is refused like ReadWrite.
	ReadOnly
	// ReadOnlyAnyVersion is ReadOnly that also takes a database with migrations pending,
	// for what copies or checks a database whatever its schema (backups).
	ReadOnlyAnyVersion
)

func (a Access) readOnly() bool { return a == ReadOnly || a == ReadOnlyAnyVersion }

// ErrNoDatabase is returned when the file is missing or empty and Open may not create one.
var ErrNoDatabase = errors.New("store: no database (the file is missing or empty)")

// ErrNeedsMigration is returned, wrapped with the names of the pending migrations, when a
// database is older than this binary and the Access does not allow migrating it.
var ErrNeedsMigration = errors.New("store: the database needs migrations")

// readOnlyDSN is the DSN of a connection that cannot write: SQLite opens the file read-only
// (mode=ro), which refuses every write and every checkpoint. It sets no journal mode: a copy
// made by VACUUM INTO is not in WAL mode, and a read-only connection could not change that.
func readOnlyDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(ON)")
	return "file:" + path + "?mode=ro&" + q.Encode()
}

func readerDSN(path string, readOnly bool) string {
	if readOnly {
		return readOnlyDSN(path)
	}
	return dsn(path, true)
}

// fileIsEmpty reports a missing file or one of no bytes: nowhere a database could be.
func fileIsEmpty(path string) (bool, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("store: open %s: %w", path, err)
	}
	return fi.Size() == 0, nil
}

// openWriter opens the writer pool (a read-only one for read-only access) and brings the
// schema to where opts.Access allows.
func (s *Store) openWriter(ctx context.Context, opts Options) error {
	empty, err := fileIsEmpty(s.path)
	if err != nil {
		return err
	}
	if empty && (opts.NoCreate || s.readOnly) {
		return fmt.Errorf("store: open %s: %w", s.path, ErrNoDatabase)
	}
	if s.readOnly {
		if s.w, err = sql.Open("sqlite", readOnlyDSN(s.path)); err != nil {
			return fmt.Errorf("store: open: %w", err)
		}
	} else {
		wc, err := sqlite.NewConnector(writerDSN(s.path, opts))
		if err != nil {
			return fmt.Errorf("store: open: %w", err)
		}
		s.w = sql.OpenDB(noBusyWait{wc})
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := s.w.PingContext(ctx); err != nil {
		s.w.Close()
		return fmt.Errorf("store: open %s: %w", s.path, err)
	}
	if err := s.prepareSchema(ctx, opts); err != nil {
		s.w.Close()
		return err
	}
	return nil
}

// schema is what a database holds of sipas's migrations.
type schema struct {
	tables  int             // tables of any kind
	applied map[string]bool // recorded in schema_migrations
	unknown []string        // applied, but not embedded in this binary
	pending []string        // embedded, not yet applied, in order
}

func (s *Store) readSchema(ctx context.Context) (schema, error) {
	var sc schema
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).Scan(&sc.tables); err != nil {
		return sc, fmt.Errorf("store: open %s: %w", s.path, err)
	}
	if sc.tables == 0 {
		return sc, nil
	}
	var err error
	if sc.applied, err = s.appliedMigrations(ctx); err != nil {
		return sc, fmt.Errorf("store: open %s: not a sipas database: %w", s.path, err)
	}
	known := map[string]bool{}
	for _, name := range migrationNames() {
		known[name] = true
		if !sc.applied[name] {
			sc.pending = append(sc.pending, name)
		}
	}
	for name := range sc.applied {
		if !known[name] {
			sc.unknown = append(sc.unknown, name)
		}
	}
	return sc, nil
}

// prepareSchema creates the schema of a new database, or checks an existing one against
// the embedded migrations and applies them if opts.Access is Migrate.
func (s *Store) prepareSchema(ctx context.Context, opts Options) error {
	sc, err := s.readSchema(ctx)
	if err != nil {
		return err
	}
	switch {
	case sc.tables == 0 && (opts.NoCreate || s.readOnly):
		return fmt.Errorf("store: open %s: %w", s.path, ErrNoDatabase)
	case sc.tables == 0:
		s.created = true
		return s.migrate(ctx, migrationNames())
	case len(sc.unknown) > 0:
		return fmt.Errorf("store: open %s: the database has migration %s, which this sipas does not know: use a newer sipas",
			s.path, strings.Join(sc.unknown, ", "))
	case len(sc.pending) == 0 || opts.Access == ReadOnlyAnyVersion:
		return nil
	case opts.Access != Migrate:
		return fmt.Errorf("store: open %s: %w %s: run `sipas migrate` (it backs the database up first)",
			s.path, ErrNeedsMigration, strings.Join(sc.pending, ", "))
	}
	backup := migrationBackupPath(s.path, sc.pending[0], s.now())
	if err := s.Backup(ctx, backup); err != nil {
		return fmt.Errorf("store: back up before migrating: %w", err)
	}
	s.log.Info("backed up before migrating", "backup", backup, "pending", strings.Join(sc.pending, ","))
	s.migrationBackup = backup
	return s.migrate(ctx, sc.pending)
}

// Created reports whether Open made a new database (the file was missing or empty).
func (s *Store) Created() bool { return s.created }

// MigrationBackup is the backup Open wrote before migrating, or "" when it migrated nothing.
func (s *Store) MigrationBackup() string { return s.migrationBackup }

// ReadOnly reports whether the store was opened read-only.
func (s *Store) ReadOnly() bool { return s.readOnly }

// migrationBackupPath is where the backup before applying migration first goes: beside the
// database, named for the migration and the time, e.g.
// sipas.db.before-0012_operations-20260301T101500Z.db.
func migrationBackupPath(db, first string, now time.Time) string {
	return fmt.Sprintf("%s.before-%s-%s.db", db, strings.TrimSuffix(first, ".sql"), now.UTC().Format("20060102T150405Z"))
}
