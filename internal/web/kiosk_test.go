package web

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"sipas/internal/auth"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// kioskEnv is the real server over a database with one agency, a settable store clock and
// kiosks registered as an admin would.
type kioskEnv struct {
	*testServer
	clock *storetest.Clock
}

func newKioskEnv(t *testing.T, cfg Config) *kioskEnv {
	t.Helper()
	clock := storetest.NewClock(time.Now())
	st := storetest.OpenOptions(t, store.Options{Now: clock.Now})
	storetest.MustCreateAgency(t, st, testAgency, testAgencyName, "province")
	return &kioskEnv{testServer: newServer(t, st, cfg), clock: clock}
}

// register registers a kiosk of the test agency and returns it with its enrolment code.
func (e *kioskEnv) register(t *testing.T, anon bool) (store.Kiosk, receipt.Token) {
	t.Helper()
	code, err := receipt.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	e.secret(string(code))
	k, err := e.st.CreateKiosk(t.Context(), store.NewKiosk{AgencyCode: testAgency, Counter: "Quầy số 3", AllowWithoutReceipt: anon, EnrolHash: code.Hash()})
	if err != nil {
		t.Fatal(err)
	}
	return k, code
}

// enrol registers and enrols a kiosk, and returns it with its device cookie.
func (e *kioskEnv) enrol(t *testing.T, anon bool) (store.Kiosk, string) {
	t.Helper()
	k, code := e.register(t, anon)
	rec := e.kiosk(t, http.MethodPost, "/kiosk/enrol", form("code", code.ShortCode()), "", "")
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("enrol: status %d\n%.600s", rec.Code, rec.Body.String())
	}
	dev := cookieValue(rec, kioskCookie)
	if dev == "" {
		t.Fatal("enrol set no device cookie")
	}
	e.secret(dev)
	return k, dev
}

// kiosk sends one request as a tablet with device cookie dev ("" for none). A body is a form
// unless ctype says otherwise.
func (e *kioskEnv) kiosk(t *testing.T, method, path, body, ctype, dev string) *httptest.ResponseRecorder {
	t.Helper()
	h := map[string]string{}
	if body != "" {
		h["Content-Type"] = cmpOr(ctype, "application/x-www-form-urlencoded")
	}
	if dev != "" {
		h["Cookie"] = kioskCookie + "=" + dev
	}
	rec := e.do(t, method, path, body, h)
	checkSecurityHeaders(t, rec.Header())
	for _, l := range leaks {
		if strings.Contains(rec.Body.String(), l) && !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
			t.Errorf("%s %s: body contains %q", method, path, l)
		}
	}
	return rec
}

func (e *kioskEnv) submitJSON(t *testing.T, dev string, v any) *httptest.ResponseRecorder {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return e.kiosk(t, http.MethodPost, "/kiosk/api/submit", string(b), "application/json", dev)
}

func (e *kioskEnv) receipt(t *testing.T) receipt.Token {
	t.Helper()
	tok := storetest.MustCreateReceipt(t, e.st, testAgency)
	e.secret(string(tok))
	return tok
}

func (e *kioskEnv) msg(key string) string { return html.EscapeString(e.srv.msgs.T("vi", key)) }

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status = %d, want %d\nbody: %.800s", rec.Code, want, rec.Body.String())
	}
}

func wantBody(t *testing.T, rec *httptest.ResponseRecorder, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(rec.Body.String(), w) {
			t.Errorf("body lacks %q\nbody: %.1500s", w, rec.Body.String())
		}
	}
}

