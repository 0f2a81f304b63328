package index

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// synthDesign returns a questionnaire with aspects A, B, … of the given
// sizes; each aspect's questions are X1 … X(n−1) and X0, like SIPAS.
func synthDesign(sizes ...int) Design {
	var d Design
	for a, n := range sizes {
		id := string(rune('A' + a))
		asp := Aspect{ID: id}
		for q := 1; q <= n; q++ {
			code := fmt.Sprintf("%s%d", id, q%n)
			asp.Questions = append(asp.Questions, code)
			d.Questions = append(d.Questions, code)
		}
		d.Aspects = append(d.Aspects, asp)
	}
	return d
}

// sipasDesign has the shape of the default questionnaire: 24 questions in
// five aspects.
func sipasDesign() Design { return synthDesign(4, 5, 6, 4, 5) }

// synthRow is one generated response.
type synthRow struct {
	stratum string
	answers []uint8
}

// answerModel generates realistic answers: a respondent's latent
// satisfaction (agency mean plus noise) drives correlated aspect levels,
// which drive the 1–5 answers; answers go missing item by item, a whole
// aspect can be skipped, and a few forms are blank.
type answerModel struct {
	design     Design
	missing    float64 // per answer
	skipAspect float64 // per respondent and aspect
	blank      float64 // per respondent
}

// fill writes one respondent of an agency with latent mean mu into answers.
func (m *answerModel) fill(rng *rand.Rand, mu float64, answers []uint8) {
	clear(answers)
	if rng.Float64() < m.blank {
		return
	}
	u := mu + rng.NormFloat64()
	k := 0
	for _, asp := range m.design.Aspects {
		v := u + 0.6*rng.NormFloat64()
		skip := rng.Float64() < m.skipAspect
		for range asp.Questions {
			if !skip && rng.Float64() >= m.missing {
				a := math.Round(3.6 + 0.9*v + 0.7*rng.NormFloat64())
				answers[k] = uint8(min(5, max(1, a)))
			}
			k++
		}
	}
}
