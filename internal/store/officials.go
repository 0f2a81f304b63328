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

const officialColumns = `o.id, o.email, o.name, o.role, COALESCE(o.agency_id, 0), COALESCE(a.code, ''), o.disabled,
	o.totp_enabled_at IS NOT NULL`

func scanOfficial(row scanner, more ...any) (auth.Official, error) {
	var o auth.Official
	var role string
	err := row.Scan(append([]any{&o.ID, &o.Email, &o.Name, &role, &o.AgencyID, &o.AgencyCode, &o.Disabled, &o.TwoFactor}, more...)...)
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
	o, err := scanOfficial(s.r.QueryRowContext(ctx, `SELECT `+officialColumns+`, o.password_hash
		FROM officials o LEFT JOIN agencies a ON a.id = o.agency_id WHERE o.email = ?`, email), &hash)
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

// CreateSession stores the hash of a new session id for an official. A session with
// mfaPending signs nobody in until CompleteSecondFactor replaces it.
func (s *Store) CreateSession(ctx context.Context, idHash string, officialID int64, mfaPending bool) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		return createSession(ctx, tx, now, idHash, officialID, mfaPending)
	})
}

func createSession(ctx context.Context, tx *sql.Tx, now time.Time, idHash string, officialID int64, mfaPending bool) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ? OR seen_at < ?`,
		formatTime(now), formatTime(now.Add(-SessionIdleMax))); err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, official_id, created_at, seen_at, expires_at, mfa_pending)
		VALUES (?, ?, ?, ?, ?, ?)`, idHash, officialID, formatTime(now), formatTime(now), formatTime(now.Add(SessionMaxAge)), mfaPending); err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// FindSession returns the official of a live session and marks it seen (at most once a
// minute, to keep sign-in checks off the writer). ErrNotFound for an unknown, expired, idle
// or disabled one, and for one still waiting for its second factor.
func (s *Store) FindSession(ctx context.Context, idHash string) (auth.Official, error) {
	now := s.now()
	var seen string
	o, err := scanOfficial(s.r.QueryRowContext(ctx, `SELECT `+officialColumns+`, s.seen_at
		FROM sessions s JOIN officials o ON o.id = s.official_id LEFT JOIN agencies a ON a.id = o.agency_id
		WHERE s.id_hash = ? AND s.expires_at > ? AND s.seen_at > ? AND o.disabled = 0 AND s.mfa_pending = 0`,
		idHash, formatTime(now), formatTime(now.Add(-SessionIdleMax))), &seen)
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

// ChangePassword sets an official's new password hash and ends every session of theirs but
// keepHash (the one that asked, which stays signed in): a password change throws out whoever
// else held a session.
func (s *Store) ChangePassword(ctx context.Context, id int64, hash, keepHash string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `UPDATE officials SET password_hash = ?, password_changed_at = ?, updated_at = ? WHERE id = ?`,
			hash, formatTime(now), formatTime(now), id)
		if err != nil {
			return fmt.Errorf("store: change password: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE official_id = ? AND id_hash != ?`, id, keepHash); err != nil {
			return fmt.Errorf("store: change password: %w", err)
		}
		return nil
	})
}

// The second step of a sign-in with TOTP: a pending session lives PendingSignInMaxAge and
// takes MaxSecondFactorFailures wrong codes.
const (
	PendingSignInMaxAge     = 5 * time.Minute
	MaxSecondFactorFailures = 5
)

// PendingSignIn is a session waiting for its second factor.
type PendingSignIn struct {
	Official auth.Official
	Secret   string // the TOTP secret (base32)
	LastStep int64  // the last TOTP step accepted
}

