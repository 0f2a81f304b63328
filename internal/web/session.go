package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/fault"
	"sipas/internal/store"
)

// Cookie names without their prefix: over https they are "__Host-" + name (cookieName), which
// a browser keeps only when Secure, host-only and of path /, so no other host of the domain
// and no plain-http page can set or shadow them.
const (
	sessionCookie = "sipas_session"
	csrfCookie    = "sipas_csrf" // a browser's pre-session secret, that its sign-in form is bound to
	csrfField     = "_csrf"
	ctxOfficial   = "sipas.official"
	ctxCSRF       = "csrf"
)

// Sign-in throttling (store.ReserveLogin): failures allowed per LoginWindow, per email from
// one client address and per client address.
const (
	maxFailuresPerEmail  = store.MaxFailuresPerEmailClient
	maxFailuresPerClient = store.MaxFailuresPerClient
)

func (s *Server) secureCookies() bool { return strings.HasPrefix(s.cfg.BaseURL, "https://") }

// cookieName is the name of one of the officials' cookies: "__Host-" + name over https.
func (s *Server) cookieName(name string) string {
	if s.secureCookies() {
		return "__Host-" + name
	}
	return name
}

// setCookie sets one of the officials' cookies (path /, HttpOnly; maxAge < 0 deletes it).
func (s *Server) setCookie(c echo.Context, name, value string, sameSite http.SameSite, maxAge time.Duration) {
	c.SetCookie(&http.Cookie{Name: s.cookieName(name), Value: value, Path: "/", HttpOnly: true, Secure: s.secureCookies(),
		SameSite: sameSite, MaxAge: int(maxAge / time.Second)})
}

func (s *Server) cookieValue(c echo.Context, name string) string {
	if ck, err := c.Cookie(s.cookieName(name)); err == nil {
		return ck.Value
	}
	return ""
}

// csrfToken is the form token of a browser whose session id (or, before it signs in, its
// pre-session secret) is binding: an HMAC keyed with that secret. It is bound to the session,
// so a token of another session is refused, and it changes at sign-in with the session id.
func csrfToken(binding string) string {
	m := hmac.New(sha256.New, []byte(binding))
	m.Write([]byte("sipas csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrf protects every form under /admin/ (the sign-in form too, against login CSRF): an
// unsafe request must carry the token of its own session (csrfToken) and come from this site
// (sameOrigin). A browser without a session gets a pre-session secret cookie to bind to.
func (s *Server) csrf() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			binding := s.cookieValue(c, sessionCookie)
			if binding == "" {
				if binding = s.cookieValue(c, csrfCookie); binding == "" {
					binding = auth.NewSessionID()
					s.setCookie(c, csrfCookie, binding, http.SameSiteStrictMode, store.SessionMaxAge)
				}
			}
			tok := csrfToken(binding)
			c.Set(ctxCSRF, tok)
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			if err := s.sameOrigin(c); err != nil {
				return err
			}
			if !hmac.Equal([]byte(c.FormValue(csrfField)), []byte(tok)) {
				return echo.NewHTTPError(http.StatusForbidden, "csrf")
			}
			return next(c)
		}
	}
}

// sameOrigin refuses a request that a browser says comes from another site. Browsers that
// send Sec-Fetch-Site are believed: only same-origin (or none: typed, bookmarked) passes.
// Without it, an Origin must be the base URL's origin or this request's host. Pages here send
// Referrer-Policy no-referrer, under which browsers write "Origin: null" even on a same-origin
// form, so null (and no Origin at all: not a browser's cross-site POST) passes when
// Sec-Fetch-Site is absent; the session-bound token still guards the officials' forms.
func (s *Server) sameOrigin(c echo.Context) error {
	r := c.Request()
	refuse := echo.NewHTTPError(http.StatusForbidden, "cross-site request")
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return nil
	case "":
	default:
		return refuse
	}
	from := r.Header.Get(echo.HeaderOrigin)
	if from == "" || from == "null" {
		return nil
	}
	u, err := url.Parse(from)
	if err != nil || u.Host == "" {
		return refuse
	}
	if base, err := url.Parse(s.cfg.BaseURL); err == nil && u.Scheme == base.Scheme && u.Host == base.Host {
		return nil
	}
	if u.Host == r.Host {
		return nil
	}
	return refuse
}

// requireSameOrigin is sameOrigin as a middleware, for a form that has no session to bind a
// token to (kiosk enrolment).
func (s *Server) requireSameOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.sameOrigin(c); err != nil {
			return err
		}
		return next(c)
	}
}

