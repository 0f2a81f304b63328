package report

import (
	"context"
	"io/fs"
	"math"
	"slices"
	"strings"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/i18n"
	"sipas/internal/index"
	"sipas/internal/survey"
)

// Design returns the index design of questionnaire q; it is index.DesignOf.
func Design(q *survey.Questionnaire) index.Design { return index.DesignOf(q) }

// Meta is what the writers need besides the numbers: the wording around them, in one
// language. NewMeta builds it for a query, the same way for the CLI and the web. The zero Meta
// is usable: a bare default-language locale (catalogue keys instead of words, Vietnamese
// numbers), codes instead of wording, no scope line, and the current time as generation date.
type Meta struct {
	// Survey gives the wording of questions and aspects; nil shows codes.
	Survey *survey.Questionnaire
	// L is the language: every word (the catalogue keys report.*, kind.*, basis.*,
	// verdict.*, level.*, channel.*, source.*, month.*) and the number and date formats.
	L *i18n.Locale
	// Scope says what the report covers, in words: "toàn tỉnh", or an agency's or a level's
	// name. It is shown on the summary and used in file names.
	Scope string
	// AgencyNames maps agency codes to names for the agency rows and the agency filter; a
	// code without a name is shown as the code.
	AgencyNames map[string]string
	// BaselineNote, when set, is appended to the description of the baseline, e.g. the
	// published report the aggregates come from ("Báo cáo số 12/BC-SNV ngày 20/12/2023").
	BaselineNote string
	// Generated is when the report was made, shown as its date; the zero time means
	// time.Now().
	Generated time.Time
	// Fonts holds FontRegular and FontBold at its top level, for the PDF; the service passes
	// fs.Sub(assets.FS, "fonts").
	Fonts fs.FS
	// Receipts are the report year's receipts per agency and ScopeReceipts their total over
	// the query's scope, for the response rate beside every interval (LoadReceipts); nil and
	// 0 leave the rates out, as under a channel filter, whose receipts are not counted.
	Receipts      index.Populations
	ScopeReceipts float64
	// CSV says how WriteCSV writes: the machine format of CONTRACT.md (the zero value), or
	// for a spreadsheet program set to a language's number conventions.
	CSV CSVOptions
}

// LoadReceipts reads the receipts of qy's year into m.Receipts and m.ScopeReceipts. Under a
// channel filter it leaves both empty: receipts are counted per agency, not per channel.
func (m *Meta) LoadReceipts(ctx context.Context, src Source, qy Query) error {
	m.Receipts, m.ScopeReceipts = nil, 0
	if qy.Filters.Channel != nil {
		return nil
	}
	pops, err := src.Populations(ctx, qy.Year)
	if err != nil {
		return err
	}
	scope, err := scopeOf(ctx, src, qy.Filters)
	if err != nil {
		return err
	}
	for code, n := range pops {
		if scope == nil || slices.Contains(scope, code) {
			m.ScopeReceipts += n
		}
	}
	m.Receipts = pops
	return nil
}

// bare is the locale of a Meta without one.
var bare = i18n.NewLocale(i18n.Languages[0], nil)

// NewMeta is the one builder of a report's wording, for the CLI and the web: the scope of
// the query in words (the agency's name, else the level's, else "Toàn tỉnh", then the
// channel), the agency names and the generation time. names maps agency codes to names. The
// rest of the wording (title, filters, baseline, summary sentence) follows from it and the
// report in the writers.
func NewMeta(l *i18n.Locale, q *survey.Questionnaire, qy Query, names map[string]string, fonts fs.FS) Meta {
	m := Meta{Survey: q, L: l, AgencyNames: names, Generated: calendar.In(time.Now()), Fonts: fonts}
	f := qy.Filters
	switch {
	case f.Agency != nil:
		m.Scope = m.agencyName(*f.Agency)
	case f.Level != nil:
		m.Scope = m.t(dataset.LevelKey(*f.Level, qy.Year))
	default:
		m.Scope = m.t("scope.all")
	}
	if f.Channel != nil {
		m.Scope += " · " + m.t("channel."+*f.Channel)
	}
	m.Scope = i18n.UpperFirst(m.Scope) // a label on its own: "Toàn tỉnh", "Cấp huyện · trực tiếp"
	return m
}

func (m Meta) loc() *i18n.Locale {
	if m.L == nil {
		return bare
	}
	return m.L
}

// t returns the catalogue text of key in the report's language.
func (m Meta) t(key string, args ...any) string { return m.loc().T(key, args...) }

// lang is the report's language code.
func (m Meta) lang() string { return m.loc().Code }

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
		return m.t("report.overall")
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
	switch k {
	case index.KindQuestion, index.KindAspect, index.KindOverall:
		return m.t("kind." + string(k))
	}
	return string(k)
}

// basisLabel names a basis.
func (m Meta) basisLabel(stratified bool) string {
	if stratified {
		return m.t("basis." + index.BasisStratified)
	}
	return m.t("basis." + index.BasisUnweighted)
}

