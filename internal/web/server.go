// Package web is the Echo v4 HTTP server of sipas: routes, middleware, the one error handler,
// rendering, and one thin handler file per concept. Handlers parse, validate with a domain
// package, make one store or domain call, and render.
package web

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/i18n"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/survey"
	"sipas/internal/webhook"
)

// Config is what the server needs besides the store.
type Config struct {
	// BaseURL is the public address printed in QR codes, e.g. https://sipas.angiang.gov.vn.
	BaseURL string
	Assets  fs.FS // templates/, static/, i18n/
	Surveys survey.Catalog
	Logger  *slog.Logger
	// BodyLimit caps request bodies (bytes) but data uploads; 0 means DefaultBodyLimit.
	BodyLimit int64
	// UploadLimit caps the CSV files of the data pages (bytes), which are streamed to the
	// parser; 0 means DefaultUploadLimit.
	UploadLimit int64
	// AddressRefusals and KioskRefusals limit the refused citizen attempts of one client
	// address and of one kiosk (limits.go); zero values mean DefaultAddressRefusals and
	// DefaultKioskRefusals. Valid answers are never limited.
	AddressRefusals, KioskRefusals RefusalLimit
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed. The client
	// address (refusal limits, login throttling) is the nearest address in X-Forwarded-For
	// that is not one of them; with none, it is the TCP peer and X-Forwarded-For is ignored
	// (and the first request that carries one is logged as a warning).
	TrustedProxies []*net.IPNet
	// TokenValidityDays is how many days after its minting date a signed (offline-minted)
	// token may be opened; 0 means store.DefaultTokenValidityDays.
	TokenValidityDays int
	// TempDir is where downloads may spill what does not fit in memory (the XLSX export's
	// sheet, about a gigabyte for a million responses); "" is the system's temporary
	// directory. The service puts it beside the database, whose disk is sized for the data.
	TempDir string
	// Languages are the languages the service speaks, each with its catalogue in
	// Assets/i18n; nil means the registry, i18n.Languages.
	Languages []i18n.Language
	// Webhooks seals the secrets of the webhook endpoints admins register; nil means a key
	// for this process only (tests: secrets sealed with it open nowhere else).
	Webhooks *webhook.Sealer
	// PasswordChecks is how many sign-in password checks (argon2id, 19 MiB and a core each)
	// may run at once; a sign-in beyond them is refused with 503 at once. 0 means one per
	// core but one (GOMAXPROCS-1, at least 1): a core is always left for citizens' answers.
	PasswordChecks int
}

// Server is the sipas web service.
type Server struct {
	e       *echo.Echo
	store   *store.Store
	cfg     Config
	log     *slog.Logger
	surveys *catalog
	msgs    *i18n.Catalog
	pages   map[string]*template.Template
	static  map[string]string // static file name → content hash, for cache-busting URLs
	fonts   fs.FS             // Assets/fonts, for the PDFs
	metrics *metrics          // GET /metrics (metrics.go)
	openAPI []byte            // GET /api/v1/openapi.json (openapi.go)
	limits  limits            // refusal limits (limits.go)
	xffSeen atomic.Bool       // an X-Forwarded-For without trusted proxies was logged

	gate *auth.PasswordGate // bounds the password checks running at once (session.go)
}

// The default body limits. 64 KiB holds a survey form with a 1,000-character comment many
// times over; 64 MiB holds a responses CSV of some 300,000 answers with comments.
const (
	DefaultBodyLimit   = 64 << 10
	DefaultUploadLimit = 64 << 20
)

// New builds the server: templates and catalogues are parsed now, so a broken asset stops the
// service at start rather than on a citizen's phone.
func New(cfg Config, st *store.Store) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.UploadLimit == 0 {
		cfg.UploadLimit = DefaultUploadLimit
	}
	if cfg.Webhooks == nil {
		cfg.Webhooks, _ = webhook.NewSealer(webhook.NewKey())
	}
	if _, err := cfg.Surveys.Get(survey.DefaultID); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if _, err := receipt.SurveyURL(cfg.BaseURL, "0000000000000000"); err != nil {
		return nil, fmt.Errorf("web: base URL: %w", err)
	}
	msgs, err := i18n.Load(cfg.Assets, cfg.Languages...)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	fonts, err := fs.Sub(cfg.Assets, "fonts")
	if err != nil {
		return nil, fmt.Errorf("web: fonts: %w", err)
	}
	s := &Server{store: st, cfg: cfg, log: cfg.Logger, surveys: newCatalog(cfg.Surveys), msgs: msgs, fonts: fonts}
	if err := s.loadStatic(); err != nil {
		return nil, err
	}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	if err := s.loadOpenAPI(); err != nil {
		return nil, err
	}
	s.e = echo.New()
	s.e.HideBanner, s.e.HidePort = true, true
	s.e.HTTPErrorHandler = s.handleError
	s.e.IPExtractor = clientIP(cfg.TrustedProxies)
	s.gate = auth.NewPasswordGate(cmp.Or(cfg.PasswordChecks, max(1, runtime.GOMAXPROCS(0)-1)))
	s.metrics = newMetrics(st, s.gate)
	s.limits = newLimits(cfg)
	s.routes()
	return s, nil
}

// ServeHTTP makes the server an http.Handler. The citizen URL may arrive uppercased from a QR
// code (/S/TOKEN); routes are lowercase, so the path prefix is folded before routing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/S/") {
		r.URL.Path = "/s/" + r.URL.Path[3:]
		r.URL.RawPath = ""
	}
	s.e.ServeHTTP(w, r)
}

// clientIP is how c.RealIP() finds the client: the TCP peer, or behind trusted proxies the
// nearest untrusted address of X-Forwarded-For. Nothing else is trusted, not even loopback or
// private ranges (Echo's defaults), so a client cannot choose its address by sending the header.
func clientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// warnUntrustedXFF logs, once, a request that carries X-Forwarded-For while no proxy is
// trusted: sipas is then behind a proxy it was not told about, and every citizen behind it
// has the proxy's address (one refusal budget, one sign-in throttle for all).
func (s *Server) warnUntrustedXFF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Header.Get(echo.HeaderXForwardedFor) != "" && s.xffSeen.CompareAndSwap(false, true) {
			s.log.Warn("requests carry X-Forwarded-For but no trusted proxy is configured: every client behind the proxy shares its address; set --trusted-proxies to the proxy's address")
		}
		return next(c)
	}
}

// errNoRoute is returned for paths that do not exist.
var errNoRoute = errors.New("web: no such page")
