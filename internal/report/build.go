package report

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"

	"sipas/internal/dataset"
	"sipas/internal/fault"
	"sipas/internal/index"
	"sipas/internal/survey"
)

// Source is where a report's data come from; *store.Store is one. Reports read sufficient
// statistics only (YearCounts), never response rows.
type Source interface {
	// YearCounts returns one year's counts over every agency and channel, and the counts of
	// channel (a domain, METHODS §13) when channel is not "".
	YearCounts(ctx context.Context, q *survey.Questionnaire, year int, channel string) (*YearCounts, error)
	Populations(ctx context.Context, year int) (index.Populations, error)
	Aggregates(ctx context.Context, surveyID string, year int) ([]index.Aggregate, error)
	// Crosswalk returns the reorganisation of the units (METHODS §11); empty when none.
	Crosswalk(ctx context.Context) (index.Crosswalk, error)
	// AgencyLevels maps every agency code to its level.
	AgencyLevels(ctx context.Context) (map[string]string, error)
}

// YearCounts are one year's sufficient statistics (index.Summary) as a report needs them.
type YearCounts struct {
	// Full holds every agency over every channel: the design of the year (METHODS §0).
	Full *index.Summary
	// Domain holds the counts of the report's channel; nil without a channel filter.
	Domain *index.Summary
	// Months are the same counts month by month (Vietnam time), in month order, for the trend.
	Months []MonthCounts
	// Expectations counts, per agency and option code, the respondents of the domain who
	// chose the option (the questionnaire's expectation question).
	Expectations map[string]map[string]int
}

// MonthCounts are one month's Full and Domain counts.
type MonthCounts struct {
	Month        int
	Full, Domain *index.Summary
}

