package store_test

import (
	"errors"
	"strings"
	"testing"

	"sipas/internal/auth"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

func TestAPIKeys(t *testing.T) {
	s := storetest.Open(t)
	ctx := t.Context()
	key, id := storetest.MustCreateAPIKeyID(t, s)

	k, err := s.FindAPIKeyByHash(ctx, auth.HashSecret(key))
	if err != nil {
		t.Fatalf("FindAPIKeyByHash of a new key: %v", err)
	}
	if got, want := k.ID, id; got != want {
		t.Errorf("key id = %d, want %d", got, want)
	}
	if _, err := s.FindAPIKeyByHash(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FindAPIKeyByHash(plain key): err = %v, want ErrNotFound", err)
	}
	vals, err := s.QueryStrings(ctx, `SELECT name || prefix || hash FROM api_keys`)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals {
		if strings.Contains(v, key) {
			t.Error("api_keys holds the plain key")
		}
	}

	if err := s.RevokeAPIKey(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindAPIKeyByHash(ctx, auth.HashSecret(key)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FindAPIKeyByHash of a revoked key: err = %v, want ErrNotFound", err)
	}
	if err := s.RevokeAPIKey(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeAPIKey twice: err = %v, want ErrNotFound", err)
	}
	list, err := s.ListAPIKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || !list[0].Revoked {
		t.Errorf("ListAPIKeys = %+v, want one revoked key", list)
	}
}
