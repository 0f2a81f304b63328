package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"sipas/assets"
	"sipas/internal/store"
	"sipas/internal/web"
)

// serveConfig is the validated configuration of `sipas serve` (and `sipas demo`).
type serveConfig struct {
	Addr      string
	BaseURL   string
	DB        string
	Surveys   string
	LogFormat string
}

func (c serveConfig) String() string {
	return fmt.Sprintf("addr=%s base_url=%s db=%s surveys=%s", c.Addr, c.BaseURL, c.DB, orEmbedded(c.Surveys))
}

func orEmbedded(dir string) string {
	if dir == "" {
		return "(embedded)"
	}
	return dir
}

// serveFlags are the flags `serve` and `demo` share.
type serveFlags struct {
	addr, baseURL, logFormat, surveys, db *string
}

func addServeFlags(fs *flag.FlagSet, db *string) *serveFlags {
	return &serveFlags{
		addr:      fs.String("addr", envOr("SIPAS_ADDR", "127.0.0.1:8080"), "listen `address` (env SIPAS_ADDR)"),
		baseURL:   fs.String("base-url", envOr("SIPAS_BASE_URL", ""), "public `URL` printed in QR codes, e.g. https://sipas.example.gov.vn (env SIPAS_BASE_URL; default http://ADDR)"),
		logFormat: fs.String("log-format", envOr("SIPAS_LOG_FORMAT", "text"), "log `format`: text or json (env SIPAS_LOG_FORMAT)"),
		surveys:   surveysFlag(fs),
		db:        db,
	}
}

// config validates the flags as a whole before anything is opened.
func (f *serveFlags) config() (serveConfig, error) {
	c := serveConfig{Addr: *f.addr, BaseURL: strings.TrimRight(*f.baseURL, "/"), DB: *f.db, Surveys: *f.surveys, LogFormat: *f.logFormat}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, usagef("--addr %q: %v", c.Addr, err)
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	if !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		return c, usagef("--base-url %q must start with http:// or https://", c.BaseURL)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, usagef("--log-format must be text or json, not %q", c.LogFormat)
	}
	return c, nil
}

func cmdServe(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "serve", "serve [--addr 127.0.0.1:8080] [--base-url URL] [--db FILE]")
	f := addServeFlags(fs, dbFlag(fs))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	log, err := newLogger(e.stderr, cfg.LogFormat)
	if err != nil {
		return err
	}
	return runServer(ctx, cfg, log, nil)
}

// runServer opens the store, builds the web server and serves until ctx ends, then drains
// in-flight requests for up to 10 s and closes the database after HTTP has stopped. When ready
// is not nil it receives the listening address (tests listen on :0).
func runServer(ctx context.Context, cfg serveConfig, log *slog.Logger, ready chan<- string) error {
	cat, err := loadSurveys(cfg.Surveys)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DB, store.Options{Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	if cat, err = withUploads(ctx, st, cat); err != nil {
		return err
	}
	srv, err := web.New(web.Config{BaseURL: cfg.BaseURL, Assets: assets.FS, Surveys: cat, Logger: log}, st)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second, // slowloris: a client has 5 s to send its headers
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      10 * time.Minute, // large exports stream for minutes
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("serving", "addr", ln.Addr().String(), "config", cfg.String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	return nil
}
