package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/store"
)

const apikeyUsage = `apikey create --name NAME [--issue CODES] [--reports CODES] [--answers CODES] [--metrics] [--expires DAYS|YYYY-MM-DD]
       apikey scope ID [--issue CODES] [--reports CODES] [--answers CODES] [--metrics]
       apikey list | apikey revoke ID  [--db FILE]
  CODES is a comma-separated list of agency codes, or * for every agency.
  create without a scope flag makes a key of scope metrics only.`

// scopeFlags are the flags that say what a key may do (auth.ScopeKinds).
type scopeFlags struct {
	issue, reports, answers *string
	metrics                 *bool
}

func newScopeFlags(fs *flag.FlagSet) scopeFlags {
	return scopeFlags{
		issue:   fs.String("issue", "", "agency `codes` (or *) the key may issue receipts, sticker sheets and minted counts for"),
		reports: fs.String("reports", "", "agency `codes` (or *) whose index reports the key may read"),
		answers: fs.String("answers", "", "agency `codes` (or *) whose raw answers, with comments, the key may read"),
		metrics: fs.Bool("metrics", false, "the key may read /metrics"),
	}
}

// scopes are the flags' scopes; none given is none.
func (f scopeFlags) scopes() (auth.Scopes, error) {
	var words []string
	for kind, codes := range map[auth.ScopeKind]string{auth.ScopeIssue: *f.issue, auth.ScopeReports: *f.reports, auth.ScopeAnswers: *f.answers} {
		for _, code := range strings.Split(codes, ",") {
			if code = strings.TrimSpace(code); code != "" {
				words = append(words, string(kind)+":"+code)
			}
		}
	}
	if *f.metrics {
		words = append(words, string(auth.ScopeMetrics))
	}
	sc, err := auth.ParseScopes(strings.Join(words, " "))
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return sc, nil
}

// parseExpiry reads --expires: a number of days ("90" or "90d") or the last day of validity
// (YYYY-MM-DD, Vietnam time). "" is never.
func parseExpiry(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.Atoi(strings.TrimSuffix(v, "d")); err == nil && n > 0 {
		return now.AddDate(0, 0, n), nil
	}
	day, err := time.ParseInLocation(time.DateOnly, v, calendar.Zone)
	if err != nil || !day.After(now) {
		return time.Time{}, usagef("--expires %q: give a number of days or a future date YYYY-MM-DD", v)
	}
	return day.AddDate(0, 0, 1), nil
}

func cmdAPIKey(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "apikey", apikeyUsage)
	db := dbFlag(fs)
	name := fs.String("name", "", "who the key is for, e.g. \"one-stop software, Sở Tư pháp\" (create)")
	expires := fs.String("expires", "", "`DAYS` of validity, or the last day YYYY-MM-DD (create; default: never)")
	sf := newScopeFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usagef("name an action: create, scope, list or revoke")
	}
	run, err := apikeyAction(fs, sf, strings.TrimSpace(*name), *expires)
	if err != nil {
		return err
	}
	access := store.ReadWrite
	if fs.Arg(0) == "list" {
		access = store.ReadOnly
	}
	st, err := openStore(ctx, *db, access)
	if err != nil {
		return err
	}
	defer st.Close()
	return run(ctx, e, st)
}

// apikeyAction checks the action's arguments before the database is opened.
func apikeyAction(fs *flag.FlagSet, sf scopeFlags, name, expires string) (func(context.Context, env, *store.Store) error, error) {
	scopes, err := sf.scopes()
	if err != nil {
		return nil, err
	}
	switch action := fs.Arg(0); action {
	case "create":
		if name == "" {
			return nil, usagef("apikey create needs --name")
		}
		until, err := parseExpiry(expires, time.Now())
		if err != nil {
			return nil, err
		}
		if len(scopes) == 0 {
			scopes = auth.Scopes{{Kind: auth.ScopeMetrics}}
		}
		n := store.NewAPIKey{Name: name, Scopes: scopes, ExpiresAt: until}
		return func(ctx context.Context, e env, st *store.Store) error { return apikeyCreate(ctx, e, st, n) }, nil
	case "list":
		return apikeyList, nil
	case "scope", "revoke":
		if fs.NArg() != 2 {
			return nil, usagef("apikey %s takes the key's ID (see apikey list)", action)
		}
		id, err := strconv.ParseInt(fs.Arg(1), 10, 64)
		if err != nil {
			return nil, usagef("apikey %s: %q is not a key ID", action, fs.Arg(1))
		}
		if action == "revoke" {
			return func(ctx context.Context, e env, st *store.Store) error { return apikeyRevoke(ctx, e, st, id) }, nil
		}
		if len(scopes) == 0 {
			return nil, usagef("apikey scope needs at least one of --issue, --reports, --answers, --metrics")
		}
		return func(ctx context.Context, e env, st *store.Store) error { return apikeyScope(ctx, e, st, id, scopes) }, nil
	default:
		return nil, usagef("unknown apikey action %q: choose create, scope, list or revoke", action)
	}
}

