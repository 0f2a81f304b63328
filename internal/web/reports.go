package web

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/dataset"
	"sipas/internal/index"
	"sipas/internal/report"
	"sipas/internal/store"
	"sipas/internal/survey"
)

// requireReader admits an API key or a signed-in official who may view reports. Officials
// come with their agency scope; a key sees every agency.
func (s *Server) requireReader(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// Reports and raw exports are confidential: no browser or proxy keeps a copy (offices
		// share computers).
		c.Response().Header().Set("Cache-Control", "no-store")
		if c.Request().Header.Get(echo.HeaderAuthorization) != "" {
			return s.requireAPIKey(next)(c)
		}
		o, err := s.sessionOfficial(c)
		if err != nil {
			return err
		}
		if !o.Can(auth.PermViewReports) {
			return auth.ErrForbidden
		}
		c.Set(ctxOfficial, o)
		return next(c)
	}
}

// readerOfficial is the official behind a request, or nil for an API key.
func readerOfficial(c echo.Context) *auth.Official {
	if o, ok := c.Get(ctxOfficial).(auth.Official); ok {
		return &o
	}
	return nil
}

// handleReportIndex handles "GET /api/v1/reports/index": the report in one of report.Formats.
func (s *Server) handleReportIndex(c echo.Context) error {
	var f filterForm
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &f); err != nil {
		return errBadRequest("invalid_query").Say("fault.query_numbers")
	}
	format, ok := report.FormatByName(cmp.Or(c.QueryParam("format"), report.Formats[0].Name))
	if !ok {
		return errBadRequest("invalid_format", report.FormatNames())
	}
	csvOpts, err := csvOptions(c, f)
	if err != nil {
		return err
	}
	q, err := s.questionnaire(f.Survey)
	if err != nil {
		return err
	}
	if c.QueryParam("year") == "" {
		return errBadRequest("missing_year")
	}
	if f.Agency, err = keyAgency(c, auth.ScopeReports, f.Agency); err != nil {
		return err
	}
	qy, err := f.query(readerOfficial(c), 0)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.knownAgency(ctx, qy.Filters.Agency); err != nil {
		return err
	}
	rep, err := report.Build(ctx, s.store, q, qy)
	if err != nil {
		return err // a query the data cannot answer is an Invalid fault; store I/O is internal
	}
	meta, err := s.reportMeta(c, q, qy)
	if err != nil {
		return err
	}
	meta.CSV = csvOpts
	var buf bytes.Buffer
	if err := format.Write(&buf, rep, meta); err != nil {
		return err
	}
	scope := ""
	if qy.Filters.Agency != nil {
		scope = "agency=" + *qy.Filters.Agency // the scope served, which for agency users is their own
	}
	s.audit(c, "report.download", fmt.Sprintf("format=%s year=%d baseline=%d %s", format.Name, qy.Year, qy.BaselineYear, scope))
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+report.FileName(rep, csvSuffix(meta.Scope, csvOpts, format), format.Ext)+`"`)
	h.Set("Content-Language", meta.L.Tag)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	return c.Blob(http.StatusOK, format.ContentType, buf.Bytes())
}

// csvOptions reads the CSV's table= and locale= (docs/api.md): which table, and whether it
// is the machine format or one for a spreadsheet set to a language (locale=vi-VN).
func csvOptions(c echo.Context, f filterForm) (report.CSVOptions, error) {
	o := report.CSVOptions{Table: cmp.Or(c.QueryParam("table"), report.TableIndices)}
	if !slices.Contains(report.Tables, o.Table) {
		return o, errBadRequest("invalid_table", strings.Join(report.Tables, ", "))
	}
	if o.Table == report.TableSmallArea && f.SmallArea == "" {
		return o, errBadRequest("table_needs_small_area")
	}
	if tag := c.QueryParam("locale"); tag != "" {
		var ok bool
		if o.Locale, ok = report.SpreadsheetLocale(tag); !ok {
			return o, errBadRequest("invalid_locale", tag, report.LocaleTags())
		}
	}
	return o, nil
}

// csvSuffix is the scope part of a CSV's file name, which also says which table and which
// conventions it holds ("…_agencies_vi-vn.csv"), so that two downloads are told apart; other
// formats get the scope alone.
func csvSuffix(scope string, o report.CSVOptions, f report.Format) string {
	if f.Name != "csv" {
		return scope
	}
	if o.Table != report.TableIndices {
		scope += " " + o.Table
	}
	if o.Locale != nil {
		scope += " " + o.Locale.Tag
	}
	return scope
}

// knownAgency returns the Invalid fault unknown_agency for a code no agency has (nil: no
// agency asked).
func (s *Server) knownAgency(ctx context.Context, code *string) error {
	if code == nil {
		return nil
	}
	_, err := s.store.FindAgencyByCode(ctx, *code)
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownAgency(*code)
	}
	return err
}

// reportMeta is the wording of a report in the request's language (report.NewMeta).
func (s *Server) reportMeta(c echo.Context, q *survey.Questionnaire, qy report.Query) (report.Meta, error) {
	_, names, err := s.agencies(c.Request().Context())
	if err != nil {
		return report.Meta{}, err
	}
	m := report.NewMeta(s.locale(c), q, qy, names, s.fonts)
	return m, m.LoadReceipts(c.Request().Context(), s.store, qy)
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
	SmallArea      string `query:"small_area"`
}

// query turns the form into a report query, confined by o.Scope (nil o: an API key, which
// sees every agency).
func (f filterForm) query(o *auth.Official, defaultYear int) (report.Query, error) {
	qy := report.Query{Year: f.Year, BaselineSource: f.BaselineSource, SmallArea: f.SmallArea}
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
	agency := dataset.NormalizeCode(f.Agency)
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
