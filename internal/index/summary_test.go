package index

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMerge: the summary of a whole equals the merge of the summaries of
// its parts, whichever way the rows are split (METHODS counts are additive).
func TestMerge(t *testing.T) {
	d := sipasDesign()
	rng := rand.New(rand.NewPCG(21, 22))
	var rows []synthRow
	for range 20 {
		r, _ := messyData(rng, d)
		rows = append(rows, r...)
	}
	whole := summarise(d, rows)
	tests := []struct {
		name  string
		split func(i int, r synthRow) bool // true: first part
	}{
		{"halves", func(i int, _ synthRow) bool { return i < len(rows)/2 }},
		{"interleaved", func(i int, _ synthRow) bool { return i%2 == 0 }},
		{"disjoint strata", func(_ int, r synthRow) bool { return r.stratum < "S03" }},
		{"random", func(int, synthRow) bool { return rng.IntN(2) == 0 }},
		{"all in one", func(int, synthRow) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b []synthRow
			for i, r := range rows {
				if tt.split(i, r) {
					a = append(a, r)
				} else {
					b = append(b, r)
				}
			}
			got := summarise(d, a)
			other := summarise(d, b)
			got.Merge(other)
			if diff := cmp.Diff(whole, got); diff != "" {
				t.Errorf("merged summary differs from the whole (-want +got):\n%s", diff)
			}
			// Merge must not alias o: changing o afterwards leaves s alone.
			for i := range other.Strata {
				other.Strata[i].Both[0] += 1000
			}
			if diff := cmp.Diff(whole, got); diff != "" {
				t.Errorf("merged summary aliases its argument:\n%s", diff)
			}
		})
	}
	t.Run("into empty", func(t *testing.T) {
		got := NewSample(d).Summary()
		got.Merge(whole)
		if diff := cmp.Diff(whole, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("different designs", func(t *testing.T) {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "index:") {
				t.Errorf("Merge of different designs: recover() = %v, want an index: panic", r)
			}
		}()
		NewSample(synthDesign(2)).Summary().Merge(whole)
	})
}

// TestSummaryCounts checks the counts of a tiny hand-made sample.
func TestSummaryCounts(t *testing.T) {
	d := Design{Questions: []string{"A1", "A0", "B0"}, Aspects: []Aspect{{"A", []string{"A1", "A0"}}, {"B", []string{"B0"}}}}
	s := NewSample(d)
	s.Add("X", []uint8{5, 3, 0})
	s.Add("X", []uint8{4, 4, 2})
	s.Add("X", []uint8{0, 0, 0}) // blank form
	s.Add("Y", []uint8{0, 0, 5})
	if got := s.Respondents(); got != 4 {
		t.Errorf("Respondents() = %d, want 4", got)
	}
	got := s.Summary()
	want := &Summary{Design: d, Strata: []Stratum{
		{
			Code: "X", Respondents: 3, WithAnswers: 2, AspectN: []int{2, 1},
			Answered: []int{2, 2, 1}, Satisfied: []int{2, 1, 0},
			Both:              []int{2, 2, 1, 2, 2, 1, 1, 1, 1},
			SatisfiedAnswered: []int{2, 2, 1, 1, 1, 1, 0, 0, 0},
			BothSatisfied:     []int{2, 1, 0, 1, 1, 0, 0, 0, 0},
		},
		{
			Code: "Y", Respondents: 1, WithAnswers: 1, AspectN: []int{0, 1},
			Answered: []int{0, 0, 1}, Satisfied: []int{0, 0, 1},
			Both:              []int{0, 0, 0, 0, 0, 0, 0, 0, 1},
			SatisfiedAnswered: []int{0, 0, 0, 0, 0, 0, 0, 0, 1},
			BothSatisfied:     []int{0, 0, 0, 0, 0, 0, 0, 0, 1},
		},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summary() (-want +got):\n%s", diff)
	}
	if got := got.Respondents(); got != 4 {
		t.Errorf("Summary.Respondents() = %d, want 4", got)
	}
}

// TestAddPanics: misaligned or out-of-range answers are programming errors.
func TestAddPanics(t *testing.T) {
	d := synthDesign(2)
	for _, answers := range [][]uint8{{1}, {1, 2, 3}, {6, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Add(%v) did not panic", answers)
				}
			}()
			NewSample(d).Add("X", answers)
		}()
	}
}
