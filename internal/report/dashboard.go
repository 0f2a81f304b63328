package report

import (
	"context"
	"maps"
	"slices"

	"sipas/internal/index"
	"sipas/internal/survey"
)

// YearSample is one year's responses in scope, read in one pass: the whole year's sample,
// one sample per month, and the expectation choices.
type YearSample struct {
	Whole   *index.Sample
	ByMonth map[int]*index.Sample // month (1–12, Vietnam time) → its responses; nil unless asked for
	// Expectations counts, per option code, the respondents who chose it; ExpectationN is the
	// number of respondents who chose at least one option.
	Expectations map[string]int
	ExpectationN int
}

// ResponseRate is one agency's receipts issued by sipas in a year and how many were answered.
type ResponseRate struct {
	AgencyCode string
	Issued     int
	Answered   int
}

// DashboardSource is what the dashboard reads; *store.Store is one.
type DashboardSource interface {
	Source
	LoadYear(ctx context.Context, q *survey.Questionnaire, year int, f index.Filters, byMonth bool) (*YearSample, error)
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
// faults included), this year's months (the trend and the expectation shares, from the same
// single pass over the year's responses) and the response rates.
func BuildDashboard(ctx context.Context, src DashboardSource, q *survey.Questionnaire, qy Query, m Meta) (*Dashboard, error) {
	ys, err := src.LoadYear(ctx, q, qy.Year, qy.Filters, true)
	if err != nil {
		return nil, err
	}
	rep, err := BuildFrom(ctx, src, q, qy, ys.Whole)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{Query: qy, Report: rep, Survey: q, Meta: m, Rates: map[string]ResponseRate{}}
	d.split(rep)
	if d.Trend, err = monthlyTrend(ctx, src, q, qy.Year, ys); err != nil {
		return nil, err
	}
	d.Expect = expectationShares(q, ys, m.lang())
	scope := ""
	if qy.Filters.Agency != nil {
		scope = *qy.Filters.Agency
	}
	rates, err := src.ResponseRates(ctx, qy.Year, scope)
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

// monthlyTrend computes the overall index of each month with responses.
func monthlyTrend(ctx context.Context, src Source, q *survey.Questionnaire, year int, ys *YearSample) ([]TrendPoint, error) {
	pops, err := src.Populations(ctx, year)
	if err != nil {
		return nil, err
	}
	var out []TrendPoint
	for _, month := range slices.Sorted(maps.Keys(ys.ByMonth)) {
		mr, err := index.Compute(index.Input{Design: Design(q), Current: ys.ByMonth[month].Summary(), Populations: pops})
		if err != nil {
			return nil, err
		}
		out = append(out, trendPoint(month, mr))
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
// chose each, in lang.
func expectationShares(q *survey.Questionnaire, ys *YearSample, lang string) []ExpectationShare {
	if q.Expectation == nil {
		return nil
	}
	var out []ExpectationShare
	for _, o := range q.Expectation.Options {
		share := 0.0
		if n := ys.Whole.Respondents(); n > 0 {
			share = float64(ys.Expectations[o.Code]) / float64(n)
		}
		out = append(out, ExpectationShare{Code: o.Code, Label: o.Text.In(lang), Count: ys.Expectations[o.Code], Share: share})
	}
	return out
}