func TestKioskEnrolment(t *testing.T) {
	e := newKioskEnv(t, Config{})
	k, code := e.register(t, false)

	rec := e.kiosk(t, http.MethodGet, "/kiosk", "", "", "")
	wantStatus(t, rec, http.StatusForbidden)
	wantBody(t, rec, e.msg("kioskdevice.title"))

	rec = e.kiosk(t, http.MethodGet, "/kiosk/enrol?code="+string(code), "", "", "")
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec, `value="`+string(code)+`"`, `action="/kiosk/enrol"`)

	rec = e.kiosk(t, http.MethodPost, "/kiosk/enrol", form("code", "AAAA-BBBB-CCCC-DDDD"), "", "")
	wantStatus(t, rec, http.StatusForbidden)
	wantBody(t, rec, e.msg("kiosk.enrol_bad"))
	if c := findCookie(rec, kioskCookie); c != nil {
		t.Error("a wrong code set a device cookie")
	}

	// The code as a person types it: lowercase, hyphens, Crockford look-alikes.
	typed := strings.NewReplacer("0", "o", "1", "l").Replace(strings.ToLower(code.ShortCode()))
	rec = e.kiosk(t, http.MethodPost, "/kiosk/enrol", form("code", typed), "", "")
	wantStatus(t, rec, http.StatusSeeOther)
	if got := rec.Header().Get("Location"); got != "/kiosk" {
		t.Errorf("Location = %q, want /kiosk", got)
	}
	c := findCookie(rec, kioskCookie)
	if c == nil {
		t.Fatal("no device cookie")
	}
	e.secret(c.Value)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/kiosk" || c.MaxAge < 365*24*3600 {
		t.Errorf("device cookie = %+v, want HttpOnly, SameSite=Strict, Path=/kiosk, a long Max-Age", c)
	}
	if len(c.Value) < 43 {
		t.Errorf("device credential of %d characters, want 256 bits", len(c.Value))
	}
	if got, err := e.st.FindKioskByDevice(t.Context(), c.Value); err == nil {
		t.Errorf("the store knows the device by its plain credential (kiosk %d): it must keep only a hash", got.ID)
	}
	if got, err := e.st.FindKioskByDevice(t.Context(), auth.HashSecret(c.Value)); err != nil || got.ID != k.ID {
		t.Errorf("FindKioskByDevice(hash) = %d, %v; want kiosk %d", got.ID, err, k.ID)
	}

	// Single use.
	rec = e.kiosk(t, http.MethodPost, "/kiosk/enrol", form("code", string(code)), "", "")
	wantStatus(t, rec, http.StatusForbidden)

	rec = e.kiosk(t, http.MethodGet, "/kiosk", "", "", c.Value)
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec, testAgencyName, "Quầy số 3", `id="k-form"`, `data-idle="60"`, `action="/kiosk/start"`, e.msg("kiosk.code_label"))
	if strings.Contains(rec.Body.String(), `id="k-anon"`) {
		t.Error("the start screen offers answers without a receipt, which this kiosk does not allow")
	}
	if ck := findCookie(rec, kioskCookie); ck == nil || ck.Value != c.Value {
		t.Error("the start screen does not renew the device cookie")
	}

	// Expiry: 24 hours.
	_, code2 := e.register(t, false)
	e.clock.Advance(24*time.Hour + time.Second)
	rec = e.kiosk(t, http.MethodPost, "/kiosk/enrol", form("code", string(code2)), "", "")
	wantStatus(t, rec, http.StatusForbidden)
	wantBody(t, rec, e.msg("kiosk.enrol_bad"))
}

