package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/store"
	"sipas/internal/survey"
)

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
