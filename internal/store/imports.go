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

// ImportPopulations upserts receipts per agency and year in one transaction.
func (s *Store) ImportPopulations(ctx context.Context, list []dataset.Population) (ImportResult, error) {
	var res ImportResult
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		res = ImportResult{}
		ids, err := agencyIDs(ctx, tx)
		if err != nil {
			return err
		}
		for _, p := range list {
			id, ok := ids[p.AgencyCode]
			if !ok {
				return fmt.Errorf("store: import population: agency %q: %w", p.AgencyCode, ErrNotFound)
			}
			var old int64
			err := tx.QueryRowContext(ctx, `SELECT receipts FROM populations WHERE year = ? AND agency_id = ?`, p.Year, id).Scan(&old)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				res.Created++
			case err != nil:
				return fmt.Errorf("store: import population: %w", err)
			case old == p.Receipts:
				res.Unchanged++
				continue
			default:
				res.Updated++
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO populations (year, agency_id, receipts) VALUES (?, ?, ?)
				ON CONFLICT (year, agency_id) DO UPDATE SET receipts = excluded.receipts`, p.Year, id, p.Receipts); err != nil {
				return fmt.Errorf("store: import population: %w", err)
			}
		}
		return nil
	})
	return res, err
}

// ImportAggregates upserts the published indices of baseline years for one survey.
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

// ImportedResponse is one imported row, its answers already encoded.
type ImportedResponse struct {
	dataset.Response
	Answers string // survey.EncodeAnswers form
}

// ImportResponses stores imported responses of one survey version in one transaction. A
// response_id already stored with the same content is left alone (so importing a file twice
// changes nothing); with different content it is an error naming the file and line, and
// nothing of the file is stored.
func (s *Store) ImportResponses(ctx context.Context, file, surveyID, version string, list []ImportedResponse) (ImportResult, error) {
	var res ImportResult
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		res = ImportResult{}
		ids, err := agencyIDs(ctx, tx)
		if err != nil {
			return err
		}
		find, err := tx.PrepareContext(ctx, `SELECT a.code, r.channel, r.submitted_at, r.answers, r.comment, r.survey_id
			FROM responses r JOIN agencies a ON a.id = r.agency_id WHERE r.response_id = ?`)
		if err != nil {
			return fmt.Errorf("store: import responses: %w", err)
		}
		defer find.Close()
		var conflicts dataset.Errors
		for _, r := range list {
			id, ok := ids[r.AgencyCode]
			if !ok {
				return fmt.Errorf("store: import responses: agency %q: %w", r.AgencyCode, ErrNotFound)
			}
			var code, channel, submitted, answers, comment, survey string
			err := find.QueryRowContext(ctx, r.ID).Scan(&code, &channel, &submitted, &answers, &comment, &survey)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return fmt.Errorf("store: import responses: %w", err)
			case code == r.AgencyCode && channel == r.Channel && submitted == formatTime(r.SubmittedAt) &&
				answers == r.Answers && comment == r.Comment && survey == surveyID:
				res.Unchanged++
				continue
			default:
				conflicts = append(conflicts, dataset.Error{File: file, Line: r.Line, Column: 1,
					Msg: fmt.Sprintf("response_id %q is already stored with different content", r.ID)})
				continue
			}
			if err := insertResponse(ctx, tx, responseRecord{
				ResponseID: r.ID, AgencyID: id, Channel: r.Channel, SubmittedAt: r.SubmittedAt,
				Submission: Submission{SurveyID: surveyID, SurveyVersion: version, Source: "import", Answers: r.Answers, Comment: r.Comment},
			}); err != nil {
				return err
			}
			res.Created++
		}
		if len(conflicts) > 0 {
			return conflicts
		}
		return nil
	})
	return res, err
}

// Populations returns N_h for one year: an imported figure wherever one exists, else what
// sipas counted (ReceiptCounts).
func (s *Store) Populations(ctx context.Context, year int) (index.Populations, error) {
	out, err := s.ReceiptCounts(ctx, year)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT a.code, p.receipts FROM populations p JOIN agencies a ON a.id = p.agency_id WHERE p.year = ?`, year)
	if err != nil {
		return nil, fmt.Errorf("store: populations: %w", err)
	}
	if err := scanCounts(rows, out); err != nil {
		return nil, fmt.Errorf("store: populations: %w", err)
	}
	return out, nil
}

// scanCounts reads (agency code, count) rows into out and closes them.
func scanCounts(rows *sql.Rows, out index.Populations) error {
	defer rows.Close()
	for rows.Next() {
		var code string
		var n float64
		if err := rows.Scan(&code, &n); err != nil {
			return err
		}
		out[code] = n
	}
	return rows.Err()
}

// ReceiptCounts returns, per agency, the receipts of one year that sipas knows of: those it
// issued (API, sheets), plus for offline-minted tokens, per minting day, the larger of the
// count the issuer reported and the receipts actually opened, so nothing is counted twice and
// a low report cannot shrink the population below what was seen.
func (s *Store) ReceiptCounts(ctx context.Context, year int) (index.Populations, error) {
	rows, err := s.r.QueryContext(ctx, `
		WITH issued AS (
			SELECT agency_id, count(*) AS n FROM receipts WHERE year = ?1 AND source != 'minted' GROUP BY agency_id
		), scanned AS (
			SELECT agency_id, minted_day AS day, count(*) AS n FROM receipts
			WHERE year = ?1 AND source = 'minted' GROUP BY agency_id, minted_day
		), reported AS (
			SELECT agency_id, day, count AS n FROM minted_counts WHERE day >= ?2 AND day <= ?3
		), days AS (
			SELECT agency_id, day FROM scanned UNION SELECT agency_id, day FROM reported
		), minted AS (
			SELECT d.agency_id, sum(max(coalesce(r.n, 0), coalesce(sc.n, 0))) AS n
			FROM days d
			LEFT JOIN reported r ON r.agency_id = d.agency_id AND r.day = d.day
			LEFT JOIN scanned sc ON sc.agency_id = d.agency_id AND sc.day = d.day
			GROUP BY d.agency_id
		)
		SELECT code, n FROM (
			SELECT a.code, coalesce(i.n, 0) + coalesce(m.n, 0) AS n
			FROM agencies a
			LEFT JOIN issued i ON i.agency_id = a.id
			LEFT JOIN minted m ON m.agency_id = a.id
		) WHERE n > 0`, year, fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year))
	if err != nil {
		return nil, fmt.Errorf("store: receipt counts: %w", err)
	}
	out := index.Populations{}
	if err := scanCounts(rows, out); err != nil {
		return nil, fmt.Errorf("store: receipt counts: %w", err)
	}
	return out, nil
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
	rows, err := s.r.QueryContext(ctx, `SELECT year, idx, basis, percent, n, se, agency_code FROM aggregates WHERE survey_id = ? ORDER BY year, idx, basis, agency_code`, surveyID)
	if err != nil {
		return nil, fmt.Errorf("store: aggregates: %w", err)
	}
	defer rows.Close()
	var out []AggregateRow
	for rows.Next() {
		var a AggregateRow
		var se sql.NullFloat64
		if err := rows.Scan(&a.Year, &a.Index, &a.Basis, &a.Percent, &a.N, &se, &a.AgencyCode); err != nil {
			return nil, fmt.Errorf("store: aggregates: %w", err)
		}
		if se.Valid {
			a.SE = &se.Float64
		}
		out = append(out, a)
	}
	return out, rows.Err()
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
