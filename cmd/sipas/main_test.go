package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sipas/internal/auth"
	"sipas/internal/logtest"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// refAgencies is the reference agencies file, relative to this package.
const refAgencies = "../../internal/index/testdata/refdata/agencies.csv"

// runCmd runs sipas in-process, as main does, and returns the exit code and output.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// isolate runs the test in a temporary directory with no SIPAS_* settings from the outside, so
// a default --db can only ever create a file there.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"SIPAS_DB", "SIPAS_DEMO_DB", "SIPAS_ADDR", "SIPAS_BASE_URL", "SIPAS_LOG_FORMAT", "SIPAS_SURVEYS"} {
		t.Setenv(k, "")
	}
	t.Chdir(dir)
	return dir
}

func TestUsageErrors(t *testing.T) {
	isolate(t)
	tests := []struct {
		name       string
		args       []string
		wantExit   int
		wantStderr string
	}{
		{"no arguments", nil, exitUsage, "usage: sipas"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"serve", "--no-such-flag"}, exitUsage, "no-such-flag"},
		{"bad flag value", []string{"serve", "--addr", "nonsense"}, exitUsage, "--addr"},
		{"bad log format", []string{"serve", "--log-format", "xml"}, exitUsage, "--log-format"},
		{"bad base URL", []string{"serve", "--base-url", "ftp://x"}, exitUsage, "--base-url"},
		{"import without a file", []string{"import", "agencies"}, exitUsage, "usage: sipas import"},
		{"import of an unknown kind", []string{"import", "widgets", "x.csv"}, exitUsage, `"widgets"`},
		{"apikey without action", []string{"apikey"}, exitUsage, "create, scope, list or revoke"},
		{"apikey create without name", []string{"apikey", "create"}, exitUsage, "--name"},
		{"apikey unknown action", []string{"apikey", "steal"}, exitUsage, `"steal"`},
		{"apikey revoke of a non-number", []string{"apikey", "revoke", "x"}, exitUsage, `"x"`},
		{"help", []string{"help"}, exitOK, "usage: sipas"},
		{"-h", []string{"-h"}, exitOK, "usage: sipas"},
		{"--help", []string{"--help"}, exitOK, "usage: sipas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, "", tt.args...)
			if code != tt.wantExit {
				t.Errorf("sipas %v: exit %d, want %d\nstderr: %s", tt.args, code, tt.wantExit, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantStderr)
			}
		})
	}
}

func TestHelpOfEverySubcommand(t *testing.T) {
	dir := isolate(t)
	for name := range commands() {
		t.Run(name, func(t *testing.T) {
			for _, h := range []string{"-h", "--help"} {
				code, stdout, stderr := runCmd(t, "", name, h)
				if code != exitOK {
					t.Errorf("sipas %s %s: exit %d, want 0\nstderr: %s", name, h, code, stderr)
				}
				if !strings.Contains(stderr, "usage: sipas "+name) {
					t.Errorf("sipas %s %s: stderr = %q, want a usage line", name, h, stderr)
				}
				if stdout != "" {
					t.Errorf("sipas %s %s: stdout = %q, want nothing", name, h, stdout)
				}
			}
		})
	}
	// -h never opens a database.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("-h created %s", e.Name())
	}
}

// csvRows counts the data rows of a CSV file.
func csvRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return len(recs) - 1
}

func openDB(t *testing.T, path string) *store.Store {
	t.Helper()
	return storetest.OpenPath(t, path, store.Options{})
}

func TestImportAgencies(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sipas.db")
	n := csvRows(t, refAgencies)
	if n == 0 {
		t.Fatalf("%s has no rows", refAgencies)
	}

	code, stdout, stderr := runCmd(t, "", "import", "agencies", refAgencies, "--db", db)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstderr: %s", code, stderr)
	}
	if want := "imported agencies from " + refAgencies + ": " + itoa(n) + " created, 0 updated, 0 unchanged"; !strings.Contains(stdout, want) {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}

	// The same file again changes nothing; --db may also come first.
	code, stdout, stderr = runCmd(t, "", "--db", db, "import", "agencies", refAgencies)
	if code != exitOK {
		t.Fatalf("second import: exit %d, want 0\nstderr: %s", code, stderr)
	}
	if want := "0 created, 0 updated, " + itoa(n) + " unchanged"; !strings.Contains(stdout, want) {
		t.Errorf("second import: stdout = %q, want %q", stdout, want)
	}

	st := openDB(t, db)
	list, err := st.ListAgencies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := len(list); got != n {
		t.Errorf("%d agencies stored, want %d", got, n)
	}
	a, err := st.FindAgencyByCode(t.Context(), "MG.STP")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Name, "Sở Tư pháp tỉnh Minh Giang"; got != want {
		t.Errorf("MG.STP name = %q, want %q", got, want)
	}
}

