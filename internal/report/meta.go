package report

import (
	"fmt"
	"strings"
	"time"

	"sipas/internal/i18n"
	"sipas/internal/index"
	"sipas/internal/survey"
)

// Design returns the index design of questionnaire q; it is index.DesignOf.
func Design(q *survey.Questionnaire) index.Design { return index.DesignOf(q) }

// Meta is what the writers need besides the numbers: the wording around
// them. The zero Meta is usable: Vietnamese, codes instead of wording, no
// scope line, and the current time as generation date.
type Meta struct {
	// Survey gives the wording of questions and aspects; nil shows codes.
	Survey *survey.Questionnaire
	// Lang is "vi" (the default) or "en"; anything else means "vi".
	Lang string
	// Scope says what the report covers, in words: "toàn tỉnh", or an
	// agency's or a district's name. It is shown on the summary and used in
	// file names.
	Scope string
	// AgencyNames maps agency codes to names for the agency rows and the
	// agency filter; a code without a name is shown as the code.
	AgencyNames map[string]string
	// BaselineNote, when set, is appended to the description of the
	// baseline, e.g. the published report the aggregates come from
	// ("Báo cáo số 12/BC-SNV ngày 20/12/2023").
	BaselineNote string
	// Generated is when the report was made, shown as its date; the zero
	// time means time.Now().
	Generated time.Time
}

func (m Meta) lang() string { return i18n.Lang(m.Lang) }

func (m Meta) words() *words {
	if m.lang() == "en" {
		return &enWords
	}
	return &viWords
}

func (m Meta) generated() time.Time {
	if m.Generated.IsZero() {
		return time.Now()
	}
	return m.Generated
}

// agencyName returns the name of an agency, or its code.
func (m Meta) agencyName(code string) string {
	if n := m.AgencyNames[code]; n != "" {
		return n
	}
	return code
}

// indexLabel returns the wording of an index: the question text, the aspect
// title or "overall index"; the code when the questionnaire is unknown.
func (m Meta) indexLabel(idx *index.Index) string {
	if idx.Kind == index.KindOverall {
		return m.words().overall
	}
	if m.Survey != nil {
		for _, a := range m.Survey.Aspects {
			if idx.Kind == index.KindAspect && a.ID == idx.ID {
				return a.Title.In(m.lang())
			}
			for _, q := range a.Questions {
				if idx.Kind == index.KindQuestion && q.Code == idx.ID {
					return q.Text.In(m.lang())
				}
			}
		}
	}
	return idx.ID
}

// kindLabel names the kind of an index.
func (m Meta) kindLabel(k index.Kind) string {
	w := m.words()
	switch k {
	case index.KindQuestion:
		return w.kindQuestion
	case index.KindAspect:
		return w.kindAspect
	case index.KindOverall:
		return w.kindOverall
	}
	return string(k)
}

// basisLabel names a basis.
func (m Meta) basisLabel(stratified bool) string {
	if stratified {
		return m.words().basisStratified
	}
	return m.words().basisUnweighted
}

// verdictLabel says a verdict in words (GLOSSARY.md).
func (m Meta) verdictLabel(v index.Verdict) string {
	w := m.words()
	switch v {
	case index.Higher:
		return w.higher
	case index.Lower:
		return w.lower
	case index.NoChange:
		return w.noChange
	}
	return w.insufficient
}

// baselineLabel describes the baseline: "2023 (từ phiếu khảo sát)", or "no
// comparison".
func (m Meta) baselineLabel(rep *index.Report) string {
	w := m.words()
	if rep.Baseline == nil {
		return w.noBaseline
	}
	src := w.fromResponses
	if rep.Baseline.Source == index.SourceAggregates {
		src = w.fromAggregates
	}
	s := fmt.Sprintf("%d (%s)", rep.Baseline.Year, src)
	if m.BaselineNote != "" {
		s += "; " + m.BaselineNote
	}
	return s
}

// filtersLabel lists the report's filters in words, or says there are none.
func (m Meta) filtersLabel(rep *index.Report) string {
	w := m.words()
	var parts []string
	if f := rep.Filters.Agency; f != nil {
		parts = append(parts, w.filterAgency+": "+m.agencyName(*f))
	}
	if f := rep.Filters.Level; f != nil {
		parts = append(parts, w.filterLevel+": "+lookup(w.levels, *f))
	}
	if f := rep.Filters.Channel; f != nil {
		parts = append(parts, w.filterChannel+": "+lookup(w.channels, *f))
	}
	if len(parts) == 0 {
		return w.noFilters
	}
	return strings.Join(parts, "; ")
}

