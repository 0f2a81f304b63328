package web

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"sipas/internal/store/storetest"
)

// A valid answer the store cannot take (the disk full: writes fail, reads work) is not
// thrown away: the citizen gets the form back as sent, told to press Submit again, and the
// failure is logged, not shown.
func TestStoreFailureKeepsTheForm(t *testing.T) {
	ts := newTestServer(t)
	tok := ts.receipt(t)
	storetest.MustFailWrites(t, ts.st, "responses")
	rec := from(ts.srv, "192.0.2.30:1", "/s/"+string(tok), "A1=4&A2=5&comment=Th%E1%BB%A7+t%E1%BB%A5c+nhanh")
	if rec.Code != http.StatusInternalServerError && rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("a failed write: %d, want 500 or 503", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{`name="A1" value="4" checked`, `name="A2" value="5" checked`, ">Thủ tục nhanh</textarea>", "vui lòng bấm Gửi đánh giá lại"} {
		if !strings.Contains(body, want) {
			t.Errorf("the form after a failed write lacks %q", want)
		}
	}
	for _, leak := range append(leaks, "disk is full", string(tok)) {
		if strings.Contains(body, leak) {
			t.Errorf("the page shows %q", leak)
		}
	}
	if !strings.Contains(ts.logs.String(), "disk is full") {
		t.Error("the failure was not logged")
	}
	if ts.answered(t, tok) {
		t.Error("the receipt is answered")
	}
	if c := refusalCounts(t, ts.st); len(c) != 0 {
		t.Errorf("a failure of sipas was counted as the citizen's refusal: %v", c)
	}
}

// Behind a proxy sipas was not told about, every citizen has the proxy's address: the first
// request carrying X-Forwarded-For says so in the log, once; with the proxy trusted, nothing.
func TestWarnsOfUntrustedForwardedFor(t *testing.T) {
	ts := newTestServer(t)
	for range 3 {
		do(ts.srv, http.MethodGet, "/healthz", "", "", "X-Forwarded-For", "203.0.113.7")
	}
	if n := strings.Count(ts.logs.String(), "no trusted proxy is configured"); n != 1 {
		t.Errorf("the warning was logged %d times, want once\n%s", n, ts.logs)
	}
	if strings.Contains(ts.logs.String(), "203.0.113.7") {
		t.Error("the warning logs a client's address")
	}
	_, proxy, _ := net.ParseCIDR("192.0.2.0/24")
	quiet := newTestServerConfig(t, Config{TrustedProxies: []*net.IPNet{proxy}})
	do(quiet.srv, http.MethodGet, "/healthz", "", "", "X-Forwarded-For", "203.0.113.7")
	if strings.Contains(quiet.logs.String(), "no trusted proxy") {
		t.Error("warned although a proxy is trusted")
	}
}
