package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/fault"
	"sipas/internal/i18n"
	"sipas/internal/receipt"
	"sipas/internal/sheet"
	"sipas/internal/store"
)

// MaxSheetLabels bounds one sticker sheet request.
const MaxSheetLabels = 1000

// errSheetCount is a sticker count outside 1..MaxSheetLabels.
func errSheetCount() error { return errInvalid("invalid_count", 1, MaxSheetLabels) }

// stickerSheet issues count new receipts of the agency (source sheet, channel counter) and
// returns the PDF of their stickers, worded in l. An unknown agency gives store.ErrNotFound.
func (s *Server) stickerSheet(c echo.Context, agency string, count int, l *i18n.Locale) ([]byte, error) {
	if count < 1 || count > MaxSheetLabels {
		return nil, errSheetCount()
	}
	toks := make([]receipt.Token, count)
	list := make([]store.NewReceipt, count)
	for i := range toks {
		tok, err := receipt.NewToken()
		if err != nil {
			return nil, err
		}
		toks[i] = tok
		list[i] = store.NewReceipt{TokenHash: tok.Hash(), NumberHash: receipt.NumberOf(tok).Hash(), AgencyCode: agency, Channel: dataset.ChannelCounter, Source: "sheet"}
	}
	issued, err := s.store.CreateReceipts(c.Request().Context(), list)
	if err != nil {
		return nil, err
	}
	labels := make([]sheet.Label, count)
	for i, tok := range toks {
		u, err := receipt.SurveyURL(s.cfg.BaseURL, tok)
		if err != nil {
			return nil, err
		}
		labels[i] = sheet.Label{URL: u, Code: tok.ShortCode(), Number: receipt.NumberOf(tok).Grouped(), Agency: issued[i].AgencyName}
	}
	var buf bytes.Buffer
	if err := sheet.Render(c.Request().Context(), &buf, s.fonts, labels, sheet.Options{L: l}); err != nil {
		return nil, err
	}
	s.audit(c, "sheets.create", fmt.Sprintf("%d sticker receipts of %s", count, agency))
	return buf.Bytes(), nil
}

// sendSheet answers with the PDF as a download.
func sendSheet(c echo.Context, agency string, pdf []byte) error {
	name := "sipas-qr-" + strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, agency) + "-" + time.Now().In(calendar.Zone).Format("20060102-150405") + ".pdf"
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store") // every sheet is new receipts: never a cached copy
	return c.Blob(http.StatusOK, "application/pdf", pdf)
}

// sheetRequest is the body of POST /api/v1/sheets.
type sheetRequest struct {
	Agency string          `json:"agency"`
	Count  json.RawMessage `json:"count"` // read as an integer below: anything else is 422
	Lang   string          `json:"lang"`  // language of the stickers; default the default language
}

// sheetLocale is the language a sticker sheet is asked in: a language of the registry, the
// default one when none is named, else the Invalid fault invalid_language.
func (s *Server) sheetLocale(code string) (*i18n.Locale, error) {
	if code == "" {
		return s.msgs.Default(), nil
	}
	if !s.msgs.Has(code) {
		return nil, errInvalid("invalid_language", code, strings.Join(s.msgs.Codes(), ", "))
	}
	return s.msgs.Locale(code), nil
}

// handleSheetsAPI handles "POST /api/v1/sheets": N new receipts as an A4 PDF of QR stickers.
func (s *Server) handleSheetsAPI(c echo.Context) error {
	var req sheetRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Agency == "" {
		return errInvalid("invalid_agency")
	}
	if err := keyMay(c, auth.ScopeIssue, req.Agency); err != nil {
		return err
	}
	n, err := strconv.Atoi(string(req.Count))
	if err != nil {
		return errSheetCount()
	}
	l, err := s.sheetLocale(req.Lang)
	if err != nil {
		return err
	}
	pdf, err := s.stickerSheet(c, req.Agency, n, l)
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownAgency(req.Agency)
	}
	if err != nil {
		return err
	}
	return sendSheet(c, req.Agency, pdf)
}

type sheetsPage struct {
	adminPage
	Agencies  []store.Agency
	Languages []*i18n.Locale
	Form      sheetForm
	Error     string
	Max       int
}

// sheetForm is the form of /admin/sheets.
type sheetForm struct {
	Agency, Count, Language string
}

// handleSheetsShow handles "GET /admin/sheets".
func (s *Server) handleSheetsShow(c echo.Context) error {
	return s.renderSheets(c, http.StatusOK, sheetForm{Count: "24", Language: s.msgs.Default().Code}, "")
}

func (s *Server) renderSheets(c echo.Context, status int, f sheetForm, errKey string) error {
	agencies, err := s.store.ListAgencies(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_sheets.html", sheetsPage{adminPage: s.newAdminPage(c, "sheets.title"),
		Agencies: agencies, Languages: s.msgs.Locales(), Form: f, Error: errKey, Max: MaxSheetLabels})
}

// handleSheetsCreate handles "POST /admin/sheets": the PDF download itself.
func (s *Server) handleSheetsCreate(c echo.Context) error {
	f := sheetForm{Agency: c.FormValue("agency"), Count: strings.TrimSpace(c.FormValue("count")), Language: c.FormValue("language")}
	n, err := strconv.Atoi(f.Count)
	l, lerr := s.sheetLocale(f.Language)
	if err != nil || n < 1 || n > MaxSheetLabels || f.Agency == "" || lerr != nil {
		return s.renderSheets(c, statusOf(fault.Invalid), f, "sheets.invalid")
	}
	pdf, err := s.stickerSheet(c, f.Agency, n, l)
	if errors.Is(err, store.ErrNotFound) {
		return s.renderSheets(c, statusOf(fault.Invalid), f, "sheets.invalid")
	}
	if err != nil {
		return err
	}
	return sendSheet(c, f.Agency, pdf)
}
