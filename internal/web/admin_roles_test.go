package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// roleRoute is one route of the officials' side and the status each role gets. Anonymous
// browsers (with a CSRF token, so that the token is not what stops them) are sent to the
// sign-in page with the route as next, except on the public routes and the API, which answer
// 401 JSON.
type roleRoute struct {
	method, path, body, ctype string
	admin, analyst, agency    int
	anonymous                 int      // 0: 303 to /admin/login?next=path
	wantBody                  []string // in every allowed answer
}

// roleRoutes is every route of routes.go behind an official's session, and the public
// sign-in routes. TestRoleTableIsComplete checks that none is missing.
func roleRoutes(t *testing.T, e *adminEnv) []roleRoute {
	t.Helper()
	y := strconv.Itoa(e.year)
	noFile, mp := multipartBody(t, "", "", "_csrf", "{csrf}")
	agencies, _ := multipartBody(t, "agencies.csv", "code,name,level,parent_code\n"+ownAgency+","+ownAgencyName+",province,\n", "_csrf", "{csrf}")
	const ok, see, created, forbidden, unproc = http.StatusOK, http.StatusSeeOther, http.StatusCreated, http.StatusForbidden, http.StatusUnprocessableEntity
	return []roleRoute{
		{method: "GET", path: "/admin/login", admin: ok, analyst: ok, agency: ok, anonymous: ok, wantBody: []string{`name="_csrf"`}},
		{method: "POST", path: "/admin/login", body: form("_csrf", "{csrf}", "email", adminEmail, "password", "sai mật khẩu"),
			admin: http.StatusUnauthorized, analyst: http.StatusUnauthorized, agency: http.StatusUnauthorized, anonymous: http.StatusUnauthorized},
		// The second step of a sign-in: none of these sessions waits for a code.
		{method: "GET", path: "/admin/login/code", admin: see, analyst: see, agency: see, anonymous: see},
		{method: "POST", path: "/admin/login/code", body: form("_csrf", "{csrf}", "code", "123456"), admin: see, analyst: see, agency: see, anonymous: see},
		// Every official's own account; changes ask the current password (wrong here: 422).
		{method: "GET", path: "/admin/account", admin: ok, analyst: ok, agency: ok, wantBody: []string{e.msg("account.title")}},
		{method: "POST", path: "/admin/account/password", body: form("_csrf", "{csrf}", "current", "sai mật khẩu", "password", "Mật-khẩu-bảng-vai-trò-6!", "confirm", "không khớp"),
			admin: unproc, analyst: unproc, agency: unproc},
		{method: "POST", path: "/admin/account/totp", body: form("_csrf", "{csrf}", "current", ""), admin: unproc, analyst: unproc, agency: unproc},
		{method: "POST", path: "/admin/account/totp/confirm", body: form("_csrf", "{csrf}", "code", "123456"), admin: see, analyst: see, agency: see},
		{method: "POST", path: "/admin/account/totp/disable", body: form("_csrf", "{csrf}", "current", ""), admin: unproc, analyst: unproc, agency: unproc},
		{method: "GET", path: "/admin", admin: see, analyst: see, agency: see, anonymous: see},
		{method: "GET", path: "/admin/", admin: ok, analyst: ok, agency: ok, wantBody: []string{ownAgencyName}},
		{method: "GET", path: "/admin/?year=" + y + "&baseline=none&level=province", admin: ok, analyst: ok, agency: ok},
		{method: "GET", path: "/admin/comments", admin: ok, analyst: ok, agency: ok, wantBody: []string{ownComment}},
		{method: "GET", path: "/admin/sample-size", admin: ok, analyst: ok, agency: ok, wantBody: []string{ownAgencyName}},
		{method: "GET", path: "/admin/communes?level=province&year=" + y, admin: ok, analyst: ok, agency: ok, wantBody: []string{ownAgencyName}},
		{method: "POST", path: "/admin/comments/{comment:" + ownComment + "}", body: form("_csrf", "{csrf}", "hidden", "0"),
			admin: see, analyst: see, agency: forbidden},
		{method: "GET", path: "/admin/agencies", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{rivals[0].code}},
		{method: "GET", path: "/admin/populations", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{ownAgency}},
		{method: "GET", path: "/admin/responses", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{"responses.csv"}},
		{method: "GET", path: "/admin/aggregates", admin: ok, analyst: forbidden, agency: forbidden},
		{method: "POST", path: "/admin/agencies/upload", body: agencies, ctype: mp, admin: ok, analyst: forbidden, agency: forbidden,
			wantBody: []string{"0 created, 0 updated, 1 unchanged"}},
		{method: "POST", path: "/admin/populations/upload", body: noFile, ctype: mp, admin: unproc, analyst: forbidden, agency: forbidden},
		{method: "POST", path: "/admin/responses/upload", body: noFile, ctype: mp, admin: unproc, analyst: forbidden, agency: forbidden},
		{method: "POST", path: "/admin/aggregates/upload", body: noFile, ctype: mp, admin: unproc, analyst: forbidden, agency: forbidden},
		{method: "GET", path: "/admin/crosswalk", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{e.msg("data.crosswalk_empty")}},
		{method: "POST", path: "/admin/crosswalk/upload", body: noFile, ctype: mp, admin: unproc, analyst: forbidden, agency: forbidden},
		{method: "GET", path: "/admin/docs/reorganisation.md", admin: ok, analyst: ok, agency: ok, wantBody: []string{"crosswalk"}},
		{method: "POST", path: "/admin/agencies/" + ownAgency, body: form("_csrf", "{csrf}", "name", ownAgencyName, "level", "province"),
			admin: see, analyst: forbidden, agency: forbidden},
		{method: "GET", path: "/admin/surveys", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{"2026.1"}},
		{method: "GET", path: "/admin/surveys/sipas/download", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{`"id": "sipas"`}},
		{method: "POST", path: "/admin/surveys/upload", body: noFile, ctype: mp, admin: unproc, analyst: forbidden, agency: forbidden},
		{method: "GET", path: "/admin/users", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{targetEmail}},
		{method: "POST", path: "/admin/users", body: form("_csrf", "{csrf}", "email", "vaitro.moi@sipas.test", "role", "analyst", "password", "Mật-khẩu-bảng-vai-trò-6!"),
			admin: see, analyst: forbidden, agency: forbidden},
		{method: "POST", path: "/admin/users/{user:" + targetEmail + "}", body: form("_csrf", "{csrf}", "disabled", "0"),
			admin: see, analyst: forbidden, agency: forbidden},
		{method: "GET", path: "/admin/keys", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{"storetest"}},
		{method: "POST", path: "/admin/keys", body: form("_csrf", "{csrf}", "name", "bảng vai trò", "reports", ownAgency), admin: created, analyst: forbidden, agency: forbidden,
			wantBody: []string{e.msg("keys.shown_once")}},
		{method: "POST", path: "/admin/keys/{key}/revoke", body: form("_csrf", "{csrf}"), admin: see, analyst: forbidden, agency: forbidden},
		{method: "GET", path: "/admin/audit", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{"login"}},
		{method: "GET", path: "/admin/integrity", admin: ok, analyst: ok, agency: forbidden, wantBody: []string{"Mã đã dùng"}},
		{method: "GET", path: "/api/v1/reports/index?year=" + y + "&baseline=2023", admin: ok, analyst: ok, agency: ok, anonymous: http.StatusUnauthorized,
			wantBody: []string{`"indices"`}},
		{method: "GET", path: "/api/v1/reports/index?year=" + y + "&format=csv", admin: ok, analyst: ok, agency: ok, anonymous: http.StatusUnauthorized},
		{method: "GET", path: "/api/v1/responses?year=" + y, admin: ok, analyst: ok, agency: ok, anonymous: http.StatusUnauthorized,
			wantBody: []string{"response_id", ownAgency}},
		// Kiosks, sticker sheets and token secrets (kiosk.go). The admin's POST /admin/kiosks
		// registers kiosk 1, which the two rows after it use.
		{method: "GET", path: "/admin/kiosks", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{e.msg("kiosks.add")}},
		{method: "POST", path: "/admin/kiosks", body: form("_csrf", "{csrf}", "agency", ownAgency, "counter", "Quầy 1", "survey", "sipas-quick", "idle", "60"),
			admin: created, analyst: forbidden, agency: forbidden, wantBody: []string{e.msg("kiosks.code_once"), "<svg "}},
		{method: "POST", path: "/admin/kiosks/1/enrol", body: form("_csrf", "{csrf}"), admin: ok, analyst: forbidden, agency: forbidden,
			wantBody: []string{e.msg("kiosks.code_once")}},
		{method: "POST", path: "/admin/kiosks/1/revoke", body: form("_csrf", "{csrf}"), admin: see, analyst: forbidden, agency: forbidden},
		{method: "GET", path: "/admin/sheets", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{ownAgencyName}},
		{method: "POST", path: "/admin/sheets", body: form("_csrf", "{csrf}", "agency", ownAgency, "count", "0"), admin: unproc, analyst: forbidden, agency: forbidden,
			wantBody: []string{e.msg("sheets.invalid")}},
		{method: "GET", path: "/admin/secrets", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{e.msg("secrets.create")}},
		{method: "POST", path: "/admin/secrets", body: form("_csrf", "{csrf}", "agency", ownAgency), admin: created, analyst: forbidden, agency: forbidden,
			wantBody: []string{e.msg("secrets.shown_once")}},
		{method: "POST", path: "/admin/secrets/1/revoke", body: form("_csrf", "{csrf}"), admin: see, analyst: forbidden, agency: forbidden},
		// Webhooks (webhooks.go): the admin's POST registers endpoint 1, which publishing gives
		// delivery 1; the rows after use them.
		{method: "GET", path: "/admin/webhooks", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{e.msg("webhooks.add")}},
		{method: "POST", path: "/admin/webhooks", body: form("_csrf", "{csrf}", "url", "http://127.0.0.1:9/hook", "events", "report.published"),
			admin: created, analyst: forbidden, agency: forbidden, wantBody: []string{e.msg("webhooks.shown_once"), "whsec_"}},
		{method: "POST", path: "/admin/webhooks/publish", body: form("_csrf", "{csrf}", "year", y, "baseline", "2023"), admin: see, analyst: forbidden, agency: forbidden},
		{method: "GET", path: "/admin/webhooks/1", admin: ok, analyst: forbidden, agency: forbidden, wantBody: []string{"report.published", "http://127.0.0.1:9/hook"}},
		{method: "POST", path: "/admin/webhooks/1/rotate", body: form("_csrf", "{csrf}"), admin: ok, analyst: forbidden, agency: forbidden,
			wantBody: []string{e.msg("webhooks.rotated"), "whsec_"}},
		{method: "POST", path: "/admin/webhooks/1/disable", body: form("_csrf", "{csrf}"), admin: see, analyst: forbidden, agency: forbidden},
		{method: "POST", path: "/admin/webhooks/1/enable", body: form("_csrf", "{csrf}"), admin: see, analyst: forbidden, agency: forbidden},
		{method: "POST", path: "/admin/webhooks/1/deliveries/1/redeliver", body: form("_csrf", "{csrf}"), admin: see, analyst: forbidden, agency: forbidden},
		{method: "POST", path: "/admin/webhooks/1/delete", body: form("_csrf", "{csrf}"), admin: see, analyst: forbidden, agency: forbidden},
		// Last: it ends the session it is sent with (each role gets a fresh one).
		{method: "POST", path: "/admin/logout", body: form("_csrf", "{csrf}"), admin: see, analyst: see, agency: see},
	}
}