// verdictLabel says a verdict in words (GLOSSARY.md); anything but a known verdict is
// insufficient data.
func (m Meta) verdictLabel(v index.Verdict) string {
	switch v {
	case index.Higher, index.Lower, index.NoChange:
		return m.t("verdict." + string(v))
	}
	return m.t("verdict." + string(index.InsufficientData))
}

// baselineLabel describes the baseline: "2023 (phiếu khảo sát)", or "no comparison".
func (m Meta) baselineLabel(rep *index.Report) string {
	if rep.Baseline == nil {
		return m.t("report.no_baseline")
	}
	src := m.t("source." + index.SourceResponses)
	if rep.Baseline.Source == index.SourceAggregates {
		src = m.t("source." + index.SourceAggregates)
	}
	s := m.t("report.baseline_of", rep.Baseline.Year, src)
	if m.BaselineNote != "" {
		s += "; " + m.BaselineNote
	}
	return s
}

// filtersLabel lists the report's filters in words, or says there are none.
func (m Meta) filtersLabel(rep *index.Report) string {
	var parts []string
	if f := rep.Filters.Agency; f != nil {
		parts = append(parts, m.t("report.agency")+": "+m.agencyName(*f))
	}
	if f := rep.Filters.Level; f != nil {
		parts = append(parts, m.t("report.level")+": "+m.t(dataset.LevelKey(*f, rep.Year)))
	}
	if f := rep.Filters.Channel; f != nil {
		parts = append(parts, m.t("report.channel")+": "+m.t("channel."+*f))
	}
	if len(parts) == 0 {
		return m.t("report.no_filters")
	}
	return strings.Join(parts, "; ")
}

// Human number formats (GLOSSARY.md): one decimal for percentages and points.

func (m Meta) pct(p *float64) string {
	if p == nil {
		return "–"
	}
	return m.loc().Percent(*p, 1)
}

func (m Meta) ci(lo, hi *float64) string {
	if lo == nil || hi == nil {
		return "–"
	}
	return "[" + m.loc().Percent(*lo, 1) + " – " + m.loc().Percent(*hi, 1) + "]"
}

func (m Meta) points(d *float64) string {
	if d == nil {
		return "–"
	}
	return m.loc().Points(*d, 1)
}

// pointsNum writes a difference in points without the unit, for table
// cells under a header that names it: "+4,2".
func (m Meta) pointsNum(d *float64) string {
	if d == nil {
		return "–"
	}
	return m.loc().SignedPoints(*d, 1)
}

// PValue writes "p = 0,012", or "p < 0,001" where three decimals would show
// a misleading 0.
func (m Meta) PValue(p *float64) string {
	if p == nil {
		return "–"
	}
	if *p < 0.001 {
		return "p < " + m.loc().Number(0.001, 3)
	}
	return "p = " + m.loc().Number(*p, 3)
}

func (m Meta) count(n int) string { return m.loc().Number(float64(n), 0) }

// overallIndex returns the overall index of rep, or nil.
func overallIndex(rep *index.Report) *index.Index {
	for i := range rep.Indices {
		if rep.Indices[i].Kind == index.KindOverall {
			return &rep.Indices[i]
		}
	}
	return nil
}

// changeVerdict returns the verdict of ch, or insufficient data when there
// is no change to read.
func changeVerdict(ch *index.Change) index.Verdict {
	if ch == nil {
		return index.InsufficientData
	}
	return ch.Verdict
}

// summarySentence says the headline in one sentence: the overall index with its interval
// and, against a baseline, the change in words (on the overall index's one basis).
func (m Meta) summarySentence(rep *index.Report) string {
	idx := overallIndex(rep)
	if idx == nil {
		return m.verdictLabel(index.InsufficientData)
	}
	l := m.IndexLine(rep, idx)
	if l.Estimate == nil {
		return m.t("report.sentence_no_data", rep.Year)
	}
	s := m.t("report.sentence_index", rep.Year, m.pct(l.Estimate), m.ci(l.Low, l.High))
	switch {
	case !l.Stratified:
		return s + m.t("read.sentence_unweighted")
	case rep.Baseline == nil:
		return s + "."
	case !l.HasDiff():
		return s + m.t("report.sentence_no_change_data", rep.Baseline.Year)
	}
	return s + m.t("report.sentence_change", m.verdictLabel(l.Verdict), rep.Baseline.Year,
		m.points(l.Change.Diff), m.PointsCI(l.Change), m.PValue(l.Change.PValue))
}

// PointsCI writes the interval of a difference in points, the unit once: "[−0,6; +2,7 điểm
// phần trăm]".
func (m Meta) PointsCI(ch *index.Change) string {
	if ch == nil || ch.CILow == nil || ch.CIHigh == nil {
		return "–"
	}
	lo, hi := *ch.CILow, *ch.CIHigh
	return "[" + m.loc().SignedPoints(lo, boundDecimals(lo)) + "; " + m.loc().Points(hi, boundDecimals(hi)) + "]"
}

// boundDecimals is one decimal for a bound in points, or two when one would round a bound
// that is not 0 to 0,0: "[0,0; +5,7]" beside "does not contain 0" reads as a contradiction.
func boundDecimals(v float64) int {
	if v != 0 && math.Abs(v*100) < 0.05 {
		return 2
	}
	return 1
}
