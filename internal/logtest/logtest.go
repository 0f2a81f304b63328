// Package logtest collects what a server logs, for tests: a Buffer that the goroutines of a
// server may write at once, and the JSON debug logger of the tests that read the log back
// (for secrets that must not be there, or for the one line of a failure).
package logtest

import (
	"bytes"
	"io"
	"log/slog"
	"sync"
)

// Buffer is a log sink safe for concurrent writers.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// JSON returns a logger writing JSON lines at debug level to w.
func JSON(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
