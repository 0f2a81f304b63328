package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/fault"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/survey"
)

// Kiosk mode: a registered counter tablet shows /kiosk, where each citizen scans or types the
// code of a receipt (or, where allowed, answers without one), answers the kiosk's short
// questionnaire, and the screen resets for the next person. The pages work as plain forms;
// assets/static/kiosk.js adds the camera, the idle countdown and an offline queue whose
// answers reach /kiosk/api/submit once each, by their idempotency key. The device cookie is
// SameSite=Strict, so no other site can make a kiosk post anything: that is the CSRF guard.

const (
	kioskCookie = "sipas_kiosk"
	ctxKiosk    = "sipas.kiosk"
	// kioskCookieAge is the longest lifetime browsers keep (Chrome caps cookies at 400
	// days); the start screen sets the cookie again on every visit, so it never lapses.
	kioskCookieAge = 400 * 24 * time.Hour
	// kioskDoneSeconds is how long the thanks screen stays before the start screen returns.
	kioskDoneSeconds = 6
)

// errKioskDevice is a request to /kiosk from a browser that is not an enrolled, unrevoked
// kiosk: 403, with a page that says how to enrol.
var errKioskDevice = fmt.Errorf("web: unknown or revoked kiosk device: %w", auth.ErrForbidden)

// requireKiosk admits enrolled, unrevoked kiosk devices; everything else gets 403.
func (s *Server) requireKiosk(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(kioskCookie)
		if err != nil || ck.Value == "" {
			return errKioskDevice
		}
		k, err := s.store.FindKioskByDevice(c.Request().Context(), auth.HashSecret(ck.Value))
		if errors.Is(err, store.ErrNotFound) || (err == nil && k.Revoked) {
			return errKioskDevice
		}
		if err != nil {
			return err
		}
		c.Set(ctxKiosk, k)
		return next(c)
	}
}

func kioskOf(c echo.Context) store.Kiosk {
	k, _ := c.Get(ctxKiosk).(store.Kiosk)
	return k
}

func (s *Server) setKioskCookie(c echo.Context, value string) {
	c.SetCookie(&http.Cookie{Name: kioskCookie, Value: value, Path: "/kiosk", HttpOnly: true, Secure: s.secureCookies(),
		SameSite: http.SameSiteStrictMode, MaxAge: int(kioskCookieAge / time.Second)})
}

// kioskSurvey is the kiosk's questionnaire; a kiosk whose questionnaire was withdrawn falls
// back to the quick one, then to the default.
func (s *Server) kioskSurvey(k store.Kiosk) (*survey.Questionnaire, error) {
	for _, id := range []string{k.SurveyID, store.DefaultKioskSurvey, survey.DefaultID} {
		if q, err := s.surveys.Get(id); err == nil {
			return q, nil
		}
	}
	return s.surveys.Get(survey.DefaultID)
}

// kioskPage is the data of kiosk.html (the start screen, which also carries the survey and
// thanks screens that kiosk.js shows without a round trip), kiosk_survey.html and
// kiosk_done.html.
type kioskPage struct {
	page
	Kiosk      store.Kiosk
	Survey     *survey.Questionnaire
	AgencyName string
	Query      string // "" or "?lang=en", for form actions
	Error      string // message key prefix of a refused code: notfound, used, expired, ratelimited…
	Code       string // the code typed, to show again with its error
	Receipt    string // the receipt token being answered (survey page)
	Key        string // idempotency key of the plain form
	Errors     survey.ValidationErrors
	Values     map[string]int
	Chosen     map[string]bool
	Comment    string
	Notice     string // catalogue key of the sentence above a form shown again
	DoneAfter  int
}

func (s *Server) newKioskPage(c echo.Context, switchable bool) (kioskPage, error) {
	k := kioskOf(c)
	q, err := s.kioskSurvey(k)
	if err != nil {
		return kioskPage{}, err
	}
	l := s.lang(c)
	p := kioskPage{
		page:   page{Lang: l, Title: s.msgs.T(l, "kiosk.title")},
		Kiosk:  k,
		Survey: q, AgencyName: k.AgencyName, DoneAfter: kioskDoneSeconds,
	}
	if switchable {
		p.Switch = s.switchLinks(c)
	}
	p.Query = s.langQuery(l)
	return p, nil
}