// TestRoutesByRole is the route × role table: allowed, forbidden (403 and nothing of the page),
// anonymous (303 to the sign-in page, which brings the official back afterwards).
func TestRoutesByRole(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	e.secret("Mật-khẩu-bảng-vai-trò-6!")
	var tests []adminTest
	for _, r := range roleRoutes(t, e) {
		for _, role := range []string{"admin", "analyst", "agency", ""} {
			want := map[string]int{"admin": r.admin, "analyst": r.analyst, "agency": r.agency, "": r.anonymous}[role]
			tt := adminTest{name: r.method + " " + r.path + " as " + cmpOr(role, "anonymous"), method: r.method, path: r.path,
				body: r.body, ctype: r.ctype, auth: role, wantStatus: want}
			switch {
			case want == 0:
				tt.wantStatus = http.StatusSeeOther
				tt.after = wantLoginRedirect(r.path)
			case want == http.StatusForbidden:
				// The error page, and nothing of what the page would have shown.
				tt.wantBody = []string{e.msg("forbidden.title")}
				tt.wantNotBody = []string{targetEmail, rivals[0].name, rivals[0].comment, "storetest", "sipas_", "$argon2id$"}
				tt.after = wantUnchangedForbidden
			case want == http.StatusUnauthorized && r.path == "/admin/login":
				tt.wantBody = []string{e.msg("login.failed")}
			case want == http.StatusUnauthorized:
				tt.wantBody = []string{`"unauthorized"`}
				tt.wantHeader = map[string]string{"WWW-Authenticate": "Bearer", "Content-Type": "application/json"}
			case want < 300:
				tt.wantBody = r.wantBody
			}
			if r.path == "/admin" && want == http.StatusSeeOther {
				tt.wantHeader = map[string]string{"Location": "/admin/"}
			}
			tests = append(tests, tt)
		}
	}
	// The logout rows end their sessions: give each role a fresh one for them.
	before := len(tests) - 4
	runAdminTests(t, e, tests[:before])
	for _, role := range []string{"admin", "analyst", "agency"} {
		email := map[string]string{"admin": adminEmail, "analyst": analystEmail, "agency": agencyEmail}[role]
		e.sessions[role] = e.signIn(t, email, passwords[email])
	}
	runAdminTests(t, e, tests[before:])
	for _, role := range []string{"admin", "analyst", "agency"} {
		if rec := e.get(t, "/admin/", e.sessions[role]); rec.Code != http.StatusSeeOther {
			t.Errorf("%s after logout: status %d, want 303", role, rec.Code)
		}
	}
}

