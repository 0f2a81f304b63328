package report

import (
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"sipas/internal/calendar"
)

// benchRecords is the size of the raw export benchmarks: a province's year.
const benchRecords = 1_000_000

// benchCodes are the 24 scored questions of the SIPAS questionnaire.
var benchCodes = []string{
	"A1", "A2", "A3", "A0", "B1", "B2", "B3", "B4", "B0",
	"C1", "C2", "C3", "C4", "C5", "C0", "D1", "D2", "D3", "D0",
	"E1", "E2", "E3", "E4", "E0",
}

// heapPeak samples HeapInuse until stop is called and returns the largest
// value seen, in MiB. Sampling (rather than a final ReadMemStats) catches
// the buffers that live only while a writer runs or closes.
func heapPeak() (stop func() float64) {
	var peak uint64
	var mu sync.Mutex
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		peak = max(peak, ms.HeapInuse)
		mu.Unlock()
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		sample()
		return float64(peak) / (1 << 20)
	}
}

// writeSynthetic writes n synthetic responses: all answered but one in
// ten, a comment on one in five.
func writeSynthetic(b *testing.B, w interface{ Write(ResponseRecord) error }, n int) {
	rec := ResponseRecord{Channel: "counter", Answers: make([]uint8, len(benchCodes))}
	agencies := []string{"A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09", "A10", "A11", "A12"}
	start := time.Date(2026, 1, 1, 7, 0, 0, 0, calendar.Zone)
	for i := range n {
		rec.ResponseID = "R" + strconv.Itoa(1_000_000+i)
		rec.AgencyCode = agencies[i%len(agencies)]
		rec.SubmittedAt = start.Add(time.Duration(i) * 30 * time.Second)
		for k := range rec.Answers {
			rec.Answers[k] = uint8((i*7 + k*3) % 6) // 0 (blank) to 5
		}
		rec.Comment = ""
		if i%5 == 0 {
			rec.Comment = "Cán bộ hướng dẫn tận tình, thủ tục nhanh gọn; đề nghị bố trí thêm ghế chờ."
		}
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResponsesCSV(b *testing.B) {
	runtime.GC()
	stop := heapPeak()
	var cw countingWriter
	for b.Loop() {
		cw = countingWriter{w: io.Discard}
		w := NewResponsesCSV(&cw, ResponseLayout{Codes: benchCodes})
		writeSynthetic(b, w, benchRecords)
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(stop(), "peak-MB")
	b.ReportMetric(float64(cw.n)/(1<<20), "out-MB")
}

func BenchmarkResponsesXLSX(b *testing.B) {
	dir := b.TempDir()
	runtime.GC()
	stop := heapPeak()
	var size int64
	for b.Loop() {
		out, err := os.Create(filepath.Join(dir, "responses.xlsx"))
		if err != nil {
			b.Fatal(err)
		}
		w, err := NewResponsesXLSX(out, ResponseLayout{Codes: benchCodes, TmpDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		writeSynthetic(b, w, benchRecords)
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		fi, err := out.Stat()
		if err != nil {
			b.Fatal(err)
		}
		size = fi.Size()
		if err := out.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(stop(), "peak-MB")
	b.ReportMetric(float64(size)/(1<<20), "out-MB")
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
