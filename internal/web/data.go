package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/dataset"
	"sipas/internal/fault"
	"sipas/internal/store"
	"sipas/internal/survey"
)

type dataPage struct {
	adminPage
	Kind        string
	Agencies    []store.Agency
	Populations []store.PopulationRow
	Aggregates  []store.AggregateRow
	Errors      []string
	Result      string
	UploadMiB   int64 // the largest file taken (Config.UploadLimit)
}

// handleDataShow handles "GET /admin/agencies", "/admin/populations" and "/admin/aggregates".
func (s *Server) handleDataShow(kind string) echo.HandlerFunc {
	return func(c echo.Context) error { return s.renderData(c, kind, http.StatusOK, nil, "") }
}

func (s *Server) renderData(c echo.Context, kind string, status int, errs []string, result string) error {
	ctx := c.Request().Context()
	p := dataPage{adminPage: s.newAdminPage(c, "data."+kind), Kind: kind, Errors: errs, Result: result, UploadMiB: s.cfg.UploadLimit >> 20}
	var err error
	switch kind {
	case "agencies":
		p.Agencies, err = s.store.ListAgencies(ctx)
	case "populations":
		p.Populations, err = s.store.ListPopulations(ctx)
	case "aggregates":
		p.Aggregates, err = s.store.ListAggregates(ctx, survey.DefaultID)
	}
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_data.html", p)
}

// handleDataUpload handles "POST /admin/{agencies,populations,aggregates}/upload": the same
// all-or-nothing import as the CLI, every bad row listed with its line and column.
func (s *Server) handleDataUpload(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		name, f, err := s.uploadedFile(c, "file") // streamed from the connection (uploads.go)
		if err != nil {
			return s.renderData(c, kind, statusOf(fault.Invalid), []string{s.msgs.T(s.lang(c), "data.need_file")}, "")
		}
		q, err := s.surveys.Get(survey.DefaultID)
		if err != nil {
			return err
		}
		res, err := s.store.ImportFile(c.Request().Context(), q, kind, name, f)
		var derrs dataset.Errors
		if errors.As(err, &derrs) {
			// The user's mistakes, each as FILE:LINE:COLUMN: what is wrong.
			lines := make([]string, len(derrs))
			for i, e := range derrs {
				lines[i] = e.Error()
			}
			return s.renderData(c, kind, statusOf(fault.Invalid), lines, "")
		}
		if err != nil {
			return err // sipas's own failure: 500, logged, never shown
		}
		s.audit(c, "import."+kind, fmt.Sprintf("%s: %s", name, res))
		return s.renderData(c, kind, http.StatusOK, nil, res.String())
	}
}

// handleAgencyUpdate handles "POST /admin/agencies/:code".
func (s *Server) handleAgencyUpdate(c echo.Context) error {
	code := c.Param("code")
	name, level, parent := strings.TrimSpace(c.FormValue("name")), c.FormValue("level"), strings.TrimSpace(c.FormValue("parent_code"))
	if name == "" || !dataset.IsLevel(level) {
		return s.renderData(c, "agencies", statusOf(fault.Invalid), []string{s.msgs.T(s.lang(c), "data.agency_invalid")}, "")
	}
	if err := s.store.UpdateAgency(c.Request().Context(), code, name, level, parent); err != nil {
		return err
	}
	s.audit(c, "agency.update", code)
	return redirectFlash(c, "/admin/agencies", "flash.saved")
}
