package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sipas/internal/auth"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// The findings of issue 17, each with the test that failed on the code before it
// (docs/security.md names them by control).

// parallelLogins sends n sign-ins at once (password of i: pw(i)) from one address, each
// retried while the password gate is full (503), and returns the final statuses.
func (e *adminEnv) parallelLogins(t *testing.T, n int, email string, pw func(i int) string) []int {
	t.Helper()
	s := e.anonymous(t)
	status := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			for {
				rec := e.login(t, s, email, pw(i))
				if status[i] = rec.Code; rec.Code != http.StatusServiceUnavailable {
					if id := cookieValue(rec, sessionCookie); id != "" {
						e.secret(id)
					}
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	close(start)
	wg.Wait()
	return status
}

// TestParallelGuessesAreCounted: 100 parallel wrong passwords for one email from one address
// got 100 answers of 401 (limit 5), and 40 parallel guesses whose last was right signed in.
// Now exactly the limit is checked and the rest are throttled unchecked.
func TestParallelGuessesAreCounted(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	before := e.srv.gate.Verified()
	status := e.parallelLogins(t, 100, analystEmail, func(i int) string { return "đoán sai số " + strconv.Itoa(i) })
	if got := e.srv.gate.Verified() - before; got != maxFailuresPerEmail {
		t.Errorf("100 parallel guesses: %d passwords checked, want exactly %d", got, maxFailuresPerEmail)
	}
	if n401, n429 := count(status, http.StatusUnauthorized), count(status, http.StatusTooManyRequests); n401 != maxFailuresPerEmail || n429 != 100-maxFailuresPerEmail {
		t.Errorf("100 parallel guesses: %d × 401, %d × 429; want %d and %d", n401, n429, maxFailuresPerEmail, 100-maxFailuresPerEmail)
	}

	// 40 at once, the last one right, sent while the other 39 are still coming in, once 5
	// have been checked: it is refused unchecked, and no more than 5 are ever checked.
	before = e.srv.gate.Verified()
	status = e.parallelLogins(t, 40, agencyEmail, func(i int) string {
		if i < 39 {
			return "đoán sai số " + strconv.Itoa(i)
		}
		for e.srv.gate.Verified()-before < maxFailuresPerEmail {
			time.Sleep(100 * time.Microsecond)
		}
		return passwords[agencyEmail]
	})
	if checked := e.srv.gate.Verified() - before; checked != maxFailuresPerEmail || status[39] != http.StatusTooManyRequests {
		t.Errorf("40 parallel guesses, the last right: %d checked, the right one got %d; want %d and 429", checked, status[39], maxFailuresPerEmail)
	}
	// Afterwards, throttled: even the right password is not checked.
	before = e.srv.gate.Verified()
	if rec := e.login(t, e.anonymous(t), analystEmail, passwords[analystEmail]); rec.Code != http.StatusTooManyRequests {
		t.Errorf("right password after the limit: status %d, want 429", rec.Code)
	}
	if e.srv.gate.Verified() != before {
		t.Error("a throttled sign-in had its password checked")
	}
}

// TestSignInWorkIsTheSame: a disabled account answered in 14 ms instead of ~370 ms (its
// password was never checked, which told that it exists). Now an unknown email, a disabled
// account and a wrong password each cost exactly one password check, and read the same.
func TestSignInWorkIsTheSame(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	admin := e.sessions["admin"]
	id := strconv.FormatInt(e.users[targetEmail].ID, 10)
	if rec := e.send(t, http.MethodPost, "/admin/users/"+id, form("_csrf", "{csrf}", "disabled", "1"), "", admin, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("disable: status %d", rec.Code)
	}
	bodies := map[string]string{}
	anon := e.anonymous(t)
	for name, try := range map[string][2]string{
		"unknown":  {"khong.co.ai@sipas.test", "mật khẩu bất kỳ 123"},
		"disabled": {targetEmail, passwords[targetEmail]},
		"wrong":    {analystEmail, "mật khẩu bất kỳ 123"},
	} {
		before := e.srv.gate.Verified()
		rec := e.login(t, anon, try[0], try[1])
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, rec.Code)
		}
		if got := e.srv.gate.Verified() - before; got != 1 {
			t.Errorf("%s: %d password checks, want 1", name, got)
		}
		bodies[name] = strings.ReplaceAll(rec.Body.String(), try[0], "EMAIL")
	}
	if bodies["unknown"] != bodies["disabled"] || bodies["disabled"] != bodies["wrong"] {
		t.Error("unknown, disabled and wrong-password sign-ins get different pages")
	}
}

