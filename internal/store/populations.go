package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"sipas/internal/dataset"
	"sipas/internal/index"
)

// PopulationRow is one stratum size as shown to admins: imported, counted by sipas, or both.
type PopulationRow struct {
	Year       int
	AgencyCode string
	Imported   int64 // 0 when none
	Issued     int64 // receipts sipas knows of (ReceiptCounts)
}

// ListPopulations returns stratum sizes per year and agency, newest year first, for every year
// with an imported population or a receipt.
func (s *Store) ListPopulations(ctx context.Context) ([]PopulationRow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT p.year, a.code, p.receipts FROM populations p JOIN agencies a ON a.id = p.agency_id
		UNION ALL SELECT DISTINCT year, '', 0 FROM receipt_counts`)
	if err != nil {
		return nil, fmt.Errorf("store: list populations: %w", err)
	}
	imported := map[int]map[string]int64{}
	for rows.Next() {
		var year int
		var code string
		var n int64
		if err := rows.Scan(&year, &code, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: list populations: %w", err)
		}
		if imported[year] == nil {
			imported[year] = map[string]int64{}
		}
		if code != "" {
			imported[year][code] = n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list populations: %w", err)
	}
	var out []PopulationRow
	for year, imp := range imported {
		counted, err := s.ReceiptCounts(ctx, year)
		if err != nil {
			return nil, err
		}
		codes := map[string]bool{}
		for c := range imp {
			codes[c] = true
		}
		for c := range counted {
			codes[c] = true
		}
		for c := range codes {
			out = append(out, PopulationRow{Year: year, AgencyCode: c, Imported: imp[c], Issued: int64(counted[c])})
		}
	}
	slices.SortFunc(out, func(a, b PopulationRow) int {
		if a.Year != b.Year {
			return b.Year - a.Year
		}
		return strings.Compare(a.AgencyCode, b.AgencyCode)
	})
	return out, nil
}

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
// a low report cannot shrink the population below what was seen. It reads the kept counts
// (receipt_counts), not the receipts.
func (s *Store) ReceiptCounts(ctx context.Context, year int) (index.Populations, error) {
	rows, err := s.r.QueryContext(ctx, `
		WITH issued AS (
			SELECT agency_id, receipts AS n FROM receipt_counts WHERE year = ?1 AND day = ''
		), scanned AS (
			SELECT agency_id, day, receipts AS n FROM receipt_counts WHERE year = ?1 AND day != ''
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