// TestKioskRefusesUnknownDevices: without a valid, unrevoked device cookie every /kiosk page
// and API answers 403 (the API in JSON), and nothing is stored.
func TestKioskRefusesUnknownDevices(t *testing.T) {
	e := newKioskEnv(t, Config{})
	k, revoked := e.enrol(t, true)
	if err := e.st.RevokeKiosk(t.Context(), k.ID); err != nil {
		t.Fatal(err)
	}
	_, live := e.enrol(t, true)
	submit := `{"key":"0123456789abcdef0123","answers":{"A0":"4"}}`
	for _, dev := range []struct{ name, value string }{{"none", ""}, {"unknown", auth.NewSessionID()}, {"revoked", revoked}} {
		for _, r := range []struct{ method, path, body, ctype string }{
			{"GET", "/kiosk", "", ""},
			{"GET", "/kiosk?lang=en", "", ""},
			{"GET", "/kiosk/done", "", ""},
			{"GET", "/kiosk/no-such-page", "", ""},
			{"POST", "/kiosk/start", form("anon", "1"), ""},
			{"POST", "/kiosk/submit", form("key", "0123456789abcdef0123", "A0", "4"), ""},
			{"POST", "/kiosk/api/check", `{"receipt":"AAAABBBBCCCCDDDD"}`, "application/json"},
			{"POST", "/kiosk/api/submit", submit, "application/json"},
		} {
			t.Run(dev.name+" "+r.method+" "+r.path, func(t *testing.T) {
				rec := e.kiosk(t, r.method, r.path, r.body, r.ctype, dev.value)
				wantStatus(t, rec, http.StatusForbidden)
				if strings.HasPrefix(r.path, "/kiosk/api/") {
					checkAPIError(t, rec, "forbidden")
				} else {
					l := "vi"
					if strings.Contains(r.path, "lang=en") {
						l = "en"
					}
					wantBody(t, rec, html.EscapeString(e.srv.msgs.T(l, "kioskdevice.title")))
				}
			})
		}
	}
	if n := len(e.responses(t)); n != 0 {
		t.Errorf("%d responses stored, want none", n)
	}
	// The enrolled kiosk beside them works, and an unknown page is a plain 404 for it.
	wantStatus(t, e.kiosk(t, "GET", "/kiosk", "", "", live), http.StatusOK)
	wantStatus(t, e.kiosk(t, "GET", "/kiosk/no-such-page", "", "", live), http.StatusNotFound)
}

// TestKioskPlainForms is the kiosk without JavaScript: code, survey, thanks, and the refusals
// on the start screen.
func TestKioskPlainForms(t *testing.T) {
	e := newKioskEnv(t, Config{})
	_, dev := e.enrol(t, false)
	tok := e.receipt(t)

	rec := e.kiosk(t, "POST", "/kiosk/start", form("code", strings.ToLower(tok.ShortCode())), "", dev)
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec, `name="receipt" id="k-receipt" value="`+string(tok)+`"`, `name="A0"`, `name="E0"`, `action="/kiosk/submit"`,
		`http-equiv="refresh"`, `id="k-idle-n"`, e.msg("kiosk.idle_before"))
	if strings.Contains(rec.Body.String(), `name="A1"`) {
		t.Error("the kiosk shows the full questionnaire, want sipas-quick")
	}
	checkHTML(t, rec.Body.Bytes())
	checkHTML(t, e.kiosk(t, "GET", "/kiosk", "", "", dev).Body.Bytes())
	key := regexp.MustCompile(`name="key" id="k-key" value="([^"]+)"`).FindStringSubmatch(rec.Body.String())
	if key == nil {
		t.Fatal("the survey form has no key")
	}

	rec = e.kiosk(t, "POST", "/kiosk/submit", form("receipt", string(tok), "key", key[1], "A0", "9"), "", dev)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	wantBody(t, rec, e.msg("error.choose_1_5"))

	answer := form("receipt", string(tok), "key", key[1], "A0", "4", "B0", "5", "C0", "", "comment", "Cán bộ tận tình, hướng dẫn rõ ràng.")
	e.secret("Cán bộ tận tình")
	rec = e.kiosk(t, "POST", "/kiosk/submit", answer, "", dev)
	wantStatus(t, rec, http.StatusSeeOther)
	if got := rec.Header().Get("Location"); got != "/kiosk/done" {
		t.Errorf("Location = %q, want /kiosk/done", got)
	}
	// A double tap sends the form twice: one answer.
	wantStatus(t, e.kiosk(t, "POST", "/kiosk/submit", answer, "", dev), http.StatusSeeOther)
	rows := e.responses(t)
	if len(rows) != 1 {
		t.Fatalf("%d responses, want 1", len(rows))
	}
	if r := rows[0]; r.Source != "kiosk" || r.SurveyID != "sipas-quick" || !r.HasReceipt || r.AgencyCode != testAgency || r.Answers != "A0:4 B0:5" {
		t.Errorf("stored %+v", r)
	}

	rec = e.kiosk(t, "GET", "/kiosk/done", "", "", dev)
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec, e.msg("thanks.title"), `content="6;url=/kiosk"`)

	// Refusals come back on the start screen, with the status of GET /s/{token}.
	for _, tt := range []struct {
		name, code string
		status     int
		msg        string
	}{
		{"answered", tok.ShortCode(), http.StatusConflict, "used.title"},
		{"unknown", mustToken(t).ShortCode(), http.StatusNotFound, "notfound.title"},
		{"malformed", "ABC", http.StatusNotFound, "notfound.title"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.kiosk(t, "POST", "/kiosk/start", form("code", tt.code), "", dev)
			wantStatus(t, rec, tt.status)
			wantBody(t, rec, e.msg(tt.msg), `id="k-code"`)
		})
	}
	// Without a receipt: not at this kiosk.
	wantStatus(t, e.kiosk(t, "POST", "/kiosk/start", form("anon", "1"), "", dev), http.StatusForbidden)

	// In English, and back: the forms keep the language.
	rec = e.kiosk(t, "GET", "/kiosk?lang=en", "", "", dev)
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec, `lang="en"`, "Rate our service", `action="/kiosk/start?lang=en"`)
}

