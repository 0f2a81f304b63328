package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/fault"
	"sipas/internal/store"
)

type keysPage struct {
	adminPage
	Keys     []store.APIKey
	Agencies []store.Agency
	Kinds    []auth.ScopeKind
	NewKey   string
	Error    string
	Now      time.Time
}

// handleKeysShow handles "GET /admin/keys".
func (s *Server) handleKeysShow(c echo.Context) error {
	return s.renderKeys(c, http.StatusOK, "", "")
}

func (s *Server) renderKeys(c echo.Context, status int, newKey, errKey string) error {
	ctx := c.Request().Context()
	keys, err := s.store.ListAPIKeys(ctx)
	if err != nil {
		return err
	}
	agencies, err := s.store.ListAgencies(ctx)
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_keys.html", keysPage{adminPage: s.newAdminPage(c, "keys.title"), Keys: keys,
		Agencies: agencies, Kinds: auth.ScopeKinds, NewKey: newKey, Error: errKey, Now: time.Now()})
}

// errKeyForm is a key form that cannot be accepted; its value is the message key.
type errKeyForm string

func (e errKeyForm) Error() string { return "web: api key form: " + string(e) }

// keyForm reads the scopes and expiry of the key form: one multiple select of agency codes
// (or *) per scope kind, a metrics box, and an optional last day of validity.
func (s *Server) keyForm(c echo.Context) (auth.Scopes, time.Time, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, time.Time{}, errKeyForm("keys.invalid")
	}
	var words []string
	for _, kind := range auth.ScopeKinds {
		if kind == auth.ScopeMetrics {
			if form.Get("metrics") == "1" {
				words = append(words, string(kind))
			}
			continue
		}
		for _, code := range form[string(kind)] {
			if code != auth.AllAgencies {
				if _, err := s.store.FindAgencyByCode(c.Request().Context(), code); errors.Is(err, store.ErrNotFound) {
					return nil, time.Time{}, errKeyForm("keys.invalid")
				} else if err != nil {
					return nil, time.Time{}, err
				}
			}
			words = append(words, string(kind)+":"+code)
		}
	}
	scopes, err := auth.ParseScopes(strings.Join(words, " "))
	if err != nil {
		return nil, time.Time{}, errKeyForm("keys.invalid")
	}
	if len(scopes) == 0 {
		return nil, time.Time{}, errKeyForm("keys.need_scope")
	}
	var expires time.Time
	if v := form.Get("expires"); v != "" {
		day, err := time.ParseInLocation(time.DateOnly, v, calendar.Zone)
		if err != nil || !day.After(time.Now()) {
			return nil, time.Time{}, errKeyForm("keys.invalid_expiry")
		}
		expires = day.AddDate(0, 0, 1) // valid through the day named
	}
	return scopes, expires, nil
}

// handleKeyCreate handles "POST /admin/keys": the key is shown on this one response only.
func (s *Server) handleKeyCreate(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" {
		return redirectFlash(c, "/admin/keys", "keys.need_name")
	}
	scopes, expires, err := s.keyForm(c)
	var fe errKeyForm
	if errors.As(err, &fe) {
		return s.renderKeys(c, statusOf(fault.Invalid), "", string(fe))
	}
	if err != nil {
		return err
	}
	key, hash, prefix := auth.NewAPIKey()
	k, err := s.store.CreateAPIKey(c.Request().Context(), store.NewAPIKey{Name: name, Hash: hash, Prefix: prefix, Scopes: scopes, ExpiresAt: expires})
	if err != nil {
		return err
	}
	s.audit(c, "apikey.create", fmt.Sprintf("key %d (%s) %s scopes=%s expires=%s", k.ID, prefix, name, scopes, expiryText(expires)))
	return s.renderKeys(c, http.StatusCreated, key, "")
}

// expiryText is an expiry for the audit log and the CLI: the instant, or "never".
func expiryText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
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