// TestSignInFloodIsBounded: 300 sign-ins with a 60 KB email grew the database by 17 MB (one
// audit row each) and unbounded parallel sign-ins took 19 MiB of argon2 memory each. Now an
// email over 254 bytes is refused before any lookup, write or hash; a sign-in finding every
// password-check slot taken is refused at once (503, Retry-After); throttled ones are summed
// in memory and reach the audit as one row.
func TestSignInFloodIsBounded(t *testing.T) {
	t.Parallel()
	e := newAdminEnvConfig(t, Config{PasswordChecks: 1})
	s := e.anonymous(t)
	audits, checks := auditCount(t, e.st), e.srv.gate.Verified()
	long := strings.Repeat("a", 60<<10) + "@sipas.test"
	for range 20 {
		if rec := e.login(t, s, long, "x"); rec.Code != http.StatusUnprocessableEntity || strings.Contains(rec.Body.String(), "aaaaaaaaaa") {
			t.Fatalf("60 KB email: status %d, want 422 without the email echoed", rec.Code)
		}
	}
	if rec := e.login(t, s, strings.Repeat("b", 243)+"@sipas.test", "x"); rec.Code != http.StatusUnauthorized {
		t.Errorf("254-byte email: status %d, want 401 (accepted, wrong password)", rec.Code)
	}
	if got := auditCount(t, e.st) - audits; got != 1 || e.srv.gate.Verified()-checks != 1 {
		t.Errorf("20 oversized emails and one of 254 bytes: %d audit rows, %d checks; want 1 and 1", got, e.srv.gate.Verified()-checks)
	}

	// Every slot taken (one, here): refused at once, nothing checked.
	if !e.srv.gate.Enter() {
		t.Fatal("the gate is full before the test")
	}
	rec := e.login(t, s, analystEmail, passwords[analystEmail])
	e.srv.gate.Leave()
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), e.msg("login.busy")) {
		t.Errorf("sign-in with every slot taken: status %d Retry-After %q, want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}

	// 50 throttled attempts: one summary row, not 50.
	for range maxFailuresPerEmail {
		e.login(t, s, agencyEmail, "sai mật khẩu")
	}
	audits = auditCount(t, e.st)
	for range 50 {
		if rec := e.login(t, s, agencyEmail, "sai mật khẩu"); rec.Code != http.StatusTooManyRequests {
			t.Fatalf("throttled attempt: status %d", rec.Code)
		}
	}
	entries, err := e.st.ListAudit(t.Context(), "login.throttled", 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := auditCount(t, e.st) - audits; got != 1 || len(entries) != 1 || !strings.HasPrefix(entries[0].Detail, "50 sign-in attempts") {
		t.Errorf("50 throttled attempts: %d audit rows %+v, want one summary of 50", got, entries)
	}
}

// TestLockoutIsPerAddress: five wrong passwords from anywhere locked the official out for 15
// minutes from every address. Now the lock is per (email, address); the official signs in
// from their own desk.
func TestLockoutIsPerAddress(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	s := e.anonymous(t)
	for i := range maxFailuresPerEmail + 3 {
		e.login(t, s, adminEmail, "kẻ tấn công đoán "+strconv.Itoa(i))
	}
	rec := e.loginFrom(t, "203.0.113.50:5555", s, adminEmail, passwords[adminEmail]) // the official's office
	if rec.Code != http.StatusSeeOther {
		t.Errorf("the official from another address during the attack: status %d, want 303", rec.Code)
	}
	e.secret(cookieValue(rec, sessionCookie))
}

// TestPasswordChange: officials change their own password, giving the current one; every
// other session of theirs ends; weak and common passwords are refused.
func TestPasswordChange(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	here := e.signIn(t, analystEmail, passwords[analystEmail])
	elsewhere := e.signIn(t, analystEmail, passwords[analystEmail])
	const newPW = "Một mật khẩu mới dài 2026!"
	e.secret(newPW)
	change := func(current, pw, confirm string) *httptest.ResponseRecorder {
		return e.send(t, http.MethodPost, "/admin/account/password", form("_csrf", "{csrf}", "current", current, "password", pw, "confirm", confirm), "", here, nil)
	}
	for _, tt := range []struct{ current, pw, confirm, msg string }{
		{"sai mật khẩu", newPW, newPW, "account.wrong_password"},
		{passwords[analystEmail], newPW, newPW + "x", "account.mismatch"},
		{passwords[analystEmail], "password1234", "password1234", "password.common"},
		{passwords[analystEmail], "1234567890", "1234567890", "users.weak_password"},
	} {
		if rec := change(tt.current, tt.pw, tt.confirm); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), e.msg(tt.msg)) {
			t.Errorf("change with %s: status %d, want 422 and %q", tt.msg, rec.Code, e.msg(tt.msg))
		}
	}
	rec := change(passwords[analystEmail], newPW, newPW)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/account?flash=account.password_changed" {
		t.Fatalf("change: status %d Location %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := e.get(t, "/admin/account?flash=account.password_changed", here); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), e.msg("account.password_changed")) {
		t.Errorf("the session that changed the password: status %d, want 200 with the flash", rec.Code)
	}
	if rec := e.get(t, "/admin/", elsewhere); rec.Code != http.StatusSeeOther {
		t.Errorf("the other session after the change: status %d, want 303 (ended)", rec.Code)
	}
	if rec := e.login(t, e.anonymous(t), analystEmail, passwords[analystEmail]); rec.Code != http.StatusUnauthorized {
		t.Errorf("the old password: status %d, want 401", rec.Code)
	}
	e.signIn(t, analystEmail, newPW)
	wantAudit(t, e.st, "account.password", analystEmail, "other sessions ended")
}

