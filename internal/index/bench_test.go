package index

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// benchYear is one year of synthetic responses: row i is agency code[agency[i]]
// with answers[i*K : (i+1)*K].
type benchYear struct {
	codes   []string
	agency  []uint8
	answers []uint8
	pops    Populations
}

const (
	benchRespondents = 1_000_000
	benchAgencies    = 30
)

var (
	benchOnce sync.Once
	benchData [2]*benchYear // current, baseline
)

// benchYears generates, once per process, two years of 1,000,000 responses
// to the 24-question SIPAS design in 30 agencies: sizes spread over two
// orders of magnitude, agency effects, correlated answers, item nonresponse
// (E3 often not applicable), skipped aspects and blank forms; rows are
// shuffled across agencies as a database would return them by time.
func benchYears() [2]*benchYear {
	benchOnce.Do(func() {
		d := sipasDesign()
		rng := rand.New(rand.NewPCG(2024, 2023))
		weights := make([]float64, benchAgencies)
		mu := make([]float64, benchAgencies)
		total := 0.0
		for h := range weights {
			weights[h] = math.Exp(1.5 * rng.NormFloat64())
			total += weights[h]
			mu[h] = 0.5 * rng.NormFloat64()
		}
		model := answerModel{design: d, missing: 0.035, skipAspect: 0.03, blank: 0.0005}
		e3 := len(d.Questions) - 3
		for y := range benchData {
			by := &benchYear{pops: Populations{}, agency: make([]uint8, benchRespondents), answers: make([]uint8, benchRespondents*len(d.Questions))}
			counts := make([]int, benchAgencies)
			for h := range benchAgencies {
				by.codes = append(by.codes, fmt.Sprintf("BG.%03d.%05d", h/5, 30000+10*h))
			}
			cum := make([]float64, benchAgencies)
			acc := 0.0
			for h, w := range weights {
				acc += w / total
				cum[h] = acc
			}
			k := len(d.Questions)
			for i := range benchRespondents {
				u := rng.Float64()
				h := 0
				for h < benchAgencies-1 && cum[h] < u {
					h++
				}
				by.agency[i] = uint8(h)
				counts[h]++
				a := by.answers[i*k : (i+1)*k]
				model.fill(rng, mu[h]+0.05*float64(y), a)
				if rng.Float64() < 0.16 {
					a[e3] = 0
				}
			}
			for h, c := range counts {
				by.pops[by.codes[h]] = float64(c * (2 + rng.IntN(40)))
			}
			benchData[y] = by
		}
	})
	return benchData
}

// sample adds every row of y to a new Sample.
func (y *benchYear) sample(d Design) *Sample {
	s := NewSample(d)
	k := len(d.Questions)
	for i, h := range y.agency {
		s.Add(y.codes[h], y.answers[i*k:(i+1)*k])
	}
	return s
}

// BenchmarkComputeFullReport measures Summary for both years plus Compute of
// the full report (24 questions, 5 aspects, overall, both bases, raw
// baseline, 30 agency rows) from 1,000,000 responses a year.
func BenchmarkComputeFullReport(b *testing.B) {
	d := sipasDesign()
	years := benchYears()
	cur, base := years[0].sample(d), years[1].sample(d)
	for b.Loop() {
		rep, err := Compute(Input{
			Design:      d,
			Current:     cur.Summary(),
			Populations: years[0].pops,
			Baseline:    &Baseline{Year: 2023, Source: SourceResponses, Summary: base.Summary(), Populations: years[1].pops},
		})
		if err != nil || len(rep.Agencies) != benchAgencies {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddComputeFullReport also counts adding the 2 × 1,000,000 rows.
func BenchmarkAddComputeFullReport(b *testing.B) {
	d := sipasDesign()
	years := benchYears()
	for b.Loop() {
		cur, base := years[0].sample(d), years[1].sample(d)
		rep, err := Compute(Input{
			Design:      d,
			Current:     cur.Summary(),
			Populations: years[0].pops,
			Baseline:    &Baseline{Year: 2023, Source: SourceResponses, Summary: base.Summary(), Populations: years[1].pops},
		})
		if err != nil || len(rep.Agencies) != benchAgencies {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompute is Compute alone, from ready Summaries.
func BenchmarkCompute(b *testing.B) {
	d := sipasDesign()
	years := benchYears()
	in := Input{
		Design:      d,
		Current:     years[0].sample(d).Summary(),
		Populations: years[0].pops,
		Baseline:    &Baseline{Year: 2023, Source: SourceResponses, Summary: years[1].sample(d).Summary(), Populations: years[1].pops},
	}
	for b.Loop() {
		if _, err := Compute(in); err != nil {
			b.Fatal(err)
		}
	}
}
