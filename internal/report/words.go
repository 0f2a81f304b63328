package report

import (
	"math"
	"strings"

	"sipas/internal/i18n"
	"sipas/internal/index"
)

// The words officials read beside the numbers (METHODS §12, issue 16): every verdict,
// interval, flag and adjustment has a plain sentence, in the report's language (catalogue
// keys read.*). A Line carries the sentences that belong to it alone (Notes); a Guide the
// ones that explain a whole table.

// words fills the words of l.
func (m Meta) words(l *Line, rep *index.Report) {
	if l.Verdict != "" {
		l.VerdictText = i18n.UpperFirst(m.verdictLabel(l.Verdict))
		switch {
		case l.Adjusted && l.Kind == index.KindQuestion:
			l.HowText = m.t("read.how_holm_questions", l.Family)
		case l.Adjusted:
			l.HowText = m.t("read.how_holm_agencies", l.Family)
		default:
			l.HowText = m.t("read.how_interval")
		}
	}
	l.RankText = m.rankText(l.RankLow, l.RankHigh)
	if rep.Baseline != nil && l.Kind == "" && reorganised(l.ID, l.Predecessors) {
		l.ComparedTo = m.comparedTo(rep.Baseline.Year, l.Predecessors)
	}
	l.Notes = m.lineNotes(l, rep)
}

// rankText writes a rank range: "hạng 3–9", or "hạng 2" when the range is one rank.
func (m Meta) rankText(lo, hi *int) string {
	switch {
	case lo == nil || hi == nil:
		return ""
	case *lo == *hi:
		return m.t("read.rank_one", *lo)
	}
	return m.t("read.rank", *lo, *hi)
}

// comparedTo names the units an agency is compared with: "so với 2023: Sở Kế hoạch và Đầu
// tư, Sở Tài chính (55%)", a share written where only part of a unit moved.
func (m Meta) comparedTo(year int, ps []index.Predecessor) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = m.agencyName(p.Agency)
		if p.Share < 1 {
			names[i] += " (" + m.share(p.Share) + ")"
		}
	}
	return m.t("read.compared_to", year, strings.Join(names, ", "))
}

// share writes a crosswalk share as a percentage, with a decimal only when it has one.
func (m Meta) share(s float64) string {
	if pct := s * 100; math.Abs(pct-math.Round(pct)) < 1e-9 {
		return m.loc().Percent(s, 0)
	}
	return m.loc().Percent(s, 1)
}

// lineNotes are the sentences of one line: why it has no verdict, why its own interval and
// its verdict seem to disagree, that it is indicative only, that a comparison is approximate.
func (m Meta) lineNotes(l *Line, rep *index.Report) []string {
	var notes []string
	add := func(key string, args ...any) { notes = append(notes, m.t(key, args...)) }
	if !l.Stratified {
		add("read.note_unweighted")
	}
	if b := rep.Baseline; b != nil && l.Stratified {
		switch {
		case l.Kind == "" && b.Source == index.SourceAggregates:
			add("read.note_no_agency_comparison")
		case l.Verdict == index.InsufficientData:
			add(m.insufficientReason(l), b.Year)
		case l.Discordant() && l.Kind == index.KindQuestion:
			add("read.note_discordant_questions", m.PointsCI(l.Change), l.Family)
		case l.Discordant():
			add("read.note_discordant", m.PointsCI(l.Change), l.Family)
		}
		if ch := l.Change; ch != nil && ch.BaselineVarRule != nil {
			add("read.note_var_" + *ch.BaselineVarRule)
		}
	}
	if l.Indicative {
		add("read.note_indicative")
	}
	return notes
}

// insufficientReason is the catalogue key that says why a comparison has no verdict.
func (m Meta) insufficientReason(l *Line) string {
	ch := l.Change
	switch {
	case ch == nil:
		return "read.note_not_compared"
	case ch.BaselineN != nil && *ch.BaselineN == 0:
		return "read.note_no_baseline_answers"
	case l.N < 2 || (ch.BaselineN != nil && *ch.BaselineN < 2):
		return "read.note_too_few"
	case ch.SE == nil || (ch.SE != nil && *ch.SE == 0):
		return "read.note_zero_variance"
	}
	return "read.note_not_compared"
}

