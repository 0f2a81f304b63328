package web

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/dataset"
	"sipas/internal/fault"
	"sipas/internal/i18n"
	"sipas/internal/store"
	"sipas/internal/survey"
)

type dataPage struct {
	adminPage
	Kind        string
	Agencies    []store.Agency
	Populations []store.PopulationRow
	Aggregates  []store.AggregateRow
	Crosswalk   []successorGroup
	Errors      []string
	Result      string
	UploadMiB   int64 // the largest file taken (Config.UploadLimit)
}

// successorGroup is one of today's units and the former units whose receipts it took over,
// as the crosswalk page lists them.
type successorGroup struct {
	Code, Name string
	Rows       []transferRow
}

// transferRow is one row of the crosswalk with the former unit's name and the share written
// in the page's language.
type transferRow struct {
	store.CrosswalkRow
	FromName, Share string
}

// handleDataShow handles "GET /admin/agencies", "/admin/populations", "/admin/aggregates" and
// "/admin/crosswalk".
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
	case "crosswalk":
		p.Crosswalk, err = s.crosswalkGroups(c)
	}
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_data.html", p)
}

// crosswalkGroups lists the stored crosswalk by successor (in name order), each with its
// former units by date and code.
func (s *Server) crosswalkGroups(c echo.Context) ([]successorGroup, error) {
	ctx := c.Request().Context()
	rows, err := s.store.ListCrosswalk(ctx)
	if err != nil {
		return nil, err
	}
	_, names, err := s.agencies(ctx)
	if err != nil {
		return nil, err
	}
	loc := s.locale(c)
	byTo := map[string]*successorGroup{}
	for _, r := range rows {
		g, ok := byTo[r.To]
		if !ok {
			g = &successorGroup{Code: r.To, Name: names[r.To]}
			byTo[r.To] = g
		}
		g.Rows = append(g.Rows, transferRow{CrosswalkRow: r, FromName: names[r.From], Share: shareText(loc, r.Share)})
	}
	out := make([]successorGroup, 0, len(byTo))
	for _, code := range slices.Sorted(maps.Keys(byTo)) {
		out = append(out, *byTo[code])
	}
	byName := collator(loc.Code)
	slices.SortStableFunc(out, func(a, b successorGroup) int { return byName.CompareString(a.Name, b.Name) })
	return out, nil
}

// shareText writes a share as a percentage with as many decimals as it has (up to two):
// "100%", "45%", "18,5%".
func shareText(loc *i18n.Locale, share float64) string {
	for d := range 2 {
		scaled := share * 100 * math.Pow10(d)
		if math.Abs(scaled-math.Round(scaled)) < 1e-6 {
			return loc.Percent(share, d)
		}
	}
	return loc.Percent(share, 2)
}

// handleDataUpload handles "POST /admin/{agencies,populations,aggregates,crosswalk}/upload": the same
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
