package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"sipas/assets"
	"sipas/internal/store"
	"sipas/internal/survey"
	"sipas/internal/web"
	"sipas/internal/webhook"
)

// serveConfig is the validated configuration of `sipas serve` (and `sipas demo`).
type serveConfig struct {
	Addr      string
	BaseURL   string
	DB        string
	Surveys   string
	LogFormat string
	// AddressRefusals and KioskRefusals are the refused citizen attempts one client address
	// and one kiosk may make at once and an hour (web.RefusalLimit).
	AddressRefusals, KioskRefusals int
	// UploadLimit is the largest data file the data pages take, in MiB.
	UploadLimit int
	// SubmitRateSet is whether the retired --submit-rate was given (serve warns).
	SubmitRateSet bool
	// TrustedProxies are the proxies whose X-Forwarded-For gives the client address.
	TrustedProxies []*net.IPNet
	// RetentionMonths blanks comments older than that many months; 0 keeps them.
	RetentionMonths int
	// TokenValidityDays is how many days after its minting day a signed token is good.
	TokenValidityDays int
	// Checkpoints is who checkpoints the WAL: checkpointsSQLite or checkpointsExternal.
	Checkpoints string
	// WebhookKeyFile holds the key that seals webhook secrets ("": DB.webhook-key).
	WebhookKeyFile string
	// RefusalSpike is the refused attempts in one hour that send refusals.spike (0: never).
	RefusalSpike int64
	// Init allows a missing or empty database file: the service then creates a new database.
	// Without it, serve refuses, so that a mistyped --db or a lost file is not taken for a new
	// service with no receipts, keys or officials.
	Init bool
	// Migrate applies pending migrations at start, after a backup beside the database.
	Migrate bool
}

func (c serveConfig) String() string {
	proxies := make([]string, len(c.TrustedProxies))
	for i, n := range c.TrustedProxies {
		proxies[i] = n.String()
	}
	return fmt.Sprintf("addr=%s base_url=%s db=%s surveys=%s refusal_limit=%d kiosk_refusal_limit=%d upload_limit=%dMiB trusted_proxies=%s retention_months=%d token_validity_days=%d checkpoints=%s refusal_spike=%d/h init=%t migrate=%t",
		c.Addr, c.BaseURL, c.DB, orEmbedded(c.Surveys), c.AddressRefusals, c.KioskRefusals, c.UploadLimit,
		strings.Join(proxies, ","), c.RetentionMonths, c.TokenValidityDays, c.Checkpoints, c.RefusalSpike, c.Init, c.Migrate)
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
	refusals, kioskRefusals, uploadLimit  *int
	submitRate, retentionMonths           *int
	tokenValidityDays                     *int
	trustedProxies                        *string
	checkpoints                           *string
	webhookKeyFile                        *string
	refusalSpike                          *int
}

