package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
	"sipas/internal/survey"
	"sipas/surveys"
)

// The officials' fixture: one agency an agency user belongs to, and rival agencies whose codes,
// names and comments that user must never see (admin_leak_test.go).
const (
	ownAgency     = "OWN.STP"
	ownAgencyName = "Sở Tư pháp tỉnh Thử Nghiệm"
	ownComment    = "Góp ý riêng của Sở Tư pháp: nên thêm ghế ngồi cho người chờ."
	ownComment23  = "Năm gốc, Sở Tư pháp: hướng dẫn tận tình."
)

type rivalAgency struct{ code, name, level, parent, comment, comment23 string }

var rivals = []rivalAgency{
	{"RIVAL.TNMT", "Sở Tài nguyên và Môi trường tỉnh Đối Chứng", "province", "",
		"Bí mật Sở Tài nguyên: cán bộ Trần Văn Khoa thu thêm phí ngoài quy định.", "Năm gốc Tài nguyên: chờ ba tuần mới có kết quả."},
	{"RIVAL.H07", "UBND huyện Khe Giấu Tên", "district", "",
		"Bí mật huyện Khe: bộ phận một cửa đóng cửa sớm lúc ba giờ chiều.", "Năm gốc huyện Khe: thiếu chỗ gửi xe."},
	{"RIVAL.X0701", "UBND xã Suối Kín Đáo", "commune", "RIVAL.H07",
		"Bí mật xã Suối: công chức xã hay vắng mặt buổi sáng.", "Năm gốc xã Suối: biểu mẫu khó hiểu."},
}

// Officials of the fixture, one per role, with their passwords (never to be shown or logged).
const (
	adminEmail   = "quantri@sipas.test"
	analystEmail = "phantich@sipas.test"
	agencyEmail  = "lanhdao.stp@sipas.test"
	targetEmail  = "doituong@sipas.test" // the official that user-management requests change
)

var passwords = map[string]string{
	adminEmail:   "Mật-khẩu-quản-trị-7Qx!",
	analystEmail: "Mật-khẩu-phân-tích-4Kd!",
	agencyEmail:  "Mật-khẩu-lãnh-đạo-9Rw!",
	targetEmail:  "Mật-khẩu-đối-tượng-2Zp!",
}

// adminEnv is the real server over a database with the fixture, a settable clock for the
// store (sessions, throttling), and signed-in sessions of each role.
type adminEnv struct {
	*testServer
	clock    *storetest.Clock
	year     int
	users    map[string]auth.Official // by email
	sessions map[string]*adminSession // by role: admin, analyst, agency; "" is anonymous
	comments map[string]int64         // comment text → response id
	keyID    int64                    // an active API key for revocation
}

// adminSession is what a browser holds: its session cookie, its pre-session cookie, and the
// CSRF token its forms echo as _csrf (bound to the session, or before sign-in to pre).
type adminSession struct {
	id   string // sipas_session; "" before signing in
	pre  string // sipas_csrf, the pre-session secret
	csrf string // the _csrf token of its forms
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	return newAdminEnvConfig(t, Config{})
}

// newAdminEnvConfig is newAdminEnv with the server's cfg (see newServer).
func newAdminEnvConfig(t *testing.T, cfg Config) *adminEnv {
	t.Helper()
	clock := storetest.NewClock(time.Now())
	st := storetest.OpenOptions(t, store.Options{Now: clock.Now})
	e := &adminEnv{testServer: newServer(t, st, cfg), clock: clock, year: calendar.ThisYear(), users: map[string]auth.Official{},
		sessions: map[string]*adminSession{}, comments: map[string]int64{}}
	e.seed(t)
	return e
}

// seed stores the agencies, a year of responses (and a 2023 baseline) in each, one comment per
// agency and year, the officials and an API key; then signs in one official of each role.
func (e *adminEnv) seed(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	agencies := []dataset.Agency{{Code: ownAgency, Name: ownAgencyName, Level: "province"}}
	comments := map[string][2]string{ownAgency: {ownComment, ownComment23}}
	for _, r := range rivals {
		agencies = append(agencies, dataset.Agency{Code: r.code, Name: r.name, Level: r.level, ParentCode: r.parent})
		comments[r.code] = [2]string{r.comment, r.comment23}
	}
	if _, err := e.st.ImportAgencies(ctx, agencies); err != nil {
		t.Fatal(err)
	}
	codes := e.q.Codes()
	var seeds []store.Seed
	for k, a := range agencies {
		for y, year := range []int{e.year, 2023} {
			for i := range 14 {
				answers := make([]uint8, len(codes))
				for j := range answers {
					if (i+j+k)%9 != 0 { // some items unanswered
						answers[j] = uint8(1 + (i*7+j*3+k*5+y)%5)
					}
				}
				sub := store.Submission{SurveyID: e.q.ID, SurveyVersion: e.q.Version, Source: "web",
					Answers: survey.EncodeAnswers(codes, answers)}
				if i == 3 {
					sub.Comment = comments[a.Code][y]
				}
				tok, err := receipt.NewToken()
				if err != nil {
					t.Fatal(err)
				}
				issued := time.Date(year, 1, 2+i, 8, 0, 0, 0, calendar.Zone)
				seeds = append(seeds, store.Seed{
					NewReceipt: store.NewReceipt{TokenHash: tok.Hash(), AgencyCode: a.Code, Procedure: "Chứng thực bản sao",
						Channel: []string{"counter", "online", "postal"}[i%3], Source: "api"},
					IssuedAt: issued, SubmittedAt: issued.Add(time.Hour), Answered: i < 12, Submission: sub,
				})
			}
		}
	}
	storetest.MustSeedReceipts(t, e.st, seeds)
	for _, year := range []int{e.year, 2023} {
		list, err := e.st.ListComments(ctx, store.CommentFilter{SurveyID: e.q.ID, Year: year, PerPage: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list.Comments {
			e.comments[c.Text] = c.ID
		}
	}
	if len(e.comments) != 2*len(agencies) {
		t.Fatalf("fixture has %d comments, want %d", len(e.comments), 2*len(agencies))
	}
	for email, role := range map[string]auth.Role{adminEmail: auth.RoleAdmin, analystEmail: auth.RoleAnalyst,
		agencyEmail: auth.RoleAgency, targetEmail: auth.RoleAgency} {
		agency := ""
		if role == auth.RoleAgency {
			agency = ownAgency
		}
		if email == targetEmail {
			agency = rivals[1].code
		}
		e.users[email] = storetest.MustCreateOfficial(t, e.st, email, role, agency, passwords[email])
		e.secret(passwords[email])
	}
	_, e.keyID = e.apiKey(t)
	e.sessions[""] = e.anonymous(t)
	for role, email := range map[string]string{"admin": adminEmail, "analyst": analystEmail, "agency": agencyEmail} {
		e.sessions[role] = e.signIn(t, email, passwords[email])
	}
}

// anonymous opens the sign-in page as a new browser would, and keeps its CSRF cookie.
func (e *adminEnv) anonymous(t *testing.T) *adminSession {
	t.Helper()
	rec := e.send(t, http.MethodGet, "/admin/login", "", "", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /admin/login: status %d, want 200", rec.Code)
	}
	s := &adminSession{pre: cookieValue(rec, csrfCookie)}
	if s.pre == "" {
		t.Fatal("GET /admin/login set no pre-session cookie")
	}
	s.csrf = csrfToken(s.pre)
	if want := `name="_csrf" value="` + s.csrf + `"`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("sign-in form lacks %s", want)
	}
	return s
}

// signIn signs in through the form, as a browser does, and returns the new session.
func (e *adminEnv) signIn(t *testing.T, email, password string) *adminSession {
	t.Helper()
	s := e.anonymous(t)
	rec := e.login(t, s, email, password)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d, want 303\n%.1000s", email, rec.Code, rec.Body.String())
	}
	s.id = cookieValue(rec, sessionCookie)
	if s.id == "" {
		t.Fatalf("sign in as %s set no session cookie", email)
	}
	s.csrf = csrfToken(s.id) // the token rotates with the session id
	e.secret(s.id)
	return s
}

