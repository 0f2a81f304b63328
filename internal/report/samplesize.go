package report

import (
	"context"
	"maps"
	"math"
	"slices"

	"sipas/internal/index"
	"sipas/internal/survey"
)

// SampleMargins are the margins the sample-size page offers, and DefaultMargin the one it
// starts with (±5 %, the margin below which an agency is "indicative only").
var SampleMargins = []float64{0.03, 0.05, 0.07, 0.1}

// DefaultMargin is the margin of the sample-size page without one asked.
const DefaultMargin = 0.05

// SamplePlan is how many responses a ±Margin index needs (METHODS §8, worst case p = 0.5), for
// the whole province as a simple random sample and for each agency with its receipts, beside
// what each has.
type SamplePlan struct {
	Margin   float64
	Year     int
	Province int
	Rows     []SampleRow
}

// SampleRow is one agency of a SamplePlan. Need is 0 for an agency without a receipts count.
type SampleRow struct {
	Code, Name string
	Receipts   float64
	Have, Need int
}

// PlanSample reads the year's responses and receipts counts, confined to the agency scope
// (""= every agency), and plans the sample of every agency of names (code → name) in code
// order. A margin outside 1–20 % is DefaultMargin.
func PlanSample(ctx context.Context, src Source, q *survey.Questionnaire, year int, scope string, names map[string]string, margin float64) (*SamplePlan, error) {
	if margin < 0.01 || margin > 0.2 || math.IsNaN(margin) {
		margin = DefaultMargin
	}
	yc, err := src.YearCounts(ctx, q, year, "")
	if err != nil {
		return nil, err
	}
	pops, err := src.Populations(ctx, year)
	if err != nil {
		return nil, err
	}
	have := map[string]int{}
	for _, st := range yc.Full.Strata {
		have[st.Code] = st.WithAnswers
	}
	p := &SamplePlan{Margin: margin, Year: year, Province: index.SampleSize(margin, 0.5, 1, math.Inf(1))}
	for _, code := range slices.Sorted(maps.Keys(names)) {
		if scope != "" && code != scope {
			continue
		}
		n, ok := pops[code]
		row := SampleRow{Code: code, Name: names[code], Receipts: n, Have: have[code]}
		if ok {
			row.Need = index.SampleSize(margin, 0.5, 1, n)
		}
		p.Rows = append(p.Rows, row)
	}
	return p, nil
}