func addServeFlags(fs *flag.FlagSet, db *string) *serveFlags {
	return &serveFlags{
		addr:      fs.String("addr", envOr("SIPAS_ADDR", "127.0.0.1:8080"), "listen `address` (env SIPAS_ADDR)"),
		baseURL:   fs.String("base-url", envOr("SIPAS_BASE_URL", ""), "public `URL` printed in QR codes, e.g. https://sipas.example.gov.vn (env SIPAS_BASE_URL; default http://ADDR)"),
		logFormat: fs.String("log-format", envOr("SIPAS_LOG_FORMAT", "text"), "log `format`: text or json (env SIPAS_LOG_FORMAT)"),
		surveys:   surveysFlag(fs),
		db:        db,
		refusals: fs.Int("refusal-limit", envInt("SIPAS_REFUSAL_LIMIT", web.DefaultAddressRefusals.Burst),
			"refused citizen attempts (unknown or used codes, invalid forms) one client address may make at once and `N` an hour; valid answers are never limited (env SIPAS_REFUSAL_LIMIT)"),
		kioskRefusals: fs.Int("kiosk-refusal-limit", envInt("SIPAS_KIOSK_REFUSAL_LIMIT", web.DefaultKioskRefusals.Burst),
			"refused codes one kiosk may take at once, and three times `N` an hour (env SIPAS_KIOSK_REFUSAL_LIMIT)"),
		uploadLimit: fs.Int("upload-limit", envInt("SIPAS_UPLOAD_LIMIT", web.DefaultUploadLimit>>20),
			"largest CSV file the data pages take, in `MiB` (env SIPAS_UPLOAD_LIMIT)"),
		submitRate: fs.Int("submit-rate", envInt("SIPAS_SUBMIT_RATE", -1),
			"no longer used: answers are not rate-limited, refusals are (--refusal-limit); accepted so that old configurations start (env SIPAS_SUBMIT_RATE)"),
		trustedProxies: fs.String("trusted-proxies", envOr("SIPAS_TRUSTED_PROXIES", ""),
			"comma-separated `CIDRs` of reverse proxies whose X-Forwarded-For names the client, e.g. 127.0.0.1/32 (env SIPAS_TRUSTED_PROXIES); none: the TCP peer is the client"),
		retentionMonths: fs.Int("retention-months", envInt("SIPAS_RETENTION_MONTHS", 0),
			"blank free-text comments older than `N` months, keeping the answers (checked at start and daily); 0 = keep (env SIPAS_RETENTION_MONTHS)"),
		tokenValidityDays: fs.Int("token-validity-days", envInt("SIPAS_TOKEN_VALIDITY_DAYS", store.DefaultTokenValidityDays),
			"a signed (offline-minted) token may be opened until `N` days after its minting day (env SIPAS_TOKEN_VALIDITY_DAYS)"),
		checkpoints:    checkpointsFlag(fs),
		webhookKeyFile: webhookKeyFlag(fs),
		refusalSpike: fs.Int("refusal-spike", envInt("SIPAS_REFUSAL_SPIKE", store.DefaultRefusalSpike),
			"refused citizen attempts in one clock hour that send the refusals.spike webhook; 0 = never (env SIPAS_REFUSAL_SPIKE)"),
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
	c.AddressRefusals, c.KioskRefusals, c.UploadLimit = *f.refusals, *f.kioskRefusals, *f.uploadLimit
	if c.AddressRefusals < 1 || c.KioskRefusals < 1 {
		return c, usagef("--refusal-limit and --kiosk-refusal-limit must be at least 1, not %d and %d", c.AddressRefusals, c.KioskRefusals)
	}
	if c.UploadLimit < 1 || c.UploadLimit > 4096 {
		return c, usagef("--upload-limit must be from 1 to 4096 MiB, not %d", c.UploadLimit)
	}
	c.SubmitRateSet = *f.submitRate >= 0
	if c.RetentionMonths = *f.retentionMonths; c.RetentionMonths < 0 {
		return c, usagef("--retention-months must be 0 (keep) or a positive number of months, not %d", c.RetentionMonths)
	}
	if c.TokenValidityDays = *f.tokenValidityDays; c.TokenValidityDays < 1 || c.TokenValidityDays > 3650 {
		return c, usagef("--token-validity-days must be from 1 to 3650, not %d", c.TokenValidityDays)
	}
	c.Checkpoints = *f.checkpoints
	c.WebhookKeyFile = *f.webhookKeyFile
	if c.RefusalSpike = int64(*f.refusalSpike); c.RefusalSpike < 0 {
		return c, usagef("--refusal-spike must be 0 (never) or a positive number an hour, not %d", c.RefusalSpike)
	}
	if err := checkCheckpoints(c.Checkpoints); err != nil {
		return c, err
	}
	var err error
	if c.TrustedProxies, err = parseCIDRs(*f.trustedProxies); err != nil {
		return c, usagef("--trusted-proxies: %v", err)
	}
	return c, nil
}

const serveUsage = `serve [--addr 127.0.0.1:8080] [--base-url URL] [--db FILE] [--init] [--migrate]

Runs the web service on the database FILE, which must exist: --init lets it create a new
database in a missing or empty file (the first start only), --migrate apply the migrations an
upgraded sipas brings, after a backup beside the database (or run sipas migrate first).`

func cmdServe(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "serve", serveUsage)
	initDB := fs.Bool("init", envOr("SIPAS_INIT", "") == "1", "create a new database if the --db file is missing or empty (first start only; env SIPAS_INIT=1)")
	migrate := fs.Bool("migrate", envOr("SIPAS_MIGRATE", "") == "1", "apply pending migrations at start, after a backup beside the database (env SIPAS_MIGRATE=1)")
	cfg, log, err := parseServe(e, fs, dbFlag(fs), args)
	if err != nil {
		return err
	}
	cfg.Init, cfg.Migrate = *initDB, *migrate
	return runServer(ctx, cfg, log, nil)
}