// loginFrom is login from another client address (the request's TCP peer).
func (e *adminEnv) loginFrom(t *testing.T, remoteAddr string, s *adminSession, email, password string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/admin/login",
		strings.NewReader(form("_csrf", s.csrf, "email", email, "password", password)))
	req.RemoteAddr = remoteAddr
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", e.srv.cookieName(csrfCookie)+"="+s.pre)
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

// login posts the sign-in form with the session's cookies.
func (e *adminEnv) login(t *testing.T, s *adminSession, email, password string) *httptest.ResponseRecorder {
	t.Helper()
	return e.send(t, http.MethodPost, "/admin/login", form("_csrf", s.csrf, "email", email, "password", password), "", s, nil)
}

// cookies is the Cookie header of the session's browser.
func (e *adminEnv) cookies(s *adminSession) string {
	var cookies []string
	if s.id != "" {
		cookies = append(cookies, e.srv.cookieName(sessionCookie)+"="+s.id)
	}
	if s.pre != "" {
		cookies = append(cookies, e.srv.cookieName(csrfCookie)+"="+s.pre)
	}
	return strings.Join(cookies, "; ")
}

// send makes one request with the session's cookies. A body is form-encoded unless ctype says
// otherwise; "{csrf}" in path and body stands for the session's CSRF token.
func (e *adminEnv) send(t *testing.T, method, path, body, ctype string, s *adminSession, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	h := map[string]string{}
	if s != nil {
		r := strings.NewReplacer("{csrf}", s.csrf, url.QueryEscape("{csrf}"), url.QueryEscape(s.csrf))
		path, body = r.Replace(path), r.Replace(body)
		if c := e.cookies(s); c != "" {
			h["Cookie"] = c
		}
	}
	if body != "" {
		if ctype == "" {
			ctype = "application/x-www-form-urlencoded"
		}
		h["Content-Type"] = ctype
	}
	for k, v := range headers {
		h[k] = v
	}
	return e.do(t, method, path, body, h)
}

// get is send for a GET by a session.
func (e *adminEnv) get(t *testing.T, path string, s *adminSession) *httptest.ResponseRecorder {
	t.Helper()
	return e.send(t, http.MethodGet, path, "", "", s, nil)
}

// cookieValue is the value of the cookie name (or "__Host-" + name, as it is over https)
// that rec sets, or "".
func cookieValue(rec *httptest.ResponseRecorder, name string) string {
	if c := findCookie(rec, name); c != nil {
		return c.Value
	}
	return ""
}

func findCookie(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name || c.Name == "__Host-"+name {
			return c
		}
	}
	return nil
}

// multipartBody is a multipart/form-data body with fields (name, value pairs) and, when name
// is not empty, one file field "file".
func multipartBody(t *testing.T, fileName, content string, fields ...string) (body, ctype string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary("sipas-test-boundary-7f3a"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if err := w.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if fileName != "" {
		fw, err := w.CreateFormFile("file", fileName)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, content)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), w.FormDataContentType()
}

// msg is a message of the vi catalogue as html/template writes it.
func (e *adminEnv) msg(key string, args ...any) string {
	return template.HTMLEscapeString(e.srv.msgs.T("vi", key, args...))
}

// loginRedirect is where requireOfficial sends a request for path without a live session.
func loginRedirect(path string) string { return "/admin/login?next=" + url.QueryEscape(path) }

// adminTest is one request by an official (STYLE.md §8); auth names the session: "" for an
// anonymous browser (which has a CSRF cookie), else a role of e.sessions. "{csrf}" in path and
// body is that session's CSRF token; "{comment:TEXT}" is the id of the response with that
// comment, "{user:EMAIL}" an official's id and "{key}" the id of an active API key.
type adminTest struct {
	name        string
	method      string
	path        string
	body        string
	ctype       string
	auth        string
	headers     map[string]string
	wantStatus  int
	wantHeader  map[string]string // header → wanted prefix
	wantBody    []string
	wantNotBody []string
	after       func(t *testing.T, e *adminEnv, rec *httptest.ResponseRecorder)
}

var placeholder = regexp.MustCompile(`\{(comment|user):([^}]*)\}|\{key\}`)

func (e *adminEnv) expand(t *testing.T, s string) string {
	t.Helper()
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if m == "{key}" {
			return strconv.FormatInt(e.keyID, 10)
		}
		sub := placeholder.FindStringSubmatch(m)
		switch sub[1] {
		case "comment":
			id, ok := e.comments[sub[2]]
			if !ok {
				t.Fatalf("no comment %q in the fixture", sub[2])
			}
			return strconv.FormatInt(id, 10)
		default:
			o, ok := e.users[sub[2]]
			if !ok {
				t.Fatalf("no official %q in the fixture", sub[2])
			}
			return strconv.FormatInt(o.ID, 10)
		}
	})
}

// never are what no answer to an official may contain: passwords, session ids, stack traces.
func (e *adminEnv) never() []string {
	out := append([]string{}, leaks...)
	for _, pw := range passwords {
		out = append(out, pw, url.QueryEscape(pw))
	}
	for _, s := range e.sessions {
		if s.id != "" {
			out = append(out, s.id)
		}
	}
	return out
}

func runAdminTests(t *testing.T, e *adminEnv, tests []adminTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := e.sessions[tt.auth]
			if !ok {
				t.Fatalf("no session %q", tt.auth)
			}
			method := cmpOr(tt.method, http.MethodGet)
			path, body := e.expand(t, tt.path), e.expand(t, tt.body)
			rec := e.send(t, method, path, body, tt.ctype, s, tt.headers)
			got := rec.Body.String()
			if rec.Code != tt.wantStatus {
				t.Errorf("%s %s as %q: status = %d, want %d\nbody: %.800s", method, path, tt.auth, rec.Code, tt.wantStatus, got)
			}
			checkSecurityHeaders(t, rec.Header())
			if s.id != "" && rec.Code == http.StatusOK {
				if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control = %q on an official's page or download, want no-store", cc)
				}
			}
			for k, want := range tt.wantHeader {
				if got := rec.Header().Get(k); !strings.HasPrefix(got, e.expand(t, want)) {
					t.Errorf("header %s = %q, want prefix %q", k, got, e.expand(t, want))
				}
			}
			for _, w := range tt.wantBody {
				if !strings.Contains(got, e.expand(t, w)) {
					t.Errorf("body does not contain %q\nbody: %.2000s", e.expand(t, w), got)
				}
			}
			for _, w := range append(e.never(), tt.wantNotBody...) {
				if w != "" && strings.Contains(got, w) {
					t.Errorf("body contains %q, want it not to\nbody: %.2000s", w, got)
				}
			}
			if tt.after != nil {
				tt.after(t, e, rec)
			}
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// wantAudit fails unless the audit log has an entry of action by actor whose detail contains
// detail.
func wantAudit(t *testing.T, st *store.Store, action, actor, detail string) {
	t.Helper()
	entries, err := st.ListAudit(t.Context(), action, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Actor == actor && strings.Contains(en.Detail, detail) {
			return
		}
	}
	t.Errorf("audit log has no %s by %s with detail %q; it has %+v", action, actor, detail, entries)
}

