package index

import (
	"fmt"
	"slices"
	"strings"
)

// Summary holds the sufficient statistics of one year's responses, per
// agency (stratum). Every field is a count of respondents, so two Summaries
// of disjoint sets of respondents merge by addition (Merge) and the
// linearised variances of METHODS §2–3 follow exactly from the counts.
//
// A Summary may be built by Sample.Summary or directly (for instance from
// counts a database computed); Compute checks its shape.
type Summary struct {
	// Design is the questionnaire the counts refer to; Compute requires it
	// to equal Input.Design.
	Design Design
	// Strata are sorted by Code, with no code twice.
	Strata []Stratum
}

// Stratum holds the counts of one agency h. K is the number of questions;
// the pair matrices are K×K in row-major order, element k*K+l.
type Stratum struct {
	Code string
	// Respondents counts every row, blank forms included.
	Respondents int
	// WithAnswers is n_h of the overall index: the respondents who answered
	// at least one question.
	WithAnswers int
	// AspectN[a] is n_h of aspect a's index: the respondents who answered at
	// least one of its questions.
	AspectN []int
	// Answered[k] is m_hk and Satisfied[k] is x_hk (METHODS §0).
	Answered  []int
	Satisfied []int
	// Both is N_kl, the respondents who answered k and l.
	Both []int
	// SatisfiedAnswered is A_kl, the respondents satisfied on k who answered l.
	// It is not symmetric.
	SatisfiedAnswered []int
	// BothSatisfied is S_kl, the respondents satisfied on k and on l.
	BothSatisfied []int
}

func newStratum(code string, k, aspects int) Stratum {
	return Stratum{
		Code:              code,
		AspectN:           make([]int, aspects),
		Answered:          make([]int, k),
		Satisfied:         make([]int, k),
		Both:              make([]int, k*k),
		SatisfiedAnswered: make([]int, k*k),
		BothSatisfied:     make([]int, k*k),
	}
}

// Respondents returns the number of rows summarised, blank forms included.
func (s *Summary) Respondents() int {
	n := 0
	for i := range s.Strata {
		n += s.Strata[i].Respondents
	}
	return n
}

// Merge adds o's counts to s: strata with the same code add up, new codes
// are inserted in order. The two Summaries must describe disjoint sets of
// respondents (e.g. two databases, or a year split into shards). o is not
// changed and s does not alias it afterwards.
//
// Merge panics when the designs differ: such counts cannot be added, and a
// caller merging them has a bug, not bad data.
func (s *Summary) Merge(o *Summary) {
	if !s.Design.equal(o.Design) {
		panic("index: Merge: summaries of different designs")
	}
	for i := range o.Strata {
		s.AddStratum(&o.Strata[i])
	}
}

// NewSummary returns an empty Summary of questionnaire d, to which strata
// (for instance counts read from a database, one per agency, channel and
// month) are added with AddStratum.
func NewSummary(d Design) *Summary { return &Summary{Design: d.clone()} }

// AddStratum adds the counts of st to the stratum with its code, inserting
// it in code order when new; st is not aliased afterwards. The counts must
// fit the design (Compute checks).
func (s *Summary) AddStratum(st *Stratum) {
	j, found := slices.BinarySearchFunc(s.Strata, st.Code, func(x Stratum, code string) int {
		return strings.Compare(x.Code, code)
	})
	if !found {
		s.Strata = slices.Insert(s.Strata, j, st.clone())
		return
	}
	s.Strata[j].add(st)
}

// Stratum returns the stratum of agency code, or nil when the Summary has
// none (its strata must be sorted, as Compute requires).
func (s *Summary) Stratum(code string) *Stratum { return s.stratum(code) }

// Add adds o's counts to st: the strata of two disjoint sets of respondents
// of one agency.
func (st *Stratum) Add(o *Stratum) { st.add(o) }

// Equal reports whether st and o hold the same code and counts.
func (st *Stratum) Equal(o *Stratum) bool {
	if st.Code != o.Code || st.Respondents != o.Respondents || st.WithAnswers != o.WithAnswers {
		return false
	}
	a, b := st.parts(), o.parts()
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func (st *Stratum) clone() Stratum {
	c := *st
	c.AspectN = slices.Clone(st.AspectN)
	c.Answered = slices.Clone(st.Answered)
	c.Satisfied = slices.Clone(st.Satisfied)
	c.Both = slices.Clone(st.Both)
	c.SatisfiedAnswered = slices.Clone(st.SatisfiedAnswered)
	c.BothSatisfied = slices.Clone(st.BothSatisfied)
	return c
}

func (st *Stratum) add(o *Stratum) {
	st.Respondents += o.Respondents
	st.WithAnswers += o.WithAnswers
	addInts(st.AspectN, o.AspectN)
	addInts(st.Answered, o.Answered)
	addInts(st.Satisfied, o.Satisfied)
	addInts(st.Both, o.Both)
	addInts(st.SatisfiedAnswered, o.SatisfiedAnswered)
	addInts(st.BothSatisfied, o.BothSatisfied)
}

func addInts(dst, src []int) {
	for i, v := range src {
		dst[i] += v
	}
}

// check reports a Summary whose shape does not fit its design, so that
// Compute never indexes out of range on a hand-built Summary.
func (s *Summary) check() error {
	k, na := len(s.Design.Questions), len(s.Design.Aspects)
	for i := range s.Strata {
		st := &s.Strata[i]
		if i > 0 && s.Strata[i-1].Code >= st.Code {
			return fmt.Errorf("index: summary strata not sorted or duplicated at %q", st.Code)
		}
		if len(st.AspectN) != na || len(st.Answered) != k || len(st.Satisfied) != k ||
			len(st.Both) != k*k || len(st.SatisfiedAnswered) != k*k || len(st.BothSatisfied) != k*k {
			return fmt.Errorf("index: summary stratum %q does not fit the design", st.Code)
		}
	}
	return nil
}