// parseServe parses the flags `serve` and `demo` share, with db the database flag, and builds
// the logger the configuration asks for.
func parseServe(e env, fs *flag.FlagSet, db *string, args []string) (serveConfig, *slog.Logger, error) {
	f := addServeFlags(fs, db)
	if err := parseFlags(fs, args); err != nil {
		return serveConfig{}, nil, err
	}
	cfg, err := f.config()
	if err != nil {
		return cfg, nil, err
	}
	log, err := newLogger(e.stderr, cfg.LogFormat)
	return cfg, log, err
}

// startRetention runs the retention loop (retention.go) until the returned stop is called,
// which waits for it to end.
func startRetention(ctx context.Context, st *store.Store, months int, log *slog.Logger) (stop func()) {
	retained := make(chan struct{})
	rctx, cancel := context.WithCancel(ctx)
	go func() {
		defer close(retained)
		if months > 0 {
			retainComments(rctx, st, months, log)
		}
	}()
	return func() {
		cancel()
		<-retained
	}
}

// runServer opens the store, builds the web server and serves until ctx ends, then drains
// in-flight requests for up to 10 s and closes the database after HTTP has stopped. When ready
// is not nil it receives the listening address (tests listen on :0).
func runServer(ctx context.Context, cfg serveConfig, log *slog.Logger, ready chan<- string) error {
	cat, err := loadSurveys(cfg.Surveys)
	if err != nil {
		return err
	}
	st, sealer, err := openServeStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if cat, err = servedSurveys(ctx, st, cat); err != nil {
		return err
	}
	if cfg.SubmitRateSet {
		log.Warn("--submit-rate (SIPAS_SUBMIT_RATE) is no longer used: valid answers are never rate-limited; refused attempts are, by --refusal-limit")
	}
	tmp, err := serviceTempDir(cfg.DB)
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{BaseURL: cfg.BaseURL, Assets: assets.FS, Surveys: cat, Logger: log, TempDir: tmp,
		AddressRefusals: web.RefusalLimit{Burst: cfg.AddressRefusals, PerHour: cfg.AddressRefusals},
		KioskRefusals:   web.RefusalLimit{Burst: cfg.KioskRefusals, PerHour: 3 * cfg.KioskRefusals},
		UploadLimit:     int64(cfg.UploadLimit) << 20,
		TrustedProxies:  cfg.TrustedProxies, TokenValidityDays: cfg.TokenValidityDays, Webhooks: sealer}, st)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	hs := httpServer(srv, log)
	log.Info("serving", "addr", ln.Addr().String(), "config", cfg.String())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	// The retention loop (retention.go) and the integrity check end before the store closes:
	// defers run last first.
	defer checkIntegrity(ctx, st, log)()
	defer startRetention(ctx, st, cfg.RetentionMonths, log)()
	// The webhook worker too: its attempts in flight are recorded before the store closes.
	defer startWebhooks(ctx, st, sealer, log)()
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

// servedSurveys is the catalogue with the questionnaires uploaded to the database, each with
// its summaries counted: those that do not count for a questionnaire's design (a database from
// before them, a new questionnaire version) are counted now rather than at the first report.
func servedSurveys(ctx context.Context, st *store.Store, cat survey.Catalog) (survey.Catalog, error) {
	cat, err := withUploads(ctx, st, cat)
	if err != nil {
		return nil, err
	}
	return cat, st.EnsureSummaries(ctx, slices.Collect(maps.Values(cat))...)
}

// httpServer is the HTTP server of h, with the timeouts that protect it.
func httpServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second, // slowloris: a client has 5 s to send its headers
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      10 * time.Minute, // large exports stream for minutes
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// openServeStore opens the database as serve uses it, and the sealing key of its webhook
// secrets.
func openServeStore(ctx context.Context, cfg serveConfig, log *slog.Logger) (*store.Store, *webhook.Sealer, error) {
	st, err := openService(ctx, cfg, log) // first: a refused database leaves no key file beside it
	if err != nil {
		return nil, nil, err
	}
	sealer, err := loadSealer(cfg.WebhookKeyFile, cfg.DB)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, sealer, nil
}

// envInt is the default of an integer flag: the environment variable if it is a number.
func envInt(key string, def int) int {
	if v, err := strconv.Atoi(envOr(key, "")); err == nil {
		return v
	}
	return def
}

// parseCIDRs reads a comma-separated list of CIDRs; a bare address is a one-address range.
func parseCIDRs(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip := net.ParseIP(f)
			if ip == nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", f)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", f)
		}
		out = append(out, n)
	}
	return out, nil
}
