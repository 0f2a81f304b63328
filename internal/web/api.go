package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/dataset"
	"sipas/internal/fault"
	"sipas/internal/receipt"
	"sipas/internal/store"
)

// decodeJSON reads a JSON request body strictly: the right content type, valid UTF-8, known
// fields only (a misspelt field is an error, not a silent default), one value.
func decodeJSON(c echo.Context, dst any) error {
	if !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		return fault.New(fault.Unsupported, "unsupported_media_type").Say("fault.need_json")
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
			return echo.ErrStatusRequestEntityTooLarge
		}
		return errBadRequest("bad_request").Say("fault.unreadable_body")
	}
	if !utf8.Valid(body) {
		return errBadRequest("invalid_json").Say("fault.json_utf8")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return errBadRequest("invalid_json").Say("fault.json_trailing")
	}
	return nil
}

// jsonProblem says what is wrong with a JSON body in the client's terms: the field or the
// byte offset, never the Go decoder's text (which names Go types).
func jsonProblem(err error) *fault.Error {
	f := errBadRequest("invalid_json")
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch field, unknown := strings.CutPrefix(err.Error(), "json: unknown field "); {
	case errors.As(err, &syn):
		return f.Say("fault.json_syntax", syn.Offset)
	case errors.As(err, &typ):
		return f.Say("fault.json_type", typ.Field)
	case unknown:
		return f.Say("fault.json_unknown_field", strings.Trim(field, `"`))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return f.Say("fault.json_empty")
	}
	return f
}

// Limits of POST /api/v1/receipts and of the QR images.
const (
	maxProcedure = 300 // characters of a procedure's name
	minQRSize    = 64  // pixels
	maxQRSize    = 2048
)

// receiptRequest is the body of POST /api/v1/receipts.
type receiptRequest struct {
	Agency    string `json:"agency"`
	Procedure string `json:"procedure"`
	Channel   string `json:"channel"`
}

// receiptResponse is what one-stop-shop software gets back for one receipt.
type receiptResponse struct {
	Token     string `json:"token"`
	ShortCode string `json:"short_code"`
	Number    string `json:"number"` // receipt.Number, grouped, for kiosks without a camera
	URL       string `json:"url"`
	QRPNG     string `json:"qr_png"`
	QRSVG     string `json:"qr_svg"`
	Agency    string `json:"agency"`
	Channel   string `json:"channel"`
}

func validateChannel(ch string) error {
	if !dataset.IsChannel(ch) {
		return errInvalid("invalid_channel", ch, strings.Join(dataset.Channels, ", "))
	}
	return nil
}

// handleReceiptCreate handles "POST /api/v1/receipts": it issues one receipt token.
func (s *Server) handleReceiptCreate(c echo.Context) error {
	var req receiptRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Channel == "" {
		req.Channel = dataset.ChannelCounter
	}
	if req.Agency == "" {
		return errInvalid("invalid_agency")
	}
	if err := keyMay(c, auth.ScopeIssue, req.Agency); err != nil {
		return err
	}
	if err := validateChannel(req.Channel); err != nil {
		return err
	}
	if utf8.RuneCountInString(req.Procedure) > maxProcedure {
		return errInvalid("invalid_procedure", maxProcedure)
	}
	tok, err := receipt.NewToken()
	if err != nil {
		return err
	}
	list, err := s.store.CreateReceipts(c.Request().Context(), []store.NewReceipt{{
		TokenHash: tok.Hash(), NumberHash: receipt.NumberOf(tok).Hash(), AgencyCode: req.Agency, Procedure: req.Procedure, Channel: req.Channel, Source: "api",
	}})
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownAgency(req.Agency)
	}
	if err != nil {
		return err
	}
	u, err := receipt.SurveyURL(s.cfg.BaseURL, tok)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, receiptResponse{
		Token: string(tok), ShortCode: tok.ShortCode(), Number: receipt.NumberOf(tok).Grouped(), URL: u,
		QRPNG: "/api/v1/receipts/" + string(tok) + "/qr.png", QRSVG: "/api/v1/receipts/" + string(tok) + "/qr.svg",
		Agency: list[0].AgencyCode, Channel: list[0].Channel,
	})
}

// receiptURL resolves :token to the survey URL of an existing receipt.
func (s *Server) receiptURL(c echo.Context) (string, error) {
	tok, err := receipt.ParseToken(c.Param("token"))
	if err != nil {
		return "", err
	}
	if _, err := s.store.FindReceiptByTokenHash(c.Request().Context(), tok.Hash()); err != nil {
		return "", err
	}
	return receipt.SurveyURL(s.cfg.BaseURL, tok)
}

// handleReceiptQRPNG handles "GET /api/v1/receipts/:token/qr.png?size=N". Knowing the token
// already grants the survey, so the image needs no API key; unknown tokens get 404.
func (s *Server) handleReceiptQRPNG(c echo.Context) error {
	u, err := s.receiptURL(c)
	if err != nil {
		return err
	}
	size := 0
	if v := c.QueryParam("size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < minQRSize || size > maxQRSize {
			return errBadRequest("invalid_size", minQRSize, maxQRSize)
		}
	}
	png, err := receipt.QRPNG(u, size)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=86400")
	return c.Blob(http.StatusOK, "image/png", png)
}

// handleReceiptQRSVG handles "GET /api/v1/receipts/:token/qr.svg".
func (s *Server) handleReceiptQRSVG(c echo.Context) error {
	u, err := s.receiptURL(c)
	if err != nil {
		return err
	}
	svg, err := receipt.QRSVG(u)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=86400")
	return c.Blob(http.StatusOK, "image/svg+xml", svg)
}
