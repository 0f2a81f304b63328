// Package store owns all SQL of sipas: the SQLite connection pools, the embedded migrations and
// one file per concept. Exported methods open their own transaction; unexported helpers take a
// *sql.Tx. Domain errors (receipt.ErrAlreadyUsed, ErrNotFound…) are returned, never SQL ones.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"
	// also registers the "sqlite" driver
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// Store is the sipas database: one writer connection, so writes are serialised in Go and never
// meet SQLITE_BUSY, and a pool of readers that WAL lets run beside it.
type Store struct {
	w, r *sql.DB
	now  func() time.Time
	log  *slog.Logger
	path string

	readOnly        bool        // opened with a read-only Access: no writer, batcher or background loop
	created         bool        // Open made a new database
	migrationBackup string      // the backup Open wrote before migrating
	run             *RunState   // this run of the service (startup.go); nil outside BeginRun
	b               *batcher    // group commit of submissions (batcher.go); nil with Options.NoGroupCommit
	health          writeHealth // the outcome of the last write (health.go)
	reads           longReads   // long reads under way, for the checkpoints (checkpoint.go)
	readStmts       stmtCache   // statements of the hot read path, prepared once on the readers
	batches         batchStats
	refusals        refusalBuffer   // refused attempts not yet written (refusals.go)
	webhooks        webhookSignal   // wakes the webhook worker after an event commits (webhooks.go)
	throttled       throttledBuffer // throttled sign-ins not yet summarised in the audit (logins.go)
	designs         designs         // parsed summary designs (summaries.go)
	// refusalSpike is the refusals.spike threshold: refused attempts in one hour.
	refusalSpike int64
	stop         chan struct{} // closed by Close: background loops end
	loops        sync.WaitGroup
	closed       sync.Once
}

// Options tune Open. The zero value opens a database for reading and writing, creating it
// in a missing or empty file, and refuses one that needs migrations.
type Options struct {
	Now    func() time.Time // clock, for tests
	Logger *slog.Logger
	// NoGroupCommit makes SubmitResponse run one transaction (and one fsync) per response
	// instead of going through the group-commit writer: only for benchmarks and comparisons.
	NoGroupCommit bool
	// ExternalCheckpoints turns SQLite's automatic checkpoints off, and sipas's own
	// (checkpoint.go): Litestream runs them.
	ExternalCheckpoints bool
	// RefusalSpike is the refused attempts in one clock hour that send refusals.spike;
	// 0 means DefaultRefusalSpike, negative never.
	RefusalSpike int64
	// Access is what Open may do to the file: read and write (the zero value), also migrate,
	// or only read (open.go).
	Access Access
	// NoCreate refuses a missing or empty file with ErrNoDatabase instead of creating a new
	// database in it. Read-only access never creates.
	NoCreate bool
}

// dsn builds the modernc DSN. busy_timeout comes first so the other pragmas already wait on a
// locked file; synchronous=FULL because an acknowledged response must survive a power cut
// (NORMAL in WAL mode only survives a process crash); journal_size_limit truncates the WAL
// back to 64 MiB whenever it restarts, so one long read cannot leave it large for good.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// walSizeLimit is the size the WAL file is truncated to when it restarts (journal_size_limit;
// a variable for the tests).
var walSizeLimit = 64 << 20

// Open opens the database file at path as opts.Access allows (open.go): it creates a new
// database in a missing or empty file unless read-only or opts.NoCreate, applies pending
// migrations only with Migrate (after a backup beside the file), and refuses a database that
// has migrations this binary does not know.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: open %q: the path may not contain ? or #", path)
	}
	s := &Store{now: opts.Now, log: opts.Logger, path: path, readOnly: opts.Access.readOnly(), refusalSpike: opts.RefusalSpike}
	s.webhooks.wake = make(chan struct{}, 1)
	if s.refusalSpike == 0 {
		s.refusalSpike = DefaultRefusalSpike
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.openWriter(ctx, opts); err != nil {
		return nil, err
	}
	if !s.readOnly {
		if err := s.recoverImports(ctx); err != nil {
			s.w.Close()
			return nil, err
		}
	}
	var err error
	if s.r, err = sql.Open("sqlite", readerDSN(path, s.readOnly)); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store: open readers: %w", err)
	}
	s.r.SetMaxOpenConns(8)
	s.readStmts.db = s.r
	s.stop = make(chan struct{})
	if s.readOnly {
		return s, nil
	}
	if !opts.NoGroupCommit {
		s.b = newBatcher(s)
	}
	s.startRefusalFlusher()
	s.startThrottledFlusher()
	s.startHousekeeping(opts)
	return s, nil
}

