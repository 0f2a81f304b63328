package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"sipas/internal/calendar"
	"sipas/internal/report"
	"sipas/internal/survey"
)

type samplePage struct {
	adminPage
	report.SamplePlan
	Margins []float64
}

// handleSampleSize handles "GET /admin/sample-size?margin=0.05&year=": how many responses each
// agency needs for a ±margin index (METHODS §8, worst case p = 0.5), beside what it has.
func (s *Server) handleSampleSize(c echo.Context) error {
	margin, err := strconv.ParseFloat(c.QueryParam("margin"), 64)
	if err != nil {
		margin = report.DefaultMargin
	}
	year, err := strconv.Atoi(c.QueryParam("year"))
	if err != nil {
		year = calendar.ThisYear()
	}
	q, err := s.surveys.Get(survey.DefaultID)
	if err != nil {
		return err
	}
	scope, err := official(c).Scope("")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	_, names, err := s.agencies(ctx)
	if err != nil {
		return err
	}
	plan, err := report.PlanSample(ctx, s.store, q, year, scope, names, margin)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_samplesize.html", samplePage{adminPage: s.newAdminPage(c, "sample.title"),
		SamplePlan: *plan, Margins: report.SampleMargins})
}
