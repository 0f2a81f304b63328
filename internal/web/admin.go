package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/store"
)

// adminPage is the data every /admin/ page gets.
type adminPage struct {
	page
	Official auth.Official
	CSRF     string
	Path     string
	Flash    string
}

func (s *Server) newAdminPage(c echo.Context, titleKey string) adminPage {
	l := s.lang(c)
	tok, _ := c.Get("csrf").(string)
	return adminPage{
		page:     page{Lang: l, Title: s.msgs.T(l, titleKey), Switch: s.switchLinks(c)},
		Official: official(c), CSRF: tok, Path: c.Request().URL.Path, Flash: s.flashText(l, c.QueryParam("flash")),
	}
}

// agencies lists every agency, and maps their codes to their names for report.NewMeta.
func (s *Server) agencies(ctx context.Context) ([]store.Agency, map[string]string, error) {
	list, err := s.store.ListAgencies(ctx)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[string]string, len(list))
	for _, a := range list {
		names[a.Code] = a.Name
	}
	return list, names, nil
}

// flashes are the messages a redirect may ask the next page to show (?flash=KEY). Only these
// keys are shown, so that a link cannot put text of its choosing in a page's status box.
var flashes = map[string]bool{"flash.saved": true, "keys.need_name": true,
	"account.password_changed": true, "account.totp_on": true, "account.totp_off": true}

// flashText is the text of the flash key a page was asked to show, or "" for any other key.
func (s *Server) flashText(l, key string) string {
	if !flashes[key] {
		return ""
	}
	return s.msgs.T(l, key)
}

// redirectFlash answers a form with POST-redirect-GET and a message key to show, one of
// flashes.
func redirectFlash(c echo.Context, path, flash string) error {
	if !flashes[flash] {
		return fmt.Errorf("web: flash %q is not in the flashes allow-list", flash)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return c.Redirect(http.StatusSeeOther, path+sep+"flash="+flash)
}