// handleKioskStart handles "GET /kiosk": the start screen.
func (s *Server) handleKioskStart(c echo.Context) error {
	p, err := s.newKioskPage(c, true)
	if err != nil {
		return err
	}
	if err := s.store.TouchKiosk(c.Request().Context(), p.Kiosk.ID); err != nil {
		s.log.Error("touch kiosk", "err", err, "kiosk_id", p.Kiosk.ID)
	}
	if ck, err := c.Cookie(kioskCookie); err == nil {
		s.setKioskCookie(c, ck.Value) // keeps the credential from ever lapsing
	}
	return s.render(c, http.StatusOK, "kiosk.html", p)
}

// kioskError answers a refused code or answer on the plain-form path with the start screen
// and the refusal, in the status the one error table gives it (429 when the kiosk or its
// address is held back, limits.go): a kiosk has no back button.
func (s *Server) kioskError(c echo.Context, err error, code string) error {
	k := classify(err)
	if k.fault.Kind == fault.Internal {
		return err
	}
	if reason := refusalOf(c, err, k.fault.Kind); reason != "" && s.refuse(c, reason) > 0 {
		k = classify(errHeldBack)
	}
	p, perr := s.newKioskPage(c, false)
	if perr != nil {
		return perr
	}
	p.Error = k.page
	if k.status == http.StatusNotFound && !errors.Is(err, store.ErrAmbiguousNumber) {
		p.Code = code // a typo to correct; a used or expired code is not left on the screen
	}
	return s.render(c, k.status, "kiosk.html", p)
}

// handleKioskBegin handles "POST /kiosk/start": a code (or anon=1), then the survey.
func (s *Server) handleKioskBegin(c echo.Context) error {
	form, p, err := s.kioskForm(c)
	if err != nil {
		return err
	}
	if form.Get("anon") == "1" {
		if !p.Kiosk.AllowWithoutReceipt {
			return auth.ErrForbidden
		}
	} else {
		code := strings.TrimSpace(form.Get("code"))
		ref, rc, err := s.kioskReceipt(c, code)
		if err != nil {
			return s.kioskError(c, err, code)
		}
		p.Receipt, p.AgencyName = ref, rc.AgencyName
	}
	p.Key = newFormKey()
	return s.render(c, http.StatusOK, "kiosk_survey.html", p)
}

// kioskReceipt opens the receipt of a code typed or scanned at a kiosk: a token, as
// openReceipt, or a receipt number (receipt.Number), which only kiosks take. It returns the
// code in canonical form, which the survey form carries back.
func (s *Server) kioskReceipt(c echo.Context, code string) (string, store.Receipt, error) {
	if !receipt.LooksLikeNumber(code) {
		tok, rc, err := s.openReceipt(c, code)
		return string(tok), rc, err
	}
	n, err := receipt.ParseNumber(code)
	if err == nil {
		err = s.numberGate(c)
	}
	if err != nil {
		return "", store.Receipt{}, err
	}
	rc, err := s.store.FindReceiptByNumber(c.Request().Context(), n.Hash())
	if err == nil && rc.Answered {
		err = receipt.ErrAlreadyUsed
	}
	return string(n), rc, err
}

// kioskForm reads a kiosk's posted form and starts the page that answers it.
func (s *Server) kioskForm(c echo.Context) (url.Values, kioskPage, error) {
	form, err := s.readForm(c)
	if err != nil {
		return nil, kioskPage{}, err
	}
	p, err := s.newKioskPage(c, false)
	return form, p, err
}

// newFormKey is the idempotency key of one plain survey form: a double tap sends it twice,
// and it is stored once.
func newFormKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// kioskFieldsIgnored are the plain survey form's fields that are not answers.
var kioskFieldsIgnored = []string{"lang", "receipt", "key"}

// handleKioskSubmit handles "POST /kiosk/submit", the plain form: 303 to the thanks screen.
func (s *Server) handleKioskSubmit(c echo.Context) error {
	form, p, err := s.kioskForm(c)
	if err != nil {
		return err
	}
	p.Receipt, p.Key = form.Get("receipt"), form.Get("key")
	if !kioskKeyRE.MatchString(p.Key) {
		return errBadRequest("invalid_key").Say("fault.kiosk_form_key")
	}
	resp, verrs := p.Survey.ParseForm(form, kioskFieldsIgnored...)
	if verrs != nil || resp.Empty() {
		return s.kioskFormAgain(c, p, form, verrs)
	}
	if _, err := s.submitKiosk(c, p.Kiosk, p.Survey, p.Key, p.Receipt, time.Time{}, resp); err != nil {
		return s.kioskError(c, err, "")
	}
	return c.Redirect(http.StatusSeeOther, "/kiosk/done"+p.Query)
}

