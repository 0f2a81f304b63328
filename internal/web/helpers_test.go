package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"sipas/assets"
	"sipas/internal/logtest"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
	"sipas/internal/survey"
	"sipas/surveys"
)

const (
	testBaseURL    = "https://sipas.example.gov.vn"
	testAgency     = "MG.STP"
	testAgencyName = "Sở Tư pháp tỉnh Minh Giang"
)

// testServer is the real web.Server over a temporary database, with its log captured.
type testServer struct {
	srv  *Server
	st   *store.Store
	q    *survey.Questionnaire
	logs *logtest.Buffer
	// secrets are tokens, API keys and comments used by the test: none may reach the log.
	mu      sync.Mutex
	secrets []string
}

// newTestServer is the server over a new database with the test agency.
func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerConfig(t, Config{})
}

// newTestServerConfig is newTestServer with cfg (see newServer).
func newTestServerConfig(t *testing.T, cfg Config) *testServer {
	t.Helper()
	st := storetest.Open(t)
	storetest.MustCreateAgency(t, st, testAgency, testAgencyName, "province")
	return newServer(t, st, cfg)
}

// newServer is the one way tests build the real server: over st, with cfg's fields, and the
// test base URL, the embedded assets and questionnaires and a JSON debug log captured in
// ts.logs where cfg leaves them empty. The log is checked for secrets when the test ends.
func newServer(tb testing.TB, st *store.Store, cfg Config) *testServer {
	tb.Helper()
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		tb.Fatal(err)
	}
	logs := &logtest.Buffer{}
	cfg.BaseURL = cmpOr(cfg.BaseURL, testBaseURL)
	if cfg.Assets == nil {
		cfg.Assets = assets.FS
	}
	if cfg.Surveys == nil {
		cfg.Surveys = cat
	}
	if cfg.Logger == nil {
		cfg.Logger = logtest.JSON(logs)
	}
	srv, err := New(cfg, st)
	if err != nil {
		tb.Fatal(err)
	}
	srv.e.Pre(checkContract(tb)) // every /api/v1 answer is checked against the OpenAPI document
	q, err := cat.Get(survey.DefaultID)
	if err != nil {
		tb.Fatal(err)
	}
	ts := &testServer{srv: srv, st: st, q: q, logs: logs}
	tb.Cleanup(func() { ts.checkLogs(tb) })
	return ts
}

// secret records text that must never be logged.
func (ts *testServer) secret(s ...string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.secrets = append(ts.secrets, s...)
}

// checkLogs fails the test if a token, an API key or a comment reached the server log.
func (ts *testServer) checkLogs(t testing.TB) {
	t.Helper()
	logs := ts.logs.String()
	upper := strings.ToUpper(logs)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, s := range ts.secrets {
		if s == "" {
			continue
		}
		if strings.Contains(logs, s) || strings.Contains(upper, strings.ToUpper(s)) {
			t.Errorf("server log contains the secret %.24q…", s)
		}
	}
}

// receipt issues a new receipt of the test agency; its token is recorded as a secret.
func (ts *testServer) receipt(t *testing.T) receipt.Token {
	t.Helper()
	tok := storetest.MustCreateReceipt(t, ts.st, testAgency)
	ts.secret(string(tok))
	return tok
}

// apiKey creates an API key, recorded as a secret.
func (ts *testServer) apiKey(t *testing.T) (string, int64) {
	t.Helper()
	key, id := storetest.MustCreateAPIKeyID(t, ts.st)
	ts.secret(key)
	return key, id
}

func (ts *testServer) do(t *testing.T, method, path, body string, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequestWithContext(t.Context(), method, path, r)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	ts.srv.ServeHTTP(rec, req)
	return rec
}

// responses returns every stored response, oldest first.
func (ts *testServer) responses(t *testing.T) []storetest.StoredResponse {
	t.Helper()
	return storetest.Responses(t, ts.st)
}

// answered reports whether the receipt of tok has a response.
func (ts *testServer) answered(t *testing.T, tok receipt.Token) bool {
	t.Helper()
	rc, err := ts.st.FindReceiptByTokenHash(t.Context(), tok.Hash())
	if err != nil {
		t.Fatalf("find receipt: %v", err)
	}
	return rc.Answered
}

// formHeaders is what a browser sends with the survey form.
var formHeaders = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

// leaks are what no response body may contain: stack traces, SQL and source paths (this
// checkout's directory and the home directory, wherever the tests run).
var leaks = append([]string{"goroutine ", "panic", "runtime/", ".go:", "sql", "SQL", "constraint", "modernc"}, sourcePaths()...)

// sourcePaths are the directories a leaked file path would start with.
func sourcePaths() []string {
	var out []string
	if wd, err := os.Getwd(); err == nil {
		out = append(out, filepath.Dir(filepath.Dir(wd))+"/") // the module root (internal/web is two below)
	}
	if home, err := os.UserHomeDir(); err == nil && home != "/" {
		out = append(out, home+"/")
	}
	return out
}

// checkSecurityHeaders checks the headers every response carries.
func checkSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	if csp == "" {
		t.Error("no Content-Security-Policy header")
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("Content-Security-Policy = %q, want no unsafe-inline/unsafe-eval", csp)
	}
	for _, d := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("Content-Security-Policy = %q, want it to contain %q", csp, d)
		}
	}
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "no-referrer",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// apiErrorBody is the JSON error shape of CONTRACT.md.
type apiErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// checkAPIError checks that body is exactly {"error":{"code":code,"message":…}}.
func checkAPIError(t *testing.T, rec *httptest.ResponseRecorder, code string) {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	var e apiErrorBody
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %q: %v", rec.Body.String(), err)
	}
	var raw map[string]map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil || len(raw) != 1 || len(raw["error"]) != 2 {
		t.Errorf("error body = %s, want exactly {\"error\":{\"code\",\"message\"}}", rec.Body.String())
	}
	if got := e.Error.Code; got != code {
		t.Errorf("error code = %q, want %q", got, code)
	}
	if e.Error.Message == "" {
		t.Error("error message is empty")
	}
}

