package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/fault"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/survey"
)

// Errors become answers in this file only. A handler returns an error; classify turns it into
// a fault (a *fault.Error of its own, one of the sentinels below, an Echo HTTP error, or else
// an internal fault); replies gives the fault's kind its status, API code and page. The API
// answers {"error":{"code","message"}}, pages answer the message page in the user's language,
// citizen forms their form again with the errors beside the fields, and an internal failure
// is logged once, on the request's log line with the request id, and shown as a generic
// message.

// reply is how one kind of failure is answered over HTTP.
type reply struct {
	status int
	code   string // API code when the fault names none
	page   string // catalogue prefix of the message page's title and body ("<page>.title")
}

// replies is the one table from a kind of failure to its reply; every kind has a row
// (TestErrorTable). The API message of code c is the catalogue text "fault.<c>".
var replies = map[fault.Kind]reply{
	fault.Internal:     {http.StatusInternalServerError, "internal", "error"},
	fault.Malformed:    {http.StatusBadRequest, "bad_request", "badrequest"},
	fault.Invalid:      {http.StatusUnprocessableEntity, "invalid", "badrequest"},
	fault.Unauthorized: {http.StatusUnauthorized, "unauthorized", "badrequest"},
	fault.Forbidden:    {http.StatusForbidden, "forbidden", "forbidden"},
	fault.NotFound:     {http.StatusNotFound, "not_found", "notfound"},
	fault.NotAllowed:   {http.StatusMethodNotAllowed, "method_not_allowed", "badrequest"},
	fault.Conflict:     {http.StatusConflict, "conflict", "badrequest"},
	fault.Gone:         {http.StatusGone, "gone", "expired"},
	fault.TooLarge:     {http.StatusRequestEntityTooLarge, "too_large", "toolarge"},
	fault.Unsupported:  {http.StatusUnsupportedMediaType, "unsupported_media_type", "badrequest"},
	fault.RateLimited:  {http.StatusTooManyRequests, "rate_limited", "ratelimited"},
	fault.Unavailable:  {http.StatusServiceUnavailable, "unavailable", "unavailable"},
}

// retryAfter is the Retry-After of every 503, in seconds: a database that is busy is free
// again within seconds, a full disk when the operator has made room, and one more try every
// ten seconds costs nothing.
const retryAfter = "10"

// sentinel is a domain error handlers return as it is, and the fault it is. A sentinel is
// matched by errors.Is(err, s.err), or by s.is when that is set.
type sentinel struct {
	err  error
	is   func(error) bool
	kind fault.Kind
	code string // "" = the kind's
	page string // "" = the kind's
}

// sentinels are the domain errors that are not internal, first match wins. A new sentinel
// is a row here.
var sentinels = []sentinel{
	{receipt.ErrMistyped, nil, fault.NotFound, "mistyped", "mistyped"},
	{store.ErrAmbiguousNumber, nil, fault.NotFound, "ambiguous_number", "ambiguous"},
	{receipt.ErrInvalidToken, nil, fault.NotFound, "", ""},
	{receipt.ErrForged, nil, fault.NotFound, "", ""},
	{receipt.ErrRevoked, nil, fault.NotFound, "", ""},
	{store.ErrNotFound, nil, fault.NotFound, "", ""},
	{errNoRoute, nil, fault.NotFound, "", ""},
	{receipt.ErrAlreadyUsed, nil, fault.Conflict, "already_used", "used"},
	{receipt.ErrExpired, nil, fault.Gone, "expired", ""},
	{auth.ErrUnauthorized, nil, fault.Unauthorized, "", ""},
	{errKioskDevice, nil, fault.Forbidden, "", "kioskdevice"},
	{auth.ErrForbidden, nil, fault.Forbidden, "", ""},
	{store.ErrRateLimited, nil, fault.RateLimited, "", ""},
	{errHeldBack, nil, fault.RateLimited, "", "heldback"},
	// A full disk, an I/O error, a lock held too long, too many submissions waiting, a store
	// closing: nothing was stored, and trying again later may work (503 with Retry-After).
	{store.ErrUnavailable, store.Unavailable, fault.Unavailable, "", ""},
}

// echoKinds are the statuses Echo's own errors carry (no route, body limit, CSRF…).
var echoKinds = map[int]fault.Kind{
	http.StatusBadRequest:            fault.Malformed,
	http.StatusForbidden:             fault.Forbidden,
	http.StatusNotFound:              fault.NotFound,
	http.StatusMethodNotAllowed:      fault.NotAllowed,
	http.StatusRequestEntityTooLarge: fault.TooLarge,
	http.StatusUnsupportedMediaType:  fault.Unsupported,
	http.StatusTooManyRequests:       fault.RateLimited,
}

// failure is an error classified: its fault, and the row of its kind with the fault's own
// code and page filled in.
type failure struct {
	fault *fault.Error
	reply
}

