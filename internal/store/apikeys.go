package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// APIKey is a machine client's credential as stored: its hash, never the key.
type APIKey struct {
	ID        int64
	Name      string
	Prefix    string
	CreatedAt time.Time
	Revoked   bool
}

// CreateAPIKey stores a new key's hash.
func (s *Store) CreateAPIKey(ctx context.Context, name, hash, prefix string) (APIKey, error) {
	k := APIKey{Name: name, Prefix: prefix}
	err := s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		k.CreatedAt = now
		r, err := tx.ExecContext(ctx, `INSERT INTO api_keys (name, prefix, hash, created_at) VALUES (?, ?, ?, ?)`,
			name, prefix, hash, formatTime(now))
		if err != nil {
			return fmt.Errorf("store: create api key: %w", err)
		}
		k.ID, err = r.LastInsertId()
		return err
	})
	return k, err
}

// FindAPIKeyByHash returns the active key with that hash, or ErrNotFound (also for revoked keys).
func (s *Store) FindAPIKeyByHash(ctx context.Context, hash string) (APIKey, error) {
	var k APIKey
	var created string
	err := s.r.QueryRowContext(ctx, `SELECT id, name, prefix, created_at FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hash).
		Scan(&k.ID, &k.Name, &k.Prefix, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, ErrNotFound
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: find api key: %w", err)
	}
	k.CreatedAt, err = parseTime(created)
	return k, err
}

// ListAPIKeys returns every key, newest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	return queryAll(ctx, s.r, "list api keys", `SELECT id, name, prefix, created_at, revoked_at IS NOT NULL FROM api_keys ORDER BY id DESC`, nil,
		func(r scanner) (k APIKey, err error) {
			var created string
			if err := r.Scan(&k.ID, &k.Name, &k.Prefix, &created, &k.Revoked); err != nil {
				return k, err
			}
			k.CreatedAt, err = parseTime(created)
			return k, err
		})
}

// RevokeAPIKey marks a key revoked; ErrNotFound if there is no such active key.
func (s *Store) RevokeAPIKey(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, formatTime(now), id)
		if err != nil {
			return fmt.Errorf("store: revoke api key: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}
