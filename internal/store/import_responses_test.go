package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// Response imports: streamed, stored in chunks while the service runs, whole or not at all.

// csvRows writes rows first…first+n-1 of a responses file of agency A (no header).
func csvRows(first, n int, answer string) string {
	var b strings.Builder
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "R%06d,A,%s,2024-0%d-15T10:00:00+07:00,%s,4,,Tốt\n", i, dataset.Channels[i%3], 1+i%9, answer)
	}
	return b.String()
}

const csvHeader = "response_id,agency_code,channel,submitted_at,A1,A2,B0,comment\n"

// importState returns the states of the import runs, oldest first.
func importStates(t *testing.T, s *store.Store) []string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+s.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT state FROM import_runs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var st string
		rows.Scan(&st)
		out = append(out, st)
	}
	return out
}

func importWorld(t *testing.T, opts store.Options) *world {
	w := newWorld(t, 1, opts)
	storetest.MustCreateAgency(t, w.s, "A", "Cơ quan A", "district")
	if _, err := w.s.ImportPopulations(t.Context(), []dataset.Population{{Year: 2024, AgencyCode: "A", Receipts: 100000}}); err != nil {
		t.Fatal(err)
	}
	return w
}

// A problem on the last line of a file whose first thousands of rows were already stored in
// chunks stores nothing: the chunks are deleted again and the summaries never saw them.
func TestImportFileAllOrNothing(t *testing.T) {
	w := importWorld(t, store.Options{})
	ctx := t.Context()
	good := csvHeader + csvRows(0, 100, "5")
	if res, err := w.s.ImportFile(ctx, w.q, "responses", "first.csv", strings.NewReader(good)); err != nil || res.Created != 100 {
		t.Fatalf("first import = %+v, %v", res, err)
	}
	before, err := w.s.YearCounts(ctx, w.q, 2024, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, tail, want string }{
		{"bad value", "X1,A,online,2024-05-01,7,,,\n", "big.csv:6102:5: A1: value 7 is outside 1–5"},
		{"stored with other content", "R000003,A,online,2024-05-01,1,,,\n", `big.csv:6102:1: response_id "R000003" is already stored with different content`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := csvHeader + csvRows(1000, 6100, "3") + tt.tail
			_, err := w.s.ImportFile(ctx, w.q, "responses", "big.csv", strings.NewReader(file))
			var es dataset.Errors
			if !errors.As(err, &es) || len(es) != 1 || es[0].Error() != tt.want {
				t.Fatalf("import = %v, want the one problem %q", err, tt.want)
			}
			if n, _ := w.s.CountResponses(ctx); n != 100 {
				t.Errorf("%d responses stored, want the 100 of before", n)
			}
			after, err := w.s.YearCounts(ctx, w.q, 2024, "")
			if err != nil {
				t.Fatal(err)
			}
			if msg := diffYearCounts(before, after); msg != "" {
				t.Errorf("a refused import changed the summaries: %s", msg)
			}
		})
	}
	if got := strings.Join(importStates(t, w.s), " "); got != "done failed failed" {
		t.Errorf("import runs = %s, want done failed failed", got)
	}
	w.checkYear(2024, -1)
}

// pausedFile is a responses file that stops after its first part until released.
type pausedFile struct {
	r       *io.PipeReader
	release chan struct{}
}

func newPausedFile(first, rest string) *pausedFile {
	pr, pw := io.Pipe()
	p := &pausedFile{r: pr, release: make(chan struct{})}
	go func() {
		io.WriteString(pw, first)
		<-p.release
		io.WriteString(pw, rest)
		pw.Close()
	}()
	return p
}

// An import whose process stopped (its heartbeat is silent) is undone by the next process
// that opens the database; meanwhile another import is refused. Were the stopped import to
// wake up, it finds itself undone and stores nothing.
func TestImportOfAStoppedProcessIsUndone(t *testing.T) {
	clock := storetest.NewClock(time.Date(2024, 6, 1, 9, 0, 0, 0, calendar.Zone))
	a := storetest.OpenOptions(t, store.Options{Now: clock.Now}) // its heartbeat keeps saying 09:00
	storetest.MustCreateAgency(t, a, "A", "Cơ quan A", "district")
	q := sipasQuestionnaire(t)
	f := newPausedFile(csvHeader+csvRows(0, 3000, "4"), csvRows(3000, 10, "4"))
	done := make(chan error, 1)
	go func() {
		_, err := a.ImportFile(context.Background(), q, "responses", "stopped.csv", f.r)
		done <- err
	}()
	waitFor(t, func() bool { n, _ := a.CountResponses(t.Context()); return n > 0 })

	if _, err := a.ImportFile(t.Context(), q, "responses", "other.csv", strings.NewReader(csvHeader+csvRows(9000, 5, "4"))); !errors.Is(err, store.ErrImportRunning) {
		t.Errorf("second import while one runs = %v, want ErrImportRunning", err)
	}
	later := storetest.NewClock(clock.Now().Add(time.Minute))
	b := storetest.OpenPath(t, a.Path(), store.Options{Now: later.Now})
	if n, _ := b.CountResponses(t.Context()); n != 0 {
		t.Errorf("%d rows of the stopped import left after the next open, want 0", n)
	}
	close(f.release)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "taken for dead") {
		t.Errorf("the stopped import, woken up = %v, want it to know it was undone", err)
	}
	if n, _ := b.CountResponses(t.Context()); n != 0 {
		t.Errorf("%d rows stored by the woken import, want 0", n)
	}
	if got := strings.Join(importStates(t, b), " "); got != "abandoned" {
		t.Errorf("import runs = %s, want abandoned", got)
	}
	if res, err := b.ImportFile(t.Context(), q, "responses", "again.csv", strings.NewReader(csvHeader+csvRows(0, 3010, "4"))); err != nil || res.Created != 3010 {
		t.Errorf("import again = %+v, %v; want 3010 created", res, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not reached in 5 s")
}

// Submissions go on while an import stores its chunks: none fails, and afterwards the
// summaries count both exactly.
func TestSubmissionsDuringAnImport(t *testing.T) {
	w := importWorld(t, store.Options{})
	ctx := t.Context()
	hashes := btReceipts(t, w.s, 300)
	f := newPausedFile(csvHeader+csvRows(0, 4000, "4"), csvRows(4000, 4000, "2"))
	done := make(chan error, 1)
	go func() {
		_, err := w.s.ImportFile(context.Background(), w.q, "responses", "big.csv", f.r)
		done <- err
	}()
	waitFor(t, func() bool { n, _ := w.s.CountResponses(ctx); return n > 0 })
	var wg sync.WaitGroup
	for i, h := range hashes {
		wg.Go(func() {
			if i == 150 {
				close(f.release)
			}
			if err := w.s.SubmitResponse(ctx, h, btSubmission(i)); err != nil {
				t.Errorf("submission %d during the import: %v", i, err)
			}
		})
	}
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _ := w.s.CountResponses(ctx); n != 8300 {
		t.Errorf("%d responses, want 8300", n)
	}
	w.checkYear(2024, -1)
}
