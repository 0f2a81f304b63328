package web

import (
	"net/http"
	"net/url"
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
	store.CommentPage
	Form     filterForm
	Search   string
	Hidden   string
	Agencies []store.Agency // of the agency filter, for officials who see every agency
	CanHide  bool
	// Pager links to every page (a long list shows the first, the last and those near this
	// one); Prev and Next are "" at either end.
	Pager      []pageLink
	Prev, Next string
	Back       string // this page's URL, where moderating a comment returns
}

// pageLink is one page of a paged list: its number and URL, or a gap ("…") with no URL.
type pageLink struct {
	N       int
	URL     string
	Current bool
}

// handleCommentsShow handles "GET /admin/comments": comments of a year, page by page,
// filtered by agency, searched without regard to diacritics, hidden ones on request.
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
	page, _ := strconv.Atoi(c.QueryParam("page"))
	cf := store.CommentFilter{SurveyID: survey.DefaultID, Year: qy.Year, Search: c.QueryParam("q"), Page: page}
	if qy.Filters.Agency != nil {
		cf.AgencyCode = *qy.Filters.Agency
	}
	hidden := c.QueryParam("hidden")
	switch hidden {
	case "1":
		cf.Hidden = ptrTo(true)
	case "all":
	default:
		cf.Hidden = ptrTo(false)
	}
	ctx := c.Request().Context()
	list, err := s.store.ListComments(ctx, cf)
	if err != nil {
		return err
	}
	var agencies []store.Agency
	if o.Can(auth.PermViewAllAgency) {
		if agencies, _, err = s.agencies(ctx); err != nil {
			return err
		}
	}
	f.Year = qy.Year
	p := commentsPage{adminPage: s.newAdminPage(c, "comments.title"), CommentPage: list, Form: f, Search: cf.Search,
		Hidden: hidden, Agencies: agencies, CanHide: o.Can(auth.PermModerate), Back: c.Request().URL.RequestURI()}
	p.Pager, p.Prev, p.Next = pager(c.Request().URL, list.Page, list.Pages)
	return s.render(c, http.StatusOK, "admin_comments.html", p)
}

func ptrTo[T any](v T) *T { return &v }

// pager links the pages of a list at u: all of them when there are few, else the first, the
// last and two either side of the current one, with gaps between.
func pager(u *url.URL, cur, pages int) (links []pageLink, prev, next string) {
	at := func(n int) string {
		q := u.Query()
		q.Set("page", strconv.Itoa(n))
		q.Del("flash")
		return u.Path + "?" + q.Encode()
	}
	if pages <= 1 {
		return nil, "", ""
	}
	for n := 1; n <= pages; n++ {
		switch {
		case n == 1 || n == pages || (n >= cur-2 && n <= cur+2):
			links = append(links, pageLink{N: n, URL: at(n), Current: n == cur})
		case links[len(links)-1].URL != "":
			links = append(links, pageLink{}) // a gap
		}
	}
	if cur > 1 {
		prev = at(cur - 1)
	}
	if cur < pages {
		next = at(cur + 1)
	}
	return links, prev, next
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
