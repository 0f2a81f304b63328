package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"sipas/internal/readback"
	"sipas/internal/receipt"
	"sipas/internal/store"
)

// The kiosk in a real browser at tablet size (1024×768), against the real server on
// 127.0.0.1: enrolment, answers with and without a receipt, the idle reset, and the offline
// queue. Without Chromium the tests are skipped locally and fail on CI (CI=true).

// kioskBrowser starts a headless Chromium and returns a tab, and the JavaScript errors the
// pages raised (checked when the test ends).
func kioskBrowser(t *testing.T, timeout time.Duration, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	tab := readback.Browser(t, timeout, append([]chromedp.ExecAllocatorOption{chromedp.WindowSize(1024, 768)}, opts...)...)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1024, 768, chromedp.EmulateTouch)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	var mu sync.Mutex
	var jsErrors []string
	exceptions := chromedp.Events(tab, runtime.ExceptionThrown)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			msg := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
			mu.Lock()
			jsErrors = append(jsErrors, msg)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range jsErrors {
			t.Errorf("JavaScript error: %s", e)
		}
	})
	return tab
}

// liveKiosk is the server on a real listener that a test can stop and start again on the
// same address (the network going away), and that can lose the answers to submissions it
// has stored (the worst a bad network does: the kiosk must send again, and nothing may be
// counted twice).
type liveKiosk struct {
	*kioskEnv
	addr string
	URL  string

	mu      sync.Mutex
	hs      *http.Server
	drop    int // submissions still to store and then answer with a dropped connection
	hold    int // submissions still to answer 429 (the kiosk held back) without storing them
	dropped int // submissions stored whose answer was dropped
	submits int // requests to /kiosk/api/submit
}

func startLiveKiosk(t *testing.T) *liveKiosk {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	lk := &liveKiosk{kioskEnv: newKioskEnv(t, Config{BaseURL: "http://" + addr}), addr: addr, URL: "http://" + addr}
	lk.serve(ln)
	t.Cleanup(lk.stop)
	return lk
}

func (lk *liveKiosk) serve(ln net.Listener) {
	hs := &http.Server{Handler: http.HandlerFunc(lk.handle), ReadHeaderTimeout: 5 * time.Second}
	lk.mu.Lock()
	lk.hs = hs
	lk.mu.Unlock()
	go hs.Serve(ln)
}

func (lk *liveKiosk) handle(w http.ResponseWriter, r *http.Request) {
	lk.mu.Lock()
	submit := r.URL.Path == "/kiosk/api/submit"
	hold := submit && lk.hold > 0
	drop := submit && !hold && lk.drop > 0
	if submit {
		lk.submits++
	}
	if hold {
		lk.hold--
	}
	if drop {
		lk.drop--
	}
	lk.mu.Unlock()
	if hold {
		w.Header().Set("Retry-After", "1")
		http.Error(w, `{"error":{"code":"rate_limited","message":"held back"}}`, http.StatusTooManyRequests)
		return
	}
	if !drop {
		lk.srv.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	lk.srv.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		lk.mu.Lock()
		lk.dropped++
		lk.mu.Unlock()
	}
	if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
		c.Close()
	}
}

// stop closes the listener and every connection: the server is unreachable.
func (lk *liveKiosk) stop() {
	lk.mu.Lock()
	hs := lk.hs
	lk.hs = nil
	lk.mu.Unlock()
	if hs != nil {
		hs.Close()
	}
}

// restart serves again on the same address.
func (lk *liveKiosk) restart(t *testing.T) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", lk.addr); err == nil {
			lk.serve(ln)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("listen on %s again: %v", lk.addr, err)
}

// browserEnrol enrols the browser as a kiosk through the enrolment page, as a clerk does.
func (lk *liveKiosk) browserEnrol(t *testing.T, tab context.Context, code receipt.Token) {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.Navigate(lk.URL+"/kiosk/enrol"),
		chromedp.WaitVisible(chromedp.ID("k-code-input")),
		chromedp.SendKeys(chromedp.ID("k-code-input"), strings.ToLower(code.ShortCode())),
		chromedp.Click(chromedp.CSS(`#k-enrol button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("k-start")),
	); err != nil {
		t.Fatalf("enrol in the browser: %v", err)
	}
}

// within runs the actions with their own deadline.
func within(t *testing.T, tab context.Context, d time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, d)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, pageState(tab))
	}
}

// pageState describes the page for a failure message: where it is and what it shows.
func pageState(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + '\n' + [...document.querySelectorAll('.k-screen')].map(e => e.id + (e.hidden ? ' hidden' : ' shown')).join(', ') + '\n' + document.body.innerText.slice(0, 800)`))
	if err != nil {
		return "(page state: " + err.Error() + ")"
	}
	return s
}

