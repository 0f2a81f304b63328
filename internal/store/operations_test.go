package store_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// Tests of what Open may do to a file (open.go), the start checks (wal.go, startup.go), write
// health (health.go) and backups' leftovers.

func mustOpen(t *testing.T, path string, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustClose(t *testing.T, s *store.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenAccess(t *testing.T) {
	dir := t.TempDir()
	missing, empty := filepath.Join(dir, "missing.db"), filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		path string
		opts store.Options
	}{
		{"read-only on a missing file", missing, store.Options{Access: store.ReadOnly}},
		{"read-only on an empty file", empty, store.Options{Access: store.ReadOnlyAnyVersion}},
		{"NoCreate on a missing file", missing, store.Options{NoCreate: true}},
		{"NoCreate on an empty file", empty, store.Options{NoCreate: true, Access: store.Migrate}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.Open(t.Context(), tt.path, tt.opts)
			if !errors.Is(err, store.ErrNoDatabase) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("Open = %v, want ErrNoDatabase", err)
			}
		})
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused open created %s", missing)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Errorf("a refused open wrote into the empty file: %v", err)
	}

	// The zero value creates, and says so; a read-only store cannot write.
	s := mustOpen(t, empty, store.Options{})
	if !s.Created() {
		t.Error("Created() = false for a database made in an empty file")
	}
	mustClose(t, s)
	ro := mustOpen(t, empty, store.Options{Access: store.ReadOnly})
	defer ro.Close()
	if ro.Created() || !ro.ReadOnly() {
		t.Errorf("read-only open: Created %v, ReadOnly %v", ro.Created(), ro.ReadOnly())
	}
	if err := ro.SetSetting(t.Context(), "x", "y"); err == nil {
		t.Error("a write through a read-only store succeeded")
	}
	if _, err := ro.Migrations(t.Context()); err != nil {
		t.Errorf("a read through a read-only store: %v", err)
	}
}

// olderDatabase makes a database as the sipas before the last migration left it.
func olderDatabase(t *testing.T) (path, last string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "older.db")
	s := mustOpen(t, path, store.Options{})
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	names := store.EmbeddedMigrations()
	last = names[len(names)-1]
	if last != "0012_operations.sql" {
		t.Fatalf("the last migration is %s: olderDatabase undoes 0012_operations.sql only", last)
	}
	if err := s.ExecOnWriter(t.Context(), `DROP TABLE runs;
		DELETE FROM schema_migrations WHERE name = '`+last+`'`); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	return path, last
}

// Only Migrate migrates, and it backs up first; the other accesses leave an older database
// as it is (a read-only one with any version, for backups).
func TestMigrationsOnlyWhenAsked(t *testing.T) {
	path, last := olderDatabase(t)
	for _, a := range []store.Access{store.ReadWrite, store.ReadOnly} {
		s, err := store.Open(t.Context(), path, store.Options{Access: a})
		if !errors.Is(err, store.ErrNeedsMigration) || !strings.Contains(err.Error(), last) || !strings.Contains(err.Error(), "sipas migrate") {
			if s != nil {
				s.Close()
			}
			t.Fatalf("access %d: Open = %v, want ErrNeedsMigration naming %s and sipas migrate", a, err, last)
		}
	}
	s := mustOpen(t, path, store.Options{Access: store.ReadOnlyAnyVersion})
	if got, _ := s.Migrations(t.Context()); slices.Contains(got, last) {
		t.Error("a read-only open applied the pending migration")
	}
	mustClose(t, s)

	s = mustOpen(t, path, store.Options{Access: store.Migrate})
	got, err := s.Migrations(t.Context())
	if err != nil || !slices.Contains(got, last) {
		t.Errorf("Migrate: applied %v (%v), want %s among them", got, err, last)
	}
	backup := s.MigrationBackup()
	mustClose(t, s)
	if !strings.HasPrefix(filepath.Base(backup), "older.db.before-0012_operations-") || filepath.Dir(backup) != filepath.Dir(path) {
		t.Fatalf("backup before migrating = %q, want older.db.before-0012_operations-… beside the database", backup)
	}
	b := mustOpen(t, backup, store.Options{Access: store.ReadOnlyAnyVersion})
	defer b.Close()
	if got, _ := b.Migrations(t.Context()); slices.Contains(got, last) {
		t.Error("the backup was taken after migrating")
	}
	if _, err := b.FindAgencyByCode(t.Context(), "A"); err != nil {
		t.Errorf("the backup lacks the data: %v", err)
	}
	// Reopened, there is nothing to migrate, so no second backup.
	s = mustOpen(t, path, store.Options{Access: store.Migrate})
	if s.MigrationBackup() != "" {
		t.Errorf("a database with nothing pending was backed up again: %s", s.MigrationBackup())
	}
	mustClose(t, s)
}

