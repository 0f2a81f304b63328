package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"sipas/internal/auth"
	"sipas/internal/store"
)

const apikeyUsage = `apikey create --name NAME | apikey list | apikey revoke ID  [--db FILE]`

func cmdAPIKey(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "apikey", apikeyUsage)
	db := dbFlag(fs)
	name := fs.String("name", "", "who the key is for, e.g. \"one-stop software, Sở Tư pháp\" (create)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usagef("name an action: create, list or revoke")
	}
	var run func(context.Context, env, *store.Store) error
	access := store.ReadWrite
	switch action := fs.Arg(0); action {
	case "create":
		if strings.TrimSpace(*name) == "" {
			return usagef("apikey create needs --name")
		}
		run = func(ctx context.Context, e env, st *store.Store) error {
			return apikeyCreate(ctx, e, st, strings.TrimSpace(*name))
		}
	case "list":
		run, access = apikeyList, store.ReadOnly
	case "revoke":
		if fs.NArg() != 2 {
			return usagef("apikey revoke takes the key's ID (see apikey list)")
		}
		id, err := strconv.ParseInt(fs.Arg(1), 10, 64)
		if err != nil {
			return usagef("apikey revoke: %q is not a key ID", fs.Arg(1))
		}
		run = func(ctx context.Context, e env, st *store.Store) error { return apikeyRevoke(ctx, e, st, id) }
	default:
		return usagef("unknown apikey action %q: choose create, list or revoke", action)
	}
	st, err := openStore(ctx, *db, access)
	if err != nil {
		return err
	}
	defer st.Close()
	return run(ctx, e, st)
}

// apikeyCreate prints a new key, once.
func apikeyCreate(ctx context.Context, e env, st *store.Store, name string) error {
	key, hash, prefix := auth.NewAPIKey()
	k, err := st.CreateAPIKey(ctx, name, hash, prefix)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "created API key %d (%s) for %q; it is shown only now, store it safely:\n", k.ID, prefix, k.Name)
	fmt.Fprintln(e.stdout, key)
	return nil
}

// apikeyList prints every key: id, prefix, status, creation date, name.
func apikeyList(ctx context.Context, e env, st *store.Store) error {
	keys, err := st.ListAPIKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		status := "active"
		if k.Revoked {
			status = "revoked"
		}
		fmt.Fprintf(e.stdout, "%d\t%s…\t%s\t%s\t%s\n", k.ID, k.Prefix, status, k.CreatedAt.Format("2006-01-02"), k.Name)
	}
	return nil
}

// apikeyRevoke revokes key id.
func apikeyRevoke(ctx context.Context, e env, st *store.Store, id int64) error {
	if err := st.RevokeAPIKey(ctx, id); err != nil {
		return fmt.Errorf("apikey revoke %d: %w", id, err)
	}
	fmt.Fprintf(e.stdout, "revoked API key %d\n", id)
	return nil
}
