package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/report"
)

type integrityPage struct {
	adminPage
	report.Integrity
}

// handleIntegrity handles "GET /admin/integrity": the last 30 days of refused attempts by
// reason beside the accepted ones (report.BuildIntegrity).
func (s *Server) handleIntegrity(c echo.Context) error {
	in, err := report.BuildIntegrity(c.Request().Context(), s.store, time.Now())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_integrity.html", integrityPage{adminPage: s.newAdminPage(c, "integrity.title"), Integrity: *in})
}
