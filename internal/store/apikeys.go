package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sipas/internal/auth"
)

// APIKey is a machine client's credential as stored: its hash, never the key.
type APIKey struct {
	ID         int64
	Name       string
	Prefix     string
	Scopes     auth.Scopes // what the key may do; none: nothing
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time // zero: never used (recorded at most once a minute)
	Revoked    bool
}

// Expired reports whether the key has expired at now.
func (k APIKey) Expired(now time.Time) bool { return !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) }

// NewAPIKey is what creating a key needs.
type NewAPIKey struct {
	Name, Hash, Prefix string
	Scopes             auth.Scopes
	ExpiresAt          time.Time // zero: never
}

// keyUseEvery is how often a key's last use is written: a busy key costs one write a minute,
// not one a request.
const keyUseEvery = time.Minute

const apiKeyColumns = `id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at IS NOT NULL`

func scanAPIKey(r scanner) (APIKey, error) {
	var k APIKey
	var scopes, created string
	var expires, used sql.NullString
	if err := r.Scan(&k.ID, &k.Name, &k.Prefix, &scopes, &created, &expires, &used, &k.Revoked); err != nil {
		return APIKey{}, err
	}
	var err error
	if k.Scopes, err = auth.ParseScopes(scopes); err != nil {
		return APIKey{}, fmt.Errorf("store: api key %d: %w", k.ID, err)
	}
	if k.CreatedAt, err = parseTime(created); err != nil {
		return APIKey{}, err
	}
	for _, f := range []struct {
		s   sql.NullString
		dst *time.Time
	}{{expires, &k.ExpiresAt}, {used, &k.LastUsedAt}} {
		if f.s.Valid {
			if *f.dst, err = parseTime(f.s.String); err != nil {
				return APIKey{}, err
			}
		}
	}
	return k, nil
}

func nullTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(t), Valid: true}
}

// CreateAPIKey stores a new key's hash, scopes and expiry.
func (s *Store) CreateAPIKey(ctx context.Context, n NewAPIKey) (APIKey, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `INSERT INTO api_keys (name, prefix, hash, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			n.Name, n.Prefix, n.Hash, n.Scopes.String(), formatTime(now), nullTime(n.ExpiresAt))
		if err != nil {
			return fmt.Errorf("store: create api key: %w", err)
		}
		id, err = r.LastInsertId()
		return err
	})
	if err != nil {
		return APIKey{}, err
	}
	return s.FindAPIKey(ctx, id)
}

// FindAPIKey returns a key by id, revoked or not, or ErrNotFound.
func (s *Store) FindAPIKey(ctx context.Context, id int64) (APIKey, error) {
	k, err := scanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, ErrNotFound
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: find api key: %w", err)
	}
	return k, nil
}

// FindAPIKeyByHash returns the active key with that hash and records its use (at most once a
// minute), or ErrNotFound: also for a revoked or expired key.
func (s *Store) FindAPIKeyByHash(ctx context.Context, hash string) (APIKey, error) {
	now := s.now()
	k, err := scanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys
		WHERE hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`, hash, formatTime(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, ErrNotFound
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: find api key: %w", err)
	}
	if now.Sub(k.LastUsedAt) >= keyUseEvery {
		if err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
			_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, formatTime(now), k.ID)
			return err
		}); err != nil {
			return APIKey{}, fmt.Errorf("store: api key use: %w", err)
		}
		k.LastUsedAt = now
	}
	return k, nil
}

// ListAPIKeys returns every key, newest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	return queryAll(ctx, s.r, "list api keys", `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY id DESC`, nil, scanAPIKey)
}

// SetAPIKeyScopes replaces an active key's scopes; ErrNotFound if there is no such key.
func (s *Store) SetAPIKeyScopes(ctx context.Context, id int64, scopes auth.Scopes) error {
	return s.updateActiveKey(ctx, id, "set api key scopes", `scopes = ?`, scopes.String())
}

// RevokeAPIKey marks a key revoked; ErrNotFound if there is no such active key.
func (s *Store) RevokeAPIKey(ctx context.Context, id int64) error {
	return s.updateActiveKey(ctx, id, "revoke api key", `revoked_at = ?`, formatTime(s.now()))
}

func (s *Store) updateActiveKey(ctx context.Context, id int64, what, set string, arg any) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `UPDATE api_keys SET `+set+` WHERE id = ? AND revoked_at IS NULL`, arg, id)
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}
