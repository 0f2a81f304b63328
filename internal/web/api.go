package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"sipas/internal/dataset"
	"sipas/internal/receipt"
	"sipas/internal/store"
)

// decodeJSON reads a JSON request body strictly: the right content type, valid UTF-8, known
// fields only (a misspelt field is an error, not a silent default), one value.
func decodeJSON(c echo.Context, dst any) error {
	if !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		return &apiError{http.StatusUnsupportedMediaType, "unsupported_media_type", "send Content-Type: application/json"}
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
			return echo.ErrStatusRequestEntityTooLarge
		}
		return errBadRequest("bad_request", "could not read the request body")
	}
	if !utf8.Valid(body) {
		return errBadRequest("invalid_json", "the body is not valid UTF-8")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return errBadRequest("invalid_json", "invalid JSON body: "+err.Error())
	}
	if dec.More() {
		return errBadRequest("invalid_json", "invalid JSON body: more than one value")
	}
	return nil
}

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
	URL       string `json:"url"`
	QRPNG     string `json:"qr_png"`
	QRSVG     string `json:"qr_svg"`
	Agency    string `json:"agency"`
	Channel   string `json:"channel"`
}

func validateChannel(ch string) error {
	if !dataset.IsChannel(ch) {
		return errInvalid("invalid_channel", fmt.Sprintf("channel %q must be one of %s", ch, strings.Join(dataset.Channels, ", ")))
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
		return errInvalid("invalid_agency", "agency is required")
	}
	if err := validateChannel(req.Channel); err != nil {
		return err
	}
	if utf8.RuneCountInString(req.Procedure) > 300 {
		return errInvalid("invalid_procedure", "procedure is longer than 300 characters")
	}
	tok, err := receipt.NewToken()
	if err != nil {
		return err
	}
	list, err := s.store.CreateReceipts(c.Request().Context(), []store.NewReceipt{{
		TokenHash: tok.Hash(), AgencyCode: req.Agency, Procedure: req.Procedure, Channel: req.Channel, Source: "api",
	}})
	if errors.Is(err, store.ErrNotFound) {
		return errInvalid("unknown_agency", fmt.Sprintf("agency %q is not known", req.Agency))
	}
	if err != nil {
		return err
	}
	u, err := receipt.SurveyURL(s.cfg.BaseURL, tok)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, receiptResponse{
		Token: string(tok), ShortCode: tok.ShortCode(), URL: u,
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
		if size, err = strconv.Atoi(v); err != nil || size < 64 || size > 2048 {
			return errBadRequest("invalid_size", "size must be an integer from 64 to 2048")
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