func auditCount(t *testing.T, st *store.Store) int {
	t.Helper()
	return len(storetest.AuditActions(t, st))
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	ck := findCookie(e.get(t, "/admin/login", &adminSession{}), csrfCookie)
	if ck == nil || ck.Name != "__Host-"+csrfCookie || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Domain != "" {
		t.Errorf("pre-session cookie = %+v, want __Host-, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain", ck)
	}

	t.Run("success", func(t *testing.T) {
		s := e.anonymous(t)
		rec := e.login(t, s, agencyEmail, passwords[agencyEmail])
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/" {
			t.Fatalf("status %d Location %q, want 303 to /admin/", rec.Code, rec.Header().Get("Location"))
		}
		c := findCookie(rec, sessionCookie)
		if c == nil || c.Name != "__Host-"+sessionCookie || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != int(store.SessionMaxAge/time.Second) {
			t.Fatalf("session cookie = %+v, want __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, Max-Age 12 h", c)
		}
		if len(c.Value) < 40 {
			t.Errorf("session id %q is too short to be unguessable", c.Value)
		}
		e.secret(c.Value)
		s.id = c.Value
		if rec := e.get(t, "/admin/", s); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), agencyEmail) {
			t.Errorf("dashboard with the new session: status %d, want 200 naming the official", rec.Code)
		}
		wantAudit(t, e.st, "login", agencyEmail, "agency")
	})

	t.Run("next", func(t *testing.T) {
		for next, want := range map[string]string{
			"/admin/users?x=1":     "/admin/users?x=1",
			"/admin/comments":      "/admin/comments",
			"//evil.example/admin": "/admin/",
			"https://evil.example": "/admin/",
			"/admin/\\evil":        "/admin/",
			"/static/app.css":      "/admin/",
			"":                     "/admin/",
		} {
			s := e.anonymous(t)
			if rec := e.get(t, "/admin/login?next="+url.QueryEscape(next), s); !strings.Contains(rec.Body.String(),
				`name="next" value="`+template.HTMLEscapeString(want)+`"`) {
				t.Errorf("sign-in page for next=%q does not carry next=%q", next, want)
			}
			rec := e.send(t, http.MethodPost, "/admin/login", form("_csrf", s.csrf, "email", analystEmail,
				"password", passwords[analystEmail], "next", next), "", s, nil)
			if got := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || got != want {
				t.Errorf("next=%q: status %d Location %q, want 303 to %q", next, rec.Code, got, want)
			}
		}
	})

	t.Run("wrong password and unknown email read the same", func(t *testing.T) {
		s := e.anonymous(t)
		wrong := e.login(t, s, analystEmail, "không phải mật khẩu")
		unknown := e.login(t, s, "ai.do@sipas.test", "không phải mật khẩu")
		for _, rec := range []*httptest.ResponseRecorder{wrong, unknown} {
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", rec.Code)
			}
			if cookieValue(rec, sessionCookie) != "" {
				t.Error("a failed sign-in set a session cookie")
			}
			if !strings.Contains(rec.Body.String(), e.msg("login.failed")) {
				t.Errorf("body lacks %q", e.msg("login.failed"))
			}
			if strings.Contains(rec.Body.String(), "không phải mật khẩu") {
				t.Error("the sign-in page echoes the password")
			}
		}
		if a, b := strings.ReplaceAll(wrong.Body.String(), analystEmail, "E"), strings.ReplaceAll(unknown.Body.String(), "ai.do@sipas.test", "E"); a != b {
			t.Error("a wrong password and an unknown email get different pages: emails can be enumerated")
		}
		wantAudit(t, e.st, "login.failed", analystEmail, "")
		wantAudit(t, e.st, "login.failed", "ai.do@sipas.test", "")
	})
}

// TestSessionRotation: every sign-in gets a new session id, and the id the browser had before
// (its own or one an attacker planted) stops working.
func TestSessionRotation(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	first := e.signIn(t, analystEmail, passwords[analystEmail])
	rec := e.login(t, first, analystEmail, passwords[analystEmail])
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("second sign-in: status %d, want 303", rec.Code)
	}
	second := &adminSession{id: cookieValue(rec, sessionCookie)}
	e.secret(second.id)
	if second.id == "" || second.id == first.id {
		t.Fatalf("session id after signing in again = %q, want a new one", second.id)
	}
	if rec := e.get(t, "/admin/", first); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != loginRedirect("/admin/") {
		t.Errorf("old session id: status %d Location %q, want 303 to sign-in", rec.Code, rec.Header().Get("Location"))
	}
	if rec := e.get(t, "/admin/", second); rec.Code != http.StatusOK {
		t.Errorf("new session id: status %d, want 200", rec.Code)
	}

	// Session fixation: an id chosen by someone else is never adopted.
	planted := &adminSession{id: "attacker-chosen-session-id-0123456789abcdef"}
	planted.csrf = csrfToken(planted.id)
	rec = e.login(t, planted, analystEmail, passwords[analystEmail])
	if got := cookieValue(rec, sessionCookie); got == "" || got == planted.id {
		t.Errorf("session id after signing in with a planted one = %q, want a new one", got)
	}
	e.secret(cookieValue(rec, sessionCookie))
	if rec := e.get(t, "/admin/", planted); rec.Code != http.StatusSeeOther {
		t.Errorf("planted session id: status %d, want 303", rec.Code)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	s := e.signIn(t, adminEmail, passwords[adminEmail])
	other := e.signIn(t, adminEmail, passwords[adminEmail]) // the same official on another device
	rec := e.send(t, http.MethodPost, "/admin/logout", form("_csrf", "{csrf}"), "", s, nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/login" {
		t.Fatalf("logout: status %d Location %q, want 303 to /admin/login", rec.Code, rec.Header().Get("Location"))
	}
	if c := findCookie(rec, sessionCookie); c == nil || c.Value != "" || c.MaxAge >= 0 {
		t.Errorf("logout cookie = %+v, want the session cookie deleted", c)
	}
	for _, path := range []string{"/admin/", "/admin/users"} {
		if rec := e.get(t, path, s); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != loginRedirect(path) {
			t.Errorf("GET %s after logout: status %d Location %q, want 303 to sign-in", path, rec.Code, rec.Header().Get("Location"))
		}
	}
	if rec := e.get(t, "/api/v1/reports/index?year="+strconv.Itoa(e.year), s); rec.Code != http.StatusUnauthorized {
		t.Errorf("report API after logout: status %d, want 401", rec.Code)
	}
	if rec := e.get(t, "/admin/", other); rec.Code != http.StatusOK {
		t.Errorf("the official's other session: status %d, want 200 (logout ends this session only)", rec.Code)
	}
	wantAudit(t, e.st, "logout", adminEmail, "")
	// Signing out twice is harmless: the second time there is no session.
	if rec := e.send(t, http.MethodPost, "/admin/logout", form("_csrf", "{csrf}"), "", s, nil); rec.Code != http.StatusSeeOther {
		t.Errorf("second logout: status %d, want 303", rec.Code)
	}
}

// TestSessionExpiry drives the store's clock: a session ends after 2 h without a request, and
// after 12 h in any case.
func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	report := "/api/v1/reports/index?year=" + strconv.Itoa(e.year)

	t.Run("idle", func(t *testing.T) {
		s := e.signIn(t, analystEmail, passwords[analystEmail])
		e.clock.Advance(store.SessionIdleMax - time.Minute)
		if rec := e.get(t, "/admin/comments", s); rec.Code != http.StatusOK {
			t.Fatalf("after 1 h 59 min idle: status %d, want 200", rec.Code)
		}
		e.clock.Advance(store.SessionIdleMax + time.Minute)
		if rec := e.get(t, "/admin/comments?q=x", s); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != loginRedirect("/admin/comments?q=x") {
			t.Errorf("after 2 h 1 min idle: status %d Location %q, want 303 to sign-in with next", rec.Code, rec.Header().Get("Location"))
		}
		if rec := e.get(t, report, s); rec.Code != http.StatusUnauthorized {
			t.Errorf("report API after idling: status %d, want 401", rec.Code)
		}
	})

	t.Run("absolute", func(t *testing.T) {
		s := e.signIn(t, analystEmail, passwords[analystEmail])
		start := e.clock.Now()
		for e.clock.Now().Sub(start) < store.SessionMaxAge-time.Hour {
			e.clock.Advance(time.Hour) // busy all day: never idle
			if rec := e.get(t, "/admin/sample-size", s); rec.Code != http.StatusOK {
				t.Fatalf("after %v of use: status %d, want 200", e.clock.Now().Sub(start), rec.Code)
			}
		}
		e.clock.Advance(time.Hour + time.Minute)
		if rec := e.get(t, "/admin/sample-size", s); rec.Code != http.StatusSeeOther {
			t.Errorf("after 12 h 1 min: status %d, want 303 to sign-in", rec.Code)
		}
		if rec := e.get(t, report, s); rec.Code != http.StatusUnauthorized {
			t.Errorf("report API after 12 h: status %d, want 401", rec.Code)
		}
	})

	t.Run("signing in again works", func(t *testing.T) {
		s := e.signIn(t, analystEmail, passwords[analystEmail])
		if rec := e.get(t, "/admin/", s); rec.Code != http.StatusOK {
			t.Errorf("status %d, want 200", rec.Code)
		}
	})
}