// FindPendingSignIn returns the pending sign-in of a session, or ErrNotFound (also once it is
// older than PendingSignInMaxAge, or of a disabled official).
func (s *Store) FindPendingSignIn(ctx context.Context, idHash string) (PendingSignIn, error) {
	var p PendingSignIn
	o, err := scanOfficial(s.r.QueryRowContext(ctx, `SELECT `+officialColumns+`, o.totp_secret, o.totp_last_step
		FROM sessions s JOIN officials o ON o.id = s.official_id LEFT JOIN agencies a ON a.id = o.agency_id
		WHERE s.id_hash = ? AND s.mfa_pending = 1 AND s.created_at > ? AND o.disabled = 0 AND o.totp_enabled_at IS NOT NULL`,
		idHash, formatTime(s.now().Add(-PendingSignInMaxAge))), &p.Secret, &p.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return PendingSignIn{}, ErrNotFound
	}
	if err != nil {
		return PendingSignIn{}, fmt.Errorf("store: find pending sign-in: %w", err)
	}
	p.Official = o
	return p, nil
}

// CompleteSecondFactor accepts a TOTP code of step for the pending session pendingHash: the
// step is recorded (a step not after the last one accepted gives ErrNotFound: a code is good
// once) and the pending session is replaced by a signed-in one, newHash.
func (s *Store) CompleteSecondFactor(ctx context.Context, pendingHash, newHash string, officialID, step int64) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `UPDATE officials SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, officialID, step)
		if err != nil {
			return fmt.Errorf("store: second factor: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		r, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ? AND official_id = ? AND mfa_pending = 1`, pendingHash, officialID)
		if err != nil {
			return fmt.Errorf("store: second factor: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return createSession(ctx, tx, now, newHash, officialID, false)
	})
}

// FailSecondFactor counts a wrong code of a pending session; the MaxSecondFactorFailures-th
// ends it (the official must give the password again, which the sign-in limits count).
func (s *Store) FailSecondFactor(ctx context.Context, idHash string) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET mfa_failures = mfa_failures + 1 WHERE id_hash = ? AND mfa_pending = 1`, idHash); err != nil {
			return fmt.Errorf("store: second factor failure: %w", err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ? AND mfa_pending = 1 AND mfa_failures >= ?`, idHash, MaxSecondFactorFailures)
		return err
	})
}

// TOTPState is an official's second factor: its secret, whether it is confirmed (enabled),
// and the last step accepted.
type TOTPState struct {
	Secret   string
	Enabled  bool
	LastStep int64
}

// FindTOTP returns an official's second factor (Secret "" when none was started).
func (s *Store) FindTOTP(ctx context.Context, id int64) (TOTPState, error) {
	var t TOTPState
	var secret sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT totp_secret, totp_enabled_at IS NOT NULL, totp_last_step FROM officials WHERE id = ?`, id).
		Scan(&secret, &t.Enabled, &t.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return TOTPState{}, ErrNotFound
	}
	if err != nil {
		return TOTPState{}, fmt.Errorf("store: find totp: %w", err)
	}
	t.Secret = secret.String
	return t, nil
}

// StartTOTP stores a new secret, not yet enabled: sign-in does not ask for it until
// EnableTOTP confirms that the official's app gives its codes. It replaces any earlier one.
func (s *Store) StartTOTP(ctx context.Context, id int64, secret string) error {
	return s.setTOTP(ctx, id, `totp_secret = ?, totp_enabled_at = NULL, totp_last_step = 0`, secret)
}

// EnableTOTP turns the started second factor on, recording the step of the code that proved
// it (so that code cannot sign in). ErrNotFound when none was started.
func (s *Store) EnableTOTP(ctx context.Context, id, step int64) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `UPDATE officials SET totp_enabled_at = ?, totp_last_step = ?, updated_at = ?
			WHERE id = ? AND totp_secret IS NOT NULL AND totp_enabled_at IS NULL`, formatTime(now), step, formatTime(now), id)
		if err != nil {
			return fmt.Errorf("store: enable totp: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// DisableTOTP removes an official's second factor (their own choice, or an admin's or the
// operator's reset when the phone is lost: docs/security.md, "Recovery").
func (s *Store) DisableTOTP(ctx context.Context, id int64) error {
	return s.setTOTP(ctx, id, `totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = 0`)
}

func (s *Store) setTOTP(ctx context.Context, id int64, set string, args ...any) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `UPDATE officials SET `+set+`, updated_at = ? WHERE id = ?`, append(args, formatTime(now), id)...)
		if err != nil {
			return fmt.Errorf("store: totp: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}