// kioskFormAgain answers a refused plain kiosk form (invalid, or empty) with the form again,
// filled in as sent: 422, or 429 when the kiosk or its address is held back.
func (s *Server) kioskFormAgain(c echo.Context, p kioskPage, form url.Values, verrs survey.ValidationErrors) error {
	reason, status := receipt.RefusalInvalidAnswers, statusOf(fault.Invalid)
	p.Errors, p.Notice = verrs, "survey.errors_title"
	if verrs == nil {
		reason, p.Notice = receipt.RefusalEmptyForm, "survey.notice_empty"
	}
	if s.refuse(c, reason) > 0 {
		status, p.Notice = http.StatusTooManyRequests, noticeHeldBack
	}
	p.Values, p.Chosen, p.Comment = formValues(p.Survey, form), formChosen(p.Survey, form), strings.ToValidUTF8(form.Get(survey.FormFieldComment), "")
	return s.render(c, status, "kiosk_survey.html", p)
}

// submitKiosk stores one validated kiosk answer.
func (s *Server) submitKiosk(c echo.Context, k store.Kiosk, q *survey.Questionnaire, key, code string, at time.Time, resp survey.Response) (store.KioskResult, error) {
	var tok receipt.Token
	var num receipt.Number
	var err error
	switch {
	case code == "" && !k.AllowWithoutReceipt:
		return store.KioskResult{}, auth.ErrForbidden
	case code == "":
	case receipt.LooksLikeNumber(code):
		if num, err = receipt.ParseNumber(code); err == nil {
			err = s.numberGate(c)
		}
	default:
		tok, err = receipt.ParseToken(code)
	}
	if err != nil {
		return store.KioskResult{}, err
	}
	return s.store.SubmitKioskResponse(c.Request().Context(), store.KioskSubmission{
		KioskID: k.ID, Key: key, Token: tok, Number: num, Policy: s.tokenPolicy(), AnsweredAt: at,
		Submission: store.Submission{
			SurveyID: q.ID, SurveyVersion: q.Version, Source: "kiosk",
			Answers:      survey.EncodeAnswers(q.Codes(), resp.Answers),
			Expectations: strings.Join(resp.Expectations, " "), Comment: resp.Comment,
		},
	})
}

// handleKioskDone handles "GET /kiosk/done": thanks, then back to the start screen.
func (s *Server) handleKioskDone(c echo.Context) error {
	p, err := s.newKioskPage(c, false)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "kiosk_done.html", p)
}

// kioskCheckRequest is the body of POST /kiosk/api/check.
type kioskCheckRequest struct {
	Receipt string `json:"receipt"`
}

// handleKioskCheck handles "POST /kiosk/api/check": whether a code can be answered now, so
// the tablet can say so before the citizen answers. 200 {"status":"ok","agency":…}, or the
// error of GET /s/{token} for the same token.
func (s *Server) handleKioskCheck(c echo.Context) error {
	var req kioskCheckRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ref, rc, err := s.kioskReceipt(c, strings.TrimSpace(req.Receipt))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "agency": rc.AgencyName, "receipt": ref})
}

// kioskSubmitRequest is the body of POST /kiosk/api/submit: one answer from kiosk.js's queue.
type kioskSubmitRequest struct {
	Key          string            `json:"key"`
	Receipt      string            `json:"receipt"`
	AnsweredAt   string            `json:"answered_at"`
	Answers      map[string]string `json:"answers"`
	Expectations []string          `json:"expectations"`
	Comment      string            `json:"comment"`
}

