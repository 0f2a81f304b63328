package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/receipt"
)

// Token secrets sign the receipt tokens that one-stop-shop software mints offline
// (docs/tokens.md §5). The key has to be stored to verify a MAC, so it is: it leaves this
// package only in CreateTokenSecret's caller (shown once) and in acceptSigned.

// TokenSecret is a secret as listed: never with its key.
type TokenSecret struct {
	ID         uint32
	AgencyID   int64
	AgencyCode string
	AgencyName string
	CreatedAt  time.Time
	Revoked    bool
	RevokedAt  time.Time
	Scanned    int64 // minted receipts of this secret that citizens opened
}

// DefaultTokenValidityDays is how many days after its minting date a signed token is good.
const DefaultTokenValidityDays = 60

// maxFutureDays is how far ahead of the server's date a minting date may be: offline
// software's clock may run a day fast.
const maxFutureDays = 1

// TokenPolicy is the validity window of signed tokens.
type TokenPolicy struct {
	// ValidityDays is how many calendar days (Asia/Ho_Chi_Minh) after its minting day a
	// token may still be opened; 0 means DefaultTokenValidityDays.
	ValidityDays int
}

// CreateTokenSecret stores a new secret of the agency under a fresh ID (never one used
// before) and returns it. An unknown agency gives ErrNotFound.
func (s *Store) CreateTokenSecret(ctx context.Context, agencyCode string, key []byte) (TokenSecret, error) {
	if len(key) < receipt.MinKeyLen {
		return TokenSecret{}, fmt.Errorf("store: create token secret: key of %d bytes, want at least %d", len(key), receipt.MinKeyLen)
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var agencyID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM agencies WHERE code = ?`, agencyCode).Scan(&agencyID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: agency %q: %w", agencyCode, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: create token secret: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO token_secrets (agency_id, key, created_at) VALUES (?, ?, ?)`,
			agencyID, key, formatTime(now))
		if err != nil {
			return fmt.Errorf("store: create token secret: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return TokenSecret{}, err
	}
	return s.FindTokenSecret(ctx, uint32(id))
}

const secretColumns = `t.id, t.agency_id, a.code, a.name, t.created_at, t.revoked_at,
	(SELECT count(*) FROM receipts r WHERE r.secret_id = t.id)`

func scanSecret(row scanner) (TokenSecret, error) {
	var t TokenSecret
	var created string
	var revoked sql.NullString
	if err := row.Scan(&t.ID, &t.AgencyID, &t.AgencyCode, &t.AgencyName, &created, &revoked, &t.Scanned); err != nil {
		return TokenSecret{}, err
	}
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return TokenSecret{}, err
	}
	if revoked.Valid {
		t.Revoked = true
		if t.RevokedAt, err = parseTime(revoked.String); err != nil {
			return TokenSecret{}, err
		}
	}
	return t, nil
}

