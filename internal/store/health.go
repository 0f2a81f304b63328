package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrUnavailable says the database cannot take a write now but may later: its disk is full,
// the disk fails, the write lock stayed taken past the busy timeout, or there are too many
// submissions waiting. Nothing of the failed write is stored. web answers 503 with
// Retry-After.
var ErrUnavailable = errors.New("store: unavailable")

// unavailableCodes are the SQLite primary result codes of a database that cannot serve now:
// nothing wrong with the request, nor (as SQLITE_CORRUPT would be) with the data.
var unavailableCodes = map[int]string{
	sqlite3.SQLITE_FULL:     "disk_full",
	sqlite3.SQLITE_IOERR:    "io_error",
	sqlite3.SQLITE_BUSY:     "busy",
	sqlite3.SQLITE_LOCKED:   "busy",
	sqlite3.SQLITE_READONLY: "read_only",
	sqlite3.SQLITE_CANTOPEN: "cannot_open",
	sqlite3.SQLITE_NOMEM:    "no_memory",
	sqlite3.SQLITE_PROTOCOL: "busy",
}

// unavailableErrnos are the file system's errors of the same kind, met outside SQLite (the
// XLSX export spilling its sheet into the database's directory).
var unavailableErrnos = map[syscall.Errno]string{syscall.ENOSPC: "disk_full", syscall.EIO: "io_error", syscall.EROFS: "read_only"}

// Unavailable reports whether err means the database cannot serve now but may later:
// ErrUnavailable or ErrClosed in its chain, an SQLite error of unavailableCodes, or a file
// system error of unavailableErrnos.
func Unavailable(err error) bool { return unavailableReason(err) != "" }

// unavailableReason names why err is Unavailable ("disk_full"), or "" when it is not.
func unavailableReason(err error) string {
	var se *sqlite.Error
	var errno syscall.Errno
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return unavailableCodes[se.Code()&0xff]
	case errors.As(err, &errno):
		return unavailableErrnos[errno]
	case errors.Is(err, ErrClosed):
		return "closed"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	}
	return ""
}

// writeHealth is the outcome of the last write, for Health.
type writeHealth struct {
	mu           sync.Mutex
	okAt, failAt time.Time
	reason       string    // of the last failure
	failingSince time.Time // zero while writes succeed
	probedAt     time.Time
	damaged      bool // QuickCheck found damage
}

// noteWrite records the outcome of a write and returns err: nil is a commit, an Unavailable
// error a failed write; any other error (a refused receipt, a constraint) says nothing about
// the database and is not recorded.
func (s *Store) noteWrite(err error) error {
	reason := unavailableReason(err)
	if err != nil && reason == "" {
		return err
	}
	now := s.now()
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.okAt, h.failingSince = now, time.Time{}
		return nil
	}
	if h.failingSince.IsZero() {
		h.failingSince = now
	}
	h.failAt, h.reason = now, reason
	return err
}

// lastWrite is when the last write (committed or not) was tried.
func (h *writeHealth) lastWrite() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failAt.After(h.okAt) {
		return h.failAt
	}
	return h.okAt
}

// Health is the state of the database's writes, for /healthz.
type Health struct {
	// Writing is false while writes fail: the last one failed, and so did a probe since.
	Writing bool
	// LastOK and LastFailure are when a write last committed and last failed (zero: never
	// since Open); Reason names the last failure ("disk_full", "io_error", "busy", …).
	LastOK, LastFailure time.Time
	Reason              string
	FailingSince        time.Time // zero while Writing
	FreeBytes           int64     // on the database's file system; -1 if unknown
	WALBytes            int64
	// Damaged: PRAGMA quick_check found damage (QuickCheck); restore a backup.
	Damaged bool
}

// probeEvery bounds how often Health tries a write while writes fail.
const probeEvery = time.Second

// Health reports whether writes succeed. While they fail it tries a small write itself, a
// second or more after the last failure or try, so the service reports its recovery as soon
// as the disk has room again, without waiting for a citizen's answer.
func (s *Store) Health(ctx context.Context) Health {
	h := &s.health
	h.mu.Lock()
	since := h.failAt
	if h.probedAt.After(since) {
		since = h.probedAt
	}
	probe := !h.failingSince.IsZero() && s.now().Sub(since) >= probeEvery
	if probe {
		h.probedAt = s.now()
	}
	h.mu.Unlock()
	if probe {
		_ = s.SetSetting(ctx, "health_probe", formatTime(s.now())) // noteWrite records it
	}
	h.mu.Lock()
	out := Health{Writing: h.failingSince.IsZero(), LastOK: h.okAt, LastFailure: h.failAt,
		Reason: h.reason, FailingSince: h.failingSince, Damaged: h.damaged}
	h.mu.Unlock()
	out.FreeBytes = freeBytes(filepath.Dir(s.path))
	if fi, err := os.Stat(s.path + "-wal"); err == nil {
		out.WALBytes = fi.Size()
	}
	return out
}
