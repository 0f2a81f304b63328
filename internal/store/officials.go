package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sipas/internal/auth"
)

// ErrExists is returned when creating something whose unique key is taken.
var ErrExists = errors.New("store: already exists")

const officialColumns = `o.id, o.email, o.name, o.role, COALESCE(o.agency_id, 0), COALESCE(a.code, ''), o.disabled`

func scanOfficial(row scanner) (auth.Official, error) {
	var o auth.Official
	var role string
	err := row.Scan(&o.ID, &o.Email, &o.Name, &role, &o.AgencyID, &o.AgencyCode, &o.Disabled)
	o.Role = auth.Role(role)
	return o, err
}

// NewOfficial is what creating an official needs.
type NewOfficial struct {
	Email, Name  string
	Role         auth.Role
	AgencyCode   string // RoleAgency only
	PasswordHash string
}

// CreateOfficial stores a new official; ErrExists for a taken email, ErrNotFound for an
// unknown agency.
func (s *Store) CreateOfficial(ctx context.Context, n NewOfficial) (auth.Official, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		agencyID, err := agencyIDFor(ctx, tx, n.Role, n.AgencyCode)
		if err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `INSERT INTO officials (email, name, password_hash, role, agency_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, n.Email, n.Name, n.PasswordHash, string(n.Role), agencyID, formatTime(now), formatTime(now))
		if isUniqueViolation(err) {
			return ErrExists
		}
		if err != nil {
			return fmt.Errorf("store: create official: %w", err)
		}
		id, err = r.LastInsertId()
		return err
	})
	if err != nil {
		return auth.Official{}, err
	}
	return s.FindOfficialByID(ctx, id)
}

// agencyIDFor resolves the agency of an agency-role official (NULL for other roles).
func agencyIDFor(ctx context.Context, tx *sql.Tx, role auth.Role, code string) (sql.NullInt64, error) {
	if role != auth.RoleAgency {
		return sql.NullInt64{}, nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM agencies WHERE code = ?`, code).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return sql.NullInt64{}, fmt.Errorf("store: agency %q: %w", code, ErrNotFound)
	}
	if err != nil {
		return sql.NullInt64{}, fmt.Errorf("store: agency of official: %w", err)
	}
	return sql.NullInt64{Int64: id, Valid: true}, nil
}

// FindOfficialByID returns ErrNotFound for an unknown id.
func (s *Store) FindOfficialByID(ctx context.Context, id int64) (auth.Official, error) {
	o, err := scanOfficial(s.r.QueryRowContext(ctx, `SELECT `+officialColumns+`
		FROM officials o LEFT JOIN agencies a ON a.id = o.agency_id WHERE o.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Official{}, ErrNotFound
	}
	if err != nil {
		return auth.Official{}, fmt.Errorf("store: find official: %w", err)
	}
	return o, nil
}

// FindOfficialForLogin returns the official and password hash for an email, or ErrNotFound.
func (s *Store) FindOfficialForLogin(ctx context.Context, email string) (auth.Official, string, error) {
	var hash string
	var o auth.Official
	var role string
	err := s.r.QueryRowContext(ctx, `SELECT `+officialColumns+`, o.password_hash
		FROM officials o LEFT JOIN agencies a ON a.id = o.agency_id WHERE o.email = ?`, email).
		Scan(&o.ID, &o.Email, &o.Name, &role, &o.AgencyID, &o.AgencyCode, &o.Disabled, &hash)
	o.Role = auth.Role(role)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Official{}, "", ErrNotFound
	}
	if err != nil {
		return auth.Official{}, "", fmt.Errorf("store: find official: %w", err)
	}
	return o, hash, nil
}

// ListOfficials returns every official ordered by email.
func (s *Store) ListOfficials(ctx context.Context) ([]auth.Official, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+officialColumns+` FROM officials o LEFT JOIN agencies a ON a.id = o.agency_id ORDER BY o.email`)
	if err != nil {
		return nil, fmt.Errorf("store: list officials: %w", err)
	}
	defer rows.Close()
	var out []auth.Official
	for rows.Next() {
		o, err := scanOfficial(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list officials: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// OfficialUpdate changes an official; nil fields stay as they are. Changing the role,
// disabling or a new password also ends the official's sessions.
type OfficialUpdate struct {
	Role         *auth.Role
	AgencyCode   *string
	Disabled     *bool
	PasswordHash *string
}

// UpdateOfficial applies u; ErrNotFound for an unknown id.
func (s *Store) UpdateOfficial(ctx context.Context, id int64, u OfficialUpdate) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		var role string
		var agency sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT role, agency_id FROM officials WHERE id = ?`, id).Scan(&role, &agency)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: update official: %w", err)
		}
		if u.Role != nil {
			code := ""
			if u.AgencyCode != nil {
				code = *u.AgencyCode
			}
			if agency, err = agencyIDFor(ctx, tx, *u.Role, code); err != nil {
				return err
			}
			role = string(*u.Role)
		}
		q := `UPDATE officials SET role = ?, agency_id = ?, updated_at = ?`
		args := []any{role, agency, formatTime(now)}
		if u.Disabled != nil {
			q += `, disabled = ?`
			args = append(args, *u.Disabled)
		}
		if u.PasswordHash != nil {
			q += `, password_hash = ?`
			args = append(args, *u.PasswordHash)
		}
		if _, err := tx.ExecContext(ctx, q+` WHERE id = ?`, append(args, id)...); err != nil {
			return fmt.Errorf("store: update official: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE official_id = ?`, id); err != nil {
			return fmt.Errorf("store: update official: %w", err)
		}
		return nil
	})
}