// classify says what err is.
func classify(err error) failure {
	f, ok := fault.As(err)
	page := ""
	if !ok {
		f = &fault.Error{Kind: fault.Internal, Err: err}
		var he *echo.HTTPError
		if s, ok := sentinelOf(err); ok {
			f.Kind, f.Code, page = s.kind, s.code, s.page
		} else if errors.As(err, &he) {
			if k, ok := echoKinds[he.Code]; ok {
				f.Kind = k
			} else if he.Code >= 400 && he.Code < 500 {
				f.Kind = fault.Malformed
			}
		}
	}
	a := failure{fault: f, reply: replies[f.Kind]}
	if f.Code != "" {
		a.code = f.Code
	}
	if page != "" {
		a.page = page
	}
	return a
}

func sentinelOf(err error) (sentinel, bool) {
	for _, s := range sentinels {
		if (s.is == nil && errors.Is(err, s.err)) || (s.is != nil && s.is(err)) {
			return s, true
		}
	}
	return sentinel{}, false
}

// statusOf is the status of a kind, for handlers that render a form again themselves.
func statusOf(k fault.Kind) int { return replies[k].status }

// apiLang is the language of the API's error messages unless the request asks for another
// with ?lang=: its readers are the developers of other systems.
const apiLang = "en"

// ctxFailure holds an internal error until the request's log line writes it.
const ctxFailure = "sipas.failure"

// ctxAborted marks a request whose answer failed after its status was sent (a streamed
// export): abortCommitted cuts its connection once the log line is written.
const ctxAborted = "sipas.aborted"

// downloadHeaders are set by a download before its first byte; an error answered instead of
// the download must not carry them (a JSON error saved as "responses.csv"). Every error
// answer sets its own content type.
var downloadHeaders = []string{echo.HeaderContentDisposition, echo.HeaderContentType, headerRowCount}