func TestImportMalformedAgencies(t *testing.T) {
	tests := []struct {
		name       string
		csv        string
		wantStderr []string // each a line, "bad.csv:LINE:COLUMN: …" prefix
	}{
		{
			name:       "bad level",
			csv:        "code,name,level,parent_code\nGOOD,Cơ quan tốt,province,\nBAD,Cơ quan xấu,ward,\n",
			wantStderr: []string{"bad.csv:3:3: "},
		},
		{
			name:       "two bad rows are both reported",
			csv:        "code,name,level,parent_code\nA,Cơ quan A,province,\nB,,district,A\nC,Cơ quan C,commune,NOPE\n",
			wantStderr: []string{"bad.csv:3:2: ", "bad.csv:4:4: "},
		},
		{
			name:       "unknown column",
			csv:        "code,name,level,parent_code,colour\nA,Cơ quan A,province,,red\n",
			wantStderr: []string{"bad.csv:1:5: "},
		},
		{
			name:       "duplicate code",
			csv:        "code,name,level,parent_code\nA,Cơ quan A,province,\nA,Cơ quan A bis,province,\n",
			wantStderr: []string{"bad.csv:2:1: ", "bad.csv:3:1: "}, // both occurrences
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "sipas.db")
			file := filepath.Join(dir, "bad.csv")
			if err := os.WriteFile(file, []byte(tt.csv), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCmd(t, "", "import", "agencies", "--db", db, file)
			if code != exitError {
				t.Errorf("exit %d, want %d\nstderr: %s", code, exitError, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if got, want := len(lines), len(tt.wantStderr); got != want {
				t.Errorf("stderr has %d lines, want %d (one per problem):\n%s", got, want, stderr)
			}
			located := regexp.MustCompile(`^bad\.csv:\d+:\d+: \S`)
			for _, l := range lines {
				if !located.MatchString(l) {
					t.Errorf("stderr line %q does not start with file:line:column", l)
				}
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr, "\n"+w) && !strings.HasPrefix(stderr, w) {
					t.Errorf("stderr = %q, want a line starting %q", stderr, w)
				}
			}
			list, err := openDB(t, db).ListAgencies(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 0 {
				t.Errorf("%d agencies stored from a bad file, want none", len(list))
			}
		})
	}
}

func TestImportMissingFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sipas.db")
	code, _, stderr := runCmd(t, "", "import", "agencies", "--db", db, filepath.Join(t.TempDir(), "none.csv"))
	if code != exitError {
		t.Errorf("exit %d, want %d\nstderr: %s", code, exitError, stderr)
	}
	if !strings.Contains(stderr, "none.csv") {
		t.Errorf("stderr = %q, want it to name the file", stderr)
	}
}

func TestAPIKeyCreate(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sipas.db")
	code, stdout, stderr := runCmd(t, "", "apikey", "create", "--name", "x", "--db", db)
	if code != exitOK {
		t.Fatalf("exit %d, want 0\nstderr: %s", code, stderr)
	}
	key := strings.TrimSuffix(stdout, "\n")
	if strings.Count(stdout, "\n") != 1 || !strings.HasPrefix(key, auth.APIKeyPrefix) || len(key) < 40 {
		t.Fatalf("stdout = %q, want exactly one line with a sipas_ key", stdout)
	}
	if strings.Contains(stderr, key) {
		t.Error("stderr repeats the key; it is printed once, on stdout")
	}

	st := openDB(t, db)
	k, err := st.FindAPIKeyByHash(t.Context(), auth.HashSecret(key))
	if err != nil {
		t.Fatalf("the printed key does not authenticate: %v", err)
	}
	if got, want := k.Name, "x"; got != want {
		t.Errorf("key name = %q, want %q", got, want)
	}

	// Listing shows the prefix, never the key.
	code, stdout, stderr = runCmd(t, "", "apikey", "list", "--db", db)
	if code != exitOK {
		t.Fatalf("apikey list: exit %d\nstderr: %s", code, stderr)
	}
	if strings.Contains(stdout, key) || !strings.Contains(stdout, k.Prefix) || !strings.Contains(stdout, "active") {
		t.Errorf("apikey list = %q, want the prefix %q and status, not the key", stdout, k.Prefix)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Only the hash is stored: no file of the database holds the key.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(key)) || bytes.Contains(b, []byte(key[len(auth.APIKeyPrefix):])) {
			t.Errorf("%s contains the plain key", e.Name())
		}
		if strings.HasSuffix(e.Name(), ".db") && !bytes.Contains(b, []byte(auth.HashSecret(key))) {
			if wal, _ := os.ReadFile(filepath.Join(dir, e.Name()+"-wal")); !bytes.Contains(wal, []byte(auth.HashSecret(key))) {
				t.Errorf("%s does not hold the key's hash", e.Name())
			}
		}
	}

	// Revoked, it no longer authenticates.
	code, _, stderr = runCmd(t, "", "apikey", "revoke", itoa(int(k.ID)), "--db", db)
	if code != exitOK {
		t.Fatalf("apikey revoke: exit %d\nstderr: %s", code, stderr)
	}
	st = openDB(t, db)
	if _, err := st.FindAPIKeyByHash(t.Context(), auth.HashSecret(key)); err == nil {
		t.Error("a revoked key still authenticates")
	}
	code, _, stderr = runCmd(t, "", "apikey", "revoke", "999", "--db", db)
	if code != exitError {
		t.Errorf("revoke of an unknown key: exit %d, want %d\nstderr: %s", code, exitError, stderr)
	}
}

