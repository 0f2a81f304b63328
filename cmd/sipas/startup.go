package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"sipas/internal/store"
)

// openService opens the service's database, refusing what should not be served quietly, and
// logs what the start finds (docs/operations.md, "Failures and what to do"):
//
//   - a missing or empty file is refused unless --init: it is not a new service but a lost
//     or mistyped database;
//   - pending migrations are refused unless --migrate (which backs up first);
//   - the WAL, before SQLite reads it: its size, its frames, and any damage or deletion
//     (store.Inspect), then the run's bookkeeping (store.BeginRun);
//   - PRAGMA quick_check runs once the service listens (checkIntegrity): it reads the whole
//     file, about 20 s for a million responses, too long to keep citizens waiting.
func openService(ctx context.Context, cfg serveConfig, log *slog.Logger) (*store.Store, error) {
	files, err := store.Inspect(cfg.DB)
	if err != nil {
		return nil, err
	}
	access := store.ReadWrite
	if cfg.Migrate {
		access = store.Migrate
	}
	spike := cfg.RefusalSpike
	if spike == 0 {
		spike = -1 // store.Options: negative is never
	}
	st, err := store.Open(ctx, cfg.DB, store.Options{Logger: log, Access: access, NoCreate: !cfg.Init,
		ExternalCheckpoints: cfg.Checkpoints == checkpointsExternal, RefusalSpike: spike})
	switch {
	case errors.Is(err, store.ErrNoDatabase):
		return nil, fmt.Errorf("serve: %s holds no database (the file is missing or empty): check --db, or start once with --init to create a new one", cfg.DB)
	case errors.Is(err, store.ErrNeedsMigration):
		return nil, fmt.Errorf("serve: %w; or start with --migrate", err)
	case err != nil:
		return nil, err
	}
	if st.Created() {
		log.Warn("created a new, empty database (--init)", "db", cfg.DB)
	}
	w := files.WAL
	log.Info("wal at start", "bytes", w.Bytes, "frames", w.Frames, "commits", w.Commits, "torn_frames", w.Torn)
	rep, err := st.BeginRun(ctx, files, version())
	for _, f := range rep.Findings {
		if f.Severe {
			log.Error("database at start: "+f.Text, "db", cfg.DB)
		} else {
			log.Warn("database at start: "+f.Text, "db", cfg.DB)
		}
	}
	if err != nil {
		// A full disk at start: the service can still show surveys; /healthz says writes fail.
		log.Error("record the run", "err", err)
	} else {
		log.Info("run started", "run", rep.Run)
	}
	return st, nil
}

// serviceTempDir is the directory downloads spill into (the XLSX export's sheet): beside the
// database, whose disk is sized for the data, unlike /tmp (often a small tmpfs). What a
// killed process left there is removed: only this service uses it.
func serviceTempDir(db string) (string, error) {
	dir := db + "-tmp"
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("serve: temporary directory: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("serve: temporary directory: %w", err)
	}
	return dir, nil
}

// checkIntegrity runs PRAGMA quick_check beside the service and logs its outcome and time; a
// damaged database is an ERROR line and /healthz answers 500 "damaged" from then on. The
// returned wait ends when the check has (the service stopping interrupts it).
func checkIntegrity(ctx context.Context, st *store.Store, log *slog.Logger) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		took, err := st.QuickCheck(ctx)
		switch {
		case ctx.Err() != nil:
			log.Info("quick_check interrupted by the shutdown", "ms", took.Milliseconds())
		case err != nil:
			log.Error("quick_check: the database is damaged; restore the last backup (docs/operations.md)", "ms", took.Milliseconds(), "err", err)
		default:
			log.Info("quick_check ok", "ms", took.Milliseconds())
		}
	}()
	return func() { <-done }
}
