package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/index"
	"sipas/internal/report"
	"sipas/internal/store"
	"sipas/internal/survey"
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

// dashboard is everything /admin/ shows for one query.
type dashboard struct {
	Query       report.Query
	Report      *index.Report
	Overall     *index.Index
	Aspects     []index.Index
	Questions   []index.Index
	AgencyNames map[string]string
	Rates       map[string]store.ResponseRate
	Trend       []report.TrendPoint
	Expect      []expectationShare
	AspectSVG   template.HTML
	TrendSVG    template.HTML
	Years       []int
	Agencies    []store.Agency
	Survey      *survey.Questionnaire
}

type expectationShare struct {
	Code, Label string
	Count       int
	Share       float64
}

// loadDashboard reads and computes the dashboard: the report, this year's months (trend and
// expectation shares from the same single pass over the year's responses) and the response
// rates.
func (s *Server) loadDashboard(ctx context.Context, q *survey.Questionnaire, qy report.Query, l string) (*dashboard, error) {
	ys, err := s.store.LoadYear(ctx, q, qy.Year, qy.Filters, true)
	if err != nil {
		return nil, err
	}
	rep, err := report.BuildFrom(ctx, s.store, q, qy, ys.Whole)
	if err != nil {
		return nil, err // a query the data cannot answer is an Invalid fault; store I/O is internal
	}
	d := &dashboard{Query: qy, Report: rep, Survey: q, AgencyNames: map[string]string{}, Rates: map[string]store.ResponseRate{}}
	if d.Agencies, err = s.store.ListAgencies(ctx); err != nil {
		return nil, err
	}
	for _, a := range d.Agencies {
		d.AgencyNames[a.Code] = a.Name
	}
	for i := range rep.Indices {
		switch ix := &rep.Indices[i]; ix.Kind {
		case index.KindQuestion:
			d.Questions = append(d.Questions, *ix)
		case index.KindAspect:
			d.Aspects = append(d.Aspects, *ix)
		default:
			d.Overall = ix
		}
	}
	pops, err := s.store.Populations(ctx, qy.Year)
	if err != nil {
		return nil, err
	}
	months := make([]int, 0, len(ys.ByMonth))
	for m := range ys.ByMonth {
		months = append(months, m)
	}
	sort.Ints(months)
	for _, m := range months {
		mr, err := index.Compute(index.Input{Design: report.Design(q), Current: ys.ByMonth[m].Summary(), Populations: pops})
		if err != nil {
			return nil, err
		}
		d.Trend = append(d.Trend, trendPoint(m, mr))
	}
	if q.Expectation != nil {
		for _, o := range q.Expectation.Options {
			share := 0.0
			if n := ys.Whole.Respondents(); n > 0 {
				share = float64(ys.Expectations[o.Code]) / float64(n)
			}
			d.Expect = append(d.Expect, expectationShare{Code: o.Code, Label: o.Text.In(l), Count: ys.Expectations[o.Code], Share: share})
		}
	}
	scope := ""
	if qy.Filters.Agency != nil {
		scope = *qy.Filters.Agency
	}
	rates, err := s.store.ResponseRates(ctx, qy.Year, scope)
	if err != nil {
		return nil, err
	}
	for _, r := range rates {
		d.Rates[r.AgencyCode] = r
	}
	if d.Years, err = s.store.Years(ctx, q.ID); err != nil {
		return nil, err
	}
	meta := report.NewMeta(s.msgs.Locale(l), q, qy, d.AgencyNames, s.fonts)
	d.AspectSVG = template.HTML(report.AspectChartSVG(rep, meta))
	d.TrendSVG = template.HTML(report.TrendChartSVG(d.Trend, meta))
	return d, nil
}

// trendPoint is one month's overall index: stratified when every agency has its receipts,
// else unweighted.
func trendPoint(month int, r *index.Report) report.TrendPoint {
	p := report.TrendPoint{Month: month}
	for _, ix := range r.Indices {
		if ix.Kind != index.KindOverall {
			continue
		}
		e := ix.Stratified
		if e == nil {
			e = ix.Unweighted
		}
		p.Estimate, p.Low, p.High, p.N = e.Value, e.CILow, e.CIHigh, e.N
	}
	return p
}

type dashboardPage struct {
	adminPage
	D          *dashboard
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
	d, err := s.loadDashboard(c.Request().Context(), q, qy, s.lang(c))
	if err != nil {
		return err
	}
	f.Year = qy.Year
	return s.render(c, http.StatusOK, "admin_dashboard.html", dashboardPage{
		adminPage: s.newAdminPage(c, "dash.title"), D: d, Form: f, Export: template.URL(f.exportQuery(s.langQuery(s.lang(c)))),
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