// FindTokenSecret returns ErrNotFound for an unknown ID.
func (s *Store) FindTokenSecret(ctx context.Context, id uint32) (TokenSecret, error) {
	t, err := scanSecret(s.r.QueryRowContext(ctx, `SELECT `+secretColumns+`
		FROM token_secrets t JOIN agencies a ON a.id = t.agency_id WHERE t.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return TokenSecret{}, ErrNotFound
	}
	if err != nil {
		return TokenSecret{}, fmt.Errorf("store: find token secret: %w", err)
	}
	return t, nil
}

// ListTokenSecrets returns every secret, by agency and newest first, without keys.
func (s *Store) ListTokenSecrets(ctx context.Context) ([]TokenSecret, error) {
	return queryAll(ctx, s.r, "list token secrets", `SELECT `+secretColumns+`
		FROM token_secrets t JOIN agencies a ON a.id = t.agency_id ORDER BY a.code, t.id DESC`, nil, scanSecret)
}

// RevokeTokenSecret stops a secret: tokens it signed are refused from now on, even those
// opened before. Unknown or already revoked gives ErrNotFound.
func (s *Store) RevokeTokenSecret(ctx context.Context, id uint32) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		res, err := tx.ExecContext(ctx, `UPDATE token_secrets SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, formatTime(now), id)
		if err != nil {
			return fmt.Errorf("store: revoke token secret: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// AcceptSignedToken checks a signed token as docs/tokens.md §5.3 says and returns its
// receipt, creating it (source minted, channel counter, the secret's agency, the minting
// date's year) the first time the token is seen; later calls find the same row. Errors:
// receipt.ErrInvalidToken (not a signed token, or dated more than a day ahead), ErrNotFound
// (no such secret), receipt.ErrForged (bad MAC), receipt.ErrRevoked (revoked secret),
// receipt.ErrExpired (older than the policy allows). An answered receipt is returned with
// Answered set; the caller decides.
func (s *Store) AcceptSignedToken(ctx context.Context, tok receipt.Token, p TokenPolicy) (Receipt, error) {
	// Every later opening of the token finds its receipt on the readers, without a write.
	now := s.now()
	hash, _, _, err := checkSigned(ctx, s.r, tok, p, now)
	if err != nil {
		return Receipt{}, err
	}
	if rc, err := findReceiptTx(ctx, s.r, hash); !errors.Is(err, ErrNotFound) {
		return rc, err
	}
	var rc Receipt
	err = s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var err error
		rc, err = acceptSigned(ctx, tx, tok, p, now)
		return err
	})
	return rc, err
}

// checkSigned runs the checks of docs/tokens.md §5.3 up to the validity window, and returns
// the token's hash, the agency of its secret and the token's fields.
func checkSigned(ctx context.Context, q queryer, tok receipt.Token, p TokenPolicy, now time.Time) (string, int64, receipt.Signed, error) {
	sg, err := receipt.ParseSigned(tok)
	if err != nil {
		return "", 0, sg, err
	}
	var key []byte
	var agencyID int64
	var revoked bool
	err = q.QueryRowContext(ctx, `SELECT key, agency_id, revoked_at IS NOT NULL FROM token_secrets WHERE id = ?`, sg.ID).
		Scan(&key, &agencyID, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, sg, ErrNotFound
	}
	if err != nil {
		return "", 0, sg, fmt.Errorf("store: accept signed token: %w", err)
	}
	if err := sg.Verify(key); err != nil {
		return "", 0, sg, err
	}
	if revoked {
		return "", 0, sg, receipt.ErrRevoked
	}
	validity := p.ValidityDays
	if validity <= 0 {
		validity = DefaultTokenValidityDays
	}
	switch age := calendar.DaysBetween(sg.Date(), now); {
	case age < -maxFutureDays:
		return "", 0, sg, fmt.Errorf("%w: minted %d days ahead of today", receipt.ErrInvalidToken, -age)
	case age > validity:
		return "", 0, sg, receipt.ErrExpired
	}
	canon, err := receipt.ParseToken(string(tok))
	if err != nil {
		return "", 0, sg, err
	}
	return canon.Hash(), agencyID, sg, nil
}

// acceptSigned is AcceptSignedToken inside a write transaction.
func acceptSigned(ctx context.Context, tx *sql.Tx, tok receipt.Token, p TokenPolicy, now time.Time) (Receipt, error) {
	hash, agencyID, sg, err := checkSigned(ctx, tx, tok, p, now)
	if err != nil {
		return Receipt{}, err
	}
	rc, err := findReceiptTx(ctx, tx, hash)
	if !errors.Is(err, ErrNotFound) {
		return rc, err
	}
	minted := calendar.In(sg.Date())
	if _, err := tx.ExecContext(ctx, `INSERT INTO receipts (token_hash, agency_id, procedure, channel, source, issued_at, year, minted_day, secret_id)
		VALUES (?, ?, '', 'counter', 'minted', ?, ?, ?, ?)`, hash, agencyID, formatTime(now), minted.Year(), minted.Format(time.DateOnly), sg.ID); err != nil {
		return Receipt{}, fmt.Errorf("store: accept signed token: %w", err)
	}
	if err := countReceipt(ctx, tx, agencyID, minted.Year(), minted.Format(time.DateOnly)); err != nil {
		return Receipt{}, err
	}
	return findReceiptTx(ctx, tx, hash)
}

// MaxMintedPerDay bounds one reported day's count.
const MaxMintedPerDay = 10_000_000

// ReportMinted records how many tokens the agency's software minted on day (YYYY-MM-DD in
// Asia/Ho_Chi_Minh). The last report for a day wins. An unknown agency gives ErrNotFound.
func (s *Store) ReportMinted(ctx context.Context, agencyCode, day string, count int64) error {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return fmt.Errorf("store: report minted: day %q: %w", day, err)
	}
	if count < 0 || count > MaxMintedPerDay {
		return fmt.Errorf("store: report minted: count %d outside 0..%d", count, MaxMintedPerDay)
	}
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var agencyID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM agencies WHERE code = ?`, agencyCode).Scan(&agencyID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: agency %q: %w", agencyCode, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: report minted: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO minted_counts (agency_id, day, count, reported_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (agency_id, day) DO UPDATE SET count = excluded.count, reported_at = excluded.reported_at`,
			agencyID, day, count, formatTime(now)); err != nil {
			return fmt.Errorf("store: report minted: %w", err)
		}
		return nil
	})
}

// MintedDay is one agency's minted tokens on one day: as reported, and as seen.
type MintedDay struct {
	AgencyCode string
	Day        string
	Reported   int64 // -1 when no report
	Scanned    int64
}

// ListMinted returns the reported and scanned minted tokens per agency and day, newest first,
// at most limit rows.
func (s *Store) ListMinted(ctx context.Context, limit int) ([]MintedDay, error) {
	return queryAll(ctx, s.r, "list minted", `
		SELECT a.code, d.day, coalesce(m.count, -1),
			(SELECT count(*) FROM receipts r WHERE r.agency_id = d.agency_id AND r.minted_day = d.day)
		FROM (SELECT agency_id, day FROM minted_counts
			UNION SELECT agency_id, minted_day FROM receipts WHERE minted_day IS NOT NULL) d
		JOIN agencies a ON a.id = d.agency_id
		LEFT JOIN minted_counts m ON m.agency_id = d.agency_id AND m.day = d.day
		ORDER BY d.day DESC, a.code LIMIT ?`, []any{limit}, func(r scanner) (m MintedDay, err error) {
		return m, r.Scan(&m.AgencyCode, &m.Day, &m.Reported, &m.Scanned)
	})
}
