package web

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/fault"
	"sipas/internal/receipt"
	"sipas/internal/store"
)

// newSecret is a token secret shown once, key included.
type newSecret struct {
	ID     uint32
	Agency string
	Key    string // hex
	Others []uint32
}

type secretsPage struct {
	adminPage
	Secrets  []store.TokenSecret
	Agencies []store.Agency
	Minted   []store.MintedDay
	New      *newSecret
	Error    string
	Validity int
}

// handleSecretsShow handles "GET /admin/secrets".
func (s *Server) handleSecretsShow(c echo.Context) error {
	return s.renderSecrets(c, http.StatusOK, nil, "")
}

func (s *Server) renderSecrets(c echo.Context, status int, ns *newSecret, errKey string) error {
	ctx := c.Request().Context()
	secrets, err := s.store.ListTokenSecrets(ctx)
	if err != nil {
		return err
	}
	agencies, err := s.store.ListAgencies(ctx)
	if err != nil {
		return err
	}
	minted, err := s.store.ListMinted(ctx, 60)
	if err != nil {
		return err
	}
	validity := s.cfg.TokenValidityDays
	if validity <= 0 {
		validity = store.DefaultTokenValidityDays
	}
	return s.render(c, status, "admin_secrets.html", secretsPage{adminPage: s.newAdminPage(c, "secrets.title"),
		Secrets: secrets, Agencies: agencies, Minted: minted, New: ns, Error: errKey, Validity: validity})
}

// handleSecretCreate handles "POST /admin/secrets": a new secret for an agency, which is a
// rotation when the agency has one already (the old stays valid until revoked). The key is on
// this one response only and never in the audit log.
func (s *Server) handleSecretCreate(c echo.Context) error {
	agency := c.FormValue("agency")
	key, err := receipt.NewSecretKey()
	if err != nil {
		return err
	}
	sec, err := s.store.CreateTokenSecret(c.Request().Context(), agency, key)
	if errors.Is(err, store.ErrNotFound) {
		return s.renderSecrets(c, statusOf(fault.Invalid), nil, "secrets.invalid")
	}
	if err != nil {
		return err
	}
	ns := &newSecret{ID: sec.ID, Agency: sec.AgencyCode, Key: hex.EncodeToString(key)}
	list, err := s.store.ListTokenSecrets(c.Request().Context())
	if err != nil {
		return err
	}
	for _, o := range list {
		if o.AgencyID == sec.AgencyID && o.ID != sec.ID && !o.Revoked {
			ns.Others = append(ns.Others, o.ID)
		}
	}
	s.audit(c, "token_secret.create", fmt.Sprintf("secret %d for %s (other active: %v)", sec.ID, sec.AgencyCode, ns.Others))
	return s.renderSecrets(c, http.StatusCreated, ns, "")
}

// handleSecretRevoke handles "POST /admin/secrets/:id/revoke": tokens of that secret are
// refused (404) from now on.
func (s *Server) handleSecretRevoke(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 24)
	if err != nil {
		return errNoRoute
	}
	if err := s.store.RevokeTokenSecret(c.Request().Context(), uint32(id)); err != nil {
		return err
	}
	s.audit(c, "token_secret.revoke", fmt.Sprintf("secret %d", id))
	return redirectFlash(c, "/admin/secrets", "flash.saved")
}

// mintedRequest is the body of POST /api/v1/minted.
type mintedRequest struct {
	Agency string `json:"agency"`
	Date   string `json:"date"`
	Count  *int64 `json:"count"`
}

// handleMintedReport handles "POST /api/v1/minted": how many signed tokens an agency's
// software minted on one day (the last report for a day wins). The stratum size of that
// agency and year then counts this figure for that day (store.Populations).
func (s *Server) handleMintedReport(c echo.Context) error {
	var req mintedRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Agency == "" {
		return errInvalid("invalid_agency")
	}
	if err := keyMay(c, auth.ScopeIssue, req.Agency); err != nil {
		return err
	}
	day, err := time.ParseInLocation(time.DateOnly, req.Date, calendar.Zone)
	if err != nil || day.Year() < 2020 || day.After(time.Now().Add(24*time.Hour)) {
		return errInvalid("invalid_date")
	}
	if req.Count == nil || *req.Count < 0 || *req.Count > store.MaxMintedPerDay {
		return errInvalid("invalid_count", 0, store.MaxMintedPerDay)
	}
	err = s.store.ReportMinted(c.Request().Context(), req.Agency, req.Date, *req.Count)
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownAgency(req.Agency)
	}
	if err != nil {
		return err
	}
	s.audit(c, "minted.report", fmt.Sprintf("%s %s: %d", req.Agency, req.Date, *req.Count))
	return c.JSON(http.StatusOK, map[string]any{"agency": req.Agency, "date": req.Date, "count": *req.Count})
}