// TestKioskLinksStayInKiosk: nothing on a kiosk page leads out of /kiosk.
func TestKioskLinksStayInKiosk(t *testing.T) {
	e := newKioskEnv(t, Config{})
	_, dev := e.enrol(t, true)
	attr := regexp.MustCompile(`(href|action|src)="([^"]*)"`)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/kiosk", ""}, {"GET", "/kiosk?lang=en", ""}, {"POST", "/kiosk/start", form("anon", "1")},
		{"GET", "/kiosk/done", ""}, {"POST", "/kiosk/start", form("code", "nope")},
	} {
		rec := e.kiosk(t, r.method, r.path, r.body, "", dev)
		for _, m := range attr.FindAllStringSubmatch(rec.Body.String(), -1) {
			u := html.UnescapeString(m[2])
			if !strings.HasPrefix(u, "/kiosk") && !strings.HasPrefix(u, "/static/") && !strings.HasPrefix(u, "?lang=") {
				t.Errorf("%s %s: %s=%q leads out of /kiosk", r.method, r.path, m[1], u)
			}
		}
	}
}

func TestKioskWithoutReceiptRateLimit(t *testing.T) {
	e := newKioskEnv(t, Config{})
	_, dev := e.enrol(t, true)

	rec := e.kiosk(t, "POST", "/kiosk/start", form("anon", "1"), "", dev)
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec, `name="receipt" id="k-receipt" value=""`)

	answer := func(key string) map[string]any {
		return map[string]any{"key": key, "answers": map[string]string{"A0": "5", "D0": "4"}}
	}
	wantStatus(t, e.submitJSON(t, dev, answer("anon-1-0123456789ab")), http.StatusOK)
	rec = e.submitJSON(t, dev, answer("anon-2-0123456789ab"))
	wantStatus(t, rec, http.StatusTooManyRequests)
	checkAPIError(t, rec, "rate_limited")

	// The plain form meets the same limit, on the start screen.
	rec = e.kiosk(t, "POST", "/kiosk/submit", form("receipt", "", "key", "anon-3-0123456789ab", "A0", "3"), "", dev)
	wantStatus(t, rec, http.StatusTooManyRequests)
	wantBody(t, rec, e.msg("ratelimited.title"), `id="k-code"`)

	e.clock.Advance(21 * time.Second)
	wantStatus(t, e.submitJSON(t, dev, answer("anon-4-0123456789ab")), http.StatusOK)
	rows := e.responses(t)
	if len(rows) != 2 || rows[0].HasReceipt || rows[1].HasReceipt || rows[0].Source != "kiosk" {
		t.Errorf("responses = %+v, want two kiosk answers without a receipt", rows)
	}

	// A kiosk that does not allow them.
	_, strict := e.enrol(t, false)
	rec = e.submitJSON(t, strict, answer("anon-5-0123456789ab"))
	wantStatus(t, rec, http.StatusForbidden)
	checkAPIError(t, rec, "forbidden")
}

