package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/i18n"
	"sipas/internal/report"
	"sipas/internal/store"
)

type dashboardPage struct {
	adminPage
	D         *report.Dashboard
	Agencies  []store.Agency // of the agency filter
	Form      filterForm
	Levels    []option // of the level filter: the levels of the report year
	Downloads []download
	Raw       []download
}

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// download is one link of the dashboard's downloads: what it is, and who it is for.
type download struct {
	Href, Label, Note string
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
	l := s.locale(c)
	meta := report.NewMeta(l, q, qy, names, s.fonts)
	d, err := report.BuildDashboard(ctx, s.store, q, qy, meta)
	if err != nil {
		return err // a query the data cannot answer is an Invalid fault; store I/O is internal
	}
	f.Year = qy.Year
	export := f.exportQuery(s.langQuery(l.Code))
	return s.render(c, http.StatusOK, "admin_dashboard.html", dashboardPage{
		adminPage: s.newAdminPage(c, "dash.title"), D: d, Agencies: agencies, Form: f,
		Levels: levelOptions(l, qy.Year, f.Level), Downloads: reportDownloads(l, export),
		Raw: rawDownloads(l, f, s.langQuery(l.Code)),
	})
}

// levelOptions are the level filter's choices for a report of year: the levels of local
// government that year (dataset.LevelsIn), and the chosen one even if it no longer existed.
func levelOptions(l *i18n.Locale, year int, chosen string) []option {
	levels := dataset.LevelsIn(year)
	if chosen != "" && !slices.Contains(levels, chosen) && dataset.IsLevel(chosen) {
		levels = append(slices.Clone(levels), chosen)
	}
	out := make([]option, len(levels))
	for i, v := range levels {
		out[i] = option{Value: v, Label: i18n.UpperFirst(l.T(dataset.LevelKey(v, year))), Selected: v == chosen}
	}
	return out
}

// reportDownloads are the links to the report in each of report.Formats, the CSV twice: for
// a spreadsheet set to the page's language (when its decimal separator is not a point) and
// the machine format. Each says what it is for.
func reportDownloads(l *i18n.Locale, export string) []download {
	var out []download
	for _, f := range report.Formats {
		href := "/api/v1/reports/index?" + export + "&format=" + f.Name
		if f.Name == "csv" && l.Decimal != "." {
			out = append(out, download{Href: href + "&locale=" + url.QueryEscape(l.Tag),
				Label: l.T("dash.dl_csv_sheet", l.Tag), Note: l.T("dash.dl_csv_sheet_note")})
		}
		out = append(out, download{Href: href, Label: l.T("dash.dl_" + f.Name), Note: l.T("dash.dl_" + f.Name + "_note")})
	}
	return out
}

// rawDownloads are the links to the raw responses of the page's year and agency: for a
// spreadsheet, as the machine CSV that imports back, and as XLSX.
func rawDownloads(l *i18n.Locale, f filterForm, lq string) []download {
	v := url.Values{}
	v.Set("year", strconv.Itoa(f.Year))
	if f.Agency != "" {
		v.Set("agency", f.Agency)
	}
	if lang, ok := strings.CutPrefix(lq, "?lang="); ok {
		v.Set("lang", lang)
	}
	base := "/api/v1/responses?" + v.Encode() + "&format="
	var out []download
	for _, rf := range report.ResponseFormats {
		if rf.Name == "csv" && l.Decimal != "." {
			out = append(out, download{Href: base + rf.Name + "&locale=" + url.QueryEscape(l.Tag),
				Label: l.T("dash.raw_csv_sheet", l.Tag), Note: l.T("dash.raw_csv_sheet_note")})
		}
		out = append(out, download{Href: base + rf.Name, Label: l.T("dash.raw_" + rf.Name), Note: l.T("dash.raw_" + rf.Name + "_note")})
	}
	return out
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