// A killed backup leaves its temporary file (and SQLite's journal) behind; the next backup
// removes them, but not the file of a backup still running (locked).
func TestBackupRemovesWhatAKilledBackupLeft(t *testing.T) {
	s := storetest.Open(t)
	dir := t.TempDir()
	dst := filepath.Join(dir, "copy.db")
	stale := filepath.Join(dir, ".copy.db.tmp-123")
	running := filepath.Join(dir, ".copy.db.tmp-456")
	for _, f := range []string{stale, stale + "-journal", running, filepath.Join(dir, ".copy.db.tmp-789-journal"), filepath.Join(dir, "other.db")} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	release := store.LockForTest(t, running)
	defer release()
	if err := s.Backup(t.Context(), dst); err != nil {
		t.Fatal(err)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{".copy.db.tmp-456", "copy.db", "other.db"}; !slices.Equal(left, want) {
		t.Errorf("files after the backup = %v, want %v", left, want)
	}
}

// A full disk: the write fails as Unavailable, /healthz's Health says so, and once there is
// room again Health finds out by itself (its probe), without a citizen's write.
func TestHealthFollowsWrites(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	s := storetest.OpenOptions(t, store.Options{Now: clock.Now})
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	if h := s.Health(t.Context()); !h.Writing || h.LastOK.IsZero() || h.FreeBytes <= 0 {
		t.Fatalf("healthy store: %+v", h)
	}
	if err := s.LimitWriterPages(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	// Fill every page: big rows until one fails, then ever smaller ones, so that not even the
	// probe's small row has room.
	var err error
	for i, size := 0, 3000; size >= 10; size /= 4 {
		for err = nil; err == nil; i++ {
			err = s.SetSetting(t.Context(), fmt.Sprint("filler", i), strings.Repeat("y", size))
		}
	}
	if !store.Unavailable(err) {
		t.Fatalf("write on a full database: %v, want an Unavailable error", err)
	}
	h := s.Health(t.Context()) // no probe yet: it waits a second after a failure
	if h.Writing || h.Reason != "disk_full" || h.FailingSince.IsZero() {
		t.Errorf("after a failed write: %+v, want not writing, disk_full", h)
	}
	clock.Advance(2 * time.Second)
	if h := s.Health(t.Context()); h.Writing {
		t.Errorf("still full, after the probe: %+v, want not writing", h)
	}
	if err := s.LimitWriterPages(t.Context(), 1<<20); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	if h := s.Health(t.Context()); !h.Writing {
		t.Errorf("after room was made: %+v, want writing again (the probe)", h)
	}
}

// Unavailable knows the failures that pass: the store closing, ErrUnavailable; not others.
func TestUnavailable(t *testing.T) {
	for err, want := range map[error]bool{
		store.ErrClosed: true, store.ErrUnavailable: true, store.ErrNotFound: false, io.EOF: false, nil: false,
	} {
		if got := store.Unavailable(err); got != want {
			t.Errorf("Unavailable(%v) = %v, want %v", err, got, want)
		}
	}
}

// copyFiles copies the database files that exist (path, -wal, -shm, -state) into dir, as a
// crash at that moment would leave them, and returns the copy's path.
func copyFiles(t *testing.T, path, dir string, skip ...string) string {
	t.Helper()
	dst := filepath.Join(dir, filepath.Base(path))
	for _, suffix := range []string{"", "-wal", "-shm", "-state"} {
		if slices.Contains(skip, suffix) {
			continue
		}
		b, err := os.ReadFile(path + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func severe(fs []store.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Severe {
			out = append(out, f.Text)
		}
	}
	return out
}

// beginRun inspects and opens path and begins a run, as `sipas serve` does.
func beginRun(t *testing.T, path string) (*store.Store, store.FileReport, store.RunReport) {
	t.Helper()
	files, err := store.Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, path, store.Options{})
	rep, err := s.BeginRun(t.Context(), files, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s, files, rep
}

// flipByte changes one byte of a file.
func flipByte(t *testing.T, name string, off int64) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// State that goes missing is noticed at start: a deleted WAL (after a crash, and by its
// leftover -shm), a WAL damaged in the middle, a database gone back to an older copy; and
// what is normal is not reported as a loss (a crash with its WAL, a torn last commit, a
// one-shot command that checkpointed the WAL after a crash).
func TestStartNoticesMissingState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sipas.db")
	s, files, rep := beginRun(t, path)
	if rep.Run != 1 || len(rep.Findings) != 0 || files.WAL.Exists && files.WAL.Frames > 0 {
		t.Fatalf("first run: %+v, files %+v", rep, files)
	}
	for _, code := range []string{"A", "B", "C"} {
		storetest.MustCreateAgency(t, s, code, "Cơ quan "+code, "province")
	}
	crash := copyFiles(t, path, t.TempDir()) // killed now: WAL, -shm and an unclean state
	mustClose(t, s)
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after a clean close the WAL is still there: %v", err)
	}

	t.Run("crash with its WAL", func(t *testing.T) {
		img := copyFiles(t, crash, t.TempDir())
		s, files, rep := beginRun(t, img)
		defer s.Close()
		if files.WAL.Frames == 0 || files.WAL.Commits < 3 || files.WAL.Damaged() || len(severe(rep.Findings)) > 0 {
			t.Errorf("WAL %+v, findings %v: want frames, 3+ commits, nothing severe", files.WAL, rep.Findings)
		}
		if _, err := s.FindAgencyByCode(t.Context(), "C"); err != nil {
			t.Errorf("the last agency, in the WAL: %v", err)
		}
	})
	t.Run("crash, then the WAL deleted", func(t *testing.T) {
		img := copyFiles(t, crash, t.TempDir(), "-wal")
		files, err := store.Inspect(img)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(severe(files.Findings()), "\n")
		if !strings.Contains(got, "-shm file without its -wal") || !strings.Contains(got, "did not stop cleanly and there is no WAL") {
			t.Errorf("findings:\n%s\nwant the -shm without -wal and the unclean run without WAL", got)
		}
	})
	t.Run("WAL damaged in its first frame", func(t *testing.T) {
		img := copyFiles(t, crash, t.TempDir())
		flipByte(t, img+"-wal", 32+24+100)
		files, err := store.Inspect(img)
		if err != nil {
			t.Fatal(err)
		}
		if !files.WAL.Damaged() || files.WAL.LostCommits < 3 || files.WAL.Frames != 0 {
			t.Errorf("WAL %+v: want damaged, 3+ commits lost, no frame kept", files.WAL)
		}
		if got := strings.Join(severe(files.Findings()), "\n"); !strings.Contains(got, "damaged") {
			t.Errorf("findings %q, want the damage", got)
		}
		// What SQLite does with it, silently: everything from the damage on is gone, here
		// the whole schema, which was never checkpointed.
		if _, err := store.Open(t.Context(), img, store.Options{Access: store.ReadOnly}); !errors.Is(err, store.ErrNoDatabase) {
			t.Errorf("open after the damage: %v, want the database empty (SQLite drops the WAL from the damage on)", err)
		}
	})
	t.Run("torn last commit", func(t *testing.T) {
		img := copyFiles(t, crash, t.TempDir())
		fi, _ := os.Stat(img + "-wal")
		flipByte(t, img+"-wal", fi.Size()-10) // the last frame's page: its checksum fails
		files, err := store.Inspect(img)
		if err != nil {
			t.Fatal(err)
		}
		if files.WAL.Damaged() || files.WAL.Torn == 0 || len(severe(files.Findings())) > 0 {
			t.Errorf("WAL %+v, findings %v: want a torn end, nothing severe", files.WAL, files.Findings())
		}
	})
	t.Run("one-shot command after a crash", func(t *testing.T) {
		img := copyFiles(t, crash, t.TempDir())
		mustClose(t, mustOpen(t, img, store.Options{})) // recovers and checkpoints the WAL
		files, err := store.Inspect(img)
		if err != nil {
			t.Fatal(err)
		}
		if got := severe(files.Findings()); len(got) > 0 || files.Last == nil || !files.Last.Clean {
			t.Errorf("after a one-shot command checkpointed the WAL: state %+v, findings %v", files.Last, got)
		}
	})
	t.Run("database back to an older copy", func(t *testing.T) {
		dir := t.TempDir()
		img := copyFiles(t, path, dir) // run 1, stopped cleanly
		older := copyFiles(t, img, t.TempDir())
		s, _, rep := beginRun(t, img)
		if rep.Run != 2 || len(rep.Findings) > 0 {
			t.Errorf("second run: %+v", rep)
		}
		mustClose(t, s)
		b, _ := os.ReadFile(older)
		if err := os.WriteFile(img, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, _, rep = beginRun(t, img)
		defer s.Close()
		if got := strings.Join(severe(rep.Findings), "\n"); !strings.Contains(got, "older copy") || rep.Run != 3 {
			t.Errorf("run %d, findings %q: want run 3 and the older copy noticed", rep.Run, got)
		}
	})
}

// A damaged page is found by the check at start, and Health says damaged from then on.
func TestQuickCheckFindsDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sipas.db")
	s := mustOpen(t, path, store.Options{})
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	btReceipts(t, s, 300)
	mustClose(t, s) // checkpointed: everything is in the database file
	s = mustOpen(t, path, store.Options{})
	if _, err := s.QuickCheck(t.Context()); err != nil || s.Health(t.Context()).Damaged {
		t.Fatalf("quick_check of a sound database: %v", err)
	}
	mustClose(t, s)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	for off := fi.Size() - 4096; off < fi.Size()-4000; off += 7 {
		flipByte(t, path, off) // the header of the last page, a B-tree page of receipts or an index
	}
	s = mustOpen(t, path, store.Options{})
	defer s.Close()
	took, err := s.QuickCheck(t.Context())
	t.Logf("quick_check: %v in %v", err, took)
	if err == nil || !s.Health(t.Context()).Damaged {
		t.Errorf("quick_check of a damaged page: %v, Damaged %v; want the damage found", err, s.Health(t.Context()).Damaged)
	}
}
