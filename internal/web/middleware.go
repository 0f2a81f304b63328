package web

import (
	"cmp"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"sipas/internal/auth"
	"sipas/internal/fault"
	"sipas/internal/store"
)

func byteSize(n int64) string { return strconv.FormatInt(n, 10) }

// requestLogger writes one line per request: method, route pattern (never the raw path: it
// holds receipt tokens), status, latency and request id, and for an internal failure its
// error (set by handleError), so that the failure is logged once, with the request id.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogRoutePath: true, LogLatency: true, LogRequestID: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			attrs := []any{"method", v.Method, "route", v.RoutePath, "status", v.Status,
				"latency_ms", float64(v.Latency.Microseconds()) / 1000, "request_id", v.RequestID}
			if err, ok := c.Get(ctxFailure).(error); ok {
				attrs = append(attrs, "err", err)
			}
			aborted, _ := c.Get(ctxAborted).(bool)
			if aborted {
				attrs = append(attrs, "aborted", true)
			}
			if v.Status >= 500 || aborted {
				s.log.Error("request", attrs...)
			} else {
				s.log.Info("request", attrs...)
			}
			return nil
		},
	})
}

// abortCommitted cuts the connection of a request whose answer failed after its status was
// sent (handleError marks it), once its log line is written. Panicking with
// http.ErrAbortHandler makes net/http close the connection without finishing the response
// (no last chunk of a chunked body; a stream reset in HTTP/2), so curl and every other HTTP
// client report a failed transfer instead of a short file that looks complete. It is the
// outermost middleware, so every other one has finished; Echo's Recover passes that panic
// on, and net/http does not log it.
func abortCommitted(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if aborted, _ := c.Get(ctxAborted).(bool); aborted {
			panic(http.ErrAbortHandler)
		}
		return err
	}
}

// contentSecurityPolicy allows nothing inline: no inline script or style anywhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secureHeaders sets the headers every answer carries. HSTS goes with an https base URL (the
// TLS usually ends at a reverse proxy, so the request itself is plain http here).
func (s *Server) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	hsts := s.secureCookies()
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer") // survey URLs carry tokens: never send them on
		h.Set("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if hsts || c.IsTLS() {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// handleStatic serves embedded static files. A URL carrying the current content hash is
// cached for a year; anything else for five minutes.
func (s *Server) handleStatic(c echo.Context) error {
	name := path.Clean(c.Param("*"))
	h, ok := s.static[name]
	if !ok {
		return errNoRoute
	}
	b, err := fs.ReadFile(s.cfg.Assets, "static/"+name)
	if err != nil {
		return err
	}
	if c.QueryParam("v") == h {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
	}
	c.Response().Header().Set("ETag", `"`+h+`"`)
	if c.Request().Header.Get("If-None-Match") == `"`+h+`"` {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, contentType(name), b)
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json", ".webmanifest":
		return "application/json"
	case ".png":
		return "image/png"
	case ".ttf":
		return "font/ttf"
	}
	return "application/octet-stream"
}

const ctxAPIKey = "sipas.api_key"

// requireAPIKey admits requests with "Authorization: Bearer <key>" of an active, unexpired
// key. What the key may do is checked where the request says what it is about (keyMay,
// keyAgency), or by requireScope.
func (s *Server) requireAPIKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		k, err := s.apiKey(c)
		if err != nil {
			return err
		}
		c.Set(ctxAPIKey, k)
		return next(c)
	}
}

func (s *Server) apiKey(c echo.Context) (store.APIKey, error) {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	key, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || key == "" {
		return store.APIKey{}, auth.ErrUnauthorized
	}
	k, err := s.store.FindAPIKeyByHash(c.Request().Context(), auth.HashSecret(strings.TrimSpace(key)))
	if errors.Is(err, store.ErrNotFound) {
		return store.APIKey{}, auth.ErrUnauthorized
	}
	return k, err
}

// apiKeyOf is the API key of the request, if it came with one.
func apiKeyOf(c echo.Context) (store.APIKey, bool) {
	k, ok := c.Get(ctxAPIKey).(store.APIKey)
	return k, ok
}

// errScope is a key refused for lack of a scope: 403, naming the scope it would need.
func errScope(sc auth.Scope) error {
	return fault.New(fault.Forbidden, "insufficient_scope", sc.String()).Because(auth.ErrForbidden)
}

// requireScope admits API keys that hold kind for every agency (metrics names none).
func requireScope(kind auth.ScopeKind) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if k, ok := apiKeyOf(c); ok && !k.Scopes.Has(kind, auth.AllAgencies) {
				return errScope(auth.Scope{Kind: kind, Agency: auth.AllAgencies})
			}
			return next(c)
		}
	}
}

// keyMay checks that the request's API key, if any, holds kind for agency (officials are
// checked by their roles instead).
func keyMay(c echo.Context, kind auth.ScopeKind, agency string) error {
	if k, ok := apiKeyOf(c); ok && !k.Scopes.Has(kind, agency) {
		return errScope(auth.Scope{Kind: kind, Agency: agency})
	}
	return nil
}

// keyAgency is auth.Scopes.Agency for the request's API key: the agency a read of kind that
// asked for asked is confined to. Without a key it returns asked.
func keyAgency(c echo.Context, kind auth.ScopeKind, asked string) (string, error) {
	k, ok := apiKeyOf(c)
	if !ok {
		return asked, nil
	}
	agency, err := k.Scopes.Agency(kind, asked)
	if err != nil {
		return "", errScope(auth.Scope{Kind: kind, Agency: cmp.Or(asked, auth.AllAgencies)})
	}
	return agency, nil
}