func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)

	t.Run("per email", func(t *testing.T) {
		s := e.anonymous(t)
		for i := 1; i <= maxFailuresPerEmail; i++ {
			if rec := e.login(t, s, analystEmail, fmt.Sprintf("sai mật khẩu lần %d", i)); rec.Code != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: status %d, want 401", i, rec.Code)
			}
		}
		rec := e.login(t, s, analystEmail, "sai mật khẩu lần 6")
		if rec.Code != http.StatusTooManyRequests {
			t.Fatalf("6th wrong password: status %d, want 429", rec.Code)
		}
		if !strings.Contains(rec.Body.String(), e.msg("login.throttled")) {
			t.Errorf("429 page lacks %q", e.msg("login.throttled"))
		}
		// Throttled, even the right password is refused without being checked.
		if rec := e.login(t, s, analystEmail, passwords[analystEmail]); rec.Code != http.StatusTooManyRequests || cookieValue(rec, sessionCookie) != "" {
			t.Errorf("right password while throttled: status %d, want 429 and no session", rec.Code)
		}
		// Another official is not affected.
		if rec := e.login(t, s, adminEmail, passwords[adminEmail]); rec.Code != http.StatusSeeOther {
			t.Errorf("another email: status %d, want 303", rec.Code)
		} else {
			e.secret(cookieValue(rec, sessionCookie))
		}
		actions := storetest.AuditActions(t, e.st)
		if n := count(actions, "login.failed"); n < maxFailuresPerEmail {
			t.Errorf("audit has %d login.failed, want at least %d", n, maxFailuresPerEmail)
		}
		wantAudit(t, e.st, "login.throttled", analystEmail, "")
		// After the window, the official can sign in.
		e.clock.Advance(store.LoginWindow + time.Second)
		if rec := e.login(t, s, analystEmail, passwords[analystEmail]); rec.Code != http.StatusSeeOther {
			t.Errorf("after %v: status %d, want 303", store.LoginWindow, rec.Code)
		} else {
			e.secret(cookieValue(rec, sessionCookie))
		}
	})

	t.Run("per client", func(t *testing.T) {
		e.clock.Advance(store.LoginWindow + time.Second)
		s := e.anonymous(t)
		// 20 failures from one address, spread over emails so no email is throttled. The
		// emails exist, so each guess costs a cheap fixture hash, not a full argon2id.
		for i := range 5 {
			storetest.MustCreateOfficial(t, e.st, fmt.Sprintf("doan%d@sipas.test", i), auth.RoleAnalyst, "", passwords[analystEmail])
		}
		for i := range maxFailuresPerClient {
			email := fmt.Sprintf("doan%d@sipas.test", i%5)
			if rec := e.login(t, s, email, "đoán mò"); rec.Code != http.StatusUnauthorized {
				t.Fatalf("guess %d: status %d, want 401", i+1, rec.Code)
			}
		}
		if rec := e.login(t, s, adminEmail, passwords[adminEmail]); rec.Code != http.StatusTooManyRequests {
			t.Errorf("after %d failures from one address: status %d, want 429", maxFailuresPerClient, rec.Code)
		}
		// From another address the official signs in.
		other := e.loginFrom(t, "198.51.100.7:4321", s, adminEmail, passwords[adminEmail])
		if other.Code != http.StatusSeeOther {
			t.Errorf("from another address: status %d, want 303", other.Code)
		}
		e.secret(cookieValue(other, sessionCookie))
	})
}

func count[T comparable](list []T, s T) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// TestDisabledOfficial: disabling ends the official's sessions at once, and they cannot sign in
// until enabled again.
func TestDisabledOfficial(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	admin := e.sessions["admin"]
	victim := e.signIn(t, targetEmail, passwords[targetEmail])
	id := strconv.FormatInt(e.users[targetEmail].ID, 10)
	if rec := e.get(t, "/admin/", victim); rec.Code != http.StatusOK {
		t.Fatalf("before: status %d, want 200", rec.Code)
	}
	rec := e.send(t, http.MethodPost, "/admin/users/"+id, form("_csrf", "{csrf}", "disabled", "1"), "", admin, nil)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("disable: status %d, want 303", rec.Code)
	}
	if rec := e.get(t, "/admin/", victim); rec.Code != http.StatusSeeOther {
		t.Errorf("session of a disabled official: status %d, want 303 to sign-in", rec.Code)
	}
	if rec := e.get(t, "/api/v1/responses?year="+strconv.Itoa(e.year), victim); rec.Code != http.StatusUnauthorized {
		t.Errorf("export with a disabled official's session: status %d, want 401", rec.Code)
	}
	s := e.anonymous(t)
	if rec := e.login(t, s, targetEmail, passwords[targetEmail]); rec.Code != http.StatusUnauthorized || cookieValue(rec, sessionCookie) != "" {
		t.Errorf("sign-in of a disabled official: status %d, want 401 and no session", rec.Code)
	}
	wantAudit(t, e.st, "user.update", adminEmail, "disabled=1")
	users := e.get(t, "/admin/users", admin).Body.String()
	if !strings.Contains(users, e.msg("users.disabled")) {
		t.Errorf("users page does not show the official as disabled")
	}
	// An admin cannot disable themself (and lock everyone out).
	if rec := e.send(t, http.MethodPost, "/admin/users/"+strconv.FormatInt(e.users[adminEmail].ID, 10),
		form("_csrf", "{csrf}", "disabled", "1"), "", admin, nil); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("disable oneself: status %d, want 422", rec.Code)
	}
	if rec := e.send(t, http.MethodPost, "/admin/users/"+id, form("_csrf", "{csrf}", "disabled", "0"), "", admin, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("enable: status %d, want 303", rec.Code)
	}
	if rec := e.login(t, s, targetEmail, passwords[targetEmail]); rec.Code != http.StatusSeeOther {
		t.Errorf("sign-in after enabling: status %d, want 303", rec.Code)
	} else {
		e.secret(cookieValue(rec, sessionCookie))
	}
}