// Query says which report to build.
type Query struct {
	Year           int
	BaselineYear   int    // 0: no comparison
	BaselineSource string // index.SourceResponses (default) or index.SourceAggregates
	Filters        index.Filters
	// SmallArea, when set, is the level whose agencies get model-based estimates
	// (METHODS §14), e.g. "commune".
	SmallArea string
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
	if qy.SmallArea != "" && !dataset.IsLevel(qy.SmallArea) {
		return bad("fault.invalid_level", qy.SmallArea, strings.Join(dataset.Levels, ", "))
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

// Build reads the counts a query needs and computes the report.
//
// An agency or level filter chooses the strata of the report's indices, compared with the
// predecessors of those strata in the baseline year (METHODS §11); the agency rows are always
// those of the unfiltered report (§12). A channel filter is a domain of the full design (§13),
// in both years. An aggregate baseline is province-wide: with filters it would compare a
// subset with the whole, so Build refuses that combination.
//
// A query the data cannot answer is an Invalid fault (invalid_query or report_failed) whose
// message tells the user what to change; a failure to read the data is returned as it is.
func Build(ctx context.Context, src Source, q *survey.Questionnaire, qy Query) (*index.Report, error) {
	if err := qy.Validate(); err != nil {
		return nil, err
	}
	cur, err := src.YearCounts(ctx, q, qy.Year, channelOf(qy))
	if err != nil {
		return nil, err
	}
	return BuildFrom(ctx, src, q, qy, cur)
}

// channelOf is the report's channel filter, or "".
func channelOf(qy Query) string {
	if qy.Filters.Channel == nil {
		return ""
	}
	return *qy.Filters.Channel
}

// BuildFrom is Build with the report year's counts already read (the dashboard reads them once
// for the trend too).
func BuildFrom(ctx context.Context, src Source, q *survey.Questionnaire, qy Query, cur *YearCounts) (*index.Report, error) {
	if err := qy.Validate(); err != nil {
		return nil, err
	}
	if qy.BaselineSource == "" {
		qy.BaselineSource = index.SourceResponses
	}
	in, err := input(ctx, src, q, qy, cur)
	if err != nil {
		return nil, err
	}
	rep, err := index.Compute(in)
	if err != nil {
		return nil, err
	}
	if qy.SmallArea != "" {
		if rep.SmallArea, err = smallArea(ctx, src, q, qy, in); err != nil {
			return nil, err
		}
		if in.Scope != nil { // the model is the province's; a filter only chooses the rows shown
			rep.SmallArea.Rows = slices.DeleteFunc(rep.SmallArea.Rows, func(r index.SmallAreaRow) bool {
				return !slices.Contains(in.Scope, r.Agency)
			})
		}
	}
	rep.Survey, rep.Year, rep.Filters = q.ID, qy.Year, qy.Filters
	return rep, nil
}

// input assembles the Compute input of qy: the year's counts, receipts and scope, and the
// baseline.
func input(ctx context.Context, src Source, q *survey.Questionnaire, qy Query, cur *YearCounts) (index.Input, error) {
	pops, err := src.Populations(ctx, qy.Year)
	if err != nil {
		return index.Input{}, err
	}
	in := index.Input{Design: index.DesignOf(q), Current: cur.Full, Domain: cur.Domain, Populations: pops}
	if err := checkReceipts(qy.Year, in.Current, pops); err != nil {
		return in, err
	}
	if in.Scope, err = scopeOf(ctx, src, qy.Filters); err != nil {
		return in, err
	}
	if qy.BaselineYear == 0 {
		return in, nil
	}
	b := &index.Baseline{Year: qy.BaselineYear, Source: qy.BaselineSource}
	if b.Populations, err = src.Populations(ctx, qy.BaselineYear); err != nil {
		return in, err
	}
	if qy.BaselineSource == index.SourceAggregates {
		if qy.Filters != (index.Filters{}) {
			return in, errUnanswerable("fault.aggregate_filters")
		}
		if b.Aggregates, err = src.Aggregates(ctx, q.ID, qy.BaselineYear); err != nil {
			return in, err
		}
		if len(b.Aggregates) == 0 {
			return in, errUnanswerable("fault.no_aggregates", qy.BaselineYear, q.ID)
		}
		in.Baseline = b
		return in, nil
	}
	base, err := src.YearCounts(ctx, q, qy.BaselineYear, channelOf(qy))
	if err != nil {
		return in, err
	}
	b.Summary, b.Domain = base.Full, base.Domain
	if err := checkReceipts(qy.BaselineYear, b.Summary, b.Populations); err != nil {
		return in, err
	}
	cw, err := src.Crosswalk(ctx)
	if err != nil {
		return in, err
	}
	b.Crosswalk = cw.Between(qy.BaselineYear, qy.Year)
	in.Baseline = b
	return in, nil
}

// scopeOf returns the agencies an agency or level filter covers, nil without one. The codes
// come from the agency register, so a unit without answers this year still takes over its
// predecessors' share of the baseline.
func scopeOf(ctx context.Context, src Source, f index.Filters) ([]string, error) {
	if f.Agency == nil && f.Level == nil {
		return nil, nil
	}
	levels, err := src.AgencyLevels(ctx)
	if err != nil {
		return nil, err
	}
	scope := []string{}
	for _, code := range slices.Sorted(maps.Keys(levels)) {
		if (f.Agency == nil || *f.Agency == code) && (f.Level == nil || *f.Level == levels[code]) {
			scope = append(scope, code)
		}
	}
	return scope, nil
}

// smallArea computes the model-based estimates of the agencies of level qy.SmallArea that
// issued receipts in the report year (METHODS §14). With a raw baseline each area's covariate
// is its predecessors' baseline index (§11), and its model estimate is compared with it.
func smallArea(ctx context.Context, src Source, q *survey.Questionnaire, qy Query, in index.Input) (*index.SmallArea, error) {
	levels, err := src.AgencyLevels(ctx)
	if err != nil {
		return nil, err
	}
	sa := index.SmallAreaInput{Level: qy.SmallArea, Design: in.Design}
	var codes []string
	for _, code := range slices.Sorted(maps.Keys(levels)) {
		if _, ok := in.Populations[code]; ok && levels[code] == qy.SmallArea {
			codes = append(codes, code)
		}
	}
	bases, err := index.PredecessorBaselines(in, codes)
	if err != nil {
		return nil, err
	}
	for _, code := range codes {
		u := index.SmallAreaUnit{Code: code, Receipts: in.Populations[code], Stratum: in.Current.Stratum(code)}
		if b, ok := bases[code]; ok {
			u.Baseline, u.BaselineN = &b.Estimate, b.N
			if !math.IsNaN(b.Var) {
				u.BaselineVar = &b.Var
			}
		}
		sa.Areas = append(sa.Areas, u)
	}
	return index.ComputeSmallArea(sa)
}
