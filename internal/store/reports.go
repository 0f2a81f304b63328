package store

import (
	"context"
	"fmt"
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

// LoadSample reads one year's responses in scope into an index sample.
func (s *Store) LoadSample(ctx context.Context, q *survey.Questionnaire, year int, f index.Filters) (*index.Sample, error) {
	ys, err := s.LoadYear(ctx, q, year, f, false)
	if err != nil {
		return nil, err
	}
	return ys.Whole, nil
}

// LoadYear reads one year's responses in scope in a single pass, into the whole-year sample
// and, when byMonth is set, one sample per month, counting the expectation choices too.
func (s *Store) LoadYear(ctx context.Context, q *survey.Questionnaire, year int, f index.Filters, byMonth bool) (*report.YearSample, error) {
	design := index.DesignOf(q)
	ys := &report.YearSample{Whole: index.NewSample(design), Expectations: map[string]int{}}
	if byMonth {
		ys.ByMonth = map[int]*index.Sample{}
	}
	answers := make([]uint8, len(design.Questions))
	rf := ResponseFilter{SurveyID: q.ID, Year: year, AgencyCode: f.Agency, Level: f.Level, Channel: f.Channel}
	err := s.ScanResponses(ctx, rf, func(r *ResponseRow) error {
		if err := q.DecodeAnswers(r.Answers, answers); err != nil {
			return fmt.Errorf("store: load year: %w", err)
		}
		ys.Whole.Add(r.AgencyCode, answers)
		if byMonth {
			m := ys.ByMonth[r.Month]
			if m == nil {
				m = index.NewSample(design)
				ys.ByMonth[r.Month] = m
			}
			m.Add(r.AgencyCode, answers)
		}
		if r.Expectations != "" {
			ys.ExpectationN++
			for _, o := range strings.Fields(r.Expectations) {
				ys.Expectations[o]++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ys, nil
}
