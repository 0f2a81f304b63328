package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Backup writes a consistent copy of the database to dst while the service goes on writing.
// It runs VACUUM INTO on a read-only connection of its own (the readers are query_only,
// which VACUUM refuses even when it only writes the copy): under WAL that is one read
// transaction of the live file, so it sees one snapshot, never blocks the writer and never
// changes the database. The copy is written to a temporary file beside dst, synced, and
// renamed over dst, so dst is either the old file or a whole new copy. The temporary file is
// locked while the backup runs; those a killed backup left behind (unlocked) are removed
// first. A passive checkpoint follows (checkpoint.go), since the WAL grew while the copy
// held its snapshot.
func (s *Store) Backup(ctx context.Context, dst string) error {
	abs, err := filepath.Abs(dst)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if self, err := filepath.Abs(s.path); err == nil && self == abs {
		return fmt.Errorf("store: backup: %s is the live database", dst)
	}
	removeStaleTemps(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp-")
	// VACUUM INTO wants a file that does not exist or is empty.
	tmp, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp-*")
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer tmp.Close() // after the rename: the lock ends with it
	lockFile(tmp)
	ok := false
	defer func() {
		if !ok {
			removeTemp(tmp.Name())
		}
	}()
	if err := s.vacuumInto(ctx, tmp.Name()); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), abs); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	ok = true
	if err := syncFile(filepath.Dir(abs)); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// vacuumInto copies the database into the empty file name in one read transaction.
func (s *Store) vacuumInto(ctx context.Context, name string) error {
	defer s.longRead()()
	db, err := sql.Open("sqlite", readOnlyDSN(s.path))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, name)
	return errors.Join(err, db.Close())
}

// removeStaleTemps removes the temporary files of backups (prefix, in dir) that no running
// backup holds locked, with the journal SQLite may have left beside each.
func removeStaleTemps(dir, prefix string) {
	names, _ := filepath.Glob(filepath.Join(dir, prefix+"*"))
	for _, name := range names {
		if strings.HasSuffix(name, "-journal") {
			if _, err := os.Stat(strings.TrimSuffix(name, "-journal")); errors.Is(err, os.ErrNotExist) {
				os.Remove(name)
			}
			continue
		}
		if unlocked(name) {
			removeTemp(name)
		}
	}
}

func removeTemp(name string) {
	os.Remove(name)
	os.Remove(name + "-journal")
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// IntegrityCheck runs PRAGMA integrity_check and returns nil when it answers "ok".
func (s *Store) IntegrityCheck(ctx context.Context) error { return s.check(ctx, "integrity_check") }

// check runs PRAGMA integrity_check or quick_check and returns the problems it lists.
func (s *Store) check(ctx context.Context, pragma string) error {
	rows, err := s.r.QueryContext(ctx, `PRAGMA `+pragma)
	if err != nil {
		return fmt.Errorf("store: %s: %w", pragma, err)
	}
	defer rows.Close()
	var problems []error
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("store: %s: %w", pragma, err)
		}
		if line != "ok" {
			problems = append(problems, errors.New(line))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", pragma, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: %s: %w", pragma, errors.Join(problems...))
	}
	return nil
}