func TestMigrateAndVersion(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sipas.db")
	code, stdout, stderr := runCmd(t, "", "migrate", "--db", db)
	if code != exitOK {
		t.Fatalf("migrate: exit %d\nstderr: %s", code, stderr)
	}
	if !strings.Contains(stdout, "applied 0001_init.sql") {
		t.Errorf("migrate stdout = %q, want the applied migrations", stdout)
	}
	code, stdout, _ = runCmd(t, "", "version")
	if code != exitOK || !strings.HasPrefix(stdout, "sipas ") {
		t.Errorf("version: exit %d, stdout %q", code, stdout)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// testServer is the real `sipas serve` wiring running in the test process.
type testServer struct {
	URL  string // http://127.0.0.1:PORT
	DB   string
	Logs *logtest.Buffer
}

// startServer runs runServer, the wiring of `sipas serve --init`, on 127.0.0.1:0 with a
// temporary database, and stops it through its context when the test ends.
func startServer(t *testing.T) *testServer {
	t.Helper()
	return startServerWith(t, serveConfig{DB: filepath.Join(t.TempDir(), "sipas.db"), Init: true})
}

// startServerWith is startServer with cfg, whose address, base URL and log format it fills in.
func startServerWith(t *testing.T, cfg serveConfig) *testServer {
	t.Helper()
	ts := &testServer{DB: cfg.DB, Logs: &logtest.Buffer{}}
	cfg.Addr, cfg.BaseURL, cfg.LogFormat = "127.0.0.1:0", "http://sipas.test", "json"
	log := logtest.JSON(ts.Logs)
	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, cfg, log, ready) }()
	select {
	case addr := <-ready:
		ts.URL = "http://" + addr
	case err := <-done:
		stop()
		t.Fatalf("runServer: %v", err)
	case <-time.After(15 * time.Second):
		stop()
		t.Fatal("runServer did not start listening within 15 s")
	}
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("runServer returned %v, want nil after the context ends", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("runServer did not stop within 15 s of its context ending")
		}
	})
	return ts
}

// mustRunServer is startServer for tests that need only the address and the database file.
func mustRunServer(t *testing.T) (baseURL, dbPath string) {
	t.Helper()
	ts := startServer(t)
	return ts.URL, ts.DB
}