func wantLoginRedirect(path string) func(t *testing.T, e *adminEnv, rec *httptest.ResponseRecorder) {
	return func(t *testing.T, e *adminEnv, rec *httptest.ResponseRecorder) {
		t.Helper()
		path = e.expand(t, path)
		if got, want := rec.Header().Get("Location"), loginRedirect(path); got != want {
			t.Fatalf("Location = %q, want %q", got, want)
		}
		// Following it, the sign-in form carries next back to the page (for GET routes).
		next := path
		if !strings.HasPrefix(next, "/admin/") || strings.HasPrefix(next, "/admin/logout") {
			next = "/admin/" // never back to a page that is not there to GET
		}
		page := e.get(t, rec.Header().Get("Location"), e.sessions[""])
		if want := `name="next" value="` + e.htmlAttr(next) + `"`; !strings.Contains(page.Body.String(), want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
}

// htmlAttr is s as html/template writes it in an attribute.
func (e *adminEnv) htmlAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", "+", "&#43;", "'", "&#39;", `"`, "&#34;").Replace(s)
}

// wantUnchangedForbidden checks that a refused request did not do anything worth auditing.
func wantUnchangedForbidden(t *testing.T, e *adminEnv, rec *httptest.ResponseRecorder) {
	t.Helper()
	if c := cookieValue(rec, sessionCookie); c != "" {
		t.Error("a forbidden request changed the session cookie")
	}
}

// TestRoleTableIsComplete: every route registered under /admin and every /api/v1 route an
// official's session opens is in the role table, so a new page cannot skip the role checks
// unnoticed.
func TestRoleTableIsComplete(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	covered := map[string]bool{}
	for _, r := range roleRoutes(t, e) {
		covered[r.method+" "+routePattern(e, r.method, e.expand(t, r.path))] = true
	}
	for _, r := range e.srv.e.Routes() {
		if r.Method == echo.RouteNotFound || !(strings.HasPrefix(r.Path, "/admin") || r.Path == "/api/v1/reports/index" || r.Path == "/api/v1/responses") {
			continue
		}
		if !covered[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is not in the role table of admin_roles_test.go", r.Method, r.Path)
		}
	}
}

// routePattern is the registered pattern that serves method and path.
func routePattern(e *adminEnv, method, path string) string {
	u, _ := url.Parse(path)
	c := e.srv.e.NewContext(httptest.NewRequest(method, u.Path, nil), httptest.NewRecorder())
	e.srv.e.Router().Find(method, u.Path, c)
	return c.Path()
}
