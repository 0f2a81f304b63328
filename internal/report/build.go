package report

import (
	"context"
	"fmt"
	"strings"

	"sipas/internal/dataset"
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

// Validate checks a query before any data are read.
func (qy Query) Validate() error {
	if qy.Year < 2000 || qy.Year > 2100 {
		return fmt.Errorf("report: year %d is out of range", qy.Year)
	}
	if qy.BaselineYear != 0 && (qy.BaselineYear < 2000 || qy.BaselineYear > 2100) {
		return fmt.Errorf("report: baseline year %d is out of range", qy.BaselineYear)
	}
	switch qy.BaselineSource {
	case "", index.SourceResponses, index.SourceAggregates:
	default:
		return fmt.Errorf("report: baseline source %q must be responses or aggregates", qy.BaselineSource)
	}
	if ch := qy.Filters.Channel; ch != nil && !dataset.IsChannel(*ch) {
		return fmt.Errorf("report: channel %q must be one of %s", *ch, strings.Join(dataset.Channels, ", "))
	}
	if l := qy.Filters.Level; l != nil && !dataset.IsLevel(*l) {
		return fmt.Errorf("report: level %q must be one of %s", *l, strings.Join(dataset.Levels, ", "))
	}
	return nil
}

// Build reads the data a query needs and computes the report. The same filters apply to the
// baseline year, so like is compared with like. An aggregate baseline is province-wide: with
// filters it would compare a subset with the whole, so Build refuses that combination.
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
	if qy.BaselineYear != 0 {
		b := &index.Baseline{Year: qy.BaselineYear, Source: qy.BaselineSource}
		switch qy.BaselineSource {
		case index.SourceAggregates:
			if qy.Filters != (index.Filters{}) {
				return nil, fmt.Errorf("report: an aggregate baseline is for the whole province; remove the agency, level and channel filters")
			}
			if b.Aggregates, err = src.Aggregates(ctx, q.ID, qy.BaselineYear); err != nil {
				return nil, err
			}
			if len(b.Aggregates) == 0 {
				return nil, fmt.Errorf("report: no published aggregates of %d for survey %s are imported", qy.BaselineYear, q.ID)
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