var secretRE = regexp.MustCompile(`<code class="key">([A-Z2-7]{32})</code>`)

// TestTOTPSignIn: an admin enrols a TOTP second factor from a QR code; sign-in then asks for
// a code, good once; five wrong codes end the attempt; another admin can remove it.
func TestTOTPSignIn(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	const email = "hai.buoc@sipas.test"
	pw := "Mật-khẩu-hai-bước-5Tq!"
	e.secret(pw)
	storetest.MustCreateOfficial(t, e.st, email, auth.RoleAdmin, "", pw)
	s := e.signIn(t, email, pw)
	rec := e.send(t, http.MethodPost, "/admin/account/totp", form("_csrf", "{csrf}", "current", pw), "", s, nil)
	m := secretRE.FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || m == nil || !strings.Contains(rec.Body.String(), `src="data:image/png;base64,`) {
		t.Fatalf("start: status %d, want the QR code and the secret\n%.2000s", rec.Code, rec.Body.String())
	}
	secret := m[1]
	e.secret(secret)
	code := func(at time.Time) string {
		c, err := auth.TOTPCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if rec := e.send(t, http.MethodPost, "/admin/account/totp/confirm", form("_csrf", "{csrf}", "code", "000000"), "", s, nil); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("confirm with a wrong code: status %d, want 422", rec.Code)
	}
	// The enrolment code is of the step before, so that the sign-in below has a fresh one.
	if rec := e.send(t, http.MethodPost, "/admin/account/totp/confirm", form("_csrf", "{csrf}", "code", code(time.Now().Add(-30*time.Second))), "", s, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("confirm: status %d, want 303", rec.Code)
	}

	// Sign-in now takes two steps; the first gives a session that signs nobody in.
	b := e.anonymous(t)
	rec = e.login(t, b, email, pw)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/admin/login/code") {
		t.Fatalf("password of a TOTP account: status %d Location %q, want 303 to the code step", rec.Code, rec.Header().Get("Location"))
	}
	b.id = cookieValue(rec, sessionCookie)
	b.csrf = csrfToken(b.id)
	e.secret(b.id)
	if rec := e.get(t, "/admin/", b); rec.Code != http.StatusSeeOther {
		t.Errorf("the pending session before the code: status %d, want 303 to sign-in", rec.Code)
	}
	if rec := e.get(t, "/admin/login/code", b); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `autocomplete="one-time-code"`) {
		t.Errorf("code step: status %d", rec.Code)
	}
	rec = e.send(t, http.MethodPost, "/admin/login/code", form("_csrf", "{csrf}", "code", code(time.Now()), "next", "/admin/users"), "", b, nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/users" {
		t.Fatalf("code: status %d Location %q, want 303 to /admin/users", rec.Code, rec.Header().Get("Location"))
	}
	signedIn := &adminSession{id: cookieValue(rec, sessionCookie)}
	e.secret(signedIn.id)
	if signedIn.id == b.id || e.get(t, "/admin/", signedIn).Code != http.StatusOK || e.get(t, "/admin/", b).Code != http.StatusSeeOther {
		t.Error("the code step did not replace the pending session by a new, signed-in one")
	}

	// The same code again (a replayed or shoulder-surfed code), then four more wrong ones.
	c := e.anonymous(t)
	rec = e.login(t, c, email, pw)
	c.id = cookieValue(rec, sessionCookie)
	c.csrf = csrfToken(c.id)
	e.secret(c.id)
	for i := range store.MaxSecondFactorFailures {
		try := code(time.Now())
		if i > 0 {
			try = "00000" + strconv.Itoa(i)
		}
		if rec := e.send(t, http.MethodPost, "/admin/login/code", form("_csrf", "{csrf}", "code", try), "", c, nil); rec.Code != http.StatusUnauthorized {
			t.Errorf("wrong or used code %d: status %d, want 401", i+1, rec.Code)
		}
	}
	if rec := e.get(t, "/admin/login/code", c); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/login" {
		t.Errorf("after %d wrong codes: status %d, want the pending sign-in ended", store.MaxSecondFactorFailures, rec.Code)
	}

	// Lost phone: another admin removes the second factor; the password alone signs in.
	admin := e.sessions["admin"]
	id := strconv.FormatInt(storetest.MustFindOfficial(t, e.st, email).ID, 10)
	if rec := e.send(t, http.MethodPost, "/admin/users/"+id, form("_csrf", "{csrf}", "totp", "reset"), "", admin, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("reset: status %d", rec.Code)
	}
	if rec := e.get(t, "/admin/", signedIn); rec.Code != http.StatusSeeOther {
		t.Error("the official's sessions survived the reset of their second factor")
	}
	e.signIn(t, email, pw)
	wantAudit(t, e.st, "user.totp_reset", adminEmail, "second factor removed")
}

