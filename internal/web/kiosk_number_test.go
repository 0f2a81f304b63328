package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"sipas/internal/receipt"
)

// A receipt's 12-digit number opens it at a kiosk, typed with or without its spaces: the
// survey, the answer stored once, then "already answered". A wrong check digit is caught
// before any lookup and not counted; a number is never a citizen URL; an old receipt's
// number no longer opens it; the JSON path takes numbers too.
func TestKioskTakesReceiptNumbers(t *testing.T) {
	e := newKioskEnv(t, Config{})
	_, dev := e.enrol(t, false)
	tok := e.receipt(t)
	num := receipt.NumberOf(tok)
	e.secret(string(num), num.Grouped())

	rec := e.kiosk(t, http.MethodPost, "/kiosk/start", form("code", num.Grouped()), "", dev)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `name="receipt" id="k-receipt" value="`+string(num)+`"`) {
		t.Fatalf("the survey page does not carry the number\n%.1500s", rec.Body.String())
	}
	answer := form("receipt", string(num), "key", "number-key-0000000001", "A0", "4")
	wantStatus(t, e.kiosk(t, http.MethodPost, "/kiosk/submit", answer, "", dev), http.StatusSeeOther)
	if !e.answered(t, tok) {
		t.Fatal("the answer given by number did not answer the receipt")
	}
	wantStatus(t, e.kiosk(t, http.MethodPost, "/kiosk/start", form("code", string(num)), "", dev), http.StatusConflict)

	// A typo: caught by the check digit, said so, not a refusal.
	typo := []byte(num)
	typo[3] = '0' + (typo[3]-'0'+1)%10
	rec = e.kiosk(t, http.MethodPost, "/kiosk/start", form("code", string(typo)), "", dev)
	wantStatus(t, rec, http.StatusNotFound)
	if !strings.Contains(rec.Body.String(), e.msg("mistyped.title")) {
		t.Errorf("a mistyped number is not called one\n%.1500s", rec.Body.String())
	}
	if got := refusalCounts(t, e.st); got[receipt.RefusalUnknownToken] != 0 || got[receipt.RefusalReusedToken] != 1 {
		t.Errorf("refusals = %v, want only the reused number", got)
	}

	// Numbers are for kiosks only: /s/NUMBER is no survey.
	fresh := e.receipt(t)
	wantStatus(t, e.do(t, http.MethodGet, "/s/"+string(receipt.NumberOf(fresh)), "", nil), http.StatusNotFound)

	// The JSON path: check, then submit, by number.
	freshNum := string(receipt.NumberOf(fresh))
	rec = e.kiosk(t, http.MethodPost, "/kiosk/api/check", `{"receipt":"`+receipt.NumberOf(fresh).Grouped()+`"}`, "application/json", dev)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `"receipt":"`+freshNum+`"`) {
		t.Errorf("check: %s, want the canonical number", rec.Body)
	}
	wantStatus(t, e.submitJSON(t, dev, map[string]any{"key": "number-key-0000000002", "receipt": freshNum, "answers": map[string]string{"A0": "5"}}), http.StatusOK)
	if !e.answered(t, fresh) {
		t.Error("the queued answer by number did not answer the receipt")
	}

	// After receipt.NumberValidity a number opens nothing; the token still does.
	old := e.receipt(t)
	e.clock.Advance(receipt.NumberValidity + time.Hour)
	wantStatus(t, e.kiosk(t, http.MethodPost, "/kiosk/start", form("code", string(receipt.NumberOf(old))), "", dev), http.StatusNotFound)
	wantStatus(t, e.kiosk(t, http.MethodPost, "/kiosk/start", form("code", old.ShortCode()), "", dev), http.StatusOK)
}

// Guessing numbers at a kiosk is charged to the kiosk: past its 20 the kiosk gets 429 for a
// while, whatever address it is at, while another kiosk behind the same address does not. A
// held-back kiosk has no number looked up at all (else its guesses would still be tried: a
// valid receipt is never refused), even a real one; the receipt's short code still opens it.
func TestKioskRefusalLimit(t *testing.T) {
	e := newKioskEnv(t, Config{})
	_, dev := e.enrol(t, false)
	_, other := e.enrol(t, false)
	guess := func(dev string) int {
		n := receipt.NumberOf(mustToken(t))
		return e.kiosk(t, http.MethodPost, "/kiosk/start", form("code", string(n)), "", dev).Code
	}
	for i := range DefaultKioskRefusals.Burst {
		if got := guess(dev); got != http.StatusNotFound {
			t.Fatalf("guess %d: %d, want 404", i, got)
		}
	}
	rec := e.kiosk(t, http.MethodPost, "/kiosk/start", form("code", string(receipt.NumberOf(mustToken(t)))), "", dev)
	wantStatus(t, rec, http.StatusTooManyRequests)
	if !strings.Contains(rec.Body.String(), e.msg("heldback.title")) || rec.Header().Get("Retry-After") != "60" {
		t.Errorf("held back: Retry-After %q, body lacks %q", rec.Header().Get("Retry-After"), e.msg("heldback.title"))
	}
	if got := guess(other); got != http.StatusNotFound {
		t.Errorf("another kiosk at the same address: %d, want 404", got)
	}
	tok := e.receipt(t)
	wantStatus(t, e.kiosk(t, http.MethodPost, "/kiosk/start", form("code", receipt.NumberOf(tok).Grouped()), "", dev), http.StatusTooManyRequests)
	wantStatus(t, e.submitJSON(t, dev, map[string]any{"key": "held-back-number-0001", "receipt": string(receipt.NumberOf(tok)), "answers": map[string]string{"A0": "5"}}), http.StatusTooManyRequests)
	if e.answered(t, tok) {
		t.Error("a held-back kiosk answered a receipt by its number")
	}
	wantStatus(t, e.kiosk(t, http.MethodPost, "/kiosk/start", form("code", tok.ShortCode()), "", dev), http.StatusOK)
	if got := refusalCounts(t, e.st); got[receipt.RefusalUnknownToken] != 21 || got[receipt.RefusalRateLimited] != 3 {
		t.Errorf("refusals = %v, want 21 unknown and 3 held back", got)
	}
}
