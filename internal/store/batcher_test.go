package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// Tests of group commit (batcher.go), refusal counts, comment retention and backups.

func btSubmission(i int) store.Submission {
	return store.Submission{SurveyID: "sipas", SurveyVersion: "2026.1", Source: "web",
		Answers: fmt.Sprintf("A1:%d A2:%d", 1+i%5, 1+(i/5)%5), Comment: fmt.Sprintf("góp ý %d", i)}
}

// btReceipts issues n receipts of agency A in one transaction and returns their token hashes.
func btReceipts(tb testing.TB, s *store.Store, n int) []string {
	tb.Helper()
	hashes := make([]string, n)
	list := make([]store.NewReceipt, n)
	for i := range n {
		tok, err := receipt.NewToken()
		if err != nil {
			tb.Fatal(err)
		}
		hashes[i] = tok.Hash()
		list[i] = store.NewReceipt{TokenHash: hashes[i], AgencyCode: "A", Channel: "counter", Source: "api"}
	}
	if _, err := s.CreateReceipts(tb.Context(), list); err != nil {
		tb.Fatal(err)
	}
	return hashes
}

// Abuse: 100 concurrent submissions of one token store exactly one response, and the others
// are told the receipt is used, whether they land in the same batch or in later ones.
func TestGroupCommitOneTokenHundredTimes(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	hash := btReceipts(t, s, 1)[0]

	const n = 100
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.SubmitResponse(t.Context(), hash, btSubmission(i))
		})
	}
	close(start)
	wg.Wait()
	wantOneStored(t, errs)
	if got := len(storetest.Responses(t, s)); got != 1 {
		t.Errorf("%d responses stored, want 1", got)
	}
}

