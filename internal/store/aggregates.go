package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sipas/internal/dataset"
	"sipas/internal/index"
)

// ImportAggregates upserts the published indices of baseline years for one survey, keyed by
// year, index, basis and former unit (agency_code, "" for the whole scope).
func (s *Store) ImportAggregates(ctx context.Context, surveyID string, list []dataset.Aggregate) (ImportResult, error) {
	var res ImportResult
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		res = ImportResult{}
		for _, a := range list {
			var pct, n float64
			var se sql.NullFloat64
			err := tx.QueryRowContext(ctx, `SELECT percent, n, se FROM aggregates WHERE survey_id = ? AND year = ? AND idx = ? AND basis = ? AND agency_code = ?`,
				surveyID, a.Year, a.Index, a.Basis, a.AgencyCode).Scan(&pct, &n, &se)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				res.Created++
			case err != nil:
				return fmt.Errorf("store: import aggregate: %w", err)
			case pct == a.Percent && n == a.N && se.Valid == (a.SE != nil) && (a.SE == nil || se.Float64 == *a.SE):
				res.Unchanged++
				continue
			default:
				res.Updated++
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO aggregates (survey_id, year, idx, basis, agency_code, percent, n, se) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (survey_id, year, idx, basis, agency_code) DO UPDATE SET percent = excluded.percent, n = excluded.n, se = excluded.se`,
				surveyID, a.Year, a.Index, a.Basis, a.AgencyCode, a.Percent, a.N, a.SE); err != nil {
				return fmt.Errorf("store: import aggregate: %w", err)
			}
		}
		return nil
	})
	return res, err
}

// AggregateRow is one published index of a baseline year, as imported.
type AggregateRow struct {
	Year         int
	Index, Basis string
	Percent, N   float64
	SE           *float64 // percent; nil when not published
	AgencyCode   string   // the former unit; "" for the whole scope
}

// ListAggregates returns every imported published index of a survey.
func (s *Store) ListAggregates(ctx context.Context, surveyID string) ([]AggregateRow, error) {
	return queryAll(ctx, s.r, "aggregates", `SELECT year, idx, basis, percent, n, se, agency_code FROM aggregates
		WHERE survey_id = ? ORDER BY year, idx, basis, agency_code`,
		[]any{surveyID}, func(r scanner) (a AggregateRow, err error) {
			var se sql.NullFloat64
			err = r.Scan(&a.Year, &a.Index, &a.Basis, &a.Percent, &a.N, &se, &a.AgencyCode)
			if se.Valid {
				a.SE = &se.Float64
			}
			return a, err
		})
}

// Aggregates returns the published indices of one survey and year as fractions, for the
// comparison with an aggregate-only baseline.
func (s *Store) Aggregates(ctx context.Context, surveyID string, year int) ([]index.Aggregate, error) {
	all, err := s.ListAggregates(ctx, surveyID)
	if err != nil {
		return nil, err
	}
	var out []index.Aggregate
	for _, a := range all {
		if a.Year != year {
			continue
		}
		ag := index.Aggregate{Index: a.Index, Basis: a.Basis, Estimate: a.Percent / 100, N: a.N, Unit: a.AgencyCode}
		if a.SE != nil {
			se := *a.SE / 100
			ag.SE = &se
		}
		out = append(out, ag)
	}
	return out, nil
}
