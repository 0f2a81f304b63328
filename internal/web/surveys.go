package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"sipas/internal/fault"
	"sipas/internal/store"
	"sipas/internal/survey"
)

type surveysPage struct {
	adminPage
	Surveys []*survey.Questionnaire
	Error   string
}

// handleSurveysShow handles "GET /admin/surveys": the questionnaires in use.
func (s *Server) handleSurveysShow(c echo.Context) error {
	return s.renderSurveys(c, http.StatusOK, "")
}

func (s *Server) renderSurveys(c echo.Context, status int, errMsg string) error {
	return s.render(c, status, "admin_surveys.html", surveysPage{adminPage: s.newAdminPage(c, "surveys.title"), Surveys: s.surveys.All(), Error: errMsg})
}

// handleSurveyUpload handles "POST /admin/surveys/upload": a new questionnaire version,
// validated exactly as at start, stored, and in use at once (and at every later start). Each
// response records the version it answered; stored answers name their question codes, so
// responses to earlier versions keep their meaning.
func (s *Server) handleSurveyUpload(c echo.Context) error {
	name, f, err := s.uploadedFile(c, "file")
	if err != nil {
		return s.renderSurveys(c, statusOf(fault.Invalid), s.msgs.T(s.lang(c), "data.need_file"))
	}
	raw, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return err
	}
	q, err := survey.Parse(name, raw)
	var derr *survey.DefinitionError
	if errors.As(err, &derr) {
		return s.renderSurveys(c, statusOf(fault.Invalid), derr.File+": "+derr.Problem)
	} else if err != nil {
		return err
	}
	if err := s.store.SaveSurveyDefinition(c.Request().Context(), q, raw, official(c).Email); errors.Is(err, store.ErrExists) {
		return s.renderSurveys(c, statusOf(fault.Conflict), s.msgs.T(s.lang(c), "surveys.version_exists"))
	} else if err != nil {
		return err
	}
	s.surveys.Put(q)
	return redirectFlash(c, "/admin/surveys", "flash.saved")
}

// handleSurveyDownload handles "GET /admin/surveys/:id/download": the definition as JSON,
// to edit and deploy as a new version.
func (s *Server) handleSurveyDownload(c echo.Context) error {
	q, err := s.surveys.Get(c.Param("id"))
	if err != nil {
		return errNoRoute
	}
	b, err := json.MarshalIndent(q, "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+q.ID+`.json"`)
	return c.Blob(http.StatusOK, "application/json", b)
}
