package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/store"
)

type keysPage struct {
	adminPage
	Keys   []store.APIKey
	NewKey string
}

// handleKeysShow handles "GET /admin/keys".
func (s *Server) handleKeysShow(c echo.Context) error {
	keys, err := s.store.ListAPIKeys(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_keys.html", keysPage{adminPage: s.newAdminPage(c, "keys.title"), Keys: keys})
}

// handleKeyCreate handles "POST /admin/keys": the key is shown on this one response only.
func (s *Server) handleKeyCreate(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" {
		return redirectFlash(c, "/admin/keys", "keys.need_name")
	}
	key, hash, prefix := auth.NewAPIKey()
	k, err := s.store.CreateAPIKey(c.Request().Context(), name, hash, prefix)
	if err != nil {
		return err
	}
	s.audit(c, "apikey.create", fmt.Sprintf("key %d (%s) %s", k.ID, prefix, name))
	keys, err := s.store.ListAPIKeys(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusCreated, "admin_keys.html", keysPage{adminPage: s.newAdminPage(c, "keys.title"), Keys: keys, NewKey: key})
}

// handleKeyRevoke handles "POST /admin/keys/:id/revoke".
func (s *Server) handleKeyRevoke(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return errNoRoute
	}
	if err := s.store.RevokeAPIKey(c.Request().Context(), id); err != nil {
		return err
	}
	s.audit(c, "apikey.revoke", fmt.Sprintf("key %d", id))
	return redirectFlash(c, "/admin/keys", "flash.saved")
}
