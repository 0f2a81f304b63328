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
	// ResponseRates returns the rates of the year, of one agency or of all ("").
	ResponseRates(ctx context.Context, year int, agency string) ([]ResponseRate, error)
	// Years returns the years with responses or aggregates of a survey, newest first.
	Years(ctx context.Context, surveyID string) ([]int, error)
}

// Dashboard is everything the officials' dashboard shows for one query.
type Dashboard struct {
	Query     Query
	Report    *index.Report
	Overall   *index.Index
	Aspects   []index.Index
	Questions []index.Index
	Rates     map[string]ResponseRate // by agency code
	Trend     []TrendPoint
	Expect    []ExpectationShare
	AspectSVG string // AspectChartSVG: every text in it is escaped
	TrendSVG  string // TrendChartSVG
	Years     []int
	Survey    *survey.Questionnaire
	Meta      Meta
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
	yc, err := src.YearCounts(ctx, q, qy.Year, channelOf(qy))
	if err != nil {
		return nil, err
	}
	rep, err := BuildFrom(ctx, src, q, qy, yc)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{Query: qy, Report: rep, Survey: q, Meta: m, Rates: map[string]ResponseRate{}}
	d.split(rep)
	scope, err := scopeOf(ctx, src, qy.Filters)
	if err != nil {
		return nil, err
	}
	if d.Trend, err = monthlyTrend(ctx, src, q, qy.Year, yc, scope); err != nil {
		return nil, err
	}
	d.Expect = expectationShares(q, yc, scope, rep.Respondents, m.lang())
	agency := ""
	if qy.Filters.Agency != nil {
		agency = *qy.Filters.Agency
	}
	rates, err := src.ResponseRates(ctx, qy.Year, agency)
	if err != nil {
		return nil, err
	}
	for _, r := range rates {
		d.Rates[r.AgencyCode] = r
	}
	if d.Years, err = src.Years(ctx, q.ID); err != nil {
		return nil, err
	}
	d.AspectSVG = AspectChartSVG(rep, m)
	d.TrendSVG = TrendChartSVG(d.Trend, m)
	return d, nil
}

// split sorts the report's indices into questions, aspects and the overall index.
func (d *Dashboard) split(rep *index.Report) {
	for i := range rep.Indices {
		switch ix := &rep.Indices[i]; ix.Kind {
		case index.KindQuestion:
			d.Questions = append(d.Questions, *ix)
		case index.KindAspect:
			d.Aspects = append(d.Aspects, *ix)
		default:
			d.Overall = ix
		}
	}
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
