package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/receipt"
	"sipas/internal/store"
)

const tokenUsage = `token secret create --agency CODE     a new signing secret: prints its ID and hex key, once
       token secret rotate --agency CODE     the same, for an agency that has one (the old stays valid until revoked)
       token secret revoke ID                tokens of that secret are refused from now on
       token secret list                     every secret, without keys
       token mint --secret-id ID [--date YYYY-MM-DD] --serial N [--count K] [--base-url URL]
                                             mint signed tokens offline, as one-stop software does
                                             (key from --key HEX or env SIPAS_TOKEN_KEY; no database)
       [--db FILE]`

func cmdToken(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "token", tokenUsage)
	db := dbFlag(fs)
	agency := fs.String("agency", "", "agency `code` (secret create, rotate)")
	secretID := fs.Uint64("secret-id", 0, "the secret's `ID` (mint)")
	// Not defaulted from the environment like other flags: -h prints defaults, and this is a key.
	keyHex := fs.String("key", "", "the secret's key in `hex` (mint); better in env SIPAS_TOKEN_KEY, which keeps it out of ps")
	date := fs.String("date", "", "minting `day` YYYY-MM-DD in Asia/Ho_Chi_Minh (mint; default today)")
	serial := fs.Int64("serial", -1, "first serial `N`, unique per secret and day (mint)")
	count := fs.Int("count", 1, "how many consecutive serials to mint (mint)")
	baseURL := fs.String("base-url", envOr("SIPAS_BASE_URL", ""), "print survey URLs under this public `URL` too (mint)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 1 && fs.Arg(0) == "mint":
		if *keyHex == "" {
			*keyHex = os.Getenv("SIPAS_TOKEN_KEY")
		}
		return tokenMint(e, *secretID, *keyHex, *date, *serial, *count, *baseURL)
	case fs.NArg() >= 2 && fs.Arg(0) == "secret":
	default:
		fs.Usage()
		return usagef("name an action: secret create|rotate|revoke|list, or mint")
	}
	action, revokeID, err := secretAction(fs, *agency)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, *db, tokenAccess(action))
	if err != nil {
		return err
	}
	defer st.Close()
	switch action {
	case "create", "rotate":
		return tokenSecretCreate(ctx, e, st, strings.TrimSpace(*agency), action == "rotate")
	case "revoke":
		return tokenSecretRevoke(ctx, e, st, revokeID)
	}
	return tokenSecretList(ctx, e, st)
}

// secretAction checks the arguments of `token secret ACTION`: the action, and for revoke the
// secret's ID.
func secretAction(fs *flag.FlagSet, agency string) (string, uint64, error) {
	action := fs.Arg(1)
	switch action {
	case "create", "rotate":
		if fs.NArg() != 2 || strings.TrimSpace(agency) == "" {
			return "", 0, usagef("token secret %s needs --agency CODE", action)
		}
	case "revoke":
		if fs.NArg() != 3 {
			return "", 0, usagef("token secret revoke takes the secret's ID (see token secret list)")
		}
		id, err := strconv.ParseUint(fs.Arg(2), 10, 24)
		if err != nil || id == 0 {
			return "", 0, usagef("token secret revoke: %q is not a secret ID", fs.Arg(2))
		}
		return action, id, nil
	case "list":
		if fs.NArg() != 2 {
			return "", 0, usagef("token secret list takes no argument")
		}
	default:
		return "", 0, usagef("unknown token secret action %q: choose create, rotate, revoke or list", action)
	}
	return action, 0, nil
}

// tokenSecretRevoke revokes a secret: its tokens are refused from now on.
func tokenSecretRevoke(ctx context.Context, e env, st *store.Store, id uint64) error {
	if err := st.RevokeTokenSecret(ctx, uint32(id)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("token secret revoke %d: no such active secret", id)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "revoked token secret %d\n", id)
	return st.Audit(ctx, "cli", "token_secret.revoke", fmt.Sprintf("secret %d", id))
}