// TestScopedKeys: any key downloaded every agency's raw answers, issued receipts and sheets
// for any agency, set minted counts and read /metrics. Now a key does what its scopes say.
func TestScopedKeys(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	rival := rivals[0].code
	y := strconv.Itoa(e.year)
	key := func(scopes string) string {
		k, _ := storetest.MustCreateAPIKeyScopes(t, e.st, scopes)
		e.secret(k)
		return k
	}
	issuer, reader, answers, metricsKey := key("issue:"+ownAgency), key("reports:"+ownAgency), key("answers:*"), key("metrics")
	type call struct {
		method, path, body string
	}
	receipt := func(agency string) call {
		return call{"POST", "/api/v1/receipts", `{"agency":"` + agency + `"}`}
	}
	sheet := func(agency string) call {
		return call{"POST", "/api/v1/sheets", `{"agency":"` + agency + `","count":1}`}
	}
	minted := func(agency string) call {
		return call{"POST", "/api/v1/minted", `{"agency":"` + agency + `","date":"2026-01-05","count":10000000}`}
	}
	report := func(agency string) call {
		return call{"GET", "/api/v1/reports/index?year=" + y + "&baseline=2023&agency=" + agency, ""}
	}
	export := func(agency string) call { return call{"GET", "/api/v1/responses?year=" + y + "&agency=" + agency, ""} }
	metricsCall := call{"GET", "/metrics", ""}
	for _, tt := range []struct {
		key  string
		call call
		want int
	}{
		{issuer, receipt(ownAgency), http.StatusCreated},
		{issuer, receipt(rival), http.StatusForbidden},
		{issuer, sheet(ownAgency), http.StatusOK},
		{issuer, sheet(rival), http.StatusForbidden},
		{issuer, minted(rival), http.StatusForbidden},
		{issuer, report(ownAgency), http.StatusForbidden},
		{issuer, export(""), http.StatusForbidden},
		{issuer, metricsCall, http.StatusForbidden},
		{reader, report(ownAgency), http.StatusOK},
		{reader, report(""), http.StatusOK}, // confined to its one agency
		{reader, report(rival), http.StatusForbidden},
		{reader, export(ownAgency), http.StatusForbidden},
		{reader, receipt(ownAgency), http.StatusForbidden},
		{answers, export(""), http.StatusOK},
		{answers, export(rival), http.StatusOK},
		{answers, report(""), http.StatusForbidden},
		{answers, minted(ownAgency), http.StatusForbidden},
		{metricsKey, metricsCall, http.StatusOK},
		{metricsKey, report(""), http.StatusForbidden},
		{metricsKey, receipt(ownAgency), http.StatusForbidden},
	} {
		h := map[string]string{"Authorization": "Bearer " + tt.key, "Content-Type": "application/json"}
		rec := e.do(t, tt.call.method, tt.call.path, tt.call.body, h)
		if rec.Code != tt.want {
			t.Errorf("%s %s with key %.12s…: status %d, want %d\n%.300s", tt.call.method, tt.call.path, tt.key, rec.Code, tt.want, rec.Body.String())
		}
		if tt.want == http.StatusForbidden {
			checkAPIError(t, rec, "insufficient_scope")
		}
	}
	wantAudit(t, e.st, "report.download", "api:storetest", "agency="+ownAgency)

	// A key that expires works until then, and is no key after.
	soonKey, hash, prefix := auth.NewAPIKey()
	e.secret(soonKey)
	if _, err := e.st.CreateAPIKey(t.Context(), store.NewAPIKey{Name: "soon", Hash: hash, Prefix: prefix,
		Scopes: auth.Scopes{{Kind: auth.ScopeMetrics}}, ExpiresAt: e.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Authorization": "Bearer " + soonKey}
	if rec := e.do(t, "GET", "/metrics", "", h); rec.Code != http.StatusOK {
		t.Errorf("key before it expires: status %d, want 200", rec.Code)
	}
	e.clock.Advance(time.Hour)
	if rec := e.do(t, "GET", "/metrics", "", h); rec.Code != http.StatusUnauthorized {
		t.Errorf("expired key: status %d, want 401", rec.Code)
	}
}

// TestHeadersAndMetrics: no HSTS behind an https base URL, and /metrics was gzip inside
// gzip. Now HSTS goes with an https base URL, and /metrics is compressed once.
func TestHeadersAndMetrics(t *testing.T) {
	t.Parallel()
	e := newTestServer(t)
	key := storetest.MustCreateAPIKey(t, e.st)
	e.secret(key)
	rec := e.do(t, "GET", "/metrics", "", map[string]string{"Authorization": "Bearer " + key, "Accept-Encoding": "gzip"})
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("/metrics: status %d Content-Encoding %q, want 200 gzip", rec.Code, rec.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil || !bytes.HasPrefix(body, []byte("# HELP ")) {
		t.Errorf("/metrics unzipped once starts %q (%v), want the text format", body[:min(len(body), 20)], err)
	}
	if !bytes.Contains(body, []byte("sipas_login_password_checks_total")) {
		t.Error("/metrics lacks the password check counter")
	}
	if h := e.do(t, "GET", "/healthz", "", nil).Header().Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=") {
		t.Errorf("https base URL: Strict-Transport-Security = %q, want max-age", h)
	}
	plain := newTestServerConfig(t, Config{BaseURL: "http://127.0.0.1:8080"})
	if h := plain.do(t, "GET", "/healthz", "", nil).Header().Get("Strict-Transport-Security"); h != "" {
		t.Errorf("http base URL: Strict-Transport-Security = %q, want none", h)
	}
}

// TestKioskEnrolmentRefusesOtherSites: kiosk enrolment accepted a cross-origin POST, so
// another site could enrol a counter tablet's browser as a kiosk of the attacker's choosing.
// Now another site's POST is refused and the code stays unused.
func TestKioskEnrolmentRefusesOtherSites(t *testing.T) {
	t.Parallel()
	e := newKioskEnv(t, Config{})
	_, code := e.register(t, false)
	e.secret(string(code))
	body := form("code", code.ShortCode())
	for name, h := range map[string]map[string]string{
		"Origin":         {"Origin": "https://evil.example"},
		"Sec-Fetch-Site": {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
		"same-site":      {"Sec-Fetch-Site": "same-site"},
	} {
		h["Content-Type"] = "application/x-www-form-urlencoded"
		rec := e.do(t, http.MethodPost, "/kiosk/enrol", body, h)
		if rec.Code != http.StatusForbidden || cookieValue(rec, kioskCookie) != "" {
			t.Errorf("enrolment from another site (%s): status %d, want 403 and no device cookie", name, rec.Code)
		}
	}
	rec := e.do(t, http.MethodPost, "/kiosk/enrol", body, map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		"Origin": "null", "Sec-Fetch-Site": "same-origin"})
	if rec.Code != http.StatusSeeOther || cookieValue(rec, kioskCookie) == "" {
		t.Errorf("enrolment from the kiosk page itself: status %d, want 303 and the device cookie", rec.Code)
	}
	e.secret(cookieValue(rec, kioskCookie))
}