// TestUserManagement: creating officials, resetting a password and changing a role, with the
// password never shown and every change audited.
func TestUserManagement(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	const newPW, resetPW = "Mật-khẩu-người-mới-5Tg!", "Mật-khẩu-đặt-lại-8Hv!"
	e.secret(newPW, resetPW)
	notPW := []string{newPW, url.QueryEscape(newPW), resetPW, url.QueryEscape(resetPW), "$argon2id$"}
	target := "/admin/users/{user:" + targetEmail + "}"
	runAdminTests(t, e, []adminTest{
		{name: "page", auth: "admin", path: "/admin/users", wantStatus: http.StatusOK,
			wantBody: []string{adminEmail, analystEmail, agencyEmail, targetEmail, ownAgency}, wantNotBody: notPW},
		{name: "create", auth: "admin", method: http.MethodPost, path: "/admin/users",
			body:       form("_csrf", "{csrf}", "email", "moi@sipas.test", "name", "Nguyễn Thị Mới", "role", "agency", "agency", ownAgency, "password", newPW),
			wantStatus: http.StatusSeeOther, wantHeader: map[string]string{"Location": "/admin/users?flash=flash.saved"}, wantNotBody: notPW,
			after: func(t *testing.T, e *adminEnv, rec *httptest.ResponseRecorder) {
				wantAudit(t, e.st, "user.create", adminEmail, "moi@sipas.test agency")
				s := e.signIn(t, "moi@sipas.test", newPW)
				if rec := e.get(t, "/admin/", s); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), ownAgencyName) {
					t.Errorf("the new agency official's dashboard: status %d, want 200 with their agency", rec.Code)
				}
			}},
		{name: "create again", auth: "admin", method: http.MethodPost, path: "/admin/users",
			body:       form("_csrf", "{csrf}", "email", "moi@sipas.test", "role", "analyst", "password", newPW),
			wantStatus: http.StatusConflict, wantBody: []string{e.msg("users.exists")}, wantNotBody: notPW},
		{name: "weak password", auth: "admin", method: http.MethodPost, path: "/admin/users",
			body:       form("_csrf", "{csrf}", "email", "yeu@sipas.test", "role", "analyst", "password", "ngắn"),
			wantStatus: http.StatusUnprocessableEntity, wantBody: []string{e.msg("users.weak_password")}, wantNotBody: []string{"ngắn"}},
		{name: "agency role needs an agency", auth: "admin", method: http.MethodPost, path: "/admin/users",
			body:       form("_csrf", "{csrf}", "email", "thieu@sipas.test", "role", "agency", "agency", "NO.SUCH", "password", newPW),
			wantStatus: http.StatusUnprocessableEntity, wantBody: []string{e.msg("users.need_agency")}, wantNotBody: notPW},
		{name: "bad role", auth: "admin", method: http.MethodPost, path: "/admin/users",
			body:       form("_csrf", "{csrf}", "email", "vaitro@sipas.test", "role", "root", "password", newPW),
			wantStatus: http.StatusUnprocessableEntity, wantBody: []string{e.msg("users.invalid")}, wantNotBody: notPW},
		{name: "reset password", auth: "admin", method: http.MethodPost, path: target,
			body: form("_csrf", "{csrf}", "password", resetPW), wantStatus: http.StatusSeeOther, wantNotBody: notPW,
			after: func(t *testing.T, e *adminEnv, rec *httptest.ResponseRecorder) {
				wantAudit(t, e.st, "user.update", adminEmail, "password reset")
				s := e.anonymous(t)
				if rec := e.login(t, s, targetEmail, passwords[targetEmail]); rec.Code != http.StatusUnauthorized {
					t.Errorf("old password after reset: status %d, want 401", rec.Code)
				}
				e.signIn(t, targetEmail, resetPW)
			}},
		{name: "change role", auth: "admin", method: http.MethodPost, path: target,
			body: form("_csrf", "{csrf}", "role", "analyst", "agency", ""), wantStatus: http.StatusSeeOther,
			after: func(t *testing.T, e *adminEnv, rec *httptest.ResponseRecorder) {
				wantAudit(t, e.st, "user.update", adminEmail, "role=analyst")
				o, err := e.st.FindOfficialByID(t.Context(), e.users[targetEmail].ID)
				if err != nil || o.Role != auth.RoleAnalyst || o.AgencyCode != "" {
					t.Errorf("official after role change = %+v, %v; want an analyst without agency", o, err)
				}
			}},
		{name: "unknown official", auth: "admin", method: http.MethodPost, path: "/admin/users/99999",
			body: form("_csrf", "{csrf}", "disabled", "1"), wantStatus: http.StatusNotFound},
		{name: "not a number", auth: "admin", method: http.MethodPost, path: "/admin/users/abc",
			body: form("_csrf", "{csrf}", "disabled", "1"), wantStatus: http.StatusNotFound},
	})
	for _, en := range mustAudit(t, e.st) {
		for _, pw := range []string{newPW, resetPW} {
			if strings.Contains(en.Detail, pw) || strings.Contains(en.Actor, pw) {
				t.Errorf("audit entry %+v holds a password", en)
			}
		}
	}
}

func mustAudit(t *testing.T, st *store.Store) []store.AuditEntry {
	t.Helper()
	entries, err := st.ListAudit(t.Context(), "", 100000)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// TestAPIKeyShownOnce: a new key is on the page that created it and nowhere else: not on the
// keys page afterwards, not in the audit log, not in the server log.
func TestAPIKeyShownOnce(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	admin := e.sessions["admin"]
	rec := e.send(t, http.MethodPost, "/admin/keys", form("_csrf", "{csrf}", "name", "Phần mềm một cửa, Sở Tư pháp", "issue", ownAgency, "reports", ownAgency, "expires", "2099-12-31"), "", admin, nil)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create key: status %d, want 201\n%.800s", rec.Code, rec.Body.String())
	}
	key := regexp.MustCompile(regexp.QuoteMeta(auth.APIKeyPrefix) + `[a-z2-7]{40,}`).FindString(rec.Body.String())
	if key == "" {
		t.Fatalf("the page after creating a key does not show it\n%.2000s", rec.Body.String())
	}
	e.secret(key)
	if !strings.Contains(rec.Body.String(), e.msg("keys.shown_once")) {
		t.Errorf("the new key is shown without saying it is shown once")
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q on the page with the key, want no-store", cc)
	}
	report := "/api/v1/reports/index?year=" + strconv.Itoa(e.year) + "&baseline=2023"
	if rec := e.do(t, http.MethodGet, report, "", map[string]string{"Authorization": "Bearer " + key}); rec.Code != http.StatusOK {
		t.Errorf("report with the new key: status %d, want 200", rec.Code)
	}
	wantAudit(t, e.st, "report.download", "api:Phần mềm một cửa, Sở Tư pháp", "format=json")

	page := e.get(t, "/admin/keys", admin)
	if page.Code != http.StatusOK {
		t.Fatalf("keys page: status %d", page.Code)
	}
	if strings.Contains(page.Body.String(), key) || strings.Contains(page.Body.String(), key[len(auth.APIKeyPrefix)+6:]) {
		t.Error("the keys page shows the key again after a reload")
	}
	if !strings.Contains(page.Body.String(), key[:len(auth.APIKeyPrefix)+6]+"…") {
		t.Errorf("the keys page does not list the key by its prefix %q", key[:len(auth.APIKeyPrefix)+6])
	}
	// Its scopes, its expiry and its last use (the report just read) are shown.
	row := page.Body.String()[strings.Index(page.Body.String(), key[:len(auth.APIKeyPrefix)+6]):]
	row = row[:strings.Index(row, "</tr>")]
	for _, want := range []string{"<code>issue:" + ownAgency + "</code>", "<code>reports:" + ownAgency + "</code>", "01/01/2100 00:00"} { // valid through 31/12/2099
		if !strings.Contains(row, want) {
			t.Errorf("the key's row lacks %q:\n%s", want, row)
		}
	}
	if strings.Count(row, e.msg("keys.never")) != 0 {
		t.Errorf("the key's row says it was never used (or never expires), after a report was read with it:\n%s", row)
	}
	wantAudit(t, e.st, "apikey.create", adminEmail, key[:len(auth.APIKeyPrefix)+6])
	for _, en := range mustAudit(t, e.st) {
		if strings.Contains(en.Detail, key) {
			t.Errorf("audit entry %+v holds the key", en)
		}
	}

	keys, err := e.st.ListAPIKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(keys[0].ID, 10)
	if rec := e.send(t, http.MethodPost, "/admin/keys/"+id+"/revoke", form("_csrf", "{csrf}"), "", admin, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("revoke: status %d, want 303", rec.Code)
	}
	wantAudit(t, e.st, "apikey.revoke", adminEmail, "key "+id)
	if rec := e.do(t, http.MethodGet, report, "", map[string]string{"Authorization": "Bearer " + key}); rec.Code != http.StatusUnauthorized {
		t.Errorf("report with the revoked key: status %d, want 401", rec.Code)
	}
	if rec := e.send(t, http.MethodPost, "/admin/keys/"+id+"/revoke", form("_csrf", "{csrf}"), "", admin, nil); rec.Code != http.StatusNotFound {
		t.Errorf("revoke again: status %d, want 404", rec.Code)
	}
	if rec := e.send(t, http.MethodPost, "/admin/keys", form("_csrf", "{csrf}", "name", "  "), "", admin, nil); rec.Code != http.StatusSeeOther ||
		!strings.Contains(rec.Header().Get("Location"), "keys.need_name") {
		t.Errorf("key without a name: status %d Location %q, want 303 with keys.need_name", rec.Code, rec.Header().Get("Location"))
	}
}