// One failing submission (used or unknown receipt) does not fail the others of its batch.
func TestGroupCommitMixedBatch(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	hashes := btReceipts(t, s, 200)
	used := hashes[:20]
	for i, h := range used {
		if err := s.SubmitResponse(t.Context(), h, btSubmission(i)); err != nil {
			t.Fatal(err)
		}
	}
	before := s.WriteBatchStats()

	type job struct {
		hash string
		want error
	}
	var jobs []job
	for _, h := range used {
		jobs = append(jobs, job{h, receipt.ErrAlreadyUsed})
	}
	for i := range 20 {
		jobs = append(jobs, job{fmt.Sprintf("%064x", i), store.ErrNotFound})
	}
	for _, h := range hashes[20:] {
		jobs = append(jobs, job{h, nil})
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, j := range jobs {
		wg.Go(func() {
			<-start
			errs[i] = s.SubmitResponse(t.Context(), j.hash, btSubmission(i))
		})
	}
	close(start)
	wg.Wait()
	for i, j := range jobs {
		if !errors.Is(errs[i], j.want) || (j.want == nil && errs[i] != nil) {
			t.Errorf("job %d: err = %v, want %v", i, errs[i], j.want)
		}
	}
	if got, want := len(storetest.Responses(t, s)), 200; got != want {
		t.Errorf("%d responses stored, want %d", got, want)
	}
	after := s.WriteBatchStats()
	batches, subs := after.Count-before.Count, after.Sum-before.Sum
	if subs != float64(len(jobs)) {
		t.Errorf("batch histogram counted %v submissions, want %d", subs, len(jobs))
	}
	if batches >= uint64(len(jobs)) {
		t.Errorf("%d concurrent submissions took %d transactions: no batching", len(jobs), batches)
	}
	t.Logf("%d concurrent submissions in %d transactions", len(jobs), batches)
}

// Close answers every submission already handed to the writer; what Close refuses is not
// stored, and what it acknowledged is there when the database is opened again.
func TestGroupCommitCloseDrains(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sipas.db")
	s, err := store.Open(t.Context(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	hashes := btReceipts(t, s, 300)
	errs := make([]error, len(hashes))
	var wg sync.WaitGroup
	var started atomic.Int32
	for i, h := range hashes {
		wg.Go(func() {
			started.Add(1)
			errs[i] = s.SubmitResponse(context.Background(), h, btSubmission(i))
		})
	}
	for started.Load() < int32(len(hashes)) {
		time.Sleep(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	acked := 0
	for i, err := range errs {
		switch {
		case err == nil:
			acked++
		case errors.Is(err, store.ErrClosed):
		default:
			t.Errorf("submission %d: %v, want nil or ErrClosed", i, err)
		}
	}
	s = storetest.OpenPath(t, path, store.Options{})
	if got := len(storetest.Responses(t, s)); got != acked {
		t.Errorf("%d responses stored, %d acknowledged", got, acked)
	}
	for i, h := range hashes {
		err := s.SubmitResponse(t.Context(), h, btSubmission(i))
		if errs[i] == nil && !errors.Is(err, receipt.ErrAlreadyUsed) {
			t.Errorf("acknowledged submission %d: resubmitting gave %v, want ErrAlreadyUsed", i, err)
		}
		if errs[i] != nil && err != nil {
			t.Errorf("refused submission %d: resubmitting gave %v, want nil", i, err)
		}
	}
	t.Logf("%d of %d acknowledged before Close", acked, len(hashes))
}

// A caller whose context is already done is not stored.
func TestGroupCommitCanceledContext(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	hash := btReceipts(t, s, 1)[0]
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.SubmitResponse(ctx, hash, btSubmission(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if got := len(storetest.Responses(t, s)); got != 0 {
		t.Errorf("%d responses stored, want 0", got)
	}
}

// The unbatched path keeps the same answers.
func TestNoGroupCommit(t *testing.T) {
	s := storetest.OpenOptions(t, store.Options{NoGroupCommit: true})
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	hash := btReceipts(t, s, 1)[0]
	if err := s.SubmitResponse(t.Context(), hash, btSubmission(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.SubmitResponse(t.Context(), hash, btSubmission(2)); !errors.Is(err, receipt.ErrAlreadyUsed) {
		t.Errorf("second: %v, want ErrAlreadyUsed", err)
	}
	if err := s.SubmitResponse(t.Context(), "nope", btSubmission(2)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown: %v, want ErrNotFound", err)
	}
}

type btClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *btClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *btClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func TestRefusals(t *testing.T) {
	// 16:30 UTC on 1 March is 23:30 in Vietnam; 17:30 UTC is already 2 March there.
	clk := &btClock{t: time.Date(2025, 3, 1, 16, 30, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "sipas.db")
	s, err := store.Open(t.Context(), path, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for range 3 {
		s.CountRefusal(ctx, receipt.RefusalUnknownToken)
	}
	s.CountRefusal(ctx, receipt.RefusalRateLimited)
	got, err := s.Refusals(ctx, time.Date(2025, 3, 1, 0, 0, 0, 0, calendar.Zone))
	if err != nil {
		t.Fatal(err)
	}
	want := []receipt.RefusalCount{{Day: "2025-03-01", Reason: "rate_limited", Count: 1}, {Day: "2025-03-01", Reason: "unknown_token", Count: 3}}
	if !slices.Equal(got, want) {
		t.Errorf("Refusals = %v, want %v", got, want)
	}
	clk.Set(time.Date(2025, 3, 1, 17, 30, 0, 0, time.UTC))
	s.CountRefusal(ctx, receipt.RefusalUnknownToken)
	s.CountRefusal(ctx, receipt.RefusalInvalidAnswers)
	if err := s.CountRefusal(ctx, ""); err == nil {
		t.Error("CountRefusal accepted an empty reason")
	}
	if err := s.Close(); err != nil { // flushes the buffer
		t.Fatal(err)
	}
	s = storetest.OpenPath(t, path, store.Options{Now: clk.Now})
	got, err = s.Refusals(ctx, time.Date(2025, 3, 2, 0, 0, 0, 0, calendar.Zone))
	if err != nil {
		t.Fatal(err)
	}
	want = []receipt.RefusalCount{{Day: "2025-03-02", Reason: "invalid_answers", Count: 1}, {Day: "2025-03-02", Reason: "unknown_token", Count: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("Refusals since 2 March = %v, want %v", got, want)
	}
	all, err := s.Refusals(ctx, time.Time{})
	if err != nil || len(all) != 4 {
		t.Errorf("all refusals = %v, %v; want 4 rows", all, err)
	}
}

func TestExpireComments(t *testing.T) {
	clk := &btClock{t: time.Date(2024, 1, 10, 3, 0, 0, 0, time.UTC)}
	s := storetest.OpenOptions(t, store.Options{Now: clk.Now})
	ctx := t.Context()
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	hashes := btReceipts(t, s, 3)
	for i, at := range []time.Time{
		time.Date(2024, 1, 10, 3, 0, 0, 0, time.UTC), // 13 months before the run
		time.Date(2024, 3, 1, 3, 0, 0, 0, time.UTC),  // 11 months before
		time.Date(2025, 2, 1, 3, 0, 0, 0, time.UTC),  // last month
	} {
		clk.Set(at)
		if err := s.SubmitResponse(ctx, hashes[i], btSubmission(i)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2025, 2, 10, 3, 0, 0, 0, time.UTC)
	clk.Set(now)
	n, err := s.ExpireComments(ctx, store.RetentionCutoff(now, 12), "system")
	if err != nil || n != 1 {
		t.Fatalf("ExpireComments = %d, %v; want 1, nil", n, err)
	}
	got := storetest.Responses(t, s)
	if got[0].Comment != "" || got[1].Comment != "góp ý 1" || got[2].Comment != "góp ý 2" {
		t.Errorf("comments after retention: %q %q %q, want only the first blanked", got[0].Comment, got[1].Comment, got[2].Comment)
	}
	if got[0].Answers != btSubmission(0).Answers {
		t.Errorf("answers of the expired response = %q, want them kept", got[0].Answers)
	}
	audit, err := s.ListAudit(ctx, "retention.comments_blanked", 10)
	if err != nil || len(audit) != 1 || audit[0].Actor != "system" {
		t.Errorf("audit = %+v, %v; want one line by system", audit, err)
	}
	if n, err := s.ExpireComments(ctx, store.RetentionCutoff(now, 12), "system"); err != nil || n != 0 {
		t.Errorf("second run = %d, %v; want 0, nil", n, err)
	}
	if audit, _ := s.ListAudit(ctx, "retention.comments_blanked", 10); len(audit) != 1 {
		t.Errorf("a run that blanked nothing was audited: %+v", audit)
	}
}

// A backup taken while submissions go on is a consistent database with at least what was
// acknowledged before it started.
func TestBackupUnderLoad(t *testing.T) {
	s := storetest.Open(t)
	ctx := t.Context()
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	hashes := btReceipts(t, s, 600)
	for i, h := range hashes[:100] {
		if err := s.SubmitResponse(ctx, h, btSubmission(i)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	next.Store(100)
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(hashes) {
					return
				}
				if err := s.SubmitResponse(ctx, hashes[i], btSubmission(i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for next.Load() < 250 {
		time.Sleep(time.Millisecond) // let the load get going
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := s.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	c := storetest.OpenPath(t, dst, store.Options{})
	if err := c.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
	n, err := c.CountResponses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n < 200 || n > len(hashes) {
		t.Errorf("backup has %d responses, want 200…%d", n, len(hashes))
	}
	// Consistent: every answered receipt of the copy has its response, and no more.
	answered, err := c.QueryStrings(ctx, `SELECT count(*) FROM receipts WHERE answered_at IS NOT NULL`)
	if err != nil || answered[0] != fmt.Sprint(n) {
		t.Errorf("backup: %v answered receipts, %d responses", answered, n)
	}
	if err := s.Backup(ctx, s.Path()); err == nil {
		t.Error("Backup over the live database succeeded")
	}
	if err := s.Backup(ctx, dst); err != nil { // replacing an earlier copy
		t.Errorf("second backup to the same file: %v", err)
	}
	t.Logf("backup taken under load holds %d of %d responses", n, len(hashes))
}

// Benchmarks: one transaction (and fsync) per response, serially and with 64 submitters,
// against group commit with 64 submitters. They report submissions per second and the 99th
// percentile latency of one submission. Run:
//
//	go test -run '^$' -bench Submit -benchtime 3000x ./internal/store
func BenchmarkSubmitOneTxSerial(b *testing.B) {
	benchSubmit(b, store.Options{NoGroupCommit: true}, 1)
}

func BenchmarkSubmitOneTx64(b *testing.B) {
	benchSubmit(b, store.Options{NoGroupCommit: true}, 64)
}

func BenchmarkSubmitGroupCommit64(b *testing.B) {
	benchSubmit(b, store.Options{}, 64)
}

func benchSubmit(b *testing.B, opts store.Options, clients int) {
	s := storetest.OpenOptions(b, opts)
	storetest.MustCreateAgency(b, s, "A", "Cơ quan A", "province")
	hashes := btReceipts(b, s, b.N)
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := s.SubmitResponse(context.Background(), hashes[i], btSubmission(i)); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "subs/s")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
	if st := s.WriteBatchStats(); st.Count > 0 {
		b.ReportMetric(st.Sum/float64(st.Count), "subs/tx")
	}
}

// holdWriteLock takes the database's write lock from a connection of its own, as another
// process (an import, Litestream) would, until release is called.
func holdWriteLock(t *testing.T, s *store.Store) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+s.Path()+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { tx.Rollback(); db.Close() }) }
	t.Cleanup(release)
	return release
}

// While another process holds the write lock, submissions wait for it in a bounded queue:
// those beyond the bound are refused at once with ErrUnavailable, and the waiting ones are
// stored as soon as the lock is released (in about a millisecond, not after SQLite's 100 ms
// back-off).
func TestSubmissionQueueIsBounded(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	const extra = 40
	hashes := btReceipts(t, s, store.MaxQueued+extra)
	release := holdWriteLock(t, s)
	errs := make([]error, len(hashes))
	took := make([]time.Duration, len(hashes))
	var wg sync.WaitGroup
	for i, h := range hashes {
		wg.Go(func() {
			t0 := time.Now()
			errs[i] = s.SubmitResponse(context.Background(), h, btSubmission(i))
			took[i] = time.Since(t0)
		})
	}
	time.Sleep(300 * time.Millisecond)
	released := time.Now()
	release()
	wg.Wait()
	var refused, stored int
	for i, err := range errs {
		switch {
		case errors.Is(err, store.ErrUnavailable):
			refused++
			if took[i] > 200*time.Millisecond {
				t.Errorf("a refused submission waited %s, want an answer at once", took[i])
			}
		case err == nil:
			stored++
		default:
			t.Errorf("submission %d: %v", i, err)
		}
	}
	if refused < extra || stored < store.MaxQueued-extra {
		t.Errorf("%d refused and %d stored, want at least %d refused and most stored", refused, stored, extra)
	}
	if got := len(storetest.Responses(t, s)); got != stored {
		t.Errorf("%d responses in the database, %d acknowledged", got, stored)
	}
	if d := time.Since(released); d > 5*time.Second {
		t.Errorf("the queue took %s to drain after the lock was released", d)
	}
}

// A batch that cannot begin within its bound fails as ErrUnavailable and stores nothing; the
// next one, once the lock is free, goes through.
func TestBatchBeginIsBounded(t *testing.T) {
	s := storetest.Open(t)
	storetest.MustCreateAgency(t, s, "A", "Cơ quan A", "province")
	hashes := btReceipts(t, s, 2)
	release := holdWriteLock(t, s)
	t0 := time.Now()
	err := s.SubmitResponse(t.Context(), hashes[0], btSubmission(0))
	if !errors.Is(err, store.ErrUnavailable) || time.Since(t0) > 5*time.Second {
		t.Errorf("submission while the lock is held for long = %v after %s, want ErrUnavailable within the bound", err, time.Since(t0))
	}
	release()
	for i, h := range hashes {
		if err := s.SubmitResponse(t.Context(), h, btSubmission(i)); err != nil {
			t.Errorf("submission %d after the lock was released: %v", i, err)
		}
	}
}