// Guide holds the sentences that say how to read a report's numbers, one per kind of
// number, for the tables they explain; a sentence that does not apply to the report is "".
type Guide struct {
	CI          string // what a 95% confidence interval is
	Verdicts    string // "no significant change" is not "no change"; "insufficient data"
	Points      string // differences in percentage points
	Interval    string // aspects and the overall index: the interval's verdict
	Questions   string // questions: Holm over the report's questions
	Agencies    string // agencies: Holm over every agency of the province, on every page
	OwnInterval string // an agency's own interval is detail; it may exclude 0 under "no change"
	Rank        string // rank ranges
	Rate        string // response rates: answers come from those who chose to answer
	Indicative  string // the precision flag
	Weights     string // the stratified basis; the unweighted one is a diagnostic
	Reorganised string // units of 2025 compared with their predecessors
	Approximate string // a comparison with published figures is approximate
}

// Guide returns the sentences that explain rep's tables.
func (m Meta) Guide(rep *index.Report) Guide {
	g := Guide{CI: m.t("read.guide_ci"), Rate: m.t("read.guide_rate"), Indicative: m.t("read.guide_indicative"),
		Weights: m.t("read.guide_weights"), Rank: m.t("read.guide_rank", rep.AgencyFamily.Ranked)}
	b := rep.Baseline
	if b == nil {
		return g
	}
	g.Verdicts, g.Points, g.Interval = m.t("read.guide_verdicts"), m.t("read.guide_points"), m.t("read.guide_interval")
	g.Questions = m.t("read.guide_questions", questionFamily(rep))
	if b.Source == index.SourceAggregates {
		g.Approximate = m.t("read.guide_approximate")
		return g
	}
	g.Agencies = m.t("read.guide_agencies", rep.AgencyFamily.Holm)
	g.OwnInterval = m.t("read.guide_own_interval")
	for i := range rep.Agencies {
		if reorganised(rep.Agencies[i].Agency, rep.Agencies[i].Predecessors) {
			g.Reorganised = m.t("read.guide_reorganised", b.Year)
			break
		}
	}
	return g
}

// Sentences returns the guide's sentences that apply, in reading order.
func (g Guide) Sentences() []string {
	var out []string
	for _, s := range []string{g.Weights, g.CI, g.Rate, g.Verdicts, g.Points, g.Interval, g.Questions,
		g.Agencies, g.OwnInterval, g.Rank, g.Indicative, g.Reorganised, g.Approximate} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Highlights says in plain words what changed and what is uncertain, the first thing a
// department head reads (the PDF's first page, after the overall index): the aspects, criteria and
// agencies whose verdict is a change, the agencies whose figures are indicative only or could
// not be compared, and what "no significant change" means.
func (m Meta) Highlights(rep *index.Report) []string {
	var out []string
	b := rep.Baseline
	if b != nil {
		var aspects, questions []string
		for _, l := range m.IndexLines(rep) {
			if l.Verdict != index.Higher && l.Verdict != index.Lower {
				continue
			}
			switch l.Kind {
			case index.KindAspect:
				aspects = append(aspects, l.ID+". "+plain(l.Label)+" ("+m.points(l.Change.Diff)+")")
			case index.KindQuestion:
				questions = append(questions, l.ID+" ("+m.points(l.Change.Diff)+")")
			}
		}
		out = append(out, m.listed(aspects, "read.hl_aspects", b.Year), m.listed(questions, "read.hl_questions", questionFamily(rep)))
	}
	var changed, indicative, insufficient []string
	for _, l := range m.AgencyLines(rep) {
		name := plain(l.Label)
		switch {
		case l.Verdict == index.Higher || l.Verdict == index.Lower:
			changed = append(changed, name+" ("+m.points(l.Change.Diff)+")")
		case l.Verdict == index.InsufficientData:
			insufficient = append(insufficient, name)
		}
		if l.Indicative {
			indicative = append(indicative, name)
		}
	}
	if b != nil && b.Source == index.SourceResponses && len(rep.Agencies) > 0 {
		out = append(out, m.listed(changed, "read.hl_agencies", rep.AgencyFamily.Holm))
	}
	if len(indicative) > 0 {
		out = append(out, m.t("read.hl_indicative", len(indicative), strings.Join(indicative, ", ")))
	}
	if len(insufficient) > 0 {
		out = append(out, m.t("read.hl_insufficient", b.Year, len(insufficient), strings.Join(insufficient, ", ")))
	}
	if b != nil {
		out = append(out, m.t("read.guide_verdicts"))
	}
	return out
}

// listed is the sentence key with the items listed, or key+"_none" when there are none; arg
// is the sentence's first argument (a year or a family size).
func (m Meta) listed(items []string, key string, arg int) string {
	if len(items) == 0 {
		return m.t(key+"_none", arg)
	}
	return m.t(key, arg, strings.Join(items, "; "))
}
