package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"sipas/internal/store"
	"sipas/internal/webhook"
)

const webhookUsage = `webhook add --url URL --events response.created,report.published,refusals.spike [--comments] [--description TEXT] | webhook list  [--db FILE] [--webhook-key-file FILE]`

// webhookKeyFlag is the sealing key of the endpoints' secrets (webhook/seal.go): a file
// beside the database by default, never inside it, so that a copy of the database alone
// cannot sign. Back it up with the database, apart from it.
func webhookKeyFlag(fs *flag.FlagSet) *string {
	return fs.String("webhook-key-file", envOr("SIPAS_WEBHOOK_KEY_FILE", ""),
		"`file` with the key that seals webhook secrets, created (mode 0600) if missing (env SIPAS_WEBHOOK_KEY_FILE; default DB.webhook-key)")
}

// loadSealer reads the sealing key at path (default: beside db), creating it when absent.
func loadSealer(path, db string) (*webhook.Sealer, error) {
	if path == "" {
		path = db + ".webhook-key"
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b = []byte(hex.EncodeToString(webhook.NewKey()) + "\n")
		f, cerr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if cerr != nil {
			return nil, fmt.Errorf("webhook key: %w", cerr)
		}
		_, werr := f.Write(b)
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return nil, fmt.Errorf("webhook key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("webhook key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("webhook key %s: not hex", path)
	}
	return webhook.NewSealer(key)
}

// startWebhooks runs the delivery worker until the returned stop is called, which waits for
// the attempts in flight.
func startWebhooks(ctx context.Context, st *store.Store, sealer *webhook.Sealer, log *slog.Logger) (stop func()) {
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	w := &webhook.Worker{Queue: st, Sealer: sealer, Log: log, Wake: st.WebhookWake()}
	go func() {
		defer close(done)
		w.Run(wctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

func cmdWebhook(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "webhook", webhookUsage)
	db := dbFlag(fs)
	keyFile := webhookKeyFlag(fs)
	u := fs.String("url", "", "the endpoint's `URL` (add)")
	events := fs.String("events", "", "comma-separated event `types` (add): "+strings.Join(webhook.Events, ", "))
	comments := fs.Bool("comments", false, "response.created carries the comment text (add)")
	desc := fs.String("description", "", "who the endpoint is (add)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "add", "list":
	default:
		fs.Usage()
		return usagef("name an action: add or list")
	}
	st, err := openStore(ctx, *db, store.ReadWrite)
	if err != nil {
		return err
	}
	defer st.Close()
	if fs.Arg(0) == "list" {
		return webhookList(ctx, e, st)
	}
	evs, err := webhook.CheckEndpoint(*u, strings.Split(*events, ","))
	if err != nil {
		return usagef("%v", err)
	}
	sealer, err := loadSealer(*keyFile, *db)
	if err != nil {
		return err
	}
	secret := webhook.NewSecret()
	id, err := st.CreateWebhookEndpoint(ctx, store.NewWebhookEndpoint{URL: *u, Description: *desc, Events: evs, WithComments: *comments},
		func(id int64) []byte { return sealer.Seal(id, secret) })
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d %s\n", id, secret) // the secret is shown this once
	return nil
}

func webhookList(ctx context.Context, e env, st *store.Store) error {
	list, err := st.ListWebhookEndpoints(ctx)
	if err != nil {
		return err
	}
	for _, ep := range list {
		state := "enabled"
		if ep.Disabled() {
			state = "disabled: " + ep.DisabledReason
		}
		fmt.Fprintf(e.stdout, "%d\t%s\t%s\tpending=%d\t%s\n", ep.ID, ep.URL, strings.Join(ep.Events, ","), ep.Pending, state)
	}
	return nil
}
