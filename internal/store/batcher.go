package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit.
//
// With synchronous=FULL every COMMIT waits for an fsync of the WAL, and that wait, not the
// SQL, bounds how many responses one transaction each can store per second. The batcher is
// the one goroutine that writes submissions: it takes every submission waiting at that moment
// (up to maxBatch), runs them in one transaction with a SAVEPOINT each, and COMMITs once. A
// submission that fails (an answered or unknown receipt, a constraint) is rolled back to its
// savepoint alone; the others of the batch are unaffected. Each caller is answered only after
// the COMMIT of its batch has returned, so an acknowledged response is on disk.
//
// While one batch is being synced, the next submissions queue up; the busier the service, the
// larger the batches, and no timer delays a lone submission.

// ErrClosed is returned by SubmitResponse once the store is closing.
var ErrClosed = errors.New("store: closed")

const (
	qSavepoint  = `SAVEPOINT submission`
	qRollbackTo = `ROLLBACK TO submission`
	qRelease    = `RELEASE submission`
)

// maxBatch bounds one transaction, so a flood cannot build an unbounded one.
const maxBatch = 256

// maxQueued bounds the submissions waiting for the writer (about a second of work at the
// measured rates): beyond it a submission is refused at once with ErrUnavailable (503 and
// Retry-After) rather than queueing without bound while the database is held.
const maxQueued = 4 * maxBatch

// MaxQueued is maxQueued, for tests and docs.
const MaxQueued = maxQueued

// batchWait bounds how long a batch waits for the write lock held by another process (an
// import's chunk holds it about 40 ms) before its submissions get ErrUnavailable.
const batchWait = 2 * time.Second

type submitRequest struct {
	ctx       context.Context
	tokenHash string
	sub       Submission
	done      chan error // buffered: the batcher never waits for a caller that went away
}

type batcher struct {
	s       *Store
	reqs    chan *submitRequest // unbuffered: a send succeeds only while the loop receives
	quit    chan struct{}
	stopped chan struct{}
	stmts   stmtCache    // on the writer; only the loop uses it
	queued  atomic.Int64 // submissions handed in and not yet answered
}

func newBatcher(s *Store) *batcher {
	b := &batcher{s: s, reqs: make(chan *submitRequest), quit: make(chan struct{}), stopped: make(chan struct{})}
	b.stmts.db = s.w
	b.stmts.prepare(context.Background(), qSavepoint, qRollbackTo, qRelease, qFindReceiptForSubmit, qInsertResponse, qMarkAnswered,
		qCountAnswered, qSummaryDesign, qSummaryRow, qSummaryUpsert)
	b.stmts.prepare(context.Background(), webhookStatements...) // the response.created hook (webhooks.go)
	go b.run()
	return b
}

// close stops taking submissions, commits those already handed over, and waits for the loop.
func (b *batcher) close() error {
	close(b.quit)
	<-b.stopped
	return b.stmts.close()
}

// submit hands one submission to the writer and waits for the COMMIT of its batch. If ctx
// ends first the caller gets ctx's error and the outcome is unknown to it (the batch may still
// commit): that is never an acknowledgement.
func (b *batcher) submit(ctx context.Context, tokenHash string, sub Submission) error {
	if b.queued.Add(1) > maxQueued {
		b.queued.Add(-1)
		return fmt.Errorf("%w: %d submissions are waiting already", ErrUnavailable, maxQueued)
	}
	defer b.queued.Add(-1)
	r := &submitRequest{ctx: ctx, tokenHash: tokenHash, sub: sub, done: make(chan error, 1)}
	select {
	case b.reqs <- r:
	case <-b.quit:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("store: submit response: %w", ctx.Err())
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("store: submit response: %w", ctx.Err())
	}
}

func (b *batcher) run() {
	defer close(b.stopped)
	batch := make([]*submitRequest, 0, maxBatch)
	for {
		var first *submitRequest
		select {
		case first = <-b.reqs:
		case <-b.quit:
			// Callers blocked in their send right now are still served; later ones see quit.
			select {
			case first = <-b.reqs:
			default:
				return
			}
		}
		batch = append(batch[:0], first)
	collect:
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break collect
			}
		}
		b.commit(batch)
		clear(batch) // drop references to finished requests
	}
}

