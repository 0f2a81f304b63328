package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/calendar"
	"sipas/internal/report"
	"sipas/internal/store"
)

type dashboardPage struct {
	adminPage
	D          *report.Dashboard
	Agencies   []store.Agency // of the agency filter
	Form       filterForm
	Export     template.URL // query string of the download links (a URL part, so its & and = stay)
	Formats    []report.Format
	RawFormats []report.ResponseFormat
}

// handleDashboard handles "GET /admin/": the indices of one year against a baseline.
func (s *Server) handleDashboard(c echo.Context) error {
	var f filterForm
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &f); err != nil {
		return errBadRequest("invalid_query")
	}
	q, err := s.questionnaire(f.Survey)
	if err != nil {
		return err
	}
	o := official(c)
	if f.Baseline == "" {
		f.Baseline = "2023"
	}
	qy, err := f.query(&o, calendar.ThisYear())
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	agencies, names, err := s.agencies(ctx)
	if err != nil {
		return err
	}
	meta := report.NewMeta(s.locale(c), q, qy, names, s.fonts)
	d, err := report.BuildDashboard(ctx, s.store, q, qy, meta)
	if err != nil {
		return err // a query the data cannot answer is an Invalid fault; store I/O is internal
	}
	f.Year = qy.Year
	return s.render(c, http.StatusOK, "admin_dashboard.html", dashboardPage{
		adminPage: s.newAdminPage(c, "dash.title"), D: d, Agencies: agencies, Form: f,
		Export:  template.URL(f.exportQuery(s.langQuery(s.lang(c)))),
		Formats: report.Formats, RawFormats: report.ResponseFormats,
	})
}

// exportQuery is the query of the dashboard's download links: the year and baseline the page
// shows (which it fills in when the URL has none) and its filters, never other parameters of
// the page's URL such as a flash message; lq is the page's langQuery.
func (f filterForm) exportQuery(lq string) string {
	v := url.Values{}
	v.Set("year", strconv.Itoa(f.Year))
	v.Set("baseline", f.Baseline)
	for k, val := range map[string]string{"baseline_source": f.BaselineSource, "agency": f.Agency, "level": f.Level,
		"channel": f.Channel, "survey": f.Survey} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if l, ok := strings.CutPrefix(lq, "?lang="); ok {
		v.Set("lang", l)
	}
	return v.Encode()
}
