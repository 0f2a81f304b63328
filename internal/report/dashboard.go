package report

import (
	"context"
	"slices"

	"sipas/internal/index"
	"sipas/internal/survey"
)

// ResponseRate is one agency's receipts issued by sipas in a year and how many were answered.
type ResponseRate struct {
	AgencyCode string
	Issued     int
	Answered   int
}

// DashboardSource is what the dashboard reads; *store.Store is one.
type DashboardSource interface {
	Source
	// Years returns the years with responses or aggregates of a survey, newest first.
	Years(ctx context.Context, surveyID string) ([]int, error)
}

// Dashboard is everything the officials' dashboard shows for one query. Its comparisons are
// Lines, as in the XLSX and PDF of the same query, so the page and the files agree.
type Dashboard struct {
	Query  Query
	Report *index.Report
	// Overall is the overall index's line, nil without one; Aspects, Questions and League
	// the lines of the aspects, the criteria and the agencies (league order).
	Overall                    *Line
	Aspects, Questions, League []Line
	// Unweighted is the overall index on the unweighted basis, a labelled diagnostic; nil
	// when the overall line is itself unweighted.
	Unweighted *index.Estimate
	Guide      Guide
	Trend      []TrendPoint
	Expect     []ExpectationShare
	// The charts, wide (AspectChartSVG, TrendChartSVG) and for a phone (…Narrow); every
	// text in them is escaped.
	AspectSVG, AspectSVGNarrow, TrendSVG, TrendSVGNarrow string
	Years                                                []int
	Survey                                               *survey.Questionnaire
	Meta                                                 Meta
}

// ExpectationShare is how many respondents chose one expectation option, and their share.
type ExpectationShare struct {
	Code, Label string
	Count       int
	Share       float64
}

// BuildDashboard reads and computes the dashboard of qy, worded by m: the report (Build's
// faults included), this year's months (the trend) and expectation shares, from the same
// counts, and the response rates.
func BuildDashboard(ctx context.Context, src DashboardSource, q *survey.Questionnaire, qy Query, m Meta) (*Dashboard, error) {
	if err := qy.Validate(); err != nil {
		return nil, err
	}
	if err := m.LoadReceipts(ctx, src, qy); err != nil {
		return nil, err
	}
	yc, err := src.YearCounts(ctx, q, qy.Year, channelOf(qy))
	if err != nil {
		return nil, err
	}
	rep, err := BuildFrom(ctx, src, q, qy, yc)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{Query: qy, Report: rep, Survey: q, Meta: m}
	d.split(rep)
	scope, err := scopeOf(ctx, src, qy.Filters)
	if err != nil {
		return nil, err
	}
	if d.Trend, err = monthlyTrend(ctx, src, q, qy.Year, yc, scope); err != nil {
		return nil, err
	}
	d.Expect = expectationShares(q, yc, scope, rep.Respondents, m.lang())
	if d.Years, err = src.Years(ctx, q.ID); err != nil {
		return nil, err
	}
	d.AspectSVG, d.AspectSVGNarrow = AspectChartSVG(rep, m), AspectChartSVGNarrow(rep, m)
	d.TrendSVG, d.TrendSVGNarrow = TrendChartSVG(d.Trend, m), TrendChartSVGNarrow(d.Trend, m)
	return d, nil
}

// split words the report's comparisons as lines: the overall index, the aspects, the
// criteria and the league table.
func (d *Dashboard) split(rep *index.Report) {
	m := d.Meta
	for i := range rep.Indices {
		ix := &rep.Indices[i]
		l := m.IndexLine(rep, ix)
		switch ix.Kind {
		case index.KindQuestion:
			d.Questions = append(d.Questions, l)
		case index.KindAspect:
			d.Aspects = append(d.Aspects, l)
		default:
			d.Overall = &l
			if l.Stratified {
				d.Unweighted = ix.Unweighted
			}
		}
	}
	d.League = m.AgencyLines(rep)
	d.Guide = m.Guide(rep)
}

// monthlyTrend computes the overall index of each month with responses, over the report's
// scope and domain.
func monthlyTrend(ctx context.Context, src Source, q *survey.Questionnaire, year int, yc *YearCounts, scope []string) ([]TrendPoint, error) {
	pops, err := src.Populations(ctx, year)
	if err != nil {
		return nil, err
	}
	var out []TrendPoint
	for _, mc := range yc.Months {
		mr, err := index.Compute(index.Input{Design: Design(q), Current: mc.Full, Domain: mc.Domain, Populations: pops, Scope: scope})
		if err != nil {
			return nil, err
		}
		if mr.Respondents > 0 {
			out = append(out, trendPoint(mc.Month, mr))
		}
	}
	return out, nil
}

// trendPoint is one month's overall index: stratified when every agency has its receipts,
// else unweighted.
func trendPoint(month int, r *index.Report) TrendPoint {
	p := TrendPoint{Month: month}
	for _, ix := range r.Indices {
		if ix.Kind != index.KindOverall {
			continue
		}
		e := ix.Stratified
		if e == nil {
			e = ix.Unweighted
		}
		p.Estimate, p.Low, p.High, p.N = e.Value, e.CILow, e.CIHigh, e.N
	}
	return p
}

// expectationShares are the options of the expectation question with how many respondents
// of the scope and domain chose each (of n respondents), in lang.
func expectationShares(q *survey.Questionnaire, yc *YearCounts, scope []string, n int, lang string) []ExpectationShare {
	if q.Expectation == nil {
		return nil
	}
	in := func(code string) bool { return scope == nil || slices.Contains(scope, code) }
	var out []ExpectationShare
	for _, o := range q.Expectation.Options {
		count := 0
		for code, byOption := range yc.Expectations {
			if in(code) {
				count += byOption[o.Code]
			}
		}
		share := 0.0
		if n > 0 {
			share = float64(count) / float64(n)
		}
		out = append(out, ExpectationShare{Code: o.Code, Label: o.Text.In(lang), Count: count, Share: share})
	}
	return out
}
