package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sipas/internal/dataset"
)

// Agency is one administrative agency (a stratum of the index).
type Agency struct {
	ID         int64
	Code       string
	Name       string
	Level      string // province | district | commune
	ParentCode string
}

// ImportResult counts what an import changed.
type ImportResult struct {
	Created, Updated, Unchanged int
}

// String says what an import changed: "2 created, 0 updated, 1 unchanged".
func (r ImportResult) String() string {
	return fmt.Sprintf("%d created, %d updated, %d unchanged", r.Created, r.Updated, r.Unchanged)
}

// ListAgencies returns every agency ordered by code.
func (s *Store) ListAgencies(ctx context.Context) ([]Agency, error) {
	return queryAll(ctx, s.r, "list agencies", `SELECT id, code, name, level, parent_code FROM agencies ORDER BY code`, nil,
		func(r scanner) (a Agency, err error) {
			return a, r.Scan(&a.ID, &a.Code, &a.Name, &a.Level, &a.ParentCode)
		})
}

// FindAgencyByCode returns ErrNotFound for an unknown code.
func (s *Store) FindAgencyByCode(ctx context.Context, code string) (Agency, error) {
	var a Agency
	err := s.r.QueryRowContext(ctx, `SELECT id, code, name, level, parent_code FROM agencies WHERE code = ?`, dataset.NormalizeCode(code)).
		Scan(&a.ID, &a.Code, &a.Name, &a.Level, &a.ParentCode)
	if errors.Is(err, sql.ErrNoRows) {
		return Agency{}, ErrNotFound
	}
	if err != nil {
		return Agency{}, fmt.Errorf("store: find agency: %w", err)
	}
	return a, nil
}

// AgencyCodes returns the set of known agency codes, for import validation.
func (s *Store) AgencyCodes(ctx context.Context) (map[string]bool, error) {
	list, err := s.ListAgencies(ctx)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(list))
	for _, a := range list {
		set[a.Code] = true
	}
	return set, nil
}

// ImportAgencies upserts agencies by code in one transaction.
func (s *Store) ImportAgencies(ctx context.Context, list []dataset.Agency) (ImportResult, error) {
	var res ImportResult
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var err error
		res, err = upsertAgencies(ctx, tx, list, now)
		return err
	})
	return res, err
}

// upsertAgencies is ImportAgencies in tx.
func upsertAgencies(ctx context.Context, tx *sql.Tx, list []dataset.Agency, now time.Time) (ImportResult, error) {
	var res ImportResult
	for _, a := range list {
		var old Agency
		err := tx.QueryRowContext(ctx, `SELECT name, level, parent_code FROM agencies WHERE code = ?`, a.Code).
			Scan(&old.Name, &old.Level, &old.ParentCode)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO agencies (code, name, level, parent_code, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, a.Code, a.Name, a.Level, a.ParentCode, formatTime(now), formatTime(now)); err != nil {
				return res, fmt.Errorf("store: import agency %s: %w", a.Code, err)
			}
			res.Created++
		case err != nil:
			return res, fmt.Errorf("store: import agency %s: %w", a.Code, err)
		case old.Name == a.Name && old.Level == a.Level && old.ParentCode == a.ParentCode:
			res.Unchanged++
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE agencies SET name = ?, level = ?, parent_code = ?, updated_at = ? WHERE code = ?`,
				a.Name, a.Level, a.ParentCode, formatTime(now), a.Code); err != nil {
				return res, fmt.Errorf("store: import agency %s: %w", a.Code, err)
			}
			res.Updated++
		}
	}
	return res, nil
}

// agencyIDs maps agency codes to ids inside a transaction.
func agencyIDs(ctx context.Context, tx *sql.Tx) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT code, id FROM agencies`)
	if err != nil {
		return nil, fmt.Errorf("store: agency ids: %w", err)
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var code string
		var id int64
		if err := rows.Scan(&code, &id); err != nil {
			return nil, fmt.Errorf("store: agency ids: %w", err)
		}
		ids[code] = id
	}
	return ids, rows.Err()
}

// UpdateAgency changes an agency's name, level and parent.
func (s *Store) UpdateAgency(ctx context.Context, code, name, level, parent string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `UPDATE agencies SET name = ?, level = ?, parent_code = ?, updated_at = ? WHERE code = ?`,
			name, level, parent, formatTime(now), code)
		if err != nil {
			return fmt.Errorf("store: update agency: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}
