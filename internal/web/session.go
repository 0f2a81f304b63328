package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"sipas/internal/auth"
	"sipas/internal/fault"
	"sipas/internal/store"
)

const (
	sessionCookie = "sipas_session"
	csrfCookie    = "sipas_csrf"
	csrfField     = "_csrf"
	ctxOfficial   = "sipas.official"
)

// Sign-in throttling: failures allowed per LoginWindow, per email and per client address.
const (
	maxFailuresPerEmail  = 5
	maxFailuresPerClient = 20
)

// csrf protects every form under /admin/ (the sign-in form too, against login CSRF) with a
// token in an HttpOnly, SameSite=Strict cookie that the form must echo.
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:" + csrfField,
		CookieName:     csrfCookie,
		CookiePath:     "/admin",
		CookieHTTPOnly: true,
		CookieSecure:   s.secureCookies(),
		CookieSameSite: http.SameSiteStrictMode,
		CookieMaxAge:   12 * 3600,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "csrf")
		},
	})
}

func (s *Server) secureCookies() bool { return strings.HasPrefix(s.cfg.BaseURL, "https://") }

// official is the signed-in official of the request (set by requireOfficial).
func official(c echo.Context) auth.Official {
	o, _ := c.Get(ctxOfficial).(auth.Official)
	return o
}

// sessionOfficial resolves the session cookie, or returns auth.ErrUnauthorized.
func (s *Server) sessionOfficial(c echo.Context) (auth.Official, error) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return auth.Official{}, auth.ErrUnauthorized
	}
	o, err := s.store.FindSession(c.Request().Context(), auth.HashSecret(ck.Value))
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

// handleLoginSubmit handles "POST /admin/login": throttled, constant work for unknown emails,
// and a fresh session id at every sign-in (no session fixation).
func (s *Server) handleLoginSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.TrimSpace(c.FormValue("email"))
	pw := c.FormValue("password")
	client := c.RealIP()
	p := loginPage{adminPage: s.newAdminPage(c, "login.title"), Email: email, Next: safeNext(c.FormValue("next"))}
	byEmail, byClient, err := s.store.LoginFailures(ctx, email, client)
	if err != nil {
		return err
	}
	if byEmail >= maxFailuresPerEmail || byClient >= maxFailuresPerClient {
		s.store.Audit(ctx, email, "login.throttled", "")
		p.Error = "login.throttled"
		return s.render(c, statusOf(fault.RateLimited), "login.html", p)
	}
	o, hash, err := s.store.FindOfficialForLogin(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		auth.VerifyNobody(pw)
	case err != nil:
		return err
	}
	if err != nil || o.Disabled || !auth.VerifyPassword(pw, hash) {
		if err := s.store.RecordLoginFailure(ctx, email, client); err != nil {
			return err
		}
		s.store.Audit(ctx, email, "login.failed", "")
		p.Error = "login.failed"
		return s.render(c, statusOf(fault.Unauthorized), "login.html", p)
	}
	if old, err := c.Cookie(sessionCookie); err == nil {
		s.store.DeleteSession(ctx, auth.HashSecret(old.Value))
	}
	id := auth.NewSessionID()
	if err := s.store.CreateSession(ctx, auth.HashSecret(id), o.ID); err != nil {
		return err
	}
	s.store.ClearLoginFailures(ctx, email)
	s.store.Audit(ctx, o.Email, "login", string(o.Role))
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: s.secureCookies(),
		SameSite: http.SameSiteLaxMode, MaxAge: int(store.SessionMaxAge / time.Second)})
	return c.Redirect(http.StatusSeeOther, p.Next)
}

// handleLogout handles "POST /admin/logout".
func (s *Server) handleLogout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.store.DeleteSession(c.Request().Context(), auth.HashSecret(ck.Value)); err != nil {
			return err
		}
	}
	s.store.Audit(c.Request().Context(), official(c).Email, "logout", "")
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secureCookies(), MaxAge: -1})
	return c.Redirect(http.StatusSeeOther, "/admin/login")
}
