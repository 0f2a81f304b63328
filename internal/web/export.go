package web

import (
	"cmp"
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/report"
	"sipas/internal/store"
)

// headerRowCount is the export's row count, sent before the rows: a script checks it against
// the data rows it received (docs/api.md).
const headerRowCount = "X-Row-Count"

// handleResponsesExport handles "GET /api/v1/responses?year=&agency=&format=csv|xlsx": every
// response in the responses.csv layout, streamed row by row. The status is sent with the first
// byte of the file, so a failure before it is an ordinary error answer.
func (s *Server) handleResponsesExport(c echo.Context) error {
	year, err := strconv.Atoi(c.QueryParam("year"))
	if err != nil {
		return errBadRequest("missing_year")
	}
	format, ok := report.ResponseFormatByName(cmp.Or(c.QueryParam("format"), report.ResponseFormats[0].Name))
	if !ok {
		return errBadRequest("invalid_format", report.ResponseFormatNames())
	}
	q, err := s.questionnaire(c.QueryParam("survey"))
	if err != nil {
		return err
	}
	layout := report.ResponseLayout{Codes: q.Codes(), Survey: q, L: s.locale(c), TmpDir: s.cfg.TempDir}
	if tag := c.QueryParam("locale"); tag != "" {
		if layout.Locale, ok = report.SpreadsheetLocale(tag); !ok {
			return errBadRequest("invalid_locale", tag, report.LocaleTags())
		}
	}
	agency, err := rawExportAgency(c)
	if err != nil {
		return err
	}
	s.audit(c, "responses.export", fmt.Sprintf("format=%s year=%d agency=%s", format.Name, year, agency))
	h := c.Response().Header()
	scope := agency
	if layout.Locale != nil && format.Name == "csv" {
		scope += " " + layout.Locale.Tag // the spreadsheet's file is told apart from the machine one
	}
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+report.ResponsesFileName(q.ID, year, scope, format.Ext)+`"`)
	h.Set(echo.HeaderContentType, format.ContentType)
	h.Set("Content-Language", layout.L.Tag)
	w, err := format.New(c.Response(), layout)
	if err != nil {
		return err
	}
	answers := make([]uint8, len(q.Codes()))
	err = s.store.ExportResponses(c.Request().Context(), q.ID, year, agency, func(n int64) error {
		if format.MaxRows > 0 && n > format.MaxRows {
			return errInvalid("too_many_rows", n, format.MaxRows, format.Name) // before a million rows are spilled
		}
		h.Set(headerRowCount, strconv.FormatInt(n, 10))
		return nil
	}, func(r *store.ExportRow) error {
		if err := q.DecodeAnswers(r.Answers, answers); err != nil {
			return err
		}
		return w.Write(report.ResponseRecord{ResponseID: r.ResponseID, AgencyCode: r.AgencyCode, Channel: r.Channel,
			SubmittedAt: r.SubmittedAt, Answers: answers, Comment: r.Comment})
	})
	if err != nil {
		// Nothing more reaches the client: before the first byte it gets an error answer,
		// after it a cut connection (handleError), never a file that looks complete.
		w.Abort()
		return err
	}
	return w.Close()
}

// rawExportAgency is the agency whose raw answers the caller may export: the one asked for,
// narrowed to the key's or the official's own agency; "" means all.
func rawExportAgency(c echo.Context) (string, error) {
	agency, err := keyAgency(c, auth.ScopeAnswers, c.QueryParam("agency"))
	if err != nil {
		return "", err
	}
	if o := readerOfficial(c); o != nil {
		if !o.Can(auth.PermExportRaw) {
			return "", auth.ErrForbidden
		}
		return o.Scope(agency)
	}
	return agency, nil
}