// Close answers the submissions already queued (their batch commits), writes the buffered
// refusal counts, and closes both pools. Submissions after Close get ErrClosed.
func (s *Store) Close() error {
	var err error
	s.closed.Do(func() {
		var berr error
		if s.b != nil {
			berr = s.b.close()
		}
		close(s.stop)
		s.loops.Wait()
		ctx := context.Background()
		err = errors.Join(berr, s.flushRefusals(ctx), s.flushThrottled(ctx), s.endRun(ctx), s.readStmts.close(), s.r.Close(), s.w.Close())
		if err == nil {
			err = s.markClean()
		}
	})
	return err
}

// every runs fn in the background every interval until Close, logging its failures under
// what (the buffers of refusals and throttled sign-ins are flushed so).
func (s *Store) every(interval time.Duration, what string, fn func(context.Context) error) {
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				if err := fn(context.Background()); err != nil {
					s.log.Error(what, "err", err)
				}
			}
		}
	}()
}

// Ping checks that the database answers (for /healthz).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// timeLayout is the one stored time format: RFC 3339 in UTC with milliseconds, which sorts
// lexically in time order.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: stored time %q: %w", s, err)
	}
	return t, nil
}

// writeWait bounds how long a write waits for the write lock before ErrUnavailable.
const writeWait = 10 * time.Second

// begin begins an immediate write transaction, retrying every millisecond or so while another
// process holds the write lock, for at most within. The writer's busy_timeout is 0 so that
// SQLite's own busy handler (which sleeps up to 100 ms at a time) never delays a submission
// long after the lock was released.
func (s *Store) begin(ctx context.Context, within time.Duration) (*sql.Tx, error) {
	deadline := time.Now().Add(within)
	pause := time.Millisecond
	for {
		tx, err := s.w.BeginTx(ctx, nil)
		if err == nil || !isBusy(err) {
			return tx, err
		}
		if time.Now().Add(pause).After(deadline) {
			return nil, fmt.Errorf("%w (%v)", ErrUnavailable, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(pause*3/2+time.Microsecond*100, 5*time.Millisecond)
	}
}

// isBusy reports SQLITE_BUSY (any extended code): another connection holds the lock.
func isBusy(err error) bool {
	var se interface{ Code() int }
	return errors.As(err, &se) && se.Code()&0xff == 5
}

// noBusyWait opens the writer's connections: set up like the others (the DSN's pragmas, with
// a 10 s busy timeout while the file is being opened and migrated), then busy_timeout 0, so
// that its transactions wait for the write lock in Store.begin instead, which retries finely
// and within a bound (SQLite's own handler sleeps up to 100 ms at a time).
type noBusyWait struct{ driver.Connector }

// Connect opens one writer connection.
func (c noBusyWait) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("store: the sqlite driver cannot execute on a connection")
	}
	if _, err := ex.ExecContext(ctx, "PRAGMA busy_timeout = 0", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// inTx runs fn in one immediate write transaction and commits it, or rolls back on error.
// The outcome is recorded for Health (noteWrite).
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx, now time.Time) error) error {
	tx, err := s.begin(ctx, writeWait)
	if err != nil {
		return s.noteWrite(fmt.Errorf("store: begin: %w", err))
	}
	if err := fn(tx, s.now()); err != nil {
		tx.Rollback()
		return s.noteWrite(err)
	}
	if err := tx.Commit(); err != nil {
		return s.noteWrite(fmt.Errorf("store: commit: %w", err))
	}
	return s.noteWrite(nil)
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// queryer is what both a pool and a transaction offer.
// scanner is one row of a result: *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// querier is what a *sql.DB and a *sql.Tx offer for reading.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs a query on db (the reader pool, or a transaction) and returns every row as
// scan reads it; what names the operation in errors ("list agencies").
func queryAll[T any](ctx context.Context, db querier, what, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
