package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"sipas/internal/fault"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/survey"
)

// kioskForm is the registration form of /admin/kiosks.
type kioskForm struct {
	Agency    string
	Counter   string
	Survey    string
	Idle      string
	AllowAnon bool
}

// enrolCode is an enrolment code shown once, with the URL and QR code the tablet can open.
type enrolCode struct {
	KioskID int64
	Code    string // short code form
	URL     string
	QR      template.HTML // the QR code as inline SVG (no data: URL: the page is its only copy)
	Expires time.Time
}

type kiosksPage struct {
	adminPage
	Kiosks   []store.Kiosk
	Counts   map[int64]store.KioskCounts
	Agencies []store.Agency
	Surveys  []*survey.Questionnaire
	Now      time.Time
	New      *enrolCode
	Form     kioskForm
	Error    string
}

// handleKiosksShow handles "GET /admin/kiosks".
func (s *Server) handleKiosksShow(c echo.Context) error {
	return s.renderKiosks(c, http.StatusOK, nil, kioskForm{Survey: store.DefaultKioskSurvey, Idle: strconv.Itoa(store.DefaultIdleSeconds)}, "")
}

func (s *Server) renderKiosks(c echo.Context, status int, code *enrolCode, f kioskForm, errKey string) error {
	ctx := c.Request().Context()
	kiosks, err := s.store.ListKiosks(ctx)
	if err != nil {
		return err
	}
	counts, err := s.store.CountKioskResponses(ctx)
	if err != nil {
		return err
	}
	agencies, err := s.store.ListAgencies(ctx)
	if err != nil {
		return err
	}
	list := s.surveys.All()
	slices.Reverse(list) // sipas-quick before sipas
	return s.render(c, status, "admin_kiosks.html", kiosksPage{adminPage: s.newAdminPage(c, "kiosks.title"),
		Kiosks: kiosks, Counts: counts, Agencies: agencies, Surveys: list, Now: time.Now(), New: code, Form: f, Error: errKey})
}

// newEnrolCode makes a one-time enrolment code: 80 random bits written like a receipt's
// short code, so the tablet's code field reads it as forgivingly.
func (s *Server) newEnrolCode(kioskID int64) (*enrolCode, string, error) {
	tok, err := receipt.NewToken()
	if err != nil {
		return nil, "", err
	}
	u := strings.TrimRight(s.cfg.BaseURL, "/") + "/kiosk/enrol?code=" + string(tok)
	svg, err := receipt.QRSVG(u)
	if err != nil {
		return nil, "", err
	}
	return &enrolCode{KioskID: kioskID, Code: tok.ShortCode(), URL: u, Expires: time.Now().Add(store.EnrolValidity),
		QR: template.HTML(svg)}, tok.Hash(), nil // QRSVG writes only numbers and fixed markup
}

// handleKioskCreate handles "POST /admin/kiosks": the new kiosk's enrolment code and its QR
// code are on this one response only.
func (s *Server) handleKioskCreate(c echo.Context) error {
	f := kioskForm{Agency: c.FormValue("agency"), Counter: strings.TrimSpace(c.FormValue("counter")),
		Survey: c.FormValue("survey"), Idle: strings.TrimSpace(c.FormValue("idle")), AllowAnon: c.FormValue("allow_anon") == "1"}
	idle, err := strconv.Atoi(f.Idle)
	_, serr := s.surveys.Get(f.Survey)
	if err != nil || idle < store.MinIdleSeconds || idle > 3600 || f.Counter == "" || utf8.RuneCountInString(f.Counter) > 100 || serr != nil {
		return s.renderKiosks(c, statusOf(fault.Invalid), nil, f, "kiosks.invalid")
	}
	code, hash, err := s.newEnrolCode(0)
	if err != nil {
		return err
	}
	k, err := s.store.CreateKiosk(c.Request().Context(), store.NewKiosk{AgencyCode: f.Agency, Counter: f.Counter,
		SurveyID: f.Survey, IdleSeconds: idle, AllowWithoutReceipt: f.AllowAnon, EnrolHash: hash})
	if errors.Is(err, store.ErrNotFound) {
		return s.renderKiosks(c, statusOf(fault.Invalid), nil, f, "kiosks.invalid")
	}
	if err != nil {
		return err
	}
	code.KioskID, code.Expires = k.ID, k.EnrolExpiresAt
	s.audit(c, "kiosk.create", fmt.Sprintf("kiosk %d %s %q survey=%s idle=%ds without_receipt=%v", k.ID, k.AgencyCode, k.Counter, k.SurveyID, k.IdleSeconds, k.AllowWithoutReceipt))
	return s.renderKiosks(c, http.StatusCreated, code, kioskForm{Survey: store.DefaultKioskSurvey, Idle: strconv.Itoa(store.DefaultIdleSeconds)}, "")
}

// handleKioskRenew handles "POST /admin/kiosks/:id/enrol": a new enrolment code (shown once),
// to enrol a replacement tablet; enrolling with it retires the current one.
func (s *Server) handleKioskRenew(c echo.Context) error {
	id, err := kioskID(c)
	if err != nil {
		return err
	}
	code, hash, err := s.newEnrolCode(id)
	if err != nil {
		return err
	}
	if err := s.store.RenewKioskEnrolment(c.Request().Context(), id, hash); err != nil {
		return err
	}
	s.audit(c, "kiosk.enrol_code", fmt.Sprintf("kiosk %d: new enrolment code", id))
	return s.renderKiosks(c, http.StatusOK, code, kioskForm{Survey: store.DefaultKioskSurvey, Idle: strconv.Itoa(store.DefaultIdleSeconds)}, "")
}

// handleKioskRevoke handles "POST /admin/kiosks/:id/revoke".
func (s *Server) handleKioskRevoke(c echo.Context) error {
	id, err := kioskID(c)
	if err != nil {
		return err
	}
	if err := s.store.RevokeKiosk(c.Request().Context(), id); err != nil {
		return err
	}
	s.audit(c, "kiosk.revoke", fmt.Sprintf("kiosk %d", id))
	return redirectFlash(c, "/admin/kiosks", "flash.saved")
}
