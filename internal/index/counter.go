package index

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Counter adds respondents one at a time to the counts of a Stratum: the
// incremental path that keeps stored summaries current as answers arrive
// (one submission adds O(K²) counts), where Sample is the batch path that
// summarises many rows at once with bitsets. Both give the same Stratum.
//
// A Counter is not safe for concurrent use.
type Counter struct {
	k       int
	aspects [][]int
	cols    []int // the answered columns of the row being added
}

// NewCounter returns a Counter for questionnaire d.
func NewCounter(d Design) *Counter {
	return &Counter{k: len(d.Questions), aspects: d.aspectColumns()}
}

// NewStratum returns an empty Stratum of agency code shaped for the design.
func (c *Counter) NewStratum(code string) Stratum {
	return newStratum(code, c.k, len(c.aspects))
}

// Add counts one response row into st. answers is aligned with the design's
// questions: 0 missing, 1..5 the answer, 4 or 5 satisfied (METHODS §0). A
// blank form counts in Respondents only. Add panics on a row of the wrong
// length or an answer above 5, as Sample.Add does.
func (c *Counter) Add(st *Stratum, answers []uint8) {
	if len(answers) != c.k {
		panic(fmt.Sprintf("index: Counter.Add: %d answers for %d questions", len(answers), c.k))
	}
	st.Respondents++
	c.cols = c.cols[:0]
	for col, a := range answers {
		switch {
		case a == 0:
		case a <= 5:
			c.cols = append(c.cols, col)
		default:
			panic(fmt.Sprintf("index: Counter.Add: answer %d is not in 0..5", a))
		}
	}
	if len(c.cols) == 0 {
		return
	}
	st.WithAnswers++
	for a, cols := range c.aspects {
		for _, col := range cols {
			if answers[col] != 0 {
				st.AspectN[a]++
				break
			}
		}
	}
	k := c.k
	for _, i := range c.cols {
		si := answers[i] >= 4
		st.Answered[i]++
		if si {
			st.Satisfied[i]++
		}
		for _, j := range c.cols {
			sj := answers[j] >= 4
			st.Both[i*k+j]++
			if si {
				st.SatisfiedAnswered[i*k+j]++
				if sj {
					st.BothSatisfied[i*k+j]++
				}
			}
		}
	}
}

// ErrSummaryEncoding reports stored counts that cannot be decoded for the
// design: corrupt, or written for another questionnaire.
var ErrSummaryEncoding = errors.New("index: stored summary does not fit the design")

// summaryVersion is the first byte of an encoded Stratum; a new layout gets
// a new version.
const summaryVersion = 1

// AppendBinary appends the counts of st to b in a compact form (uvarints in
// a fixed order after a version byte); the code is not included, the caller
// keys the row. DecodeStratum reads it back.
func (st *Stratum) AppendBinary(b []byte) []byte {
	b = append(b, summaryVersion)
	b = binary.AppendUvarint(b, uint64(st.Respondents))
	b = binary.AppendUvarint(b, uint64(st.WithAnswers))
	for _, part := range st.parts() {
		for _, v := range part {
			b = binary.AppendUvarint(b, uint64(v))
		}
	}
	return b
}

// parts lists the count slices of st in their encoded order.
func (st *Stratum) parts() [][]int {
	return [][]int{st.AspectN, st.Answered, st.Satisfied, st.Both, st.SatisfiedAnswered, st.BothSatisfied}
}

// DecodeStratum reads counts written by AppendBinary for a design with k
// questions and the given number of aspects, or returns ErrSummaryEncoding.
func (c *Counter) DecodeStratum(code string, data []byte) (Stratum, error) {
	st := c.NewStratum(code)
	if len(data) == 0 || data[0] != summaryVersion {
		return Stratum{}, ErrSummaryEncoding
	}
	data = data[1:]
	next := func() (int, bool) {
		v, n := binary.Uvarint(data)
		if n <= 0 || v > 1<<53 {
			return 0, false
		}
		data = data[n:]
		return int(v), true
	}
	var ok1, ok2 bool
	st.Respondents, ok1 = next()
	st.WithAnswers, ok2 = next()
	if !ok1 || !ok2 {
		return Stratum{}, ErrSummaryEncoding
	}
	for _, part := range st.parts() {
		for i := range part {
			v, ok := next()
			if !ok {
				return Stratum{}, ErrSummaryEncoding
			}
			part[i] = v
		}
	}
	if len(data) != 0 {
		return Stratum{}, ErrSummaryEncoding
	}
	return st, nil
}