// commit writes one batch in one transaction and answers every caller.
func (b *batcher) commit(batch []*submitRequest) {
	errs := make([]error, len(batch))
	live := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = fmt.Errorf("store: submit response: %w", err) // gave up before its turn
			continue
		}
		live++
	}
	if live > 0 {
		b.s.batches.observe(live)
		// When the transaction as a whole fails, nothing of it is stored: every caller gets
		// the failure, except those whose receipt does not exist, which stays true. (An
		// "already used" found in this batch may have come from a submission now rolled back.)
		if err := b.write(batch, errs); err != nil {
			for i := range errs {
				if !errors.Is(errs[i], ErrNotFound) {
					errs[i] = err
				}
			}
		}
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
}

// write runs the live submissions of batch, recording each one's own error in errs. A non-nil
// result means the transaction as a whole failed and nothing of it is stored.
func (b *batcher) write(batch []*submitRequest, errs []error) error {
	// The statements do not use the callers' contexts: one caller going away must not
	// interrupt a transaction that holds the others' answers.
	ctx := context.Background()
	tx, err := b.s.begin(ctx, batchWait)
	if err != nil {
		return fmt.Errorf("store: submit response: begin: %w", err)
	}
	now := b.s.now()
	ts := txStmts{tx: tx, cache: &b.stmts, bound: map[string]*sql.Stmt{}}
	t := newTally()
	for i, r := range batch {
		if errs[i] != nil {
			continue
		}
		if _, err := ts.exec(ctx, qSavepoint); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: submit response: savepoint: %w", err)
		}
		if err := b.s.submitAndCount(ctx, ts, t, r.tokenHash, r.sub, now); err != nil {
			errs[i] = err
			if _, err := ts.exec(ctx, qRollbackTo); err != nil {
				tx.Rollback()
				return fmt.Errorf("store: submit response: rollback to savepoint: %w", err)
			}
		}
		if _, err := ts.exec(ctx, qRelease); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: submit response: release savepoint: %w", err)
		}
	}
	if err := t.flush(ctx, ts); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: submit response: commit: %w", err)
	}
	return nil
}

// submitAndCount stores one submission and counts it into t. A row that cannot be counted
// (its answers do not decode) fails as a submission, before t changes.
func (s *Store) submitAndCount(ctx context.Context, ts txStmts, t *tally, tokenHash string, sub Submission, now time.Time) error {
	rec, err := submitResponseIn(ctx, ts, tokenHash, sub, now)
	if err != nil {
		return err
	}
	// The response.created deliveries go in the same transaction (or savepoint) as the answer.
	if err := s.queueResponseCreated(ctx, ts, rec); err != nil {
		return err
	}
	return s.countRecord(ctx, ts, t, &rec)
}

// batchBounds are the upper bounds of the batch-size histogram buckets.
var batchBounds = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}

// batchStats is a histogram of the number of submissions per write transaction.
type batchStats struct {
	mu     sync.Mutex
	count  uint64
	sum    uint64
	bucket [9]uint64 // per bound of batchBounds, not cumulative
}

func (h *batchStats) observe(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.count++
	h.sum += uint64(n)
	for i, ub := range batchBounds {
		if float64(n) <= ub {
			h.bucket[i]++
			break
		}
	}
}

// BatchStats is the histogram of submissions per write transaction since Open, in the shape
// Prometheus wants: Buckets maps an upper bound to the cumulative count of batches at most
// that large.
type BatchStats struct {
	Count   uint64
	Sum     float64
	Buckets map[float64]uint64
}

// WriteBatchStats returns how many submissions each write transaction carried.
func (s *Store) WriteBatchStats() BatchStats {
	s.batches.mu.Lock()
	defer s.batches.mu.Unlock()
	st := BatchStats{Count: s.batches.count, Sum: float64(s.batches.sum), Buckets: make(map[float64]uint64, len(batchBounds))}
	var cum uint64
	for i, ub := range batchBounds {
		cum += s.batches.bucket[i]
		st.Buckets[ub] = cum
	}
	return st
}

// submitOne is the path without group commit: one immediate transaction, and so one fsync,
// per response. Options.NoGroupCommit selects it; the benchmarks compare the two.
func (s *Store) submitOne(ctx context.Context, tokenHash string, sub Submission) error {
	s.batches.observe(1)
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		t := newTally()
		if err := s.submitResponse(ctx, tx, t, tokenHash, sub, now); err != nil {
			return err
		}
		return t.flush(ctx, txStmts{tx: tx})
	})
}
