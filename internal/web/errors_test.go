package web

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"sipas/internal/fault"
	"sipas/internal/store/storetest"
)

// TestErrorTable: every kind of failure has an answer, and every code it can give has its
// message in the catalogues.
func TestErrorTable(t *testing.T) {
	ts := newTestServer(t)
	for _, k := range fault.Kinds() {
		r, ok := replies[k]
		if !ok || r.status == 0 || r.code == "" || r.page == "" {
			t.Errorf("kind %s has no full row in the error table: %+v", k, r)
			continue
		}
		for _, key := range []string{"fault." + r.code, r.page + ".title", r.page + ".body"} {
			if got := ts.srv.msgs.T("vi", key); got == key {
				t.Errorf("kind %s: the catalogue lacks %q", k, key)
			}
		}
	}
	for _, s := range sentinels {
		if s.code != "" && ts.srv.msgs.T("en", "fault."+s.code) == "fault."+s.code {
			t.Errorf("sentinel %v: the catalogue lacks fault.%s", s.err, s.code)
		}
	}
}

// logLinesWith returns the log lines that mention the request id of rec.
func logLinesWith(t *testing.T, logs string, rec *httptest.ResponseRecorder) []string {
	t.Helper()
	id := rec.Header().Get(echo.HeaderXRequestID)
	if id == "" {
		t.Fatal("the answer has no X-Request-Id")
	}
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, id) {
			out = append(out, line)
		}
	}
	return out
}

// storeLeaks are what a store failure's error text contains, which no answer may show.
var storeLeaks = []string{"store:", "no such table", "populations:", "broken_", "disk is full", "storetest"}

// checkNoStoreText fails the test if body shows a store failure's text.
func checkNoStoreText(t *testing.T, body string) {
	t.Helper()
	for _, leak := range append(storeLeaks, leaks...) {
		if strings.Contains(body, leak) {
			t.Errorf("the answer shows %q\n%.1500s", leak, body)
		}
	}
}

// TestStoreFailureDuringReport: a report whose data cannot be read is sipas's failure, not
// the user's: 500 with the generic message, and one log line, with the request id and the
// cause. (It used to be 422 with the store's error text as the message.)
func TestStoreFailureDuringReport(t *testing.T) {
	e := newAdminEnv(t)
	key, _ := e.apiKey(t)
	storetest.MustBreakTable(t, e.st, "populations")
	y := strconv.Itoa(e.year)
	for _, tc := range []struct {
		name, path string
		headers    map[string]string
		session    *adminSession
	}{
		{"api", "/api/v1/reports/index?year=" + y + "&baseline=2023", map[string]string{"Authorization": "Bearer " + key}, nil},
		{"api csv", "/api/v1/reports/index?year=" + y + "&format=csv", nil, e.sessions["analyst"]},
		{"dashboard", "/admin/?year=" + y, nil, e.sessions["admin"]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.logs.String()
			rec := e.send(t, http.MethodGet, tc.path, "", "", tc.session, tc.headers)
			if rec.Code != http.StatusInternalServerError {
				t.Fatalf("status %d, want 500\n%.800s", rec.Code, rec.Body.String())
			}
			body := rec.Body.String()
			checkNoStoreText(t, body)
			if tc.session == nil || strings.HasPrefix(tc.path, "/api/") {
				checkAPIError(t, rec, "internal")
				if !strings.Contains(body, e.srv.msgs.T("en", "fault.internal")) {
					t.Errorf("the answer lacks the generic message\n%s", body)
				}
			} else if !strings.Contains(body, e.msg("error.title")) {
				t.Errorf("the page lacks the generic message %q\n%.800s", e.msg("error.title"), body)
			}
			lines := logLinesWith(t, strings.TrimPrefix(e.logs.String(), before), rec)
			if len(lines) != 1 {
				t.Fatalf("%d log lines with the request id, want exactly 1:\n%s", len(lines), strings.Join(lines, "\n"))
			}
			if !strings.Contains(lines[0], `"level":"ERROR"`) || !strings.Contains(lines[0], "no such table") {
				t.Errorf("the log line lacks the level or the cause: %s", lines[0])
			}
		})
	}
}

