package store

import (
	"context"
	"fmt"
	"strings"

	"sipas/internal/index"
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

// YearSamples are one year's responses in scope, ready for the indices.
type YearSamples struct {
	Whole   *index.Sample
	ByMonth map[int]*index.Sample // month (1–12, Vietnam time) → its responses; nil unless asked for
	// Expectations counts, per option code, the respondents who chose it; ExpectationN is the
	// number of respondents who chose at least one option.
	Expectations map[string]int
	ExpectationN int
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
func (s *Store) LoadYear(ctx context.Context, q *survey.Questionnaire, year int, f index.Filters, byMonth bool) (*YearSamples, error) {
	design := index.DesignOf(q)
	ys := &YearSamples{Whole: index.NewSample(design), Expectations: map[string]int{}}
	if byMonth {
		ys.ByMonth = map[int]*index.Sample{}
	}
	where, args := filterWhere(q.ID, year, f)
	rows, err := s.r.QueryContext(ctx, `SELECT a.code, r.month, r.answers, r.expectations
		FROM responses r JOIN agencies a ON a.id = r.agency_id WHERE `+where+` ORDER BY a.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: load year: %w", err)
	}
	defer rows.Close()
	answers := make([]uint8, len(design.Questions))
	var code, enc, exp string
	var month int
	for rows.Next() {
		if err := rows.Scan(&code, &month, &enc, &exp); err != nil {
			return nil, fmt.Errorf("store: load year: %w", err)
		}
		if err := q.DecodeAnswers(enc, answers); err != nil {
			return nil, fmt.Errorf("store: load year: %w", err)
		}
		ys.Whole.Add(code, answers)
		if byMonth {
			m := ys.ByMonth[month]
			if m == nil {
				m = index.NewSample(design)
				ys.ByMonth[month] = m
			}
			m.Add(code, answers)
		}
		if exp != "" {
			ys.ExpectationN++
			for _, o := range strings.Fields(exp) {
				ys.Expectations[o]++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: load year: %w", err)
	}
	return ys, nil
}
