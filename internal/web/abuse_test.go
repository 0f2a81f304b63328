package web

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"sipas/internal/receipt"
	"sipas/internal/store/storetest"
)

// Abuse resistance of the citizen routes: the per-address submission limit, the refusal
// counts, and /metrics.

func unknownToken(t *testing.T) string {
	t.Helper()
	tok, err := receipt.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

// from serves one POST /s/… as if it came from remote (host:port), with extra headers.
func from(srv http.Handler, remote, path, body string, hdr ...string) *httptest.ResponseRecorder {
	req := newRequest(http.MethodPost, path, formType, body, hdr...)
	req.RemoteAddr = remote
	return serve(srv, req)
}

func TestRefusalLimitPerAddress(t *testing.T) {
	srv, st, q, _ := newLoggedServer(t, Config{AddressRefusals: RefusalLimit{Burst: 2}})
	form := validForm(q, "").Encode()
	for i := range 2 {
		if rec := from(srv, "192.0.2.1:4000", "/s/"+unknownToken(t), form); rec.Code != http.StatusNotFound {
			t.Fatalf("refusal %d: %d, want 404 (unknown token, not yet held back)", i, rec.Code)
		}
	}
	rec := from(srv, "192.0.2.1:4001", "/s/"+unknownToken(t), form)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("third refusal from one address: %d, want 429", rec.Code)
	}
	if got := rec.Header().Get("Retry-After"); got != "60" {
		t.Errorf("429 with Retry-After %q, want 60 (the first backoff)", got)
	}
	// Without trusted proxies X-Forwarded-For is not believed: it cannot buy a new address.
	if rec := from(srv, "192.0.2.1:4002", "/s/"+unknownToken(t), form, "X-Forwarded-For", "203.0.113.9"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("spoofed X-Forwarded-For: %d, want 429", rec.Code)
	}
	if rec := from(srv, "192.0.2.2:4000", "/s/"+unknownToken(t), form); rec.Code != http.StatusNotFound {
		t.Errorf("another address: %d, want 404 (not held back)", rec.Code)
	}
	// Probing by GET is held back too; a citizen's valid receipt is not, page or answer.
	get := newRequest(http.MethodGet, "/s/"+unknownToken(t), "", "")
	get.RemoteAddr = "192.0.2.1:4003"
	if rec := serve(srv, get); rec.Code != http.StatusTooManyRequests {
		t.Errorf("GET of an unknown token from the held-back address: %d, want 429", rec.Code)
	}
	tok := storetest.MustCreateReceipt(t, st, "MG.STP")
	get = newRequest(http.MethodGet, "/s/"+string(tok), "", "")
	get.RemoteAddr = "192.0.2.1:4004"
	if rec := serve(srv, get); rec.Code != http.StatusOK {
		t.Errorf("GET of a valid receipt from the held-back address: %d, want 200", rec.Code)
	}
	if rec := from(srv, "192.0.2.1:4005", "/s/"+string(tok), form); rec.Code != http.StatusSeeOther {
		t.Errorf("a valid answer from the held-back address: %d, want 303", rec.Code)
	}
}

func TestRefusalLimitBehindTrustedProxy(t *testing.T) {
	_, proxy, _ := net.ParseCIDR("10.0.0.0/8")
	srv, _, q, _ := newLoggedServer(t, Config{AddressRefusals: RefusalLimit{Burst: 1}, TrustedProxies: []*net.IPNet{proxy}})
	form := validForm(q, "").Encode()
	// Two citizens behind the proxy are two addresses.
	for _, client := range []string{"203.0.113.1", "203.0.113.2"} {
		if rec := from(srv, "10.0.0.5:5000", "/s/"+unknownToken(t), form, "X-Forwarded-For", client); rec.Code != http.StatusNotFound {
			t.Errorf("first refusal of %s: %d, want 404", client, rec.Code)
		}
	}
	if rec := from(srv, "10.0.0.5:5000", "/s/"+unknownToken(t), form, "X-Forwarded-For", "203.0.113.1"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("second refusal of 203.0.113.1: %d, want 429", rec.Code)
	}
	// A client cannot prepend its own X-Forwarded-For entries: the nearest untrusted one counts.
	if rec := from(srv, "10.0.0.5:5000", "/s/"+unknownToken(t), form, "X-Forwarded-For", "198.51.100.1, 203.0.113.1"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("forged leftmost X-Forwarded-For: %d, want 429", rec.Code)
	}
	// An untrusted peer's X-Forwarded-For is ignored.
	if rec := from(srv, "192.0.2.7:5000", "/s/"+unknownToken(t), form, "X-Forwarded-For", "203.0.113.1"); rec.Code != http.StatusNotFound {
		t.Errorf("untrusted peer: %d, want 404 (its own address is not held back yet)", rec.Code)
	}
	// One IPv6 subscriber is its /64: another address of the same /64 shares its budget.
	if rec := from(srv, "10.0.0.5:5000", "/s/"+unknownToken(t), form, "X-Forwarded-For", "2001:db8:1:2::1"); rec.Code != http.StatusNotFound {
		t.Errorf("first refusal of an IPv6 address: %d, want 404", rec.Code)
	}
	if rec := from(srv, "10.0.0.5:5000", "/s/"+unknownToken(t), form, "X-Forwarded-For", "2001:db8:1:2:aaaa::9"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("the same /64 again: %d, want 429", rec.Code)
	}
}