// handlerTest is one request and what its answer must (and must not) contain (STYLE.md §8).
//
// In path, body, wantBody and wantNotBody these placeholders are replaced:
// {tok} a new receipt's token (created for every case), {tok_lower} the same in lowercase,
// {short} its hyphenated short code, {unknown} a well-formed token no receipt has,
// {forged} a well-formed signed token under a key sipas does not know, {key} an active
// API key, {revoked} a revoked API key.
type handlerTest struct {
	name        string
	method      string
	path        string
	body        string
	headers     map[string]string
	wantStatus  int
	wantHeader  map[string]string // header → wanted prefix
	wantBody    []string
	wantNotBody []string
	wantAPIErr  string // the code of a JSON error body

	answered bool // {tok} is answered (A1:5, "lần đầu") before the request
	stores   bool // the request may store a response
	after    func(t *testing.T, ts *testServer, f fixture, rec *httptest.ResponseRecorder)
}

// fixture is what the placeholders of one case stand for.
type fixture struct {
	tok, unknown, forged receipt.Token
	key, revoked         string
}

func (f fixture) expand(s string) string {
	return strings.NewReplacer(
		"{tok_lower}", strings.ToLower(string(f.tok)),
		"{tok}", string(f.tok),
		"{short}", f.tok.ShortCode(),
		"{unknown}", string(f.unknown),
		"{forged}", string(f.forged),
		"{key}", f.key,
		"{revoked}", f.revoked,
	).Replace(s)
}

// firstAnswer is what answered receipts were answered with.
var firstAnswer = store.Submission{SurveyID: "sipas", SurveyVersion: "2026.1", Source: "web", Answers: "A1:5", Comment: "lần đầu"}

func runHandlerTests(t *testing.T, ts *testServer, tests []handlerTest) {
	t.Helper()
	key, _ := ts.apiKey(t)
	revoked, revokedID := ts.apiKey(t)
	if err := ts.st.RevokeAPIKey(t.Context(), revokedID); err != nil {
		t.Fatal(err)
	}
	forged := mustForge(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fixture{tok: ts.receipt(t), unknown: mustToken(t), forged: forged, key: key, revoked: revoked}
			ts.secret(string(f.unknown))
			if tt.answered {
				if err := ts.st.SubmitResponse(t.Context(), f.tok.Hash(), firstAnswer); err != nil {
					t.Fatal(err)
				}
			}
			before := len(ts.responses(t))
			headers := map[string]string{}
			for k, v := range tt.headers {
				headers[k] = f.expand(v)
			}
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			rec := ts.do(t, method, f.expand(tt.path), f.expand(tt.body), headers)
			body := rec.Body.String()

			if got, want := rec.Code, tt.wantStatus; got != want {
				t.Errorf("%s %s: status = %d, want %d\nbody: %.600s", method, tt.path, got, want, body)
			}
			checkSecurityHeaders(t, rec.Header())
			for k, want := range tt.wantHeader {
				if got := rec.Header().Get(k); !strings.HasPrefix(got, f.expand(want)) {
					t.Errorf("header %s = %q, want prefix %q", k, got, f.expand(want))
				}
			}
			if !utf8.ValidString(body) && !strings.HasPrefix(rec.Header().Get("Content-Type"), "image/png") {
				t.Error("body is not valid UTF-8")
			}
			for _, w := range tt.wantBody {
				if w := f.expand(w); !strings.Contains(body, w) {
					t.Errorf("body does not contain %q\nbody: %.2000s", w, body)
				}
			}
			notBody := append([]string{}, leaks...)
			for _, w := range tt.wantNotBody {
				notBody = append(notBody, f.expand(w))
			}
			if rec.Code >= 400 && rec.Code != http.StatusUnprocessableEntity {
				// An error page never echoes a token (in any case) or a key.
				notBody = append(notBody, string(f.tok), string(f.unknown), string(f.forged), f.key, f.revoked)
			}
			upper := strings.ToUpper(body)
			for _, w := range notBody {
				if w == "" {
					continue
				}
				if strings.Contains(body, w) || (len(w) >= 16 && strings.Contains(upper, strings.ToUpper(w))) {
					t.Errorf("body contains %q, want it not to\nbody: %.2000s", w, body)
				}
			}
			if tt.wantAPIErr != "" {
				checkAPIError(t, rec, tt.wantAPIErr)
			}
			if !tt.stores {
				if got := len(ts.responses(t)); got != before {
					t.Errorf("responses stored: %d → %d, want nothing stored", before, got)
				}
				if got := ts.answered(t, f.tok); got != tt.answered {
					t.Errorf("receipt answered = %v, want %v", got, tt.answered)
				}
			}
			if tt.after != nil {
				tt.after(t, ts, f, rec)
			}
		})
	}
}

func mustToken(t *testing.T) receipt.Token {
	t.Helper()
	tok, err := receipt.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// mustForge mints a signed token under a key sipas has never seen.
func mustForge(t *testing.T) receipt.Token {
	t.Helper()
	key, err := receipt.NewSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := receipt.Mint(receipt.Secret{ID: 7, Key: key}, time.Now(), 42)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
