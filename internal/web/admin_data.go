package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/fault"
	"sipas/internal/report"
	"sipas/internal/store"
	"sipas/internal/survey"
)

// flashes are the messages a redirect may ask the next page to show (?flash=KEY). Only these
// keys are shown, so that a link cannot put text of its choosing in a page's status box.
var flashes = map[string]bool{"flash.saved": true, "keys.need_name": true}

// flashText is the text of the flash key a page was asked to show, or "" for any other key.
func (s *Server) flashText(l, key string) string {
	if !flashes[key] {
		return ""
	}
	return s.msgs.T(l, key)
}

// redirectFlash answers a form with POST-redirect-GET and a message key to show, one of
// flashes.
func redirectFlash(c echo.Context, path, flash string) error {
	if !flashes[flash] {
		return fmt.Errorf("web: flash %q is not in the flashes allow-list", flash)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return c.Redirect(http.StatusSeeOther, path+sep+"flash="+flash)
}

type usersPage struct {
	adminPage
	Users    []auth.Official
	Agencies []store.Agency
	Error    string
}

// handleUsersShow handles "GET /admin/users".
func (s *Server) handleUsersShow(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, "")
}

func (s *Server) renderUsers(c echo.Context, status int, errKey string) error {
	ctx := c.Request().Context()
	users, err := s.store.ListOfficials(ctx)
	if err != nil {
		return err
	}
	agencies, err := s.store.ListAgencies(ctx)
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_users.html", usersPage{adminPage: s.newAdminPage(c, "users.title"), Users: users, Agencies: agencies, Error: errKey})
}

// handleUserCreate handles "POST /admin/users".
func (s *Server) handleUserCreate(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	role, err := auth.ParseRole(c.FormValue("role"))
	if err != nil || !strings.Contains(email, "@") {
		return s.renderUsers(c, statusOf(fault.Invalid), "users.invalid")
	}
	pw := c.FormValue("password")
	if auth.CheckPasswordStrength(pw) != nil {
		return s.renderUsers(c, statusOf(fault.Invalid), "users.weak_password")
	}
	_, err = s.store.CreateOfficial(c.Request().Context(), store.NewOfficial{Email: email, Name: strings.TrimSpace(c.FormValue("name")),
		Role: role, AgencyCode: c.FormValue("agency"), PasswordHash: auth.HashPassword(pw, auth.DefaultArgon2)})
	switch {
	case errors.Is(err, store.ErrExists):
		return s.renderUsers(c, statusOf(fault.Conflict), "users.exists")
	case errors.Is(err, store.ErrNotFound):
		return s.renderUsers(c, statusOf(fault.Invalid), "users.need_agency")
	case err != nil:
		return err
	}
	s.audit(c, "user.create", email+" "+string(role))
	return redirectFlash(c, "/admin/users", "flash.saved")
}

// handleUserUpdate handles "POST /admin/users/:id": role, enable/disable or a new password.
func (s *Server) handleUserUpdate(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return errNoRoute
	}
	var u store.OfficialUpdate
	detail := fmt.Sprintf("official %d:", id)
	if v := c.FormValue("role"); v != "" {
		role, err := auth.ParseRole(v)
		if err != nil {
			return s.renderUsers(c, statusOf(fault.Invalid), "users.invalid")
		}
		agency := c.FormValue("agency")
		u.Role, u.AgencyCode = &role, &agency
		detail += " role=" + v
	}
	if v := c.FormValue("disabled"); v != "" {
		d := v == "1"
		u.Disabled = &d
		detail += " disabled=" + v
	}
	if pw := c.FormValue("password"); pw != "" {
		if auth.CheckPasswordStrength(pw) != nil {
			return s.renderUsers(c, statusOf(fault.Invalid), "users.weak_password")
		}
		h := auth.HashPassword(pw, auth.DefaultArgon2)
		u.PasswordHash = &h
		detail += " password reset"
	}
	if id == official(c).ID && (u.Disabled != nil || u.Role != nil) {
		return s.renderUsers(c, statusOf(fault.Invalid), "users.not_self")
	}
	if err := s.store.UpdateOfficial(c.Request().Context(), id, u); errors.Is(err, store.ErrNotFound) && u.Role != nil {
		return s.renderUsers(c, statusOf(fault.Invalid), "users.need_agency")
	} else if err != nil {
		return err
	}
	s.audit(c, "user.update", detail)
	return redirectFlash(c, "/admin/users", "flash.saved")
}

type keysPage struct {
	adminPage
	Keys   []store.APIKey
	NewKey string
}

// handleKeysShow handles "GET /admin/keys".
func (s *Server) handleKeysShow(c echo.Context) error {
	keys, err := s.store.ListAPIKeys(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_keys.html", keysPage{adminPage: s.newAdminPage(c, "keys.title"), Keys: keys})
}

// handleKeyCreate handles "POST /admin/keys": the key is shown on this one response only.
func (s *Server) handleKeyCreate(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" {
		return redirectFlash(c, "/admin/keys", "keys.need_name")
	}
	key, hash, prefix := auth.NewAPIKey()
	k, err := s.store.CreateAPIKey(c.Request().Context(), name, hash, prefix)
	if err != nil {
		return err
	}
	s.audit(c, "apikey.create", fmt.Sprintf("key %d (%s) %s", k.ID, prefix, name))
	keys, err := s.store.ListAPIKeys(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusCreated, "admin_keys.html", keysPage{adminPage: s.newAdminPage(c, "keys.title"), Keys: keys, NewKey: key})
}