// TestForgedFlashShowsNothing: ?flash= only selects a known message; any other value shows no
// status box at all (it used to show the text itself).
func TestForgedFlashShowsNothing(t *testing.T) {
	e := newAdminEnv(t)
	admin := e.sessions["admin"]
	for _, path := range []string{"/admin/users?flash=Call+0909+123+456+to+confirm+your+account", "/admin/users?flash=users.title"} {
		rec := e.get(t, path, admin)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", path, rec.Code)
		}
		if body := rec.Body.String(); strings.Contains(body, "0909") || strings.Contains(body, `class="flash"`) {
			t.Errorf("%s shows a flash box or the forged text\n%.1500s", path, body)
		}
	}
	if rec := e.get(t, "/admin/users?flash=flash.saved", admin); !strings.Contains(rec.Body.String(), `class="flash"`) ||
		!strings.Contains(rec.Body.String(), e.msg("flash.saved")) {
		t.Error("a known flash key is not shown")
	}
}

// TestImportErrorShowsTheMistake: a refused import lists the user's mistakes as
// FILE:LINE:COLUMN: what is wrong; a store failure during an import is a 500 with the generic
// page, never the store's error text (which it used to show).
func TestImportErrorShowsTheMistake(t *testing.T) {
	e := newAdminEnv(t)
	admin := e.sessions["admin"]
	upload := func(content string) *httptest.ResponseRecorder {
		body, ctype := multipartBody(t, "populations.csv", content, "_csrf", admin.csrf)
		return e.send(t, http.MethodPost, "/admin/populations/upload", body, ctype, admin, nil)
	}
	rec := upload("year,agency_code,receipts\n2024," + ownAgency + ",-3\n")
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad file: status %d, want 422", rec.Code)
	}
	if body := rec.Body.String(); !strings.Contains(body, "populations.csv:2:3: ") {
		t.Errorf("the page does not locate the mistake\n%.2000s", body)
	}

	storetest.MustFailWrites(t, e.st, "populations")
	before := e.logs.String()
	rec = upload("year,agency_code,receipts\n2024," + ownAgency + ",300\n")
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("store failure: status %d, want 500\n%.1500s", rec.Code, rec.Body.String())
	}
	body := rec.Body.String()
	checkNoStoreText(t, body)
	if !strings.Contains(body, e.msg("error.title")) {
		t.Errorf("the page lacks the generic message\n%.1500s", body)
	}
	if lines := logLinesWith(t, strings.TrimPrefix(e.logs.String(), before), rec); len(lines) != 1 {
		t.Errorf("%d log lines with the request id, want 1", len(lines))
	}
}

// TestBusyDatabaseIs503: a submission that cannot be written because another process holds
// the database (an import, a backup) is told so: 503 with Retry-After, never 500, the form
// comes back with the citizen's answers, and the receipt stays open for the next try.
func TestBusyDatabaseIs503(t *testing.T) {
	ts := newTestServer(t)
	tok := ts.receipt(t)
	db, err := sql.Open("sqlite", "file:"+ts.st.Path()+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	rec := ts.do(t, http.MethodPost, "/s/"+string(tok), form("A1", "5"), formHeaders)
	lock.Rollback()
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("submission while the database is held = %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	checkNoStoreText(t, rec.Body.String())
	if !strings.Contains(rec.Body.String(), `name="A1" value="5" checked`) {
		t.Errorf("the 503 page does not give the citizen's answer back\n%.1500s", rec.Body.String())
	}
	if rec := ts.do(t, http.MethodPost, "/s/"+string(tok), form("A1", "5"), formHeaders); rec.Code != http.StatusSeeOther {
		t.Errorf("the same submission once the database is free = %d, want 303", rec.Code)
	}
}
