package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/report"
	"sipas/internal/store"
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

// handleReportIndex handles "GET /api/v1/reports/index": the report as JSON, CSV, XLSX or PDF.
func (s *Server) handleReportIndex(c echo.Context) error {
	var f filterForm
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &f); err != nil {
		return errBadRequest("invalid_query").Say("fault.query_numbers")
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" && format != "xlsx" && format != "pdf" {
		return errBadRequest("invalid_format", "json, csv, xlsx, pdf")
	}
	q, err := s.questionnaire(f.Survey)
	if err != nil {
		return err
	}
	if c.QueryParam("year") == "" {
		return errBadRequest("missing_year")
	}
	qy, err := f.query(readerOfficial(c), 0)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if a := qy.Filters.Agency; a != nil {
		if _, err := s.store.FindAgencyByCode(ctx, *a); errors.Is(err, store.ErrNotFound) {
			return errUnknownAgency(*a)
		} else if err != nil {
			return err
		}
	}
	rep, err := report.Build(ctx, s.store, q, qy)
	if err != nil {
		return err // a query the data cannot answer is an Invalid fault; store I/O is internal
	}
	scope := ""
	if qy.Filters.Agency != nil {
		scope = "agency=" + *qy.Filters.Agency // the scope served, which for agency users is their own
	}
	s.audit(c, "report.download", fmt.Sprintf("format=%s year=%d baseline=%d %s", format, qy.Year, qy.BaselineYear, scope))
	if format == "json" {
		return c.JSON(http.StatusOK, rep)
	}
	agencies, err := s.store.ListAgencies(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, a := range agencies {
		names[a.Code] = a.Name
	}
	l := s.lang(c)
	meta := report.NewMeta(s.msgs.Locale(l), q, qy, names, s.fonts)
	var buf bytes.Buffer
	var ctype string
	switch format {
	case "csv":
		ctype, err = "text/csv; charset=utf-8", report.WriteCSV(&buf, rep, meta)
	case "xlsx":
		ctype, err = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", report.WriteXLSX(&buf, rep, meta)
	case "pdf":
		ctype, err = "application/pdf", report.WritePDF(&buf, rep, meta, s.fonts)
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+report.FileName(rep, meta.Scope, format)+`"`)
	c.Response().Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	return c.Blob(http.StatusOK, ctype, buf.Bytes())
}