// official is the signed-in official of the request (set by requireOfficial).
func official(c echo.Context) auth.Official {
	o, _ := c.Get(ctxOfficial).(auth.Official)
	return o
}

// sessionOfficial resolves the session cookie, or returns auth.ErrUnauthorized.
func (s *Server) sessionOfficial(c echo.Context) (auth.Official, error) {
	id := s.cookieValue(c, sessionCookie)
	if id == "" {
		return auth.Official{}, auth.ErrUnauthorized
	}
	o, err := s.store.FindSession(c.Request().Context(), auth.HashSecret(id))
	if errors.Is(err, store.ErrNotFound) {
		return auth.Official{}, auth.ErrUnauthorized
	}
	return o, err
}

// requireOfficial admits signed-in officials; others are sent to the sign-in page.
func (s *Server) requireOfficial(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		o, err := s.sessionOfficial(c)
		if errors.Is(err, auth.ErrUnauthorized) {
			next := c.Request().URL.RequestURI()
			return c.Redirect(http.StatusSeeOther, "/admin/login?next="+url.QueryEscape(next))
		}
		if err != nil {
			return err
		}
		c.Set(ctxOfficial, o)
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// can admits officials holding permission p; others get 403.
func can(p auth.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !official(c).Can(p) {
				return auth.ErrForbidden
			}
			return next(c)
		}
	}
}

type loginPage struct {
	adminPage
	Email string
	Next  string
	Error string
	Code  bool // the second step: the TOTP code
}

// handleLoginShow handles "GET /admin/login".
func (s *Server) handleLoginShow(c echo.Context) error {
	return s.render(c, http.StatusOK, "login.html", loginPage{adminPage: s.newAdminPage(c, "login.title"), Next: safeNext(c.QueryParam("next"))})
}

// safeNext keeps redirects after sign-in on this site's admin pages.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/admin/") && !strings.HasPrefix(next, "/admin/logout") && !strings.Contains(next, "\\") {
		return next
	}
	return "/admin/"
}

// handleLoginSubmit handles "POST /admin/login" (docs/security.md, V2.2): the attempt takes a
// slot of the password gate (none free: 503 at once) and is reserved in the store before the
// password is checked (throttled: 429, counted in memory, never checked). Every attempt that
// is checked costs one argon2id, whether the account exists, is disabled or not, and a sign-in
// gets a fresh session id (no session fixation).
func (s *Server) handleLoginSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.TrimSpace(c.FormValue("email"))
	pw := c.FormValue("password")
	client := c.RealIP()
	p := loginPage{adminPage: s.newAdminPage(c, "login.title"), Next: safeNext(c.FormValue("next"))}
	if len(email) > auth.MaxEmailBytes || len(pw) > auth.MaxPasswordBytes {
		p.Error = "login.too_long"
		return s.render(c, statusOf(fault.Invalid), "login.html", p)
	}
	p.Email = email
	ok, o, err := s.checkPassword(c, email, pw, client)
	switch {
	case errors.Is(err, errGateFull):
		return s.busy(c)
	case errors.Is(err, store.ErrLoginThrottled):
		p.Error = "login.throttled"
		return s.render(c, statusOf(fault.RateLimited), "login.html", p)
	case err != nil:
		return err
	case !ok:
		s.store.Audit(ctx, email, "login.failed", "")
		p.Error = "login.failed"
		return s.render(c, statusOf(fault.Unauthorized), "login.html", p)
	}
	return s.startSession(c, o, p.Next)
}

// busy answers a sign-in refused for want of a password-check slot: a short plain sentence
// and Retry-After, not the page, so that a flood of them costs the server as little as
// possible (every refusal it writes is CPU citizens' answers wait for).
func (s *Server) busy(c echo.Context) error {
	c.Response().Header().Set("Retry-After", "1")
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(statusOf(fault.Unavailable), s.msgs.T(s.lang(c), "login.busy"))
}

// errGateFull is a sign-in refused because every password-check slot is taken.
var errGateFull = errors.New("web: every password check slot is taken")

