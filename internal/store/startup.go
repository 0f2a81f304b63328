package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// What the service can tell at start about state that went missing.
//
// Committed answers live in the -wal file until a checkpoint copies them into the database
// file, and SQLite opens a database whose WAL was deleted, or damaged, without a word. So
// before the service opens the database, Inspect looks at the files (InspectWAL: frames
// SQLite will keep or drop; a -shm file without its -wal, which only a deleted WAL leaves),
// and BeginRun compares the database with the side file <database>-state, which records the
// last run of `sipas serve` on it and whether it stopped cleanly:
//
//   - the last run did not stop cleanly and there is no WAL: a crash always leaves the WAL
//     behind, so it was deleted, with whatever it held that was not yet checkpointed;
//   - the database does not know the run the side file names: the database went back to an
//     older copy (restored from a backup, which is then expected, or a WAL lost some other way).
//
// Each run is a row of the runs table, written at start and marked stopped at a clean Close.

// FileReport is what Inspect found on disk, before the database was opened.
type FileReport struct {
	WAL WALInfo
	// ShmWithoutWAL: a -shm file with no -wal file. SQLite removes both at a clean close and
	// a crash leaves both, so the WAL was deleted.
	ShmWithoutWAL bool
	// Last is the side file's last run; nil when there is no side file.
	Last *RunState
}

// RunState is the content of the side file.
type RunState struct {
	DatabaseID string    `json:"database_id"`
	Run        int64     `json:"run"`
	StartedAt  time.Time `json:"started_at"`
	Clean      bool      `json:"clean"` // stopped cleanly, with nothing left in a WAL
}

// statePath is the side file of the database at path.
func statePath(path string) string { return path + "-state" }

// Inspect reads the files of the database at path as they are before anything opens them.
func Inspect(path string) (FileReport, error) {
	var r FileReport
	var err error
	if r.WAL, err = InspectWAL(path); err != nil {
		return r, err
	}
	if _, err := os.Stat(path + "-shm"); err == nil && !r.WAL.Exists {
		r.ShmWithoutWAL = true
	}
	b, err := os.ReadFile(statePath(path))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return r, nil
	case err != nil:
		return r, fmt.Errorf("store: inspect: %w", err)
	}
	var st RunState
	if err := json.Unmarshal(b, &st); err != nil {
		return r, fmt.Errorf("store: inspect %s: %w", statePath(path), err)
	}
	r.Last = &st
	return r, nil
}

// Finding is one thing BeginRun or Inspect noticed, for the start log. Severe ones mean
// acknowledged answers may be missing.
type Finding struct {
	Severe bool
	Text   string
}

// Findings are the problems a FileReport shows before any comparison with the database.
func (r FileReport) Findings() []Finding {
	var out []Finding
	if r.WAL.BadHeader {
		out = append(out, Finding{true, fmt.Sprintf("the WAL's header is damaged: SQLite ignores all %d bytes of it; answers not yet checkpointed are lost", r.WAL.Bytes)})
	}
	if r.WAL.LostCommits > 0 {
		out = append(out, Finding{true, fmt.Sprintf("the WAL is damaged after frame %d: %d committed transactions after the damage will be dropped", r.WAL.Frames, r.WAL.LostCommits)})
	}
	if r.ShmWithoutWAL {
		out = append(out, Finding{true, "a -shm file without its -wal file: the WAL was deleted, with the answers it held that were not yet checkpointed"})
	}
	if r.Last != nil && !r.Last.Clean && !r.WAL.Exists {
		out = append(out, Finding{true, fmt.Sprintf("run %d did not stop cleanly and there is no WAL: it was deleted, with the answers it held (expected only right after restoring a backup)", r.Last.Run)})
	}
	if r.WAL.Torn > 0 && !r.WAL.Damaged() {
		out = append(out, Finding{false, fmt.Sprintf("the WAL ends with %d frames of an unfinished transaction, dropped (a crash during a commit; it was never acknowledged)", r.WAL.Torn)})
	}
	return out
}

// RunReport is what BeginRun found and did.
type RunReport struct {
	Run      int64
	Findings []Finding
}