// TestKioskSubmitIdempotent: the queue's answers arrive once or many times; each key is
// stored once and every replay answers 200 as the first time did.
func TestKioskSubmitIdempotent(t *testing.T) {
	e := newKioskEnv(t, Config{})
	_, dev := e.enrol(t, false)
	tok := e.receipt(t)
	body := map[string]any{"key": "7f0c3c1e-5a52-4bd5-9a56-4cf0b0f7b3a1", "receipt": strings.ToLower(tok.ShortCode()),
		"answered_at": e.clock.Now().Add(-time.Minute).Format(time.RFC3339), "answers": map[string]string{"A0": "4", "E0": "2"},
		"comment": "Nhanh gọn."}
	var outcomes []map[string]any
	for range 3 {
		rec := e.submitJSON(t, dev, body)
		wantStatus(t, rec, http.StatusOK)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, out)
	}
	if outcomes[0]["status"] != "stored" || outcomes[0]["replay"] != false || outcomes[1]["replay"] != true || outcomes[2]["status"] != "stored" {
		t.Errorf("outcomes = %v, want stored, then stored replays", outcomes)
	}
	if n := len(e.responses(t)); n != 1 {
		t.Fatalf("%d rows after 3 sends of one key, want 1", n)
	}
	if !e.answered(t, tok) {
		t.Error("receipt not answered")
	}

	// Many at once, as a network that answers nothing makes retries pile up.
	tok2 := e.receipt(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			b, _ := json.Marshal(map[string]any{"key": "parallel-key-0000000001", "receipt": string(tok2), "answers": map[string]string{"B0": "3"}})
			req := httptest.NewRequestWithContext(t.Context(), "POST", "/kiosk/api/submit", strings.NewReader(string(b)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Cookie", kioskCookie+"="+dev)
			rec := httptest.NewRecorder()
			e.srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Errorf("parallel replay: status %d", rec.Code)
			}
		})
	}
	wg.Wait()
	if n := len(e.responses(t)); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}

	for _, tt := range []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"another key for an answered receipt", map[string]any{"key": "other-key-00000000001", "receipt": string(tok), "answers": map[string]string{"A0": "1"}}, http.StatusConflict, "already_used"},
		{"unknown receipt", map[string]any{"key": "other-key-00000000002", "receipt": string(mustToken(t)), "answers": map[string]string{"A0": "1"}}, http.StatusNotFound, "not_found"},
		{"forged signed token", map[string]any{"key": "other-key-00000000003", "receipt": string(mustForge(t)), "answers": map[string]string{"A0": "1"}}, http.StatusNotFound, "not_found"},
		{"invalid answer", map[string]any{"key": "other-key-00000000004", "receipt": string(e.receipt(t)), "answers": map[string]string{"A0": "7"}}, http.StatusUnprocessableEntity, "invalid_answers"},
		{"unknown question", map[string]any{"key": "other-key-00000000005", "receipt": string(e.receipt(t)), "answers": map[string]string{"A1": "4"}}, http.StatusUnprocessableEntity, "invalid_answers"},
		{"short key", map[string]any{"key": "k1", "receipt": string(e.receipt(t)), "answers": map[string]string{"A0": "4"}}, http.StatusUnprocessableEntity, "invalid_key"},
		{"bad time", map[string]any{"key": "other-key-00000000006", "answered_at": "hôm qua", "answers": map[string]string{"A0": "4"}}, http.StatusUnprocessableEntity, "invalid_answered_at"},
		{"unknown field", map[string]any{"key": "other-key-00000000007", "token": "x"}, http.StatusBadRequest, "invalid_json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.submitJSON(t, dev, tt.body)
			wantStatus(t, rec, tt.status)
			checkAPIError(t, rec, tt.code)
		})
	}
	rec := e.kiosk(t, "POST", "/kiosk/api/submit", "key=x", "application/x-www-form-urlencoded", dev)
	wantStatus(t, rec, http.StatusUnsupportedMediaType)
	if n := len(e.responses(t)); n != 2 {
		t.Errorf("%d rows after the refusals, want 2", n)
	}
}