// kioskKeyRE is an idempotency key: kiosk.js sends crypto.randomUUID().
var kioskKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// handleKioskAPISubmit handles "POST /kiosk/api/submit". The first request with a key stores
// the answer; a replay of the key answers 200 again and stores nothing.
func (s *Server) handleKioskAPISubmit(c echo.Context) error {
	var req kioskSubmitRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if !kioskKeyRE.MatchString(req.Key) {
		return errInvalid("invalid_key", 16, 64)
	}
	var at time.Time
	if req.AnsweredAt != "" {
		t, err := time.Parse(time.RFC3339, req.AnsweredAt)
		if err != nil {
			return errInvalid("invalid_answered_at")
		}
		at = t
	}
	k := kioskOf(c)
	q, err := s.kioskSurvey(k)
	if err != nil {
		return err
	}
	resp, verrs := q.ParseForm(req.form(q))
	if verrs != nil {
		return errInvalid("invalid_answers", fieldList(verrs))
	}
	if resp.Empty() {
		return errInvalid("empty_form")
	}
	res, err := s.submitKiosk(c, k, q, req.Key, strings.TrimSpace(req.Receipt), at, resp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "stored", "replay": res.Replay})
}

// form turns the JSON answer into the form the survey's parser validates.
func (r kioskSubmitRequest) form(q *survey.Questionnaire) url.Values {
	v := url.Values{}
	for code, a := range r.Answers {
		v.Set(code, a)
	}
	if len(r.Expectations) > 0 {
		code := "expectations"
		if q.Expectation != nil {
			code = q.Expectation.Code
		}
		v[code] = r.Expectations
	}
	if r.Comment != "" {
		v.Set(survey.FormFieldComment, r.Comment)
	}
	return v
}

// kioskEnrolPage is the data of kiosk_enrol.html.
type kioskEnrolPage struct {
	page
	Code  string
	Error bool
}

// handleKioskEnrolShow handles "GET /kiosk/enrol?code=": the enrolment form, filled in when
// the tablet opened the URL of the enrolment QR code (enrolling takes a POST).
func (s *Server) handleKioskEnrolShow(c echo.Context) error {
	l := s.lang(c)
	return s.render(c, http.StatusOK, "kiosk_enrol.html", kioskEnrolPage{
		page: page{Lang: l, Title: s.msgs.T(l, "kiosk.enrol_title"), Switch: s.switchLinks(c)},
		Code: strings.TrimSpace(c.QueryParam("code")),
	})
}

// handleKioskEnrol handles "POST /kiosk/enrol": a valid code (single use, 24 h) gives this
// browser the kiosk's device cookie; 403 and the form again otherwise.
func (s *Server) handleKioskEnrol(c echo.Context) error {
	form, err := s.readForm(c)
	if err != nil {
		return err
	}
	code := strings.TrimSpace(form.Get("code"))
	device := auth.NewSessionID()
	var k store.Kiosk
	tok, err := receipt.ParseToken(code)
	if err == nil {
		k, err = s.store.EnrolKiosk(c.Request().Context(), tok.Hash(), auth.HashSecret(device))
	}
	if err != nil {
		if errors.Is(err, store.ErrEnrolCode) || errors.Is(err, receipt.ErrInvalidToken) {
			l := s.lang(c)
			return s.render(c, statusOf(fault.Forbidden), "kiosk_enrol.html", kioskEnrolPage{
				page: page{Lang: l, Title: s.msgs.T(l, "kiosk.enrol_title")}, Code: code, Error: true,
			})
		}
		return err
	}
	s.log.Info("kiosk enrolled", "kiosk_id", k.ID)
	s.setKioskCookie(c, device)
	return c.Redirect(http.StatusSeeOther, "/kiosk"+s.langQuery(s.lang(c)))
}

// handleKioskServiceWorker handles "GET /kiosk/sw.js": the service worker, served under
// /kiosk so that it may control /kiosk (Service-Worker-Allowed widens its scope from
// /kiosk/ to /kiosk). It holds no secret, so no device credential is asked.
func (s *Server) handleKioskServiceWorker(c echo.Context) error {
	b, err := fs.ReadFile(s.cfg.Assets, "static/kiosk-sw.js")
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Service-Worker-Allowed", "/kiosk")
	h.Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", b)
}

// tokenPolicy is the validity window of signed tokens.
func (s *Server) tokenPolicy() store.TokenPolicy {
	return store.TokenPolicy{ValidityDays: s.cfg.TokenValidityDays}
}

// kioskID parses the :id of an admin kiosk URL.
func kioskID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, errNoRoute
	}
	return id, nil
}