// handleError is Echo's HTTPErrorHandler: API paths get JSON, pages get a page in the user's
// language, a refused citizen form its form again.
func (s *Server) handleError(err error, c echo.Context) {
	a := classify(err)
	if a.fault.Kind == fault.Internal {
		c.Set(ctxFailure, err) // logged once, by requestLogger, with the request id
	}
	if c.Response().Committed {
		// The status is sent and part of the body perhaps too: all that is left is to log it
		// and cut the connection, so that the client sees a failed transfer, not a short file.
		c.Set(ctxFailure, err)
		c.Set(ctxAborted, true)
		return
	}
	for _, h := range downloadHeaders {
		c.Response().Header().Del(h)
	}
	if a.status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", retryAfter)
	}
	var fe *formError
	if errors.As(err, &fe) {
		status, notice := a.status, fe.notice
		if fe.reason != "" && s.refuse(c, fe.reason) > 0 {
			status, notice = http.StatusTooManyRequests, noticeHeldBack
		}
		s.writeFailure(gzipLater(func(echo.Context) error { return fe.render(status, notice) })(c))
		return
	}
	if reason := refusalOf(c, err, a.fault.Kind); reason != "" && s.refuse(c, reason) > 0 {
		a = classify(errHeldBack)
	}
	if a.status == http.StatusUnauthorized && strings.HasPrefix(c.Request().URL.Path, "/api/") {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="sipas"`)
	}
	switch {
	case c.Request().Method == http.MethodHead:
		s.writeFailure(c.NoContent(a.status))
	case isAPI(c):
		l := apiLang
		if c.QueryParam("lang") != "" {
			l = s.lang(c)
		}
		msg := s.msgs.T(l, a.messageKey(), a.args()...)
		s.writeFailure(c.JSON(a.status, map[string]any{"error": map[string]string{"code": a.code, "message": msg}}))
	default:
		if a.page == "notfound" && !isCitizenPath(c.Request().URL.Path) {
			a.page = "nopage" // the "check your QR code" wording is for citizens' links only
		}
		s.writeFailure(s.errorPage(c, a))
	}
}

// messageKey is the catalogue key of the failure's sentence: the fault's own, else the one of
// its code.
func (a failure) messageKey() string {
	if a.fault.Key != "" {
		return a.fault.Key
	}
	return "fault." + a.code
}

func (a failure) args() []any { return a.fault.Args }

func (s *Server) writeFailure(err error) {
	if err != nil {
		s.log.Error("write error response", "err", err)
	}
}

// errorPage renders the message page of a failed page request: the title of its page key,
// and the fault's own sentence when it has one (a user's mistake, such as a report the data
// cannot answer), else the page key's body. Its language switch is query-only ("?lang=en"),
// which the browser resolves against the current URL, so the page never echoes the request
// path: on /s/:token that path is the citizen's token (or, for a probe, text an attacker
// chose), and error pages must not carry either.
func (s *Server) errorPage(c echo.Context, a failure) error {
	l := s.lang(c)
	body := s.msgs.T(l, a.page+".body")
	if a.fault.Key != "" {
		body = s.msgs.T(l, a.fault.Key, a.fault.Args...)
	}
	return s.render(c, a.status, "message.html", page{
		Lang: l, Title: s.msgs.T(l, a.page+".title"), Body: body,
		Kind: "warn", Switch: s.languageLinks(l, func(code string) string { return "?lang=" + code }),
	})
}

func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/kiosk/api/") || p == "/healthz" || p == "/metrics"
}

// errBadRequest is a request that cannot be read (400), with its API code; the message is the
// catalogue text "fault.<code>" filled with args.
func errBadRequest(code string, args ...any) *fault.Error {
	return fault.New(fault.Malformed, code, args...)
}

// errInvalid is a request that was read but cannot be accepted (422), as errBadRequest.
func errInvalid(code string, args ...any) *fault.Error {
	return fault.New(fault.Invalid, code, args...)
}

// errUnknownAgency is an agency code that no agency has.
func errUnknownAgency(code string) *fault.Error { return errInvalid("unknown_agency", code) }

// formError is a citizen's form that was not stored: refused (invalid, empty, too large) or
// stopped by a failure of sipas (busy, broken). handleError counts and charges its refusal
// reason, if it has one (a failure of sipas is not the citizen's), and render answers with
// the form again, filled in as it was sent, in the status of its fault (429 when the client
// is held back), with the catalogue sentence notice above it and each field's error beside
// the field: nothing the citizen typed is lost.
type formError struct {
	err    error
	reason string
	notice string
	render func(status int, notice string) error
}

// noticeHeldBack is the sentence above a refused form whose client is held back (limits.go).
const noticeHeldBack = "survey.notice_held_back"

func newFormError(verrs survey.ValidationErrors, render func(status int, notice string) error) *formError {
	return &formError{fault.New(fault.Invalid, "invalid_answers", fieldList(verrs)), receipt.RefusalInvalidAnswers, "survey.errors_title", render}
}

// emptyFormError is a form with nothing chosen or typed: not an answer, and the receipt stays
// open.
func emptyFormError(render func(status int, notice string) error) *formError {
	return &formError{fault.New(fault.Invalid, "empty_form"), receipt.RefusalEmptyForm, "survey.notice_empty", render}
}

// tooLargeFormError is a form over the body limit, shown again with what fitted.
func tooLargeFormError(render func(status int, notice string) error) *formError {
	return &formError{fault.New(fault.TooLarge, "too_large"), receipt.RefusalTooLarge, "survey.notice_too_large", render}
}

// storeFormError is a valid form that could not be stored: sipas busy (503) or failing (500).
func storeFormError(err error, render func(status int, notice string) error) *formError {
	notice := "survey.notice_failed"
	if k := classify(err).fault.Kind; k == fault.Unavailable || k == fault.RateLimited {
		notice = "survey.notice_busy"
	}
	return &formError{err, "", notice, render}
}

func (e *formError) Error() string { return e.err.Error() }

// Unwrap makes the form error the fault (or failure) it is.
func (e *formError) Unwrap() error { return e.err }

// fieldList lists the fields of validation errors: "A1, E0".
func fieldList(v survey.ValidationErrors) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

// codeRoutes are the routes where a citizen presents a receipt's code: the survey, and the
// kiosk's code, survey and queue.
var codeRoutes = map[string]bool{"/s/:token": true, "/kiosk/start": true, "/kiosk/submit": true,
	"/kiosk/api/check": true, "/kiosk/api/submit": true}

// refusalOf names the refusal a citizen's attempt met, or "" when it was not one: every
// refused code or body posted to a code route, and on the survey page only unknown or forged
// tokens (token probing). An answered receipt reopened by its citizen is not an attack, nor
// is a receipt number with a wrong check digit (a typing mistake, caught before any lookup)
// or one that more than one receipt has.
func refusalOf(c echo.Context, err error, k fault.Kind) string {
	if !codeRoutes[c.Path()] || errors.Is(err, receipt.ErrMistyped) || errors.Is(err, store.ErrAmbiguousNumber) {
		return ""
	}
	if f, ok := fault.As(err); ok && f.Code == "empty_form" {
		return receipt.RefusalEmptyForm
	}
	post := c.Request().Method == http.MethodPost
	switch {
	case k == fault.NotFound:
		return receipt.RefusalUnknownToken
	case !post:
		return ""
	case k == fault.Conflict:
		return receipt.RefusalReusedToken
	case k == fault.Gone:
		return receipt.RefusalExpired
	case k == fault.TooLarge:
		return receipt.RefusalTooLarge
	case k == fault.Malformed, k == fault.Unsupported, k == fault.Invalid:
		return receipt.RefusalInvalidAnswers // not a form at all, or not a valid one
	}
	return ""
}

// errHeldBack answers a refusal from a client held back by its refusal limit (limits.go).
var errHeldBack = errors.New("web: too many refused attempts from this client")

func isCitizenPath(p string) bool {
	return strings.HasPrefix(p, "/s/") || strings.HasPrefix(p, "/kiosk")
}