// BeginRun records a run of the service in the runs table and the side file, after
// comparing the database with the side file's last run (files is what Inspect saw before
// Open). version names the binary.
func (s *Store) BeginRun(ctx context.Context, files FileReport, version string) (RunReport, error) {
	rep := RunReport{Findings: files.Findings()}
	id, err := s.databaseID(ctx)
	if err != nil {
		return rep, err
	}
	var last sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT max(id) FROM runs`).Scan(&last); err != nil {
		return rep, fmt.Errorf("store: begin run: %w", err)
	}
	next := last.Int64 + 1
	if prev := files.Last; prev != nil && !s.created {
		switch {
		case prev.DatabaseID != id:
			rep.Findings = append(rep.Findings, Finding{false, fmt.Sprintf("%s belongs to another database: this one is new here", statePath(s.path))})
		case prev.Run > last.Int64:
			rep.Findings = append(rep.Findings, Finding{true, fmt.Sprintf("the database knows runs up to %d, but run %d was started on it: it went back to an older copy, and what was written since is not in it (expected only after restoring a backup)", last.Int64, prev.Run)})
			next = prev.Run + 1
		}
	}
	now := s.now()
	if err := s.inTx(ctx, func(tx *sql.Tx, _ time.Time) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO runs (id, started_at, version) VALUES (?, ?, ?)`, next, formatTime(now), version)
		return err
	}); err != nil {
		return rep, fmt.Errorf("store: begin run: %w", err)
	}
	rep.Run = next
	s.run = &RunState{DatabaseID: id, Run: next, StartedAt: now.UTC()}
	return rep, writeState(s.path, *s.run)
}

// databaseID is the random id the database carries from its first run, in settings.
func (s *Store) databaseID(ctx context.Context) (string, error) {
	id, err := s.Setting(ctx, "database_id")
	if !errors.Is(err, ErrNotFound) {
		return id, err
	}
	id = newResponseID()
	return id, s.SetSetting(ctx, "database_id", id)
}

// endRun marks the run stopped, in the database before it closes and in the side file after.
func (s *Store) endRun(ctx context.Context) error {
	if s.run == nil {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		_, err := tx.ExecContext(ctx, `UPDATE runs SET stopped_at = ? WHERE id = ?`, formatTime(now), s.run.Run)
		return err
	})
}

// markClean sets the side file's clean flag once the pools are closed, and only when the
// WAL is gone: SQLite removes it when the last connection closes after a full checkpoint, so
// nothing is left in it (while another process, such as Litestream or a running service, has
// the database open, the WAL stays and so does the flag). Any read-write store does this, so
// that a one-shot command run after a crash, whose close checkpoints the recovered WAL, does
// not leave the next start believing the WAL was deleted.
func (s *Store) markClean() error {
	if s.readOnly {
		return nil
	}
	if _, err := os.Stat(s.path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	st := s.run
	if st == nil {
		files, err := Inspect(s.path)
		if err != nil || files.Last == nil || files.Last.Clean {
			return err
		}
		st = files.Last
	}
	clean := *st
	clean.Clean = true
	return writeState(s.path, clean)
}

// writeState replaces the side file atomically and durably.
func writeState(path string, st RunState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("store: write state: %w", err)
	}
	tmp := statePath(path) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("store: write state: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("store: write state: %w", err)
	}
	if err := os.Rename(tmp, statePath(path)); err != nil {
		return fmt.Errorf("store: write state: %w", err)
	}
	return syncFile(filepath.Dir(statePath(path)))
}

// QuickCheck runs PRAGMA quick_check (integrity_check without the index cross-checks: it
// reads every page once, about 20 s for a million responses) and returns how long it took;
// a problem is an error naming it, and Health reports the database damaged from then on. It
// is a long read (checkpoint.go).
func (s *Store) QuickCheck(ctx context.Context) (time.Duration, error) {
	defer s.longRead()()
	start := time.Now()
	err := s.check(ctx, "quick_check")
	if err != nil && ctx.Err() == nil {
		s.health.mu.Lock()
		s.health.damaged = true
		s.health.mu.Unlock()
	}
	return time.Since(start), err
}
