package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/receipt"
	"sipas/internal/store"
)

// apiError is a client error with a machine code and an English message, for /api/v1.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errBadRequest(code, msg string) error {
	return &apiError{Status: http.StatusBadRequest, Code: code, Message: msg}
}

func errInvalid(code, msg string) error {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: code, Message: msg}
}

// errorKind is how one class of error is answered: status, API code and page message key.
type errorKind struct {
	status int
	code   string
	page   string
}

// classify maps an error to its answer. This table is the only place where errors become
// statuses; anything it does not know is a 500 whose details are logged, never shown.
func classify(err error) errorKind {
	var he *echo.HTTPError
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, receipt.ErrInvalidToken),
		errors.Is(err, receipt.ErrForged), errors.Is(err, receipt.ErrRevoked), errors.Is(err, errNoRoute):
		return errorKind{http.StatusNotFound, "not_found", "notfound"}
	case errors.Is(err, receipt.ErrAlreadyUsed):
		return errorKind{http.StatusConflict, "already_used", "used"}
	case errors.Is(err, receipt.ErrExpired):
		return errorKind{http.StatusGone, "expired", "expired"}
	case errors.Is(err, auth.ErrUnauthorized):
		return errorKind{http.StatusUnauthorized, "unauthorized", "badrequest"}
	case errors.Is(err, errKioskDevice):
		return errorKind{http.StatusForbidden, "forbidden", "kioskdevice"}
	case errors.Is(err, auth.ErrForbidden):
		return errorKind{http.StatusForbidden, "forbidden", "forbidden"}
	case errors.Is(err, store.ErrRateLimited):
		return errorKind{http.StatusTooManyRequests, "rate_limited", "ratelimited"}
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			return errorKind{http.StatusNotFound, "not_found", "notfound"}
		case http.StatusRequestEntityTooLarge:
			return errorKind{he.Code, "too_large", "toolarge"}
		case http.StatusTooManyRequests:
			return errorKind{he.Code, "rate_limited", "ratelimited"}
		case http.StatusUnsupportedMediaType:
			return errorKind{he.Code, "unsupported_media_type", "badrequest"}
		case http.StatusMethodNotAllowed:
			return errorKind{he.Code, "method_not_allowed", "badrequest"}
		case http.StatusForbidden:
			return errorKind{he.Code, "forbidden", "forbidden"}
		}
		if he.Code >= 400 && he.Code < 500 {
			return errorKind{he.Code, "bad_request", "badrequest"}
		}
	}
	return errorKind{http.StatusInternalServerError, "internal", "error"}
}

var apiMessages = map[string]string{
	"not_found":              "not found",
	"already_used":           "this receipt has already been answered; the first answer is kept",
	"expired":                "this receipt has expired",
	"unauthorized":           "missing or invalid credentials",
	"forbidden":              "not allowed",
	"too_large":              "request body too large",
	"rate_limited":           "too many requests; try again later",
	"unsupported_media_type": "unsupported content type",
	"method_not_allowed":     "method not allowed",
	"bad_request":            "bad request",
	"internal":               "internal error",
}

// handleError is Echo's HTTPErrorHandler: API paths get JSON, pages get a page in the user's
// language. Internal errors are logged once here with the request id, and shown to nobody.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var fe *formError
	if errors.As(err, &fe) {
		s.refused(c, receipt.RefusalInvalidAnswers)
		if werr := fe.render(); werr != nil {
			s.log.Error("write error response", "err", werr)
		}
		return
	}
	var ae *apiError
	k := classify(err)
	if reason := refusalOf(c, k); reason != "" {
		s.refused(c, reason)
	}
	msg := apiMessages[k.code]
	if errors.As(err, &ae) {
		k = errorKind{ae.Status, ae.Code, "badrequest"}
		msg = ae.Message
	}
	if k.status == http.StatusInternalServerError {
		s.log.Error("request failed", "err", err, "method", c.Request().Method, "route", c.Path(),
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	}
	if k.status == http.StatusUnauthorized && strings.HasPrefix(c.Request().URL.Path, "/api/") {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="sipas"`)
	}
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(k.status)
	case isAPI(c):
		werr = c.JSON(k.status, map[string]any{"error": map[string]string{"code": k.code, "message": msg}})
	default:
		if k.page == "notfound" && !isCitizenPath(c.Request().URL.Path) {
			k.page = "nopage" // the "check your QR code" wording is for citizens' links only
		}
		werr = s.errorPage(c, k.status, k.page)
	}
	if werr != nil {
		s.log.Error("write error response", "err", werr)
	}
}

// errorPage renders the message page of a failed page request. Its language switch is a
// query-only relative link ("?lang=en"), which the browser resolves against the current URL,
// so the page never echoes the request path: on /s/:token that path is the citizen's token
// (or, for a probe, text an attacker chose), and error pages must not carry either.
func (s *Server) errorPage(c echo.Context, status int, key string) error {
	l := lang(c)
	other := "en"
	if l == "en" {
		other = "vi"
	}
	return s.render(c, status, "message.html", page{
		Lang: l, Title: s.msgs.T(l, key+".title"), Body: s.msgs.T(l, key+".body"),
		Kind: "warn", SwitchURL: "?lang=" + other,
	})
}

func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/kiosk/api/") || p == "/healthz" || p == "/metrics"
}

// formError is a citizen form refused by validation: handleError counts the refusal and
// render answers it with the form again (422), each error next to its field.
type formError struct {
	errs   error
	render func() error
}

func (e *formError) Error() string { return e.errs.Error() }

// refusalOf names the refusal a citizen's attempt on /s/:token met, or "" when it was not
// one: every refused submission, and on the survey page only unknown or forged tokens (token
// probing); an answered receipt reopened by its citizen is not an attack.
func refusalOf(c echo.Context, k errorKind) string {
	if c.Path() != "/s/:token" {
		return ""
	}
	post := c.Request().Method == http.MethodPost
	switch {
	case k.status == http.StatusNotFound:
		return receipt.RefusalUnknownToken
	case !post:
		return ""
	case k.status == http.StatusConflict:
		return receipt.RefusalReusedToken
	case k.status == http.StatusGone:
		return receipt.RefusalExpired
	case k.status == http.StatusTooManyRequests:
		return receipt.RefusalRateLimited
	case k.status == http.StatusRequestEntityTooLarge:
		return receipt.RefusalTooLarge
	case k.status == http.StatusBadRequest, k.status == http.StatusUnsupportedMediaType:
		return receipt.RefusalInvalidAnswers // not a form at all
	}
	return ""
}

func isCitizenPath(p string) bool {
	return strings.HasPrefix(p, "/s/") || strings.HasPrefix(p, "/kiosk")
}