// TestAuditTrail: sign-in, imports, exports, user, key, agency, survey and comment changes are
// all in the audit log with who did them, and the audit page lists them.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	admin := e.sessions["admin"]
	y := strconv.Itoa(e.year)
	steps := []struct {
		method, path, body, ctype string
		want                      int
	}{
		{http.MethodGet, "/api/v1/reports/index?year=" + y + "&baseline=2023&format=xlsx", "", "", http.StatusOK},
		{http.MethodGet, "/api/v1/responses?year=" + y + "&format=csv", "", "", http.StatusOK},
		{http.MethodPost, "/admin/users", form("_csrf", "{csrf}", "email", "kiemtoan@sipas.test", "role", "analyst", "password", "Mật-khẩu-kiểm-toán-1!"), "", http.StatusSeeOther},
		{http.MethodPost, "/admin/users/" + strconv.FormatInt(e.users[targetEmail].ID, 10), form("_csrf", "{csrf}", "disabled", "1"), "", http.StatusSeeOther},
		{http.MethodPost, "/admin/keys", form("_csrf", "{csrf}", "name", "kiểm toán", "metrics", "1"), "", http.StatusCreated},
		{http.MethodPost, "/admin/keys/" + strconv.FormatInt(e.keyID, 10) + "/revoke", form("_csrf", "{csrf}"), "", http.StatusSeeOther},
		{http.MethodPost, "/admin/agencies/" + ownAgency, form("_csrf", "{csrf}", "name", ownAgencyName, "level", "province", "parent_code", ""), "", http.StatusSeeOther},
		{http.MethodPost, "/admin/comments/" + strconv.FormatInt(e.comments[rivals[0].comment], 10), form("_csrf", "{csrf}", "hidden", "1"), "", http.StatusSeeOther},
	}
	e.secret("Mật-khẩu-kiểm-toán-1!")
	body, ctype := multipartBody(t, "populations.csv", "year,agency_code,receipts\n2023,"+ownAgency+",500\n", "_csrf", admin.csrf)
	steps = append(steps, struct {
		method, path, body, ctype string
		want                      int
	}{http.MethodPost, "/admin/populations/upload", body, ctype, http.StatusOK})
	body, ctype = multipartBody(t, "sipas.json", string(surveyVersion(t, "2026.9")), "_csrf", admin.csrf)
	steps = append(steps, struct {
		method, path, body, ctype string
		want                      int
	}{http.MethodPost, "/admin/surveys/upload", body, ctype, http.StatusSeeOther})
	for _, st := range steps {
		if rec := e.send(t, st.method, st.path, st.body, st.ctype, admin, nil); rec.Code != st.want {
			t.Errorf("%s %s: status %d, want %d\n%.600s", st.method, st.path, rec.Code, st.want, rec.Body.String())
		}
	}
	for _, w := range []struct{ action, detail string }{
		{"login", "admin"},
		{"report.download", "format=xlsx year=" + y + " baseline=2023"},
		{"responses.export", "format=csv year=" + y},
		{"user.create", "kiemtoan@sipas.test analyst"},
		{"user.update", "disabled=1"},
		{"apikey.create", "kiểm toán"},
		{"apikey.revoke", "key " + strconv.FormatInt(e.keyID, 10)},
		{"agency.update", ownAgency},
		{"comment.hide", "response " + strconv.FormatInt(e.comments[rivals[0].comment], 10)},
		{"import.populations", "populations.csv: 1 created"},
		{"survey.upload", "sipas 2026.9"},
	} {
		wantAudit(t, e.st, w.action, adminEmail, w.detail)
	}
	page := e.get(t, "/admin/audit", admin)
	for _, w := range []string{"login", "report.download", "import.populations", "apikey.revoke", "comment.hide", adminEmail} {
		if !strings.Contains(page.Body.String(), w) {
			t.Errorf("audit page lacks %q", w)
		}
	}
	filtered := e.get(t, "/admin/audit?action=comment.hide", admin).Body.String()
	if !strings.Contains(filtered, "comment.hide") || strings.Contains(filtered, "<code>login</code>") {
		t.Errorf("audit page filtered by action shows other actions")
	}
}

// surveyVersion is the default questionnaire definition with another version.
func surveyVersion(t *testing.T, version string) []byte {
	t.Helper()
	raw, err := surveys.FS.ReadFile("sipas.json")
	if err != nil {
		t.Fatal(err)
	}
	out := regexp.MustCompile(`"version":\s*"[^"]*"`).ReplaceAll(raw, []byte(`"version": "`+version+`"`))
	if bytes.Equal(out, raw) {
		t.Fatal("sipas.json has no version field")
	}
	return out
}

func TestDataUpload(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	admin := e.sessions["admin"]
	before, err := e.st.ListAgencies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	located := regexp.MustCompile(`<code>[a-z_]+\.csv:\d+:\d+: [^<]+</code>`)
	upload := func(kind, name, content string) *httptest.ResponseRecorder {
		t.Helper()
		body, ctype := multipartBody(t, name, content, "_csrf", admin.csrf)
		return e.send(t, http.MethodPost, "/admin/"+kind+"/upload", body, ctype, admin, nil)
	}

	t.Run("bad agencies change nothing", func(t *testing.T) {
		audits := auditCount(t, e.st)
		rec := upload("agencies", "agencies.csv", "code,name,level,parent_code\nNEW.A,Cơ quan mới A,province,\nNEW.B,Cơ quan mới B,ward,\nNEW.C,,district,NO.SUCH\n")
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", rec.Code)
		}
		body := rec.Body.String()
		for _, w := range []string{e.msg("data.refused"), "agencies.csv:3:3: ", "agencies.csv:4:2: ", "agencies.csv:4:4: "} {
			if !strings.Contains(body, w) {
				t.Errorf("body lacks %q\n%.3000s", w, body)
			}
		}
		if n := len(located.FindAllString(body, -1)); n != 3 {
			t.Errorf("%d located errors listed, want 3 (one per problem)", n)
		}
		after, err := e.st.ListAgencies(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before) {
			t.Errorf("%d agencies after a refused file, want %d", len(after), len(before))
		}
		if strings.Contains(body, "NEW.A</th>") {
			t.Error("the refused file's good row is listed as an agency")
		}
		if got := auditCount(t, e.st); got != audits {
			t.Errorf("a refused import was audited (%d → %d entries)", audits, got)
		}
	})

	t.Run("good agencies import", func(t *testing.T) {
		rec := upload("agencies", "agencies.csv", "code,name,level,parent_code\nNEW.A,Cơ quan mới A,province,\nNEW.A.01,Xã mới thuộc A,commune,NEW.A\n"+
			ownAgency+","+ownAgencyName+",province,\n")
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d, want 200\n%.2000s", rec.Code, rec.Body.String())
		}
		for _, w := range []string{"2 created, 0 updated, 1 unchanged", "NEW.A.01", "Xã mới thuộc A"} {
			if !strings.Contains(rec.Body.String(), w) {
				t.Errorf("body lacks %q", w)
			}
		}
		a, err := e.st.FindAgencyByCode(t.Context(), "NEW.A.01")
		if err != nil || a.ParentCode != "NEW.A" || a.Level != "commune" {
			t.Errorf("NEW.A.01 = %+v, %v; want a commune under NEW.A", a, err)
		}
		wantAudit(t, e.st, "import.agencies", adminEmail, "agencies.csv: 2 created, 0 updated, 1 unchanged")
	})

	t.Run("bad populations and aggregates", func(t *testing.T) {
		for kind, content := range map[string]string{
			"populations": "year,agency_code,receipts\n2024,NO.SUCH,10\n2024," + ownAgency + ",-3\n",
			"aggregates":  "year,index,basis,percent,n\n2023,Z9,unweighted,50,10\n2023,overall,guess,50,10\n",
		} {
			rec := upload(kind, kind+".csv", content)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422", kind, rec.Code)
			}
			if n := len(located.FindAllString(rec.Body.String(), -1)); n < 2 {
				t.Errorf("%s: %d located errors, want one per bad row\n%.2000s", kind, n, rec.Body.String())
			}
		}
	})

	t.Run("no file", func(t *testing.T) {
		body, ctype := multipartBody(t, "", "", "_csrf", admin.csrf)
		rec := e.send(t, http.MethodPost, "/admin/agencies/upload", body, ctype, admin, nil)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), e.msg("data.need_file")) {
			t.Errorf("status %d, want 422 with %q", rec.Code, e.msg("data.need_file"))
		}
	})

	t.Run("agency update", func(t *testing.T) {
		rec := e.send(t, http.MethodPost, "/admin/agencies/NEW.A", form("_csrf", "{csrf}", "name", "Cơ quan A đổi tên", "level", "district", "parent_code", ""), "", admin, nil)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", rec.Code)
		}
		if a, err := e.st.FindAgencyByCode(t.Context(), "NEW.A"); err != nil || a.Name != "Cơ quan A đổi tên" || a.Level != "district" {
			t.Errorf("NEW.A = %+v, %v", a, err)
		}
		if rec := e.send(t, http.MethodPost, "/admin/agencies/NEW.A", form("_csrf", "{csrf}", "name", "", "level", "ward"), "", admin, nil); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("invalid update: status %d, want 422", rec.Code)
		}
		if rec := e.send(t, http.MethodPost, "/admin/agencies/NO.SUCH", form("_csrf", "{csrf}", "name", "X", "level", "district"), "", admin, nil); rec.Code != http.StatusNotFound {
			t.Errorf("unknown agency: status %d, want 404", rec.Code)
		}
	})
}