// handleKeyRevoke handles "POST /admin/keys/:id/revoke".
func (s *Server) handleKeyRevoke(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return errNoRoute
	}
	if err := s.store.RevokeAPIKey(c.Request().Context(), id); err != nil {
		return err
	}
	s.audit(c, "apikey.revoke", fmt.Sprintf("key %d", id))
	return redirectFlash(c, "/admin/keys", "flash.saved")
}

type dataPage struct {
	adminPage
	Kind        string
	Agencies    []store.Agency
	Populations []store.PopulationRow
	Aggregates  []store.AggregateRow
	Errors      []string
	Result      string
}

// handleDataShow handles "GET /admin/agencies", "/admin/populations" and "/admin/aggregates".
func (s *Server) handleDataShow(kind string) echo.HandlerFunc {
	return func(c echo.Context) error { return s.renderData(c, kind, http.StatusOK, nil, "") }
}

func (s *Server) renderData(c echo.Context, kind string, status int, errs []string, result string) error {
	ctx := c.Request().Context()
	p := dataPage{adminPage: s.newAdminPage(c, "data."+kind), Kind: kind, Errors: errs, Result: result}
	var err error
	switch kind {
	case "agencies":
		p.Agencies, err = s.store.ListAgencies(ctx)
	case "populations":
		p.Populations, err = s.store.ListPopulations(ctx)
	case "aggregates":
		p.Aggregates, err = s.store.ListAggregates(ctx, survey.DefaultID)
	}
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_data.html", p)
}

// handleDataUpload handles "POST /admin/{agencies,populations,aggregates}/upload": the same
// all-or-nothing import as the CLI, every bad row listed with its line and column.
func (s *Server) handleDataUpload(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		fh, err := c.FormFile("file")
		if err != nil {
			return s.renderData(c, kind, statusOf(fault.Invalid), []string{s.msgs.T(s.lang(c), "data.need_file")}, "")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		q, err := s.surveys.Get(survey.DefaultID)
		if err != nil {
			return err
		}
		res, err := s.store.ImportFile(c.Request().Context(), q, kind, fh.Filename, f)
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
		s.audit(c, "import."+kind, fmt.Sprintf("%s: %s", fh.Filename, res))
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
	fh, err := c.FormFile("file")
	if err != nil {
		return s.renderSurveys(c, statusOf(fault.Invalid), s.msgs.T(s.lang(c), "data.need_file"))
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return err
	}
	q, err := survey.Parse(fh.Filename, raw)
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

type auditPage struct {
	adminPage
	Entries []store.AuditEntry
	Action  string
}

// handleAuditShow handles "GET /admin/audit".
func (s *Server) handleAuditShow(c echo.Context) error {
	action := c.QueryParam("action")
	entries, err := s.store.ListAudit(c.Request().Context(), action, 500)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_audit.html", auditPage{adminPage: s.newAdminPage(c, "audit.title"), Entries: entries, Action: action})
}

type commentsPage struct {
	adminPage
	Comments []store.Comment
	Form     filterForm
	Search   string
	Hidden   string
	CanHide  bool
}

// handleCommentsShow handles "GET /admin/comments": search, and hidden ones on request.
func (s *Server) handleCommentsShow(c echo.Context) error {
	var f filterForm
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &f); err != nil {
		return errBadRequest("invalid_query")
	}
	o := official(c)
	qy, err := f.query(&o, calendar.ThisYear())
	if err != nil {
		return err
	}
	cf := store.CommentFilter{SurveyID: survey.DefaultID, Year: qy.Year, Search: c.QueryParam("q")}
	if qy.Filters.Agency != nil {
		cf.AgencyCode = *qy.Filters.Agency
	}
	hidden := c.QueryParam("hidden")
	switch hidden {
	case "1":
		t := true
		cf.Hidden = &t
	case "all":
	default:
		f := false
		cf.Hidden = &f
	}
	list, err := s.store.ListComments(c.Request().Context(), cf)
	if err != nil {
		return err
	}
	f.Year = qy.Year
	return s.render(c, http.StatusOK, "admin_comments.html", commentsPage{adminPage: s.newAdminPage(c, "comments.title"),
		Comments: list, Form: f, Search: cf.Search, Hidden: hidden, CanHide: o.Can(auth.PermModerate)})
}

// handleCommentModerate handles "POST /admin/comments/:id": hide or show one comment.
func (s *Server) handleCommentModerate(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return errNoRoute
	}
	hide := c.FormValue("hidden") == "1"
	scope, err := official(c).Scope("")
	if err != nil {
		return err
	}
	if err := s.store.SetCommentHidden(c.Request().Context(), id, hide, scope, official(c).Email); err != nil {
		return err
	}
	back := "/admin/comments"
	if r := c.FormValue("back"); strings.HasPrefix(r, "/admin/comments") {
		back = r
	}
	return c.Redirect(http.StatusSeeOther, back)
}

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
	agencies, err := s.store.ListAgencies(ctx)
	if err != nil {
		return err
	}
	plan, err := report.PlanSample(ctx, s.store, q, year, scope, namesOf(agencies), margin)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_samplesize.html", samplePage{adminPage: s.newAdminPage(c, "sample.title"),
		SamplePlan: *plan, Margins: report.SampleMargins})
}
