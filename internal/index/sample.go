package index

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// Sample accumulates the response rows of one year (any filter already
// applied by the caller) as per-agency column bitsets: bit i of answered[k]
// is r_ik and bit i of satisfied[k] is y_ik of METHODS §0. The bitsets turn
// every count that the variance needs into a popcount (see Summary).
//
// A Sample is not safe for concurrent use.
type Sample struct {
	design  Design
	aspects [][]int
	strata  map[string]*bitStratum
	rows    int

	// lastCode and last cache the previous row's stratum: rows usually come
	// grouped by agency, so this skips most map lookups on the hot path.
	lastCode string
	last     *bitStratum
}

// bitStratum holds one agency's rows. Row i of the agency is bit i&63 of
// word i>>6 of every column.
type bitStratum struct {
	code      string // the map key, owned by the Sample
	rows      int
	answered  [][]uint64 // [question][word]
	satisfied [][]uint64 // [question][word]
}

// NewSample returns an empty Sample for questionnaire d. Compute rejects an
// invalid d (see Design.Validate), so NewSample does not check it.
func NewSample(d Design) *Sample {
	d = d.clone()
	return &Sample{design: d, aspects: d.aspectColumns(), strata: make(map[string]*bitStratum)}
}

// Add records one response row of agency stratum. answers is aligned with
// Design.Questions: 0 means missing or not applicable, 1..5 the answer, and 4
// or 5 counts as satisfied (METHODS §0). A row whose answers are all missing
// (a blank form) still counts in Respondents but in no index.
//
// Add panics when len(answers) differs from the number of questions or an
// answer is above 5: both are programming errors of the caller, which has
// validated the responses already.
func (s *Sample) Add(stratum string, answers []uint8) {
	if len(answers) != len(s.design.Questions) {
		panic(fmt.Sprintf("index: Add: %d answers for %d questions", len(answers), len(s.design.Questions)))
	}
	b := s.last
	if b == nil || stratum != s.lastCode {
		b = s.strata[stratum]
		if b == nil {
			k := len(s.design.Questions)
			// Clone the code: a caller that converts database bytes to
			// strings without copying may reuse them for the next row.
			b = &bitStratum{code: strings.Clone(stratum), answered: make([][]uint64, k), satisfied: make([][]uint64, k)}
			s.strata[b.code] = b
		}
		s.lastCode, s.last = b.code, b
	}
	i := b.rows
	w, bit := i>>6, uint64(1)<<(uint(i)&63)
	if i&63 == 0 {
		for k := range b.answered {
			b.answered[k] = append(b.answered[k], 0)
			b.satisfied[k] = append(b.satisfied[k], 0)
		}
	}
	for k, a := range answers {
		switch {
		case a == 0:
		case a <= 3:
			b.answered[k][w] |= bit
		case a <= 5:
			b.answered[k][w] |= bit
			b.satisfied[k][w] |= bit
		default:
			panic(fmt.Sprintf("index: Add: answer %d to %s is not in 0..5", a, s.design.Questions[k]))
		}
	}
	b.rows++
	s.rows++
}

// Respondents returns the number of rows added, blank forms included
// (METHODS §10).
func (s *Sample) Respondents() int { return s.rows }

// Summary returns the per-agency sufficient statistics of the rows added so
// far. It costs O(strata · K² · rows/64) popcounts and does not change s, so
// more rows may be added and Summary called again.
func (s *Sample) Summary() *Summary {
	codes := make([]string, 0, len(s.strata))
	for c := range s.strata {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	sum := &Summary{Design: s.design.clone(), Strata: make([]Stratum, len(codes))}
	for j, c := range codes {
		sum.Strata[j] = s.strata[c].summarise(c, s.aspects)
	}
	return sum
}

// summarise counts one agency's bitsets into a Stratum.
func (b *bitStratum) summarise(code string, aspects [][]int) Stratum {
	k := len(b.answered)
	st := newStratum(code, k, len(aspects))
	st.Respondents = b.rows
	for a := range k {
		ra, ya := b.answered[a], b.satisfied[a]
		// The diagonal is m_hk and x_hk; A_kk = S_kk = x_hk because
		// satisfied implies answered.
		m, x := popcount(ra), popcount(ya)
		st.Answered[a], st.Satisfied[a] = m, x
		st.Both[a*k+a], st.SatisfiedAnswered[a*k+a], st.BothSatisfied[a*k+a] = m, x, x
		for c := a + 1; c < k; c++ {
			rc, yc := b.answered[c], b.satisfied[c]
			var nb, ac, ca, ss int
			for w := range ra {
				nb += bits.OnesCount64(ra[w] & rc[w])
				ac += bits.OnesCount64(ya[w] & rc[w])
				ca += bits.OnesCount64(ra[w] & yc[w])
				ss += bits.OnesCount64(ya[w] & yc[w])
			}
			st.Both[a*k+c], st.Both[c*k+a] = nb, nb
			st.SatisfiedAnswered[a*k+c], st.SatisfiedAnswered[c*k+a] = ac, ca
			st.BothSatisfied[a*k+c], st.BothSatisfied[c*k+a] = ss, ss
		}
	}
	// The analysis sample of an aspect (of the overall index) is everyone who
	// answered at least one of its questions (of any question): METHODS §0.
	words := (b.rows + 63) >> 6
	union := make([]uint64, words)
	for a, cols := range aspects {
		clear(union)
		for _, c := range cols {
			for w, v := range b.answered[c] {
				union[w] |= v
			}
		}
		st.AspectN[a] = popcount(union)
	}
	clear(union)
	for _, col := range b.answered {
		for w, v := range col {
			union[w] |= v
		}
	}
	st.WithAnswers = popcount(union)
	return st
}

func popcount(ws []uint64) int {
	n := 0
	for _, w := range ws {
		n += bits.OnesCount64(w)
	}
	return n
}
