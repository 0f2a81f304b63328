package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLongReads is `sipas loadtest` (64 clients, 8000 durable submissions) while a long
// read runs on the same database of 1,000,000 responses: the raw responses export over HTTP
// (XLSX, CSV), or `sipas backup`. Goals (issue 18): no 5xx, submit p99 ≤ 50 ms, and the WAL
// bounded: at most journal_size_limit (64 MiB) plus what is written during the read, and
// checkpointed as soon as the read ends. It reports the p99, the throughput, the read's own
// time, the WAL's largest size during the run and its size a second after the read ended.
//
//	go test -run '^$' -bench LongReads -benchtime 3x -timeout 60m ./cmd/sipas
func BenchmarkLongReads(b *testing.B) {
	src := benchDB(b, 1_000_000)
	for _, read := range []string{"export-xlsx", "export-csv", "backup"} {
		b.Run(read, func(b *testing.B) {
			var fg loadtestFigures
			var walMax atomic.Int64
			var walEnd int64
			var took time.Duration
			for b.Loop() {
				db := copyDB(b, src)
				s := benchServe(b, db)
				key := lastLine(benchRun(b, "", "apikey", "create", "--name", "reader", "--answers", "*", "--db", db))
				stop := watchSize(db+"-wal", &walMax)
				done := make(chan error, 1)
				var t0 time.Time
				fg = benchLoadtest(b, s, db, 8000, func() {
					t0 = time.Now()
					go func() { done <- longRead(b, s, db, key, read) }()
				})
				if err := <-done; err != nil {
					b.Fatalf("%s during the load: %v", read, err)
				}
				took = time.Since(t0)
				time.Sleep(time.Second)
				stop()
				walEnd = fileSize(db + "-wal")
				if fg.statuses != "8000 × 303" {
					b.Errorf("submissions answered %s, want 8000 × 303", fg.statuses)
				}
			}
			b.ReportMetric(fg.p99, "p99-ms")
			b.ReportMetric(fg.throughput, "subs/s")
			b.ReportMetric(took.Seconds(), "read-s")
			b.ReportMetric(float64(walMax.Load())/(1<<20), "wal-max-MB")
			b.ReportMetric(float64(walEnd)/(1<<20), "wal-after-MB")
		})
	}
}

// longRead runs one long read against the service on db and checks that it finished whole.
func longRead(b *testing.B, s *benchServer, db, key, read string) error {
	if read == "backup" {
		out := benchRun(b, "", "backup", "--db", db, filepath.Join(b.TempDir(), "copy.db"))
		if !strings.Contains(out, "responses") {
			return fmt.Errorf("backup printed %q", out)
		}
		return nil
	}
	format := strings.TrimPrefix(read, "export-")
	req, err := http.NewRequest(http.MethodGet, s.url+"/api/v1/responses?year=2024&format="+format, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err == nil && (res.StatusCode != http.StatusOK || res.Header.Get("X-Row-Count") != "1000000") {
		err = fmt.Errorf("export: %d, X-Row-Count %q, %d bytes", res.StatusCode, res.Header.Get("X-Row-Count"), n)
	}
	return err
}

// copyDB copies the closed database src (and its WAL, if any) to a new file.
func copyDB(b *testing.B, src string) string {
	b.Helper()
	db := filepath.Join(b.TempDir(), "sipas.db")
	for _, suffix := range []string{"", "-wal"} {
		in, err := os.Open(src + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(db + suffix)
		if err == nil {
			_, err = io.Copy(out, in)
			err = errors.Join(err, out.Close())
		}
		in.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// watchSize records the largest size of file in largest, every 20 ms, until stop is called.
func watchSize(file string, largest *atomic.Int64) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if n := fileSize(file); n > largest.Load() {
				largest.Store(n)
			}
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(quit); <-done }
}

func fileSize(file string) int64 {
	fi, err := os.Stat(file)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}
