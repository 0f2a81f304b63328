package index

import (
	"errors"
	"fmt"
	"slices"
)

// Design is the questionnaire structure the indices need.
type Design struct {
	// Questions are the scored question codes in questionnaire order, e.g.
	// A1 A2 A3 A0 B1 … E0. Answers passed to Sample.Add are aligned with it.
	Questions []string
	// Aspects are the aspects (yếu tố) in report order, e.g. A … E. The
	// overall index is the mean of their indices (METHODS §3).
	Aspects []Aspect
}

// Aspect is one aspect of the questionnaire and the questions that score it.
type Aspect struct {
	ID        string
	Questions []string
}

// Validate reports whether d can be computed: question codes are non-empty
// and unique, aspect IDs are unique and distinct from "overall", and every
// aspect lists at least one question of d, each at most once.
func (d Design) Validate() error {
	if len(d.Questions) == 0 {
		return errors.New("index: design has no questions")
	}
	seen := make(map[string]bool, len(d.Questions))
	for _, q := range d.Questions {
		if q == "" {
			return errors.New("index: design has an empty question code")
		}
		if seen[q] {
			return fmt.Errorf("index: design lists question %q twice", q)
		}
		seen[q] = true
	}
	aspects := make(map[string]bool, len(d.Aspects))
	for _, a := range d.Aspects {
		if a.ID == "" || a.ID == overallID {
			return fmt.Errorf("index: invalid aspect id %q", a.ID)
		}
		if aspects[a.ID] {
			return fmt.Errorf("index: design lists aspect %q twice", a.ID)
		}
		aspects[a.ID] = true
		if len(a.Questions) == 0 {
			return fmt.Errorf("index: aspect %q has no questions", a.ID)
		}
		in := make(map[string]bool, len(a.Questions))
		for _, q := range a.Questions {
			if !seen[q] {
				return fmt.Errorf("index: aspect %q lists unknown question %q", a.ID, q)
			}
			if in[q] {
				return fmt.Errorf("index: aspect %q lists question %q twice", a.ID, q)
			}
			in[q] = true
		}
	}
	return nil
}

// equal reports whether d and o describe the same questionnaire, so that
// Summaries built from them can be merged or compared.
func (d Design) equal(o Design) bool {
	return slices.Equal(d.Questions, o.Questions) &&
		slices.EqualFunc(d.Aspects, o.Aspects, func(a, b Aspect) bool {
			return a.ID == b.ID && slices.Equal(a.Questions, b.Questions)
		})
}

// clone returns a deep copy, so that a Summary does not alias the caller's
// slices.
func (d Design) clone() Design {
	c := Design{Questions: slices.Clone(d.Questions), Aspects: make([]Aspect, len(d.Aspects))}
	for i, a := range d.Aspects {
		c.Aspects[i] = Aspect{ID: a.ID, Questions: slices.Clone(a.Questions)}
	}
	return c
}

// aspectColumns maps every aspect to the column numbers of its questions in
// d.Questions, skipping codes d does not know (Validate rejects those).
func (d Design) aspectColumns() [][]int {
	col := make(map[string]int, len(d.Questions))
	for k, q := range d.Questions {
		col[q] = k
	}
	out := make([][]int, len(d.Aspects))
	for a, asp := range d.Aspects {
		for _, q := range asp.Questions {
			if k, ok := col[q]; ok {
				out[a] = append(out[a], k)
			}
		}
	}
	return out
}