func TestSurveyUpload(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	admin := e.sessions["admin"]
	upload := func(name string, content []byte) *httptest.ResponseRecorder {
		t.Helper()
		body, ctype := multipartBody(t, name, string(content), "_csrf", admin.csrf)
		return e.send(t, http.MethodPost, "/admin/surveys/upload", body, ctype, admin, nil)
	}
	if rec := upload("sipas.json", surveyVersion(t, "2026.2")); rec.Code != http.StatusSeeOther {
		t.Fatalf("upload: status %d, want 303\n%.1000s", rec.Code, rec.Body.String())
	}
	wantAudit(t, e.st, "survey.upload", adminEmail, "sipas 2026.2")
	if page := e.get(t, "/admin/surveys", admin).Body.String(); !strings.Contains(page, "2026.2") {
		t.Error("the surveys page does not show the new version")
	}
	if rec := e.get(t, "/admin/surveys/sipas/download", admin); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"2026.2"`) ||
		!strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Errorf("download: status %d, want the new version as an attachment", rec.Code)
	}
	if rec := upload("sipas.json", surveyVersion(t, "2026.2")); rec.Code != http.StatusConflict {
		t.Errorf("the same version again: status %d, want 409", rec.Code)
	}
	if rec := upload("broken.json", []byte(`{"id": "sipas", "version": "x"`)); rec.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(rec.Body.String(), e.msg("data.refused")) {
		t.Errorf("broken JSON: status %d, want 422 with the error", rec.Code)
	}
	if rec := e.get(t, "/admin/surveys/nope/download", admin); rec.Code != http.StatusNotFound {
		t.Errorf("unknown survey download: status %d, want 404", rec.Code)
	}
}

// TestCommentModeration: hiding keeps the comment in the database but out of the default list
// and the raw export; showing brings it back; both are audited.
func TestCommentModeration(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	analyst := e.sessions["analyst"]
	text := rivals[0].comment
	id := strconv.FormatInt(e.comments[text], 10)
	back := "/admin/comments?q=" + url.QueryEscape("Tài nguyên")
	rec := e.send(t, http.MethodPost, "/admin/comments/"+id, form("_csrf", "{csrf}", "hidden", "1", "back", back), "", analyst, nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != back {
		t.Fatalf("hide: status %d Location %q, want 303 to %q", rec.Code, rec.Header().Get("Location"), back)
	}
	wantAudit(t, e.st, "comment.hide", analystEmail, "response "+id)
	if page := e.get(t, "/admin/comments", analyst).Body.String(); strings.Contains(page, text) {
		t.Error("a hidden comment is in the default list")
	} else if !strings.Contains(page, rivals[1].comment) {
		t.Error("the default list lost the visible comments")
	}
	if page := e.get(t, "/admin/comments?hidden=1", analyst).Body.String(); !strings.Contains(page, text) || strings.Contains(page, rivals[1].comment) {
		t.Error("the hidden list does not show exactly the hidden comment")
	}
	if page := e.get(t, "/admin/comments?hidden=all", analyst).Body.String(); !strings.Contains(page, text) || !strings.Contains(page, rivals[1].comment) {
		t.Error("the list of all comments lacks one")
	}
	stored := false
	for _, r := range storetest.Responses(t, e.st) {
		stored = stored || r.Comment == text
	}
	if !stored {
		t.Error("hiding deleted the comment from the database")
	}
	if csv := e.get(t, "/api/v1/responses?year="+strconv.Itoa(e.year), analyst).Body.String(); strings.Contains(csv, text) {
		t.Error("the raw export contains a hidden comment")
	}
	rec = e.send(t, http.MethodPost, "/admin/comments/"+id, form("_csrf", "{csrf}", "hidden", "0", "back", "https://evil.example/"), "", analyst, nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/comments" {
		t.Errorf("show with a foreign back URL: status %d Location %q, want 303 to /admin/comments", rec.Code, rec.Header().Get("Location"))
	}
	wantAudit(t, e.st, "comment.show", analystEmail, "response "+id)
	if page := e.get(t, "/admin/comments", analyst).Body.String(); !strings.Contains(page, text) {
		t.Error("a comment shown again is not in the default list")
	}
	for _, bad := range []string{"99999", "x"} {
		if rec := e.send(t, http.MethodPost, "/admin/comments/"+bad, form("_csrf", "{csrf}", "hidden", "1"), "", analyst, nil); rec.Code != http.StatusNotFound {
			t.Errorf("comment %s: status %d, want 404", bad, rec.Code)
		}
	}
}

// TestCSRFRefused: every form of /admin/ refuses a POST without the CSRF token, with a wrong
// one, without the CSRF cookie, or from another site, and changes nothing.
func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	admin := e.sessions["admin"]
	const csv = "code,name,level,parent_code\nCSRF.X,Cơ quan giả,province,\n"
	type formCase struct {
		name, path string
		fields     []string // without _csrf
		file       string   // file name of a multipart form
	}
	forms := []formCase{
		{"login", "/admin/login", []string{"email", adminEmail, "password", passwords[adminEmail]}, ""},
		{"logout", "/admin/logout", nil, ""},
		{"users create", "/admin/users", []string{"email", "csrf@sipas.test", "role", "admin", "password", "Mật-khẩu-giả-mạo-3!"}, ""},
		{"users update", "/admin/users/" + strconv.FormatInt(e.users[targetEmail].ID, 10), []string{"role", "admin"}, ""},
		{"keys create", "/admin/keys", []string{"name", "csrf"}, ""},
		{"keys revoke", "/admin/keys/" + strconv.FormatInt(e.keyID, 10) + "/revoke", nil, ""},
		{"agencies upload", "/admin/agencies/upload", nil, "agencies.csv"},
		{"populations upload", "/admin/populations/upload", nil, "populations.csv"},
		{"aggregates upload", "/admin/aggregates/upload", nil, "aggregates.csv"},
		{"agency update", "/admin/agencies/" + ownAgency, []string{"name", "Tên giả mạo", "level", "commune"}, ""},
		{"survey upload", "/admin/surveys/upload", nil, "sipas.json"},
		{"comment moderation", "/admin/comments/" + strconv.FormatInt(e.comments[ownComment], 10), []string{"hidden", "1"}, ""},
	}
	e.secret("Mật-khẩu-giả-mạo-3!")
	// The tokens the admin's browser could be tricked into sending: one of another official's
	// session, and the one its own sign-in form had (the token rotates at sign-in).
	other := e.sessions["analyst"].csrf
	before := csrfToken(admin.pre)
	variants := []struct {
		name    string
		token   *string // nil: no _csrf field
		headers map[string]string
	}{
		{"no token", nil, nil},
		{"wrong token", ptr("wrong-" + admin.csrf[:10]), nil},
		{"empty token", ptr(""), nil},
		{"token of another session", ptr(other), nil},
		{"token from before sign-in", ptr(before), nil},
		{"cross-site", ptr(admin.csrf), map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"other origin", ptr(admin.csrf), map[string]string{"Origin": "https://evil.example"}},
	}
	audits := auditCount(t, e.st)
	for _, f := range forms {
		for _, v := range variants {
			t.Run(f.name+"/"+v.name, func(t *testing.T) {
				fields := append([]string{}, f.fields...)
				if v.token != nil {
					fields = append(fields, "_csrf", *v.token)
				}
				body, ctype := form(fields...), ""
				if f.file != "" {
					content := csv
					if f.file == "sipas.json" {
						content = string(surveyVersion(t, "2026.7"))
					}
					body, ctype = multipartBody(t, f.file, content, fields...)
				}
				s := &adminSession{id: admin.id, pre: admin.pre}
				rec := e.send(t, http.MethodPost, f.path, body, ctype, s, v.headers)
				if rec.Code != http.StatusForbidden {
					t.Errorf("status %d, want 403\n%.600s", rec.Code, rec.Body.String())
				}
				if cookieValue(rec, sessionCookie) != "" {
					t.Error("a refused form changed the session cookie")
				}
				for _, w := range append(e.never(), admin.csrf) {
					if strings.Contains(rec.Body.String(), w) {
						t.Errorf("403 page contains %q", w)
					}
				}
			})
		}
	}
	// Nothing happened: no audit entry, the admin is still signed in, nothing was created.
	if got := auditCount(t, e.st); got != audits {
		t.Errorf("refused forms left %d audit entries: %v", got-audits, storetest.AuditActions(t, e.st)[audits:])
	}
	if rec := e.get(t, "/admin/", admin); rec.Code != http.StatusOK {
		t.Errorf("after a refused logout the session no longer works: status %d", rec.Code)
	}
	if _, err := e.st.FindAgencyByCode(t.Context(), "CSRF.X"); err == nil {
		t.Error("a refused upload created an agency")
	}
	if a, _ := e.st.FindAgencyByCode(t.Context(), ownAgency); a.Name != ownAgencyName {
		t.Errorf("a refused update renamed the agency to %q", a.Name)
	}
	if o, _ := e.st.FindOfficialByID(t.Context(), e.users[targetEmail].ID); o.Role != auth.RoleAgency {
		t.Errorf("a refused update changed the role to %s", o.Role)
	}
	if keys, _ := e.st.ListAPIKeys(t.Context()); len(keys) != 1 || keys[0].Revoked {
		t.Errorf("keys after refused forms = %+v, want the one active key", keys)
	}
	// The same forms with the token go through (so the refusals above were for the token).
	rec := e.send(t, http.MethodPost, "/admin/keys", form("_csrf", admin.csrf, "name", "có token", "metrics", "1"), "", admin, nil)
	if rec.Code != http.StatusCreated {
		t.Errorf("with the token: status %d, want 201", rec.Code)
	}
	if k := regexp.MustCompile(`sipas_[a-z2-7]{40,}`).FindString(rec.Body.String()); k != "" {
		e.secret(k)
	}
}

func ptr[T any](v T) *T { return &v }

// TestDashboardDownloadLinks: the download links of the dashboard carry the dashboard's own
// query (year, baseline and filters) whatever the URL it was opened with, and work.
func TestDashboardDownloadLinks(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	analyst := e.sessions["analyst"]
	y := strconv.Itoa(e.year)
	href := regexp.MustCompile(`href="(/api/v1/reports/index\?[^"]*format=xlsx[^"]*)"`)
	for _, path := range []string{"/admin/", "/admin/?lang=en", "/admin/?level=district", "/admin/?year=" + y + "&baseline=none&channel=online",
		"/admin/?flash=flash.saved"} {
		t.Run(path, func(t *testing.T) {
			page := e.get(t, path, analyst)
			if page.Code != http.StatusOK {
				t.Fatalf("status %d, want 200\n%.600s", page.Code, page.Body.String())
			}
			m := href.FindStringSubmatch(page.Body.String())
			if m == nil {
				t.Fatal("no XLSX link on the dashboard")
			}
			link := strings.ReplaceAll(m[1], "&amp;", "&")
			u, err := url.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			if u.Query().Get("year") != y {
				t.Errorf("link %s has no year=%s", link, y)
			}
			if u.Query().Has("flash") {
				t.Errorf("link %s carries the flash message", link)
			}
			if strings.Contains(path, "level=district") && u.Query().Get("level") != "district" {
				t.Errorf("link %s lost the level filter", link)
			}
			if strings.Contains(path, "baseline=none") && u.Query().Get("baseline") != "none" {
				t.Errorf("link %s lost baseline=none", link)
			}
			rec := e.get(t, link, analyst)
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/vnd.openxmlformats") {
				t.Errorf("GET %s: status %d type %q, want 200 XLSX\n%.300s", link, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
			}
		})
	}
	if !slices.Contains(storetest.AuditActions(t, e.st), "report.download") {
		t.Error("downloads were not audited")
	}
}

// TestDashboardQueries: a query the data cannot answer, or a malformed one, is the user's
// mistake (4xx with a page), never an internal error.
func TestDashboardQueries(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	y := strconv.Itoa(e.year)
	var tests []adminTest
	for _, role := range []string{"admin", "agency"} {
		for _, c := range []struct {
			path string
			want int
		}{
			{"/admin/?baseline_source=aggregates", http.StatusUnprocessableEntity}, // none imported; and agency users always filter
			{"/admin/?survey=nope", http.StatusUnprocessableEntity},
			{"/admin/?year=abc", http.StatusBadRequest},
			{"/admin/?year=1999", http.StatusUnprocessableEntity},
			{"/admin/?baseline=abc", http.StatusBadRequest},
			{"/admin/?level=ward", http.StatusUnprocessableEntity},
			{"/admin/?channel=fax", http.StatusUnprocessableEntity},
			{"/admin/comments?year=abc", http.StatusBadRequest},
			{"/admin/?year=2030", http.StatusOK}, // no data yet: an empty dashboard
			{"/admin/?survey=sipas-quick&year=" + y, http.StatusOK},
			{"/admin/sample-size?year=abc&margin=abc", http.StatusOK}, // defaults
		} {
			tests = append(tests, adminTest{name: role + " " + c.path, auth: role, path: c.path, wantStatus: c.want,
				wantNotBody: []string{"report:", "survey:", "strconv"}})
		}
	}
	runAdminTests(t, e, tests)
	if logs := e.logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("a user's query was logged as an error:\n%.2000s", logs)
	}
}

// TestDashboardShowsANewAnswerAtOnce: the dashboard reads the summaries the submission's own
// transaction updated, with no cache between: one more answer is one more respondent on the
// very next view.
func TestDashboardShowsANewAnswerAtOnce(t *testing.T) {
	e := newAdminEnv(t)
	respondents := func() int {
		t.Helper()
		rec := e.get(t, "/admin/", e.sessions["analyst"])
		if rec.Code != http.StatusOK {
			t.Fatalf("dashboard: status %d", rec.Code)
		}
		m := regexp.MustCompile(regexp.QuoteMeta(e.msg("dash.respondents")) + `: ([\d.]+)`).FindStringSubmatch(rec.Body.String())
		if m == nil {
			t.Fatalf("the dashboard shows no respondent count")
		}
		n, err := strconv.Atoi(strings.ReplaceAll(m[1], ".", ""))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := respondents()
	tok := storetest.MustCreateReceipt(t, e.st, ownAgency)
	e.secret(string(tok))
	if rec := e.do(t, http.MethodPost, "/s/"+string(tok), form("A1", "5", "B1", "4"), formHeaders); rec.Code != http.StatusSeeOther {
		t.Fatalf("submission: status %d", rec.Code)
	}
	if after := respondents(); after != before+1 {
		t.Errorf("respondents %d before the answer and %d right after, want %d", before, after, before+1)
	}
}