// Session lifetimes: an absolute limit and an idle limit.
const (
	SessionMaxAge  = 12 * time.Hour
	SessionIdleMax = 2 * time.Hour
)

// CreateSession stores the hash of a new session id for an official.
func (s *Store) CreateSession(ctx context.Context, idHash string, officialID int64) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ? OR seen_at < ?`,
			formatTime(now), formatTime(now.Add(-SessionIdleMax))); err != nil {
			return fmt.Errorf("store: create session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, official_id, created_at, seen_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			idHash, officialID, formatTime(now), formatTime(now), formatTime(now.Add(SessionMaxAge))); err != nil {
			return fmt.Errorf("store: create session: %w", err)
		}
		return nil
	})
}

// FindSession returns the official of a live session and marks it seen (at most once a
// minute, to keep sign-in checks off the writer). ErrNotFound for an unknown, expired, idle
// or disabled one.
func (s *Store) FindSession(ctx context.Context, idHash string) (auth.Official, error) {
	now := s.now()
	var seen string
	var o auth.Official
	var role string
	err := s.r.QueryRowContext(ctx, `SELECT `+officialColumns+`, s.seen_at
		FROM sessions s JOIN officials o ON o.id = s.official_id LEFT JOIN agencies a ON a.id = o.agency_id
		WHERE s.id_hash = ? AND s.expires_at > ? AND s.seen_at > ? AND o.disabled = 0`,
		idHash, formatTime(now), formatTime(now.Add(-SessionIdleMax))).
		Scan(&o.ID, &o.Email, &o.Name, &role, &o.AgencyID, &o.AgencyCode, &o.Disabled, &seen)
	o.Role = auth.Role(role)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Official{}, ErrNotFound
	}
	if err != nil {
		return auth.Official{}, fmt.Errorf("store: find session: %w", err)
	}
	if t, err := parseTime(seen); err == nil && now.Sub(t) > time.Minute {
		if err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET seen_at = ? WHERE id_hash = ?`, formatTime(now), idHash)
			return err
		}); err != nil {
			return auth.Official{}, fmt.Errorf("store: touch session: %w", err)
		}
	}
	return o, nil
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
		return err
	})
}

// Throttle windows for sign-ins.
const LoginWindow = 15 * time.Minute

// LoginFailures counts failed sign-ins in the last LoginWindow for an email and for a client.
func (s *Store) LoginFailures(ctx context.Context, email, client string) (byEmail, byClient int, err error) {
	since := formatTime(s.now().Add(-LoginWindow))
	err = s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM login_failures WHERE email = ? AND at > ?),
		(SELECT count(*) FROM login_failures WHERE client = ? AND at > ?)`, email, since, client, since).Scan(&byEmail, &byClient)
	if err != nil {
		return 0, 0, fmt.Errorf("store: login failures: %w", err)
	}
	return byEmail, byClient, nil
}

// RecordLoginFailure remembers one failed sign-in (and forgets those older than a day).
func (s *Store) RecordLoginFailure(ctx context.Context, email, client string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE at < ?`, formatTime(now.Add(-24*time.Hour))); err != nil {
			return fmt.Errorf("store: login failure: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO login_failures (at, email, client) VALUES (?, ?, ?)`, formatTime(now), email, client)
		return err
	})
}

// ClearLoginFailures forgets an email's failures after a successful sign-in.
func (s *Store) ClearLoginFailures(ctx context.Context, email string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE email = ?`, email)
		return err
	})
}