func lookup(names map[string]string, code string) string {
	if n, ok := names[code]; ok {
		return n
	}
	return code
}

// Human number formats (GLOSSARY.md): one decimal for percentages and points.

func (m Meta) pct(p *float64) string {
	if p == nil {
		return "–"
	}
	return i18n.Percent(m.lang(), *p, 1)
}

func (m Meta) ci(lo, hi *float64) string {
	if lo == nil || hi == nil {
		return "–"
	}
	return "[" + i18n.Percent(m.lang(), *lo, 1) + " – " + i18n.Percent(m.lang(), *hi, 1) + "]"
}

func (m Meta) points(d *float64) string {
	if d == nil {
		return "–"
	}
	return i18n.Points(m.lang(), *d, 1)
}

// pointsNum writes a difference in points without the unit, for table
// cells under a header that names it: "+4,2".
func (m Meta) pointsNum(d *float64) string {
	if d == nil {
		return "–"
	}
	s := i18n.Number(m.lang(), *d*100, 1)
	if *d > 0 && strings.Trim(s, "0.,") != "" {
		s = "+" + s
	}
	return s
}

// pvalue writes "p = 0,012", or "p < 0,001" where three decimals would show
// a misleading 0.
func (m Meta) pvalue(p *float64) string {
	if p == nil {
		return "–"
	}
	if *p < 0.001 {
		return "p < " + i18n.Number(m.lang(), 0.001, 3)
	}
	return "p = " + i18n.Number(m.lang(), *p, 3)
}

func (m Meta) count(n int) string { return i18n.Number(m.lang(), float64(n), 0) }

// overallIndex returns the overall index of rep, or nil.
func overallIndex(rep *index.Report) *index.Index {
	for i := range rep.Indices {
		if rep.Indices[i].Kind == index.KindOverall {
			return &rep.Indices[i]
		}
	}
	return nil
}

// headline picks the basis that people see for idx (METHODS §1): the
// stratified estimate and change when the stratified basis exists, else the
// unweighted ones. The change is always on the same basis as the estimate,
// so it may be nil while the other basis has one: comparing a weighted
// index with an unweighted baseline would be meaningless.
func headline(idx *index.Index) (est *index.Estimate, ch *index.Change, stratified bool) {
	if idx.Stratified != nil {
		if idx.Change != nil {
			ch = idx.Change.Stratified
		}
		return idx.Stratified, ch, true
	}
	if idx.Change != nil {
		ch = idx.Change.Unweighted
	}
	return idx.Unweighted, ch, false
}

// changeVerdict returns the verdict of ch, or insufficient data when there
// is no change to read.
func changeVerdict(ch *index.Change) index.Verdict {
	if ch == nil {
		return index.InsufficientData
	}
	return ch.Verdict
}

// summarySentence says the headline in one sentence: the overall index with
// its interval and, against a baseline, the change in words.
func (m Meta) summarySentence(rep *index.Report) string {
	w := m.words()
	idx := overallIndex(rep)
	if idx == nil {
		return w.insufficient
	}
	est, ch, _ := headline(idx)
	if est == nil || est.Value == nil {
		return fmt.Sprintf(w.sentenceNoData, rep.Year)
	}
	s := fmt.Sprintf(w.sentenceIndex, rep.Year, m.pct(est.Value), m.ci(est.CILow, est.CIHigh))
	if rep.Baseline == nil {
		return s + "."
	}
	v := changeVerdict(ch)
	if v == index.InsufficientData || ch.Diff == nil {
		return s + fmt.Sprintf(w.sentenceNoChangeData, rep.Baseline.Year)
	}
	return s + fmt.Sprintf(w.sentenceChange, m.verdictLabel(v), rep.Baseline.Year,
		m.points(ch.Diff), m.pointsCI(ch), m.pvalue(ch.PValue))
}

// pointsCI writes the interval of a difference in points.
func (m Meta) pointsCI(ch *index.Change) string {
	if ch == nil || ch.CILow == nil || ch.CIHigh == nil {
		return "–"
	}
	return "[" + i18n.Points(m.lang(), *ch.CILow, 1) + "; " + i18n.Points(m.lang(), *ch.CIHigh, 1) + "]"
}

// value returns the estimate of e, or nil when e is nil.
func value(e *index.Estimate) *float64 {
	if e == nil {
		return nil
	}
	return e.Value
}
