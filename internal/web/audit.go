package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"sipas/internal/store"
)

// audit records an official's action; a failure to audit is logged here, at the edge, and
// does not undo what was done.
func (s *Server) audit(c echo.Context, action, detail string) {
	actor := official(c).Email
	if k, ok := c.Get(ctxAPIKey).(store.APIKey); ok {
		actor = "api:" + k.Name
	}
	if err := s.store.Audit(c.Request().Context(), actor, action, detail); err != nil {
		s.log.Error("audit", "err", err, "action", action)
	}
}

type auditPage struct {
	adminPage
	Entries []store.AuditEntry
	Action  string
}

// handleAuditShow handles "GET /admin/audit".
func (s *Server) handleAuditShow(c echo.Context) error {
	action := c.QueryParam("action")
	entries, err := s.store.ListAudit(c.Request().Context(), action, 500)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_audit.html", auditPage{adminPage: s.newAdminPage(c, "audit.title"), Entries: entries, Action: action})
}
