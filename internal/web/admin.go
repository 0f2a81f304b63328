package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/index"
	"sipas/internal/report"
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

// filterForm is the dashboard's and the report API's query: year, baseline and scope.
type filterForm struct {
	Year           int    `query:"year"`
	Baseline       string `query:"baseline"`
	BaselineSource string `query:"baseline_source"`
	Agency         string `query:"agency"`
	Level          string `query:"level"`
	Channel        string `query:"channel"`
	Survey         string `query:"survey"`
}

// query turns the form into a report query, confined by o.Scope (nil o: an API key, which
// sees every agency).
func (f filterForm) query(o *auth.Official, defaultYear int) (report.Query, error) {
	qy := report.Query{Year: f.Year, BaselineSource: f.BaselineSource}
	if qy.Year == 0 {
		qy.Year = defaultYear
	}
	if f.Baseline != "" && f.Baseline != "none" {
		y, err := strconv.Atoi(f.Baseline)
		if err != nil {
			return qy, errBadRequest("invalid_baseline")
		}
		qy.BaselineYear = y
	}
	agency := f.Agency
	if o != nil {
		var err error
		if agency, err = o.Scope(f.Agency); err != nil {
			return qy, err
		}
	}
	qy.Filters = index.Filters{Agency: optional(agency), Level: optional(f.Level), Channel: optional(f.Channel)}
	if err := qy.Validate(); err != nil {
		return qy, err // an Invalid fault: code invalid_query, message of the problem
	}
	return qy, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

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
	agencies, err := s.store.ListAgencies(ctx)
	if err != nil {
		return err
	}
	meta := report.NewMeta(s.locale(c), q, qy, namesOf(agencies), s.fonts)
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

// namesOf maps the agencies' codes to their names.
func namesOf(agencies []store.Agency) map[string]string {
	names := make(map[string]string, len(agencies))
	for _, a := range agencies {
		names[a.Code] = a.Name
	}
	return names
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