// checkPassword is one counted password check of email from client: errGateFull or
// store.ErrLoginThrottled without a check, else whether pw is the password of an enabled
// official (and that official).
func (s *Server) checkPassword(c echo.Context, email, pw, client string) (bool, auth.Official, error) {
	ctx := c.Request().Context()
	if !s.gate.Enter() {
		return false, auth.Official{}, errGateFull
	}
	defer s.gate.Leave()
	id, err := s.store.ReserveLogin(ctx, email, client)
	if errors.Is(err, store.ErrLoginThrottled) {
		s.store.CountThrottledLogin(email, client)
		return false, auth.Official{}, err
	}
	if err != nil {
		return false, auth.Official{}, err
	}
	o, hash, err := s.store.FindOfficialForLogin(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, auth.Official{}, err
	}
	ok := s.gate.Verify(pw, hash) && !o.Disabled // hash is "" for an unknown email
	return ok, o, s.store.FinishLogin(ctx, id, ok)
}

// startSession signs o in with a new session id; with a second factor the session waits for
// its code (handleLoginCode) and signs nobody in until then.
func (s *Server) startSession(c echo.Context, o auth.Official, next string) error {
	ctx := c.Request().Context()
	if old := s.cookieValue(c, sessionCookie); old != "" {
		s.store.DeleteSession(ctx, auth.HashSecret(old))
	}
	id := auth.NewSessionID()
	if err := s.store.CreateSession(ctx, auth.HashSecret(id), o.ID, o.TwoFactor); err != nil {
		return err
	}
	if o.TwoFactor {
		s.setCookie(c, sessionCookie, id, http.SameSiteLaxMode, store.PendingSignInMaxAge)
		return c.Redirect(http.StatusSeeOther, "/admin/login/code?next="+url.QueryEscape(next))
	}
	s.store.Audit(ctx, o.Email, "login", string(o.Role))
	s.setCookie(c, sessionCookie, id, http.SameSiteLaxMode, store.SessionMaxAge)
	return c.Redirect(http.StatusSeeOther, next)
}

// handleLoginCodeShow handles "GET /admin/login/code": the second step of a sign-in.
func (s *Server) handleLoginCodeShow(c echo.Context) error {
	if _, err := s.store.FindPendingSignIn(c.Request().Context(), auth.HashSecret(s.cookieValue(c, sessionCookie))); err != nil {
		return c.Redirect(http.StatusSeeOther, "/admin/login")
	}
	return s.render(c, http.StatusOK, "login.html", loginPage{adminPage: s.newAdminPage(c, "login.title"),
		Next: safeNext(c.QueryParam("next")), Code: true})
}

// handleLoginCode handles "POST /admin/login/code": a TOTP code of the pending session's
// official, good once; the signed-in session gets yet another id. Wrong codes are counted:
// the fifth ends the pending session (store.FailSecondFactor).
func (s *Server) handleLoginCode(c echo.Context) error {
	ctx := c.Request().Context()
	pending := auth.HashSecret(s.cookieValue(c, sessionCookie))
	ps, err := s.store.FindPendingSignIn(ctx, pending)
	if errors.Is(err, store.ErrNotFound) {
		return c.Redirect(http.StatusSeeOther, "/admin/login")
	}
	if err != nil {
		return err
	}
	p := loginPage{adminPage: s.newAdminPage(c, "login.title"), Next: safeNext(c.FormValue("next")), Code: true}
	step, ok := auth.VerifyTOTP(ps.Secret, c.FormValue("code"), time.Now(), ps.LastStep)
	id := auth.NewSessionID()
	if ok {
		err = s.store.CompleteSecondFactor(ctx, pending, auth.HashSecret(id), ps.Official.ID, step)
	}
	if !ok || errors.Is(err, store.ErrNotFound) {
		if err := s.store.FailSecondFactor(ctx, pending); err != nil {
			return err
		}
		s.store.Audit(ctx, ps.Official.Email, "login.code_failed", "")
		p.Error = "login.code_failed"
		return s.render(c, statusOf(fault.Unauthorized), "login.html", p)
	}
	if err != nil {
		return err
	}
	s.store.Audit(ctx, ps.Official.Email, "login", string(ps.Official.Role)+" totp")
	s.setCookie(c, sessionCookie, id, http.SameSiteLaxMode, store.SessionMaxAge)
	return c.Redirect(http.StatusSeeOther, p.Next)
}

// handleLogout handles "POST /admin/logout".
func (s *Server) handleLogout(c echo.Context) error {
	if id := s.cookieValue(c, sessionCookie); id != "" {
		if err := s.store.DeleteSession(c.Request().Context(), auth.HashSecret(id)); err != nil {
			return err
		}
	}
	s.store.Audit(c.Request().Context(), official(c).Email, "logout", "")
	s.setCookie(c, sessionCookie, "", http.SameSiteLaxMode, -time.Second)
	return c.Redirect(http.StatusSeeOther, "/admin/login")
}