// noRedirect is an HTTP client that shows redirects instead of following them.
var noRedirect = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func TestServeEndToEnd(t *testing.T) {
	ts := startServer(t)
	st := openDB(t, ts.DB)
	storetest.MustCreateAgency(t, st, "MG.STP", "Sở Tư pháp tỉnh Minh Giang", "province")
	key := storetest.MustCreateAPIKey(t, st)

	get := func(path string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+path, nil)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	if resp, body := get("/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: %d %s, want 200", resp.StatusCode, body)
	}

	// One-stop-shop software asks for a receipt.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+"/api/v1/receipts",
		strings.NewReader(`{"agency":"MG.STP","procedure":"Cấp bản sao trích lục hộ tịch","channel":"counter"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ Token, URL string }
	err = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/v1/receipts: %d, %v; want 201", resp.StatusCode, err)
	}
	if want := "HTTP://SIPAS.TEST/S/" + created.Token; created.URL != want {
		t.Errorf("url = %q, want %q", created.URL, want)
	}
	path := strings.TrimPrefix(created.URL, "HTTP://SIPAS.TEST")

	// The citizen opens the uppercase URL of the QR code and answers.
	if resp, body := get(path); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Sở Tư pháp tỉnh Minh Giang") {
		t.Fatalf("GET %s: %d, want 200 with the agency name", "/S/…", resp.StatusCode)
	}
	post := func() *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+path, strings.NewReader("A1=5&B2=4&comment=R%E1%BA%A5t+t%E1%BB%91t"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp = post()
	if got, want := resp.StatusCode, http.StatusSeeOther; got != want {
		t.Fatalf("POST survey: status %d, want %d", got, want)
	}
	if got, want := resp.Header.Get("Location"), "/thanks"; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if got, want := post().StatusCode, http.StatusConflict; got != want {
		t.Errorf("second POST: status %d, want %d", got, want)
	}

	got := storetest.Responses(t, st)
	if len(got) != 1 {
		t.Fatalf("%d responses stored, want 1", len(got))
	}
	if got[0].Answers != "A1:5 B2:4" || got[0].Comment != "Rất tốt" || got[0].SurveyID != "sipas" {
		t.Errorf("stored %+v, want A1:5 B2:4, comment Rất tốt, survey sipas", got[0])
	}
	checkNoSecrets(t, ts.Logs.String(), created.Token, key, "Rất tốt")
}

// checkNoSecrets fails if the log holds a token (in any case), an API key or a comment.
func checkNoSecrets(t *testing.T, logs string, secrets ...string) {
	t.Helper()
	upper := strings.ToUpper(logs)
	for _, s := range secrets {
		if strings.Contains(logs, s) || strings.Contains(upper, strings.ToUpper(s)) {
			t.Errorf("server log contains the secret %.12q…", s)
		}
	}
	// Every line is JSON (the log collector's format).
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Errorf("log line is not JSON: %s", sc.Text())
		}
	}
}

func TestMustRunServer(t *testing.T) {
	baseURL, db := mustRunServer(t)
	resp, err := noRedirect.Get(baseURL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.StatusCode, http.StatusOK; got != want {
		t.Errorf("GET /healthz = %d, want %d", got, want)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("the server's database: %v", err)
	}
}

// TestAPIKeyScopeFlags: `apikey create` without a scope flag makes a metrics-only key (the old
// invocation still works, with the least it could need); the flags name agencies or *; a
// typo'd agency is refused; `apikey scope` replaces a key's scopes.
func TestAPIKeyScopeFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sipas.db")
	st := openDB(t, db)
	storetest.MustCreateAgency(t, st, "SC.STP", "Sở Tư pháp", "province")
	storetest.MustCreateAgency(t, st, "SC.TNMT", "Sở Tài nguyên", "province")
	st.Close()
	scopesOf := func(key string) string {
		t.Helper()
		st := openDB(t, db)
		defer st.Close()
		k, err := st.FindAPIKeyByHash(t.Context(), auth.HashSecret(strings.TrimSpace(key)))
		if err != nil {
			t.Fatal(err)
		}
		return k.Scopes.String() + " " + strconv.FormatBool(k.ExpiresAt.IsZero())
	}
	code, key, stderr := runCmd(t, "", "apikey", "create", "--name", "prometheus", "--db", db)
	if code != exitOK || scopesOf(key) != "metrics true" || !strings.Contains(stderr, "scopes metrics") {
		t.Errorf("no scope flag: exit %d, scopes %q, stderr %q; want metrics, never expiring", code, scopesOf(key), stderr)
	}
	code, key, stderr = runCmd(t, "", "apikey", "create", "--name", "một cửa", "--issue", "SC.STP,SC.TNMT", "--reports", "*", "--expires", "90d", "--db", db)
	if code != exitOK || scopesOf(key) != "issue:SC.STP issue:SC.TNMT reports:* false" {
		t.Errorf("scope flags: exit %d, scopes %q\n%s", code, scopesOf(key), stderr)
	}
	if code, _, stderr := runCmd(t, "", "apikey", "create", "--name", "typo", "--answers", "SC.STPP", "--db", db); code == exitOK || !strings.Contains(stderr, "SC.STPP") {
		t.Errorf("unknown agency: exit %d, stderr %q; want a refusal naming it", code, stderr)
	}
	if code, _, stderr := runCmd(t, "", "apikey", "create", "--name", "bad", "--metrics", "--expires", "2001-01-01", "--db", db); code != exitUsage {
		t.Errorf("expiry in the past: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, "", "apikey", "scope", "1", "--answers", "SC.STP", "--metrics", "--db", db); code != exitOK {
		t.Fatalf("apikey scope: exit %d\n%s", code, stderr)
	}
	code, list, _ := runCmd(t, "", "apikey", "list", "--db", db)
	// The keys were looked up above, which records their use.
	if code != exitOK || !strings.Contains(list, "scopes=answers:SC.STP,metrics") || strings.Contains(list, "used=never") {
		t.Errorf("apikey list = %q, want key 1 with its new scopes, and each key's last use", list)
	}
}
