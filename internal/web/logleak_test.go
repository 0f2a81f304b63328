package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"sipas/internal/logtest"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
	"sipas/internal/survey"
)

// newLoggedServer is newTestServerConfig's server, store, default questionnaire and log.
func newLoggedServer(t *testing.T, cfg Config) (*Server, *store.Store, *survey.Questionnaire, *logtest.Buffer) {
	t.Helper()
	ts := newTestServerConfig(t, cfg)
	return ts.srv, ts.st, ts.q, ts.logs
}

// newRequest builds a request with a body of content type ctype (none when empty) and
// header pairs.
func newRequest(method, target, ctype, body string, hdr ...string) *http.Request {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

func serve(srv http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec
}

// do serves one request in-process.
func do(srv http.Handler, method, target, ctype, body string, hdr ...string) *httptest.ResponseRecorder {
	return serve(srv, newRequest(method, target, ctype, body, hdr...))
}

const formType = "application/x-www-form-urlencoded"

// A whole citizen and machine flow, with refusals and an internal error, logged as JSON: no
// token (in any of its forms), token hash, API key, password or comment may appear in the log.
func TestLogsLeakNoSecrets(t *testing.T) {
	srv, st, q, logs := newLoggedServer(t, Config{AddressRefusals: RefusalLimit{Burst: 2}})
	key := storetest.MustCreateAPIKey(t, st)
	const comment = "Cán bộ Nguyễn Văn Bí mật hướng dẫn rất tận tình 7f3a9c"
	const password = "correct-horse-battery-staple-91"
	wrongKey := "sipas_" + strings.Repeat("x", 52)

	// A receipt through the API.
	rec := do(srv, http.MethodPost, "/api/v1/receipts", "application/json", `{"agency":"MG.STP","procedure":"Chứng thực"}`,
		"Authorization", "Bearer "+key)
	if rec.Code != http.StatusCreated {
		t.Fatalf("issue receipt: %d %s", rec.Code, rec.Body)
	}
	var r struct{ Token, URL string }
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	tok := receipt.Token(r.Token)
	other := storetest.MustCreateReceipt(t, st, "MG.STP")
	forged, _ := receipt.NewToken()
	secrets := []string{string(tok), tok.ShortCode(), tok.Hash(), r.URL, string(other), other.Hash(), string(forged),
		key, wrongKey, password, comment, "Bí mật"}

	valid := validForm(q, comment)
	invalid := validForm(q, comment)
	invalid.Set(q.Codes()[0], "9")
	steps := []struct {
		method, path, ctype, body string
		hdr                       []string
		want                      int
	}{
		{http.MethodGet, "/s/" + string(tok), "", "", nil, http.StatusOK},
		{http.MethodGet, "/S/" + strings.ToUpper(string(tok)), "", "", nil, http.StatusOK},
		{http.MethodGet, "/api/v1/receipts/" + string(tok) + "/qr.svg", "", "", nil, http.StatusOK},
		{http.MethodPost, "/s/" + string(tok), formType, invalid.Encode(), nil, http.StatusUnprocessableEntity},
		{http.MethodPost, "/s/" + string(tok), formType, valid.Encode(), nil, http.StatusSeeOther},
		{http.MethodPost, "/s/" + string(tok), formType, valid.Encode(), nil, http.StatusConflict},
		{http.MethodPost, "/s/" + string(forged), formType, valid.Encode(), nil, http.StatusTooManyRequests},
		{http.MethodPost, "/s/" + string(forged), formType, valid.Encode(), []string{"X-Real-IP", "198.51.100.7"}, http.StatusTooManyRequests},
		{http.MethodPost, "/api/v1/receipts", "application/json", `{"agency":"MG.STP"}`, []string{"Authorization", "Bearer " + wrongKey}, http.StatusUnauthorized},
		{http.MethodPost, "/admin/login", formType, url.Values{"email": {"a@example.gov.vn"}, "password": {password}}.Encode(), nil, 0},
		{http.MethodGet, "/metrics", "", "", []string{"Authorization", "Bearer " + key}, http.StatusOK},
	}
	for _, s := range steps {
		rec := do(srv, s.method, s.path, s.ctype, s.body, s.hdr...)
		if s.want != 0 && rec.Code != s.want {
			t.Errorf("%s %s: status %d, want %d", s.method, s.path[:min(len(s.path), 12)], rec.Code, s.want)
		}
	}
	// An internal error: the database is gone. It is logged with its cause, still without secrets.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if rec := do(srv, http.MethodGet, "/s/"+string(other), "", ""); rec.Code != http.StatusInternalServerError {
		t.Errorf("survey page over a closed store: %d, want 500", rec.Code)
	}

	out := logs.String()
	if !strings.Contains(out, `"route":"/s/:token"`) || !strings.Contains(out, `"level":"ERROR"`) {
		t.Fatalf("the log lacks the expected request and error lines:\n%s", out)
	}
	lower := strings.ToLower(out)
	for _, sec := range secrets {
		if strings.Contains(lower, strings.ToLower(sec)) {
			t.Errorf("the log contains the secret %.12q…", sec)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %.80s", line)
		}
	}
}
