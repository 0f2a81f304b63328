package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/receipt"
	"sipas/internal/report"
)

// Receipt is an issued receipt as stored. The token is not stored, only its hash.
type Receipt struct {
	ID         int64
	AgencyID   int64
	AgencyCode string
	AgencyName string
	Procedure  string
	Channel    string
	Source     string
	IssuedAt   time.Time
	Answered   bool
}

// NewReceipt is what issuing a receipt needs.
type NewReceipt struct {
	TokenHash string
	// NumberHash is the hash of the token's receipt.Number, so that a kiosk can open the
	// receipt by its number; "" for none.
	NumberHash string
	AgencyCode string
	Procedure  string
	Channel    string // counter | online | postal
	Source     string // api | sheet | minted | demo
}

// CreateReceipts stores receipts in one transaction. An unknown agency gives ErrNotFound.
func (s *Store) CreateReceipts(ctx context.Context, list []NewReceipt) ([]Receipt, error) {
	out := make([]Receipt, 0, len(list))
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		out = out[:0]
		for _, nr := range list {
			r, err := createReceipt(ctx, tx, nr, now)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

func createReceipt(ctx context.Context, tx *sql.Tx, nr NewReceipt, now time.Time) (Receipt, error) {
	r := Receipt{AgencyCode: nr.AgencyCode, Procedure: nr.Procedure, Channel: nr.Channel, Source: nr.Source, IssuedAt: now}
	err := tx.QueryRowContext(ctx, `SELECT id, name FROM agencies WHERE code = ?`, dataset.NormalizeCode(nr.AgencyCode)).Scan(&r.AgencyID, &r.AgencyName)
	if errors.Is(err, sql.ErrNoRows) {
		return Receipt{}, fmt.Errorf("store: agency %q: %w", nr.AgencyCode, ErrNotFound)
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("store: create receipt: %w", err)
	}
	year := calendar.Year(now)
	res, err := tx.ExecContext(ctx, `INSERT INTO receipts (token_hash, number_hash, agency_id, procedure, channel, source, issued_at, year)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, nr.TokenHash, sql.NullString{String: nr.NumberHash, Valid: nr.NumberHash != ""},
		r.AgencyID, nr.Procedure, nr.Channel, nr.Source, formatTime(now), year)
	if err != nil {
		return Receipt{}, fmt.Errorf("store: create receipt: %w", err)
	}
	if r.ID, err = res.LastInsertId(); err != nil {
		return Receipt{}, err
	}
	return r, countReceipt(ctx, tx, r.AgencyID, year, "")
}

// Receipt counts (receipt_counts, migration 0008) are kept in the transactions that write
// receipts: one more receipt when one is issued or a minted token first scanned, one more
// answered when one is answered.
const (
	qCountReceipt = `INSERT INTO receipt_counts (agency_id, year, day, receipts, answered) VALUES (?, ?, ?, 1, 0)
		ON CONFLICT (agency_id, year, day) DO UPDATE SET receipts = receipts + 1`
	qCountAnswered = `UPDATE receipt_counts SET answered = answered + 1 WHERE (agency_id, year, day) =
		(SELECT agency_id, year, CASE WHEN source = 'minted' THEN coalesce(minted_day, '') ELSE '' END FROM receipts WHERE id = ?)`
)

// countReceipt counts one new receipt of the agency and year; day is the minting day of a
// minted token, else "".
func countReceipt(ctx context.Context, tx *sql.Tx, agencyID int64, year int, day string) error {
	if _, err := tx.ExecContext(ctx, qCountReceipt, agencyID, year, day); err != nil {
		return fmt.Errorf("store: count receipt: %w", err)
	}
	return nil
}

const receiptColumns = `r.id, r.agency_id, a.code, a.name, r.procedure, r.channel, r.source, r.issued_at, r.answered_at IS NOT NULL`

func scanReceipt(row scanner) (Receipt, error) {
	var r Receipt
	var issued string
	if err := row.Scan(&r.ID, &r.AgencyID, &r.AgencyCode, &r.AgencyName, &r.Procedure, &r.Channel, &r.Source, &issued, &r.Answered); err != nil {
		return Receipt{}, err
	}
	var err error
	r.IssuedAt, err = parseTime(issued)
	return r, err
}

// FindReceiptByTokenHash returns ErrNotFound for a hash no receipt has.
func (s *Store) FindReceiptByTokenHash(ctx context.Context, hash string) (Receipt, error) {
	// Every survey page and submission starts here: the statement is prepared once.
	const q = `SELECT ` + receiptColumns + ` FROM receipts r JOIN agencies a ON a.id = r.agency_id WHERE r.token_hash = ?`
	var row *sql.Row
	if st, err := s.readStmts.get(ctx, q); err == nil {
		row = st.QueryRowContext(ctx, hash)
	} else {
		row = s.r.QueryRowContext(ctx, q, hash)
	}
	r, err := scanReceipt(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Receipt{}, ErrNotFound
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("store: find receipt: %w", err)
	}
	return r, nil
}

// ErrAmbiguousNumber is returned for a receipt number that more than one receipt issued
// within receipt.NumberValidity has.
var ErrAmbiguousNumber = errors.New("store: receipt number is ambiguous")

// FindReceiptByNumber returns the receipt issued within receipt.NumberValidity whose number
// hashes to hash: ErrNotFound when none has, ErrAmbiguousNumber when several have.
func (s *Store) FindReceiptByNumber(ctx context.Context, hash string) (Receipt, error) {
	return findReceiptByNumberTx(ctx, s.r, hash, s.now())
}

func findReceiptByNumberTx(ctx context.Context, tx querier, hash string, now time.Time) (Receipt, error) {
	list, err := queryAll(ctx, tx, "find receipt by number", `SELECT `+receiptColumns+`
		FROM receipts r JOIN agencies a ON a.id = r.agency_id WHERE r.number_hash = ? AND r.issued_at >= ? LIMIT 2`,
		[]any{hash, formatTime(now.Add(-receipt.NumberValidity))}, scanReceipt)
	switch {
	case err != nil:
		return Receipt{}, err
	case len(list) == 0:
		return Receipt{}, ErrNotFound
	case len(list) > 1:
		return Receipt{}, ErrAmbiguousNumber
	}
	return list[0], nil
}

// ResponseRates returns, per agency with sipas-issued receipts in the year, issued and
// answered counts (optionally one agency).
func (s *Store) ResponseRates(ctx context.Context, year int, agencyCode string) ([]report.ResponseRate, error) {
	q := `SELECT a.code, sum(r.receipts), sum(r.answered) FROM receipt_counts r JOIN agencies a ON a.id = r.agency_id WHERE r.year = ?`
	args := []any{year}
	if agencyCode != "" {
		q += ` AND a.code = ?`
		args = append(args, agencyCode)
	}
	return queryAll(ctx, s.r, "response rates", q+` GROUP BY a.code ORDER BY a.code`, args,
		func(r scanner) (rr report.ResponseRate, err error) {
			return rr, r.Scan(&rr.AgencyCode, &rr.Issued, &rr.Answered)
		})
}

// findReceiptTx is FindReceiptByTokenHash on a pool or inside a transaction.
func findReceiptTx(ctx context.Context, tx queryer, hash string) (Receipt, error) {
	r, err := scanReceipt(tx.QueryRowContext(ctx, `SELECT `+receiptColumns+`
		FROM receipts r JOIN agencies a ON a.id = r.agency_id WHERE r.token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return Receipt{}, ErrNotFound
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("store: find receipt: %w", err)
	}
	return r, nil
}