func TestKioskCheck(t *testing.T) {
	e := newKioskEnv(t, Config{})
	_, dev := e.enrol(t, false)
	tok := e.receipt(t)
	check := func(code string) *httptest.ResponseRecorder {
		return e.kiosk(t, "POST", "/kiosk/api/check", `{"receipt":"`+code+`"}`, "application/json", dev)
	}
	rec := check(tok.ShortCode())
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec, `"status":"ok"`, testAgencyName)
	checkAPIError(t, check("0000"), "not_found")
	if err := e.st.SubmitResponse(t.Context(), tok.Hash(), firstAnswer); err != nil {
		t.Fatal(err)
	}
	rec = check(string(tok))
	wantStatus(t, rec, http.StatusConflict)
	checkAPIError(t, rec, "already_used")
}

func TestKioskServiceWorker(t *testing.T) {
	e := newKioskEnv(t, Config{})
	rec := e.kiosk(t, "GET", "/kiosk/sw.js", "", "", "")
	wantStatus(t, rec, http.StatusOK)
	if got := rec.Header().Get("Service-Worker-Allowed"); got != "/kiosk" {
		t.Errorf("Service-Worker-Allowed = %q, want /kiosk", got)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("Content-Type = %q", ct)
	}
	wantBody(t, rec, "addEventListener('fetch'")
	// The kiosk script and style are ordinary static files, cached by their hash.
	_, dev := e.enrol(t, false)
	page := e.kiosk(t, "GET", "/kiosk", "", "", dev).Body.String()
	for _, name := range []string{"kiosk.js", "kiosk.css"} {
		m := regexp.MustCompile(`/static/` + regexp.QuoteMeta(name) + `\?v=[0-9a-f]+`).FindString(page)
		if m == "" {
			t.Fatalf("the kiosk page does not load %s", name)
		}
		if rec := e.kiosk(t, "GET", m, "", "", ""); rec.Code != http.StatusOK {
			t.Errorf("GET %s: %d", m, rec.Code)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, " style=") || strings.Contains(page, "<style") {
		t.Error("the kiosk page has inline script or style, which the CSP forbids")
	}
}

func TestKioskEnrolQuery(t *testing.T) {
	// GET /kiosk/enrol never enrols: a link preview or prefetch must not use the code up.
	e := newKioskEnv(t, Config{})
	_, code := e.register(t, false)
	for range 2 {
		wantStatus(t, e.kiosk(t, "GET", "/kiosk/enrol?code="+string(code), "", "", ""), http.StatusOK)
	}
	rec := e.kiosk(t, "POST", "/kiosk/enrol?lang=en", form("code", string(code)), "", "")
	wantStatus(t, rec, http.StatusSeeOther)
	if got := rec.Header().Get("Location"); got != "/kiosk?lang=en" {
		t.Errorf("Location = %q", got)
	}
	e.secret(cookieValue(rec, kioskCookie))
}
