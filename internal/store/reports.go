package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"sipas/internal/index"
	"sipas/internal/report"
	"sipas/internal/survey"
)

// filterWhere turns report filters into SQL over responses r joined with agencies a.
func filterWhere(surveyID string, year int, f index.Filters) (string, []any) {
	q := `r.survey_id = ? AND r.year = ?`
	args := []any{surveyID, year}
	if f.Agency != nil {
		q += ` AND a.code = ?`
		args = append(args, *f.Agency)
	}
	if f.Level != nil {
		q += ` AND a.level = ?`
		args = append(args, *f.Level)
	}
	if f.Channel != nil {
		q += ` AND r.channel = ?`
		args = append(args, *f.Channel)
	}
	return q, args
}

// YearCountsFromRows is YearCounts computed from the response rows in one pass, with
// index.Sample rather than the stored summaries: the independent recount that tests and
// `sipas verify` compare the summaries with. Its cost grows with the responses.
func (s *Store) YearCountsFromRows(ctx context.Context, q *survey.Questionnaire, year int, channel string) (*report.YearCounts, error) {
	design := index.DesignOf(q)
	full, dom := index.NewSample(design), index.NewSample(design)
	months := map[int][2]*index.Sample{}
	yc := &report.YearCounts{Expectations: map[string]map[string]int{}}
	answers := make([]uint8, len(design.Questions))
	err := s.ScanResponses(ctx, ResponseFilter{SurveyID: q.ID, Year: year}, func(r *ResponseRow) error {
		if err := q.DecodeAnswers(r.Answers, answers); err != nil {
			return fmt.Errorf("store: year counts: %w", err)
		}
		m, ok := months[r.Month]
		if !ok {
			m = [2]*index.Sample{index.NewSample(design), index.NewSample(design)}
			months[r.Month] = m
		}
		full.Add(r.AgencyCode, answers)
		m[0].Add(r.AgencyCode, answers)
		if channel != "" && r.Channel != channel {
			return nil
		}
		dom.Add(r.AgencyCode, answers)
		m[1].Add(r.AgencyCode, answers)
		if r.Expectations != "" {
			e := yc.Expectations[r.AgencyCode]
			if e == nil {
				e = map[string]int{}
				yc.Expectations[strings.Clone(r.AgencyCode)] = e
			}
			for _, o := range strings.Fields(r.Expectations) {
				e[o]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	yc.Full = full.Summary()
	if channel != "" {
		yc.Domain = dom.Summary()
	}
	for _, month := range slices.Sorted(maps.Keys(months)) {
		mc := report.MonthCounts{Month: month, Full: months[month][0].Summary()}
		if channel != "" {
			mc.Domain = months[month][1].Summary()
		}
		yc.Months = append(yc.Months, mc)
	}
	return yc, nil
}

// AgencyLevels maps every agency code to its level.
func (s *Store) AgencyLevels(ctx context.Context) (map[string]string, error) {
	list, err := s.ListAgencies(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(list))
	for _, a := range list {
		out[a.Code] = a.Level
	}
	return out, nil
}