// tokenSecretList prints every secret: id, agency, creation day, status, tokens opened.
func tokenSecretList(ctx context.Context, e env, st *store.Store) error {
	list, err := st.ListTokenSecrets(ctx)
	if err != nil {
		return err
	}
	for _, t := range list {
		status := "active"
		if t.Revoked {
			status = "revoked " + calendar.Day(t.RevokedAt)
		}
		fmt.Fprintf(e.stdout, "%d\t%s\t%s\t%s\t%d opened\n", t.ID, t.AgencyCode, calendar.Day(t.CreatedAt), status, t.Scanned)
	}
	return nil
}

// tokenSecretCreate makes a secret and prints "ID HEXKEY" on stdout, the one time the key is
// shown; what to do with it goes to stderr.
func tokenSecretCreate(ctx context.Context, e env, st *store.Store, agency string, rotate bool) error {
	list, err := st.ListTokenSecrets(ctx)
	if err != nil {
		return err
	}
	var active []string
	for _, t := range list {
		if t.AgencyCode == agency && !t.Revoked {
			active = append(active, strconv.FormatUint(uint64(t.ID), 10))
		}
	}
	if rotate && len(active) == 0 {
		return fmt.Errorf("token secret rotate: agency %s has no active secret; use token secret create", agency)
	}
	key, err := receipt.NewSecretKey()
	if err != nil {
		return err
	}
	sec, err := st.CreateTokenSecret(ctx, agency, key)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("token secret: agency %q is not known (import it first)", agency)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "created token secret %d for %s; its key is shown only now, give it to the agency's software and store it safely:\n", sec.ID, agency)
	fmt.Fprintf(e.stdout, "%d %s\n", sec.ID, hex.EncodeToString(key))
	if len(active) > 0 {
		fmt.Fprintf(e.stderr, "secret(s) %s of %s stay valid until revoked: sipas token secret revoke ID\n", strings.Join(active, ", "), agency)
	}
	action := "token_secret.create"
	if rotate {
		action = "token_secret.rotate"
	}
	return st.Audit(ctx, "cli", action, fmt.Sprintf("secret %d for %s (other active: %s)", sec.ID, agency, strings.Join(active, ", ")))
}

// tokenMint is the reference minting of docs/tokens.md §5, as one-stop software does it: no
// database, only the secret's ID and key. It prints "TOKEN SHORT-CODE [URL]" per serial.
func tokenMint(e env, rawID uint64, keyHex, date string, serial int64, count int, baseURL string) error {
	if rawID == 0 || rawID > receipt.MaxSecretID {
		return usagef("token mint needs --secret-id from 1 to %d", receipt.MaxSecretID)
	}
	key, err := hex.DecodeString(strings.TrimSpace(keyHex))
	if err != nil || len(key) < receipt.MinKeyLen {
		return usagef("token mint needs the secret's key in hex, at least %d bytes (--key or env SIPAS_TOKEN_KEY)", receipt.MinKeyLen)
	}
	day := time.Now().In(calendar.Zone)
	if date != "" {
		if day, err = time.ParseInLocation(time.DateOnly, date, calendar.Zone); err != nil {
			return usagef("--date %q must be YYYY-MM-DD", date)
		}
	}
	if serial < 0 || count < 1 || serial+int64(count)-1 > receipt.MaxSerial {
		return usagef("token mint needs --serial N and --count K with N ≥ 0, K ≥ 1 and N+K-1 ≤ %d", receipt.MaxSerial)
	}
	if baseURL != "" {
		if _, err := receipt.SurveyURL(baseURL, "0000000000000000"); err != nil {
			return usagef("--base-url: %v", err)
		}
	}
	for i := range count {
		tok, err := receipt.Mint(receipt.Secret{ID: uint32(rawID), Key: key}, day, uint32(serial)+uint32(i))
		if err != nil {
			return err
		}
		line := string(tok) + " " + tok.ShortCode()
		if baseURL != "" {
			u, err := receipt.SurveyURL(baseURL, tok)
			if err != nil {
				return err
			}
			line += " " + u
		}
		fmt.Fprintln(e.stdout, line)
	}
	return nil
}

// tokenAccess is how secret actions open the database: list only reads.
func tokenAccess(action string) store.Access {
	if action == "list" {
		return store.ReadOnly
	}
	return store.ReadWrite
}
