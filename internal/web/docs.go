package web

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"

	"sipas/docs"
)

// handleDoc handles "GET /admin/docs/:name": a guide of the repository's docs/ that the
// officials' pages link to (docs.FS), as UTF-8 Markdown text, readable in any browser.
func (s *Server) handleDoc(c echo.Context) error {
	b, err := fs.ReadFile(docs.FS, c.Param("name"))
	if err != nil {
		return echo.ErrNotFound
	}
	c.Response().Header().Set("Content-Language", "en")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", b)
}
