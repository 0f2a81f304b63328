package report

import (
	"context"
	"strings"

	"sipas/internal/dataset"
	"sipas/internal/fault"
	"sipas/internal/index"
	"sipas/internal/survey"
)

// Source is where a report's data come from; *store.Store is one.
type Source interface {
	LoadSample(ctx context.Context, q *survey.Questionnaire, year int, f index.Filters) (*index.Sample, error)
	Populations(ctx context.Context, year int) (index.Populations, error)
	Aggregates(ctx context.Context, surveyID string, year int) ([]index.Aggregate, error)
}

// Query says which report to build.
type Query struct {
	Year           int
	BaselineYear   int    // 0: no comparison
	BaselineSource string // index.SourceResponses (default) or index.SourceAggregates
	Filters        index.Filters
}

// The years a report may be about.
const (
	MinYear = 2000
	MaxYear = 2100
)

// Validate checks a query before any data are read. A bad query is the Invalid fault
// invalid_query, whose message says what is wrong.
func (qy Query) Validate() error {
	bad := func(key string, args ...any) error {
		return fault.New(fault.Invalid, "invalid_query").Say(key, args...)
	}
	if qy.Year < MinYear || qy.Year > MaxYear {
		return bad("fault.year_range", qy.Year, MinYear, MaxYear)
	}
	if qy.BaselineYear != 0 && (qy.BaselineYear < MinYear || qy.BaselineYear > MaxYear) {
		return bad("fault.baseline_range", qy.BaselineYear, MinYear, MaxYear)
	}
	switch qy.BaselineSource {
	case "", index.SourceResponses, index.SourceAggregates:
	default:
		return bad("fault.baseline_source", qy.BaselineSource)
	}
	if ch := qy.Filters.Channel; ch != nil && !dataset.IsChannel(*ch) {
		return bad("fault.invalid_channel", *ch, strings.Join(dataset.Channels, ", "))
	}
	if l := qy.Filters.Level; l != nil && !dataset.IsLevel(*l) {
		return bad("fault.invalid_level", *l, strings.Join(dataset.Levels, ", "))
	}
	return nil
}

// errUnanswerable is a query the data cannot answer: the Invalid fault report_failed.
func errUnanswerable(key string, args ...any) error {
	return fault.New(fault.Invalid, "report_failed").Say(key, args...)
}

// checkReceipts refuses a year whose receipts count of an agency is below its responses
// (each response was handed a receipt, so the imported count is wrong): the index could not
// weigh that agency (METHODS §7), and the official can fix the count.
func checkReceipts(year int, s *index.Summary, pops index.Populations) error {
	for _, st := range s.Strata {
		if n, ok := pops[st.Code]; ok && n < float64(st.Respondents) {
			return errUnanswerable("fault.receipts_below_respondents", year, st.Code, n, st.Respondents)
		}
	}
	return nil
}

// Build reads the data a query needs and computes the report. The same filters apply to the
// baseline year, so like is compared with like. An aggregate baseline is province-wide: with
// filters it would compare a subset with the whole, so Build refuses that combination.
//
// A query the data cannot answer is an Invalid fault (invalid_query or report_failed) whose
// message tells the user what to change; a failure to read the data is returned as it is.
func Build(ctx context.Context, src Source, q *survey.Questionnaire, qy Query) (*index.Report, error) {
	if err := qy.Validate(); err != nil {
		return nil, err
	}
	cur, err := src.LoadSample(ctx, q, qy.Year, qy.Filters)
	if err != nil {
		return nil, err
	}
	return BuildFrom(ctx, src, q, qy, cur)
}

// BuildFrom is Build with the report year's sample already read (the dashboard reads it once,
// by month, for the trend too).
func BuildFrom(ctx context.Context, src Source, q *survey.Questionnaire, qy Query, cur *index.Sample) (*index.Report, error) {
	if err := qy.Validate(); err != nil {
		return nil, err
	}
	if qy.BaselineSource == "" {
		qy.BaselineSource = index.SourceResponses
	}
	pops, err := src.Populations(ctx, qy.Year)
	if err != nil {
		return nil, err
	}
	in := index.Input{Design: index.DesignOf(q), Current: cur.Summary(), Populations: pops}
	if err := checkReceipts(qy.Year, in.Current, pops); err != nil {
		return nil, err
	}
	if qy.BaselineYear != 0 {
		b := &index.Baseline{Year: qy.BaselineYear, Source: qy.BaselineSource}
		switch qy.BaselineSource {
		case index.SourceAggregates:
			if qy.Filters != (index.Filters{}) {
				return nil, errUnanswerable("fault.aggregate_filters")
			}
			if b.Aggregates, err = src.Aggregates(ctx, q.ID, qy.BaselineYear); err != nil {
				return nil, err
			}
			if len(b.Aggregates) == 0 {
				return nil, errUnanswerable("fault.no_aggregates", qy.BaselineYear, q.ID)
			}
		default:
			base, err := src.LoadSample(ctx, q, qy.BaselineYear, qy.Filters)
			if err != nil {
				return nil, err
			}
			b.Summary = base.Summary()
			if b.Populations, err = src.Populations(ctx, qy.BaselineYear); err != nil {
				return nil, err
			}
			if err := checkReceipts(qy.BaselineYear, b.Summary, b.Populations); err != nil {
				return nil, err
			}
		}
		in.Baseline = b
	}
	rep, err := index.Compute(in)
	if err != nil {
		return nil, err
	}
	rep.Survey, rep.Year, rep.Filters = q.ID, qy.Year, qy.Filters
	return rep, nil
}
