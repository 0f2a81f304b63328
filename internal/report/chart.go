package report

import "sipas/internal/index"

// aspectBar is one aspect of the aspect charts (PDF and SVG): this year's
// index on the headline basis with its interval, and the baseline's
// estimate on the same basis.
type aspectBar struct {
	ID, Label        string
	Value, Low, High *float64
	N                int
	// Baseline is the baseline year's estimate; the report carries no
	// interval for it (only the interval of the change), so none is drawn.
	Baseline *float64
}

// aspectBars returns the aspects of rep in report order and whether they
// are on the stratified basis (METHODS §1: the headline basis, falling back
// to unweighted when the report has no stratified estimates).
func aspectBars(rep *index.Report, m Meta) (bars []aspectBar, stratified bool) {
	stratified = true
	for i := range rep.Indices {
		idx := &rep.Indices[i]
		if idx.Kind != index.KindAspect {
			continue
		}
		l := m.IndexLine(rep, idx) // the chart draws the tables' lines
		stratified = stratified && l.Stratified
		b := aspectBar{ID: idx.ID, Label: l.Label, Value: l.Estimate, Low: l.Low, High: l.High, N: l.N}
		if l.Change != nil {
			b.Baseline = l.Change.BaselineEstimate
		}
		bars = append(bars, b)
	}
	return bars, stratified
}

// title is the label of a bar: "A. Tiếp cận dịch vụ hành chính công", or
// just "A" when the questionnaire's wording is unknown.
func (b aspectBar) title() string {
	l := plain(b.Label)
	if l == "" || l == b.ID {
		return b.ID
	}
	return b.ID + ". " + l
}

// clamp01 keeps a fraction inside the 0–100 % axis.
func clamp01(f float64) float64 {
	return min(max(f, 0), 1)
}