func jsValue[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition.
func waitFor(t *testing.T, tab context.Context, d time.Duration, what, expr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, d)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// answer taps one answer per question code (value 1–5) on the visible survey and submits.
func answer(t *testing.T, tab context.Context, answers map[string]int) {
	t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for code, v := range answers {
		steps = append(steps, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#k-form input[name=%q][value="%d"] + span`, code, v))))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(`#k-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("k-done")))
	within(t, tab, 30*time.Second, "answer the survey", steps...)
}

// startWithCode types a receipt's short code on the start screen.
func startWithCode(t *testing.T, tab context.Context, code string) {
	t.Helper()
	within(t, tab, 30*time.Second, "start with a code",
		chromedp.WaitVisible(chromedp.ID("k-start")),
		chromedp.SendKeys(chromedp.ID("k-code-input"), code),
		chromedp.Click(chromedp.CSS(`#k-code button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("k-survey")),
	)
}

func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SIPAS_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	b, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
}

// TestKioskBrowserFlow: enrol, answer with a receipt's short code and without a receipt, and
// see the screen return to the start by itself after each answer.
func TestKioskBrowserFlow(t *testing.T) {
	tab := kioskBrowser(t, 90*time.Second)
	lk := startLiveKiosk(t)
	_, code := lk.register(t, true)
	tok := lk.receipt(t)
	lk.browserEnrol(t, tab, code)
	screenshot(t, tab, "kiosk-start.png")

	h1, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#k-start h1")))
	if err != nil || h1 != "Đánh giá sự hài lòng" {
		t.Errorf("start screen h1 = %q, %v", h1, err)
	}
	overflow := jsValue[bool](t, tab, `document.documentElement.scrollWidth > window.innerWidth`)
	if overflow {
		t.Error("the kiosk scrolls sideways at 1024 px")
	}

	// With the receipt's short code, typed as a person would.
	startWithCode(t, tab, strings.ToLower(tok.ShortCode()))
	if got := jsValue[string](t, tab, `document.getElementById('k-receipt').value`); got != string(tok) {
		t.Errorf("receipt field = %q, want the canonical token", got)
	}
	// Big touch targets: every answer button is at least 64 px high and wide.
	small := jsValue[int](t, tab, `[...document.querySelectorAll('#k-form .k-opt span')].filter(s => { const r = s.getBoundingClientRect(); return r.height < 64 || r.width < 64; }).length`)
	if small != 0 {
		t.Errorf("%d answer buttons are smaller than 64×64 px", small)
	}
	screenshot(t, tab, "kiosk-survey.png")
	answer(t, tab, map[string]int{"A0": 5, "B0": 4, "C0": 4, "D0": 5, "E0": 3})
	thanks, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#k-done h1")))
	if thanks != "Cảm ơn Ông/Bà đã đánh giá" {
		t.Errorf("thanks = %q", thanks)
	}
	// Back to the start by itself (6 s), cleared for the next citizen.
	within(t, tab, 12*time.Second, "auto reset after the answer", chromedp.WaitVisible(chromedp.ID("k-start")))
	if n := jsValue[int](t, tab, `document.querySelectorAll('#k-form input:checked').length`); n != 0 {
		t.Errorf("%d answers still checked after the reset", n)
	}
	if v := jsValue[string](t, tab, `document.getElementById('k-code-input').value`); v != "" {
		t.Errorf("code field = %q after the reset", v)
	}
	waitFor(t, tab, 10*time.Second, "the answer to be sent", `document.getElementById('k-pending').hidden`)
	rows := lk.responses(t)
	if len(rows) != 1 || !rows[0].HasReceipt || rows[0].Answers != "A0:5 B0:4 C0:4 D0:5 E0:3" || rows[0].Source != "kiosk" {
		t.Fatalf("responses = %+v", rows)
	}
	if !lk.answered(t, tok) {
		t.Error("the receipt is not answered")
	}

	// The same code again is refused on the spot.
	within(t, tab, 10*time.Second, "reuse the code",
		chromedp.SendKeys(chromedp.ID("k-code-input"), tok.ShortCode()),
		chromedp.Click(chromedp.CSS(`#k-code button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("k-error")),
	)
	if msg, _ := chromedp.Run(tab, chromedp.Text(chromedp.ID("k-error"))); msg != "Phiếu này đã được gửi trước đó" {
		t.Errorf("error = %q", msg)
	}

	// Without a receipt.
	within(t, tab, 10*time.Second, "start without a receipt",
		chromedp.Click(chromedp.CSS(`#k-anon button`)),
		chromedp.WaitVisible(chromedp.ID("k-survey")),
	)
	// Two submissions at once (a double tap on a slow tablet) are one answer, sent once.
	lk.mu.Lock()
	before := lk.submits
	lk.mu.Unlock()
	within(t, tab, 30*time.Second, "answer with a double tap",
		chromedp.Click(chromedp.CSS(`#k-form input[name="A0"][value="2"] + span`)),
		chromedp.Evaluate[chromedp.Void](`(f => { f.requestSubmit(); f.requestSubmit(); })(document.getElementById('k-form'))`),
		chromedp.WaitVisible(chromedp.ID("k-done")),
	)
	within(t, tab, 12*time.Second, "auto reset after the second answer", chromedp.WaitVisible(chromedp.ID("k-start")))
	waitFor(t, tab, 10*time.Second, "the answer to be sent", `document.getElementById('k-pending').hidden`)
	rows = lk.responses(t)
	if len(rows) != 2 || rows[1].HasReceipt || rows[1].Answers != "A0:2" {
		t.Errorf("responses = %+v, want a second one without a receipt", rows)
	}
	lk.mu.Lock()
	if n := lk.submits - before; n != 1 {
		t.Errorf("the double tap sent %d submissions, want 1", n)
	}
	lk.mu.Unlock()
	// A second answer without a receipt right away is held back on the tablet (20 s).
	within(t, tab, 10*time.Second, "start without a receipt again",
		chromedp.Click(chromedp.CSS(`#k-anon button`)),
		chromedp.WaitVisible(chromedp.ID("k-error")),
	)
}

// TestKioskBrowserIdleReset: with a 15 s idle time the survey shows a countdown, a touch
// restarts it, and without one the kiosk goes back to the start screen, cleared.
func TestKioskBrowserIdleReset(t *testing.T) {
	tab := kioskBrowser(t, 90*time.Second)
	lk := startLiveKiosk(t)
	code, err := receipt.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	lk.secret(string(code))
	if _, err := lk.st.CreateKiosk(t.Context(), store.NewKiosk{AgencyCode: testAgency, Counter: "Quầy 1", IdleSeconds: 15, EnrolHash: code.Hash()}); err != nil {
		t.Fatal(err)
	}
	lk.browserEnrol(t, tab, code)
	tok := lk.receipt(t)
	startWithCode(t, tab, tok.ShortCode())
	within(t, tab, 5*time.Second, "the countdown", chromedp.WaitVisible(chromedp.ID("k-idle")))
	left := func() int { return jsValue[int](t, tab, `Number(document.getElementById('k-idle-n').textContent)`) }
	if n := left(); n < 14 || n > 15 {
		t.Errorf("countdown starts at %d, want 15", n)
	}
	time.Sleep(3 * time.Second)
	if n := left(); n > 13 {
		t.Errorf("countdown at %d after 3 s, want it counting down", n)
	}
	within(t, tab, 5*time.Second, "tap an answer", chromedp.Click(chromedp.CSS(`#k-form input[name="A0"][value="4"] + span`)))
	if n := left(); n < 14 {
		t.Errorf("countdown at %d after a tap, want it back at 15", n)
	}
	start := time.Now()
	within(t, tab, 25*time.Second, "the idle reset", chromedp.WaitVisible(chromedp.ID("k-start")))
	if d := time.Since(start); d < 12*time.Second {
		t.Errorf("reset after %v, want about 15 s", d)
	}
	if n := jsValue[int](t, tab, `document.querySelectorAll('#k-form input:checked').length`); n != 0 {
		t.Errorf("%d answers still checked after the idle reset", n)
	}
	if n := len(lk.responses(t)); n != 0 {
		t.Errorf("%d responses stored by an abandoned survey", n)
	}
	if lk.answered(t, tok) {
		t.Error("the abandoned receipt is answered")
	}
}

// TestKioskBrowserOffline: the network goes away (browser offline and server unreachable);
// four answers wait on the tablet, the kiosk reloads from its service worker, and when the
// network is back the queue drains: exactly one row per answer, even though the first
// submission is held back with 429 and the server's answers to two are lost on the way.
func TestKioskBrowserOffline(t *testing.T) {
	tab := kioskBrowser(t, 150*time.Second)
	lk := startLiveKiosk(t)
	_, code := lk.register(t, true)
	toks := []receipt.Token{lk.receipt(t), lk.receipt(t), lk.receipt(t)}
	lk.browserEnrol(t, tab, code)

	// The service worker controls the kiosk and keeps its shell.
	waitFor(t, tab, 15*time.Second, "the service worker", `navigator.serviceWorker.controller !== null`)
	waitFor(t, tab, 15*time.Second, "the kept shell",
		`caches.open('sipas-kiosk-v1').then(c => c.keys()).then(k => k.some(r => new URL(r.url).pathname === '/kiosk') && k.some(r => r.url.includes('kiosk.js')))`)

	goOffline(t, tab, true)
	lk.stop()
	waitFor(t, tab, 5*time.Second, "the offline notice", `!document.getElementById('k-offline').hidden`)

	for i, tok := range toks {
		startWithCode(t, tab, tok.ShortCode())
		answer(t, tab, map[string]int{"A0": 1 + i, "E0": 5})
		within(t, tab, 5*time.Second, "back to the start", chromedp.Click(chromedp.ID("k-done-back")), chromedp.WaitVisible(chromedp.ID("k-start")))
	}
	within(t, tab, 5*time.Second, "start without a receipt", chromedp.Click(chromedp.CSS(`#k-anon button`)), chromedp.WaitVisible(chromedp.ID("k-survey")))
	answer(t, tab, map[string]int{"C0": 4})
	within(t, tab, 5*time.Second, "back to the start", chromedp.Click(chromedp.ID("k-done-back")), chromedp.WaitVisible(chromedp.ID("k-start")))

	waitFor(t, tab, 5*time.Second, "4 waiting", `document.getElementById('k-pending-n').textContent === '4' && !document.getElementById('k-pending').hidden`)
	if text, _ := chromedp.Run(tab, chromedp.Text(chromedp.ID("k-pending"))); text != "4 phiếu chờ gửi" {
		t.Errorf("pending notice = %q, want \"4 phiếu chờ gửi\"", text)
	}
	screenshot(t, tab, "kiosk-offline.png")
	if n := len(lk.responses(t)); n != 0 {
		t.Fatalf("%d responses stored while offline, want 0", n)
	}

	// Reload while offline: the service worker serves the kiosk, and the queue is still there.
	within(t, tab, 15*time.Second, "reload offline", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("k-start")))
	waitFor(t, tab, 5*time.Second, "4 still waiting after the reload", `document.getElementById('k-pending-n').textContent === '4'`)
	if h1, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#k-start h1"))); h1 != "Đánh giá sự hài lòng" {
		t.Errorf("offline reload shows %q", h1)
	}

	// The network comes back; the kiosk's first submission is held back (429), and the
	// answers to the next two are lost on the way. A held-back answer waits and goes again.
	lk.mu.Lock()
	lk.hold, lk.drop = 1, 2
	lk.mu.Unlock()
	lk.restart(t)
	goOffline(t, tab, false)
	waitFor(t, tab, 60*time.Second, "the queue to drain", `document.getElementById('k-pending').hidden`)

	rows := lk.responses(t)
	if len(rows) != 4 {
		t.Fatalf("%d responses after the queue drained, want 4: %+v", len(rows), rows)
	}
	ids := map[string]bool{}
	withReceipt := 0
	for _, r := range rows {
		if ids[r.ResponseID] {
			t.Errorf("response %s twice", r.ResponseID)
		}
		ids[r.ResponseID] = true
		if r.HasReceipt {
			withReceipt++
		}
		if r.Source != "kiosk" || r.SurveyID != "sipas-quick" {
			t.Errorf("response %+v", r)
		}
	}
	if withReceipt != 3 {
		t.Errorf("%d responses with a receipt, want 3", withReceipt)
	}
	for _, tok := range toks {
		if !lk.answered(t, tok) {
			t.Errorf("receipt %v is not answered", tok.LogValue())
		}
	}
	lk.mu.Lock()
	dropped := lk.dropped
	lk.mu.Unlock()
	if dropped != 2 {
		t.Errorf("%d stored submissions lost their answer, want 2 (the test did not exercise the replays)", dropped)
	}
}

// goOffline switches the browser's network off or on: requests of the page and of its
// service worker fail, and navigator.onLine and the online/offline events follow.
func goOffline(t *testing.T, tab context.Context, offline bool) {
	t.Helper()
	conds := []*network.Conditions{}
	if offline {
		conds = append(conds, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
	}
	sw := offline
	if _, err := chromedp.Call(tab, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &sw, MatchedNetworkConditions: conds,
	}); err != nil {
		t.Fatalf("emulate network conditions: %v", err)
	}
	if _, err := chromedp.Call(tab, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, DownloadThroughput: -1, UploadThroughput: -1,
	}); err != nil {
		t.Fatalf("override network state: %v", err)
	}
}
