package dataset

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxErrors is how many problems a parser lists for one file before it
// summarises the rest in a final "… and N more errors" entry. A file with
// thousands of bad rows usually has one systematic mistake; the first
// hundred show it without flooding the terminal.
const MaxErrors = 100

// Error is one problem at one place in an input file.
type Error struct {
	File   string
	Line   int // physical line, 1-based
	Column int // 1-based field position in the row; 0 when the problem is the whole line or file
	Msg    string
}

// Error returns "file:line:col: msg", or "file:line: msg" when Column is 0.
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Line))
	if e.Column > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Column))
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one file, in file order. It implements
// error; printed, it gives one problem per line. The parsers return an
// Errors value (never a pointer), so callers can use errors.As with a
// variable of type Errors.
type Errors []Error

// Error returns the problems one per line, without a trailing newline.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// collector gathers the problems of one file. Most problems are found in
// file order, but some (a duplicate's first occurrence, a parent code
// defined further down) only at the end; so it keeps the MaxErrors+1
// earliest problems in a bounded max-heap and sorts them at the end,
// whatever order they were found in, with bounded memory.
type collector struct {
	file  string
	total int
	seq   int
	h     errHeap
}

type located struct {
	Error
	seq int // tie-break: keeps problems at the same place in the order found
}

func less(a, b located) bool {
	if c := cmp.Compare(a.Line, b.Line); c != 0 {
		return c < 0
	}
	if c := cmp.Compare(a.Column, b.Column); c != 0 {
		return c < 0
	}
	return a.seq < b.seq
}

// errHeap is a max-heap: the latest problem is on top, ready to be dropped.
type errHeap []located

func (h errHeap) Len() int           { return len(h) }
func (h errHeap) Less(i, j int) bool { return less(h[j], h[i]) }
func (h errHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *errHeap) Push(x any)        { *h = append(*h, x.(located)) }
func (h *errHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// addf records a problem at line:col. Line must be at least 1.
func (c *collector) addf(line, col int, format string, args ...any) {
	if line < 1 {
		line = 1 // defensive: every problem must point somewhere in the file
	}
	c.total++
	c.seq++
	heap.Push(&c.h, located{Error{c.file, line, col, fmt.Sprintf(format, args...)}, c.seq})
	if c.h.Len() > MaxErrors+1 {
		heap.Pop(&c.h)
	}
}

// err returns nil when nothing was recorded, else the sorted Errors, cut
// at MaxErrors with a summary entry placed at the first problem not shown.
func (c *collector) err() error {
	if c.total == 0 {
		return nil
	}
	kept := slices.Clone([]located(c.h))
	slices.SortFunc(kept, func(a, b located) int {
		if less(a, b) {
			return -1
		}
		if less(b, a) {
			return 1
		}
		return 0
	})
	es := make(Errors, 0, min(len(kept), MaxErrors+1))
	for i, e := range kept {
		if i == MaxErrors {
			es = append(es, Error{File: c.file, Line: e.Line, Msg: "… and " + plural(c.total-MaxErrors, "more error")})
			break
		}
		es = append(es, e.Error)
	}
	return es
}
