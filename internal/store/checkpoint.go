package store

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"sync"
	"time"
)

// Checkpoints say who copies committed pages from the -wal file back into the database file.
//
// By default SQLite does it: after a commit that leaves 1000 or more pages in the WAL, the
// committing connection runs a PASSIVE checkpoint. That is right when sipas is alone with its
// database. Litestream (docs/operations.md) replicates by reading the WAL and wants to run
// every checkpoint itself, after it has copied the frames: it holds a read transaction so that
// nobody can restart the WAL under it, and releases it only to checkpoint. A checkpoint by the
// application in that gap lets the next write restart the WAL before Litestream has read it;
// Litestream notices and uploads a full snapshot instead of the increment. With
// Options.ExternalCheckpoints the writer never checkpoints automatically
// (PRAGMA wal_autocheckpoint(0)), so the WAL grows until Litestream checkpoints it: use it only
// while Litestream (or another checkpointing process) runs beside sipas.
//
// The readers need no setting: they are query_only, and an automatic checkpoint only follows
// a write commit.
//
// Housekeeping (without external checkpoints only). A long read (an export, a backup) holds
// its snapshot for minutes, and meanwhile no checkpoint may go past it: the WAL grows by every
// answer written meanwhile, and the first commit after the read would have to checkpoint all
// of it before its citizen gets an answer. So when a long read ends, a passive checkpoint on a
// connection of its own copies the backlog (it takes no lock the writer needs). When no write
// has come for idleAfter, a truncate checkpoint empties the WAL file, so a quiet service keeps
// no WAL at all. journal_size_limit (store.go) bounds what the file keeps after it restarts.

// writerDSN is the writer's DSN for opts: dsn plus, with external checkpoints, the pragma that
// turns SQLite's automatic checkpoints off on that connection.
func writerDSN(path string, opts Options) string {
	// The statement journal of a multi-row INSERT (imports) in memory, not in a temporary
	// file: a quarter of an import's time was its writes. The writer never sorts much.
	d := dsn(path, false) + "&" + url.Values{"_pragma": {"temp_store(memory)"}}.Encode()
	if opts.ExternalCheckpoints {
		d += "&" + url.Values{"_pragma": {"wal_autocheckpoint(0)"}}.Encode()
	}
	return d
}

// idleAfter is how long without a write makes the service idle enough for a truncate
// checkpoint; housekeepingTick is how often that is looked at. (Variables for the tests.)
var (
	idleAfter        = 30 * time.Second
	housekeepingTick = 5 * time.Second
)

// longReads counts the long reads under way and asks for a checkpoint when one ends.
type longReads struct {
	mu     sync.Mutex
	active int
	ended  chan struct{} // buffered (1): one pending request is enough
}

// longRead marks the start of a read that holds its snapshot for long (an export, a backup);
// the returned function marks its end.
func (s *Store) longRead() (end func()) {
	s.reads.mu.Lock()
	s.reads.active++
	s.reads.mu.Unlock()
	return func() {
		s.reads.mu.Lock()
		s.reads.active--
		s.reads.mu.Unlock()
		if s.reads.ended != nil {
			select {
			case s.reads.ended <- struct{}{}:
			default:
			}
		}
	}
}

func (s *Store) longReadsActive() bool {
	s.reads.mu.Lock()
	defer s.reads.mu.Unlock()
	return s.reads.active > 0
}

// startHousekeeping runs the checkpoints of this file's comment until Close, unless
// Litestream runs them (opts.ExternalCheckpoints).
func (s *Store) startHousekeeping(opts Options) {
	if opts.ExternalCheckpoints {
		return
	}
	s.reads.ended = make(chan struct{}, 1)
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		t := time.NewTicker(housekeepingTick)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-s.reads.ended:
				s.checkpoint("PASSIVE")
			case <-t.C:
				if s.idle() {
					s.checkpoint("TRUNCATE")
				}
			}
		}
	}()
}

// idle reports a WAL with something in it, no write for idleAfter and no long read.
func (s *Store) idle() bool {
	fi, err := os.Stat(s.path + "-wal")
	if err != nil || fi.Size() == 0 || s.longReadsActive() {
		return false
	}
	return s.now().Sub(s.health.lastWrite()) >= idleAfter
}

// checkpoint runs PRAGMA wal_checkpoint(mode) on a connection of its own, which waits at most
// 100 ms for a lock: a truncate checkpoint that meets a writer or a reader gives way, and is
// tried again at the next tick.
func (s *Store) checkpoint(mode string) {
	db, err := sql.Open("sqlite", "file:"+s.path+"?"+url.Values{"_pragma": {"busy_timeout(100)"}}.Encode())
	if err != nil {
		return
	}
	defer db.Close()
	var busy, frames, done int
	if err := db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &frames, &done); err != nil {
		s.log.Warn("checkpoint", "mode", mode, "err", err)
		return
	}
	s.log.Debug("checkpoint", "mode", mode, "busy", busy, "wal_frames", frames, "checkpointed", done)
}
