package index

import (
	"math/rand/v2"
	"testing"
)

// TestCounterMatchesSample: adding rows one by one gives the counts the
// bitset path gives, and the encoding round-trips them.
func TestCounterMatchesSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	d := sipasDesign()
	model := answerModel{design: d, missing: 0.2, skipAspect: 0.1, blank: 0.05}
	c := NewCounter(d)
	sample := NewSample(d)
	strata := map[string]*Stratum{}
	answers := make([]uint8, len(d.Questions))
	for i := range 3000 {
		code := []string{"A", "B", "C"}[i%3]
		model.fill(rng, 0.3, answers)
		sample.Add(code, answers)
		if strata[code] == nil {
			st := c.NewStratum(code)
			strata[code] = &st
		}
		c.Add(strata[code], answers)
	}
	want := sample.Summary()
	got := NewSummary(d)
	for _, st := range strata {
		enc := st.AppendBinary(nil)
		dec, err := c.DecodeStratum(st.Code, enc)
		if err != nil {
			t.Fatal(err)
		}
		if !dec.Equal(st) {
			t.Fatalf("%s: decoded counts differ", st.Code)
		}
		// Two halves added separately sum to the whole.
		half := dec.clone()
		got.AddStratum(&half)
	}
	if len(got.Strata) != len(want.Strata) {
		t.Fatalf("%d strata, want %d", len(got.Strata), len(want.Strata))
	}
	for i := range want.Strata {
		if !got.Strata[i].Equal(&want.Strata[i]) {
			t.Errorf("stratum %s: counter and sample differ", want.Strata[i].Code)
		}
	}
	for _, bad := range [][]byte{nil, {2}, {1, 5}, append(strata["A"].AppendBinary(nil), 0)} {
		if _, err := c.DecodeStratum("A", bad); err == nil {
			t.Errorf("DecodeStratum(%v) accepted", bad)
		}
	}
}