// apikeyCreate prints a new key, once.
func apikeyCreate(ctx context.Context, e env, st *store.Store, n store.NewAPIKey) error {
	if err := knownAgencies(ctx, st, n.Scopes); err != nil {
		return err
	}
	key, hash, prefix := auth.NewAPIKey()
	n.Hash, n.Prefix = hash, prefix
	k, err := st.CreateAPIKey(ctx, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "created API key %d (%s) for %q, scopes %s, expires %s; it is shown only now, store it safely:\n",
		k.ID, prefix, k.Name, k.Scopes, expiry(k.ExpiresAt))
	fmt.Fprintln(e.stdout, key)
	return st.Audit(ctx, "cli", "apikey.create", fmt.Sprintf("key %d (%s) %s scopes=%s", k.ID, prefix, k.Name, k.Scopes))
}

// knownAgencies refuses scopes that name an agency the database does not have (a typo would
// make a key that can do nothing).
func knownAgencies(ctx context.Context, st *store.Store, scopes auth.Scopes) error {
	for _, sc := range scopes {
		if sc.Agency == "" || sc.Agency == auth.AllAgencies {
			continue
		}
		if _, err := st.FindAgencyByCode(ctx, sc.Agency); err != nil {
			return fmt.Errorf("scope %s: agency %q: %w", sc, sc.Agency, err)
		}
	}
	return nil
}

func expiry(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(calendar.Zone).Format("2006-01-02 15:04")
}

// apikeyList prints every key: id, prefix, status, creation date, scopes, expiry, last use, name.
func apikeyList(ctx context.Context, e env, st *store.Store) error {
	keys, err := st.ListAPIKeys(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, k := range keys {
		status := "active"
		if k.Revoked {
			status = "revoked"
		} else if k.Expired(now) {
			status = "expired"
		}
		used := "never"
		if !k.LastUsedAt.IsZero() {
			used = k.LastUsedAt.In(calendar.Zone).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(e.stdout, "%d\t%s…\t%s\t%s\tscopes=%s\texpires=%s\tused=%s\t%s\n", k.ID, k.Prefix, status,
			k.CreatedAt.Format("2006-01-02"), strings.ReplaceAll(k.Scopes.String(), " ", ","), expiry(k.ExpiresAt), used, k.Name)
	}
	return nil
}

// apikeyScope replaces the scopes of key id.
func apikeyScope(ctx context.Context, e env, st *store.Store, id int64, scopes auth.Scopes) error {
	if err := knownAgencies(ctx, st, scopes); err != nil {
		return err
	}
	if err := st.SetAPIKeyScopes(ctx, id, scopes); err != nil {
		return fmt.Errorf("apikey scope %d: %w", id, err)
	}
	fmt.Fprintf(e.stdout, "API key %d now has scopes %s\n", id, scopes)
	return st.Audit(ctx, "cli", "apikey.scope", fmt.Sprintf("key %d scopes=%s", id, scopes))
}

// apikeyRevoke revokes key id.
func apikeyRevoke(ctx context.Context, e env, st *store.Store, id int64) error {
	if err := st.RevokeAPIKey(ctx, id); err != nil {
		return fmt.Errorf("apikey revoke %d: %w", id, err)
	}
	fmt.Fprintf(e.stdout, "revoked API key %d\n", id)
	return nil
}
