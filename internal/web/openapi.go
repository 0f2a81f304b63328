package web

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIFile is the OpenAPI 3.1 document of /api/v1 in Assets: the contract other systems
// build to, kept in the repository and checked by the tests (openapi_test.go) against every
// API response and every route.
const openAPIFile = "openapi.json"

// loadOpenAPI reads the document once, at start: a missing or broken one stops the service.
func (s *Server) loadOpenAPI() error {
	b, err := fs.ReadFile(s.cfg.Assets, openAPIFile)
	if err != nil {
		return fmt.Errorf("web: openapi: %w", err)
	}
	if !json.Valid(b) {
		return fmt.Errorf("web: openapi: %s is not valid JSON", openAPIFile)
	}
	s.openAPI = b
	return nil
}

// handleOpenAPI handles "GET /api/v1/openapi.json": the document, public like the contract.
func (s *Server) handleOpenAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, s.openAPI)
}