func TestRefusalsAreCounted(t *testing.T) {
	srv, st, q, _ := newLoggedServer(t, Config{})
	key := storetest.MustCreateAPIKey(t, st)
	tok := storetest.MustCreateReceipt(t, st, "MG.STP")
	valid := validForm(q, "tốt").Encode()
	invalid := validForm(q, "")
	invalid.Set(q.Codes()[0], "0")
	steps := []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPost, "/s/" + unknownToken(t), valid, http.StatusNotFound},                                             // unknown_token
		{http.MethodPost, "/s/NOT-A-TOKEN", valid, http.StatusNotFound},                                                    // unknown_token
		{http.MethodGet, "/s/" + unknownToken(t), "", http.StatusNotFound},                                                 // unknown_token (probing)
		{http.MethodPost, "/s/" + string(tok), invalid.Encode(), http.StatusUnprocessableEntity},                           // invalid_answers
		{http.MethodPost, "/s/" + string(tok), "comment=" + strings.Repeat("a", 70<<10), http.StatusRequestEntityTooLarge}, // too_large
		{http.MethodPost, "/s/" + string(tok), valid, http.StatusSeeOther},
		{http.MethodPost, "/s/" + string(tok), valid, http.StatusConflict}, // reused_token
		{http.MethodGet, "/s/" + string(tok), "", http.StatusConflict},     // not counted: the citizen came back
	}
	for _, s := range steps {
		ctype := ""
		if s.method == http.MethodPost {
			ctype = formType
		}
		if rec := serve(srv, newRequest(s.method, s.path, ctype, s.body)); rec.Code != s.want {
			t.Errorf("%s %.20s: %d, want %d", s.method, s.path, rec.Code, s.want)
		}
	}
	counts := refusalCounts(t, st)
	want := map[string]int64{receipt.RefusalUnknownToken: 3, receipt.RefusalInvalidAnswers: 1, receipt.RefusalTooLarge: 1, receipt.RefusalReusedToken: 1}
	for reason, n := range want {
		if counts[reason] != n {
			t.Errorf("refusals[%s] = %d, want %d (all: %v)", reason, counts[reason], n, counts)
		}
	}
	if len(counts) != len(want) {
		t.Errorf("refusal reasons = %v, want exactly %v", counts, want)
	}

	// The same figures, and the submission, in /metrics.
	rec := serve(srv, newRequest(http.MethodGet, "/metrics", "", "", "Authorization", "Bearer "+key))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, line := range []string{
		`sipas_refusals_total{reason="unknown_token"} 3`,
		`sipas_refusals_total{reason="rate_limited"} 0`,
		`sipas_refusals_total{reason="too_large"} 1`,
		`sipas_submissions_total 1`,
		`sipas_http_requests_total{method="POST",route="/s/:token",status="303"} 1`,
		`sipas_http_requests_total{method="POST",route="/s/:token",status="409"} 1`,
		`sipas_store_write_batch_size_count 1`,
		`sipas_http_request_duration_seconds_bucket{method="POST",route="/s/:token",le="+Inf"} 6`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	if strings.Contains(body, string(tok)) || strings.Contains(strings.ToLower(body), strings.ToLower(string(tok))) {
		t.Error("/metrics shows a token")
	}
}

func TestMetricsNeedAnAPIKey(t *testing.T) {
	srv, _, _, _ := newLoggedServer(t, Config{})
	for _, auth := range []string{"", "Bearer nope"} {
		rec := serve(srv, newRequest(http.MethodGet, "/metrics", "", "", "Authorization", auth))
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"unauthorized"`) {
			t.Errorf("/metrics with %q: %d %s, want 401 JSON", auth, rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "sipas_") {
			t.Error("/metrics without a key shows metrics")
		}
	}
}
