package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sipas/internal/calendar"
	"sipas/internal/receipt"
)

// secret creates a token secret of the test agency, as the admin page or the CLI does.
func (e *kioskEnv) tokenSecret(t *testing.T) receipt.Secret {
	t.Helper()
	key, err := receipt.NewSecretKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.st.CreateTokenSecret(t.Context(), testAgency, key)
	if err != nil {
		t.Fatal(err)
	}
	return receipt.Secret{ID: s.ID, Key: key}
}

// mint mints a token of sec dated days days from the store clock's today, as offline
// software does.
func (e *kioskEnv) mint(t *testing.T, sec receipt.Secret, days int, serial uint32) receipt.Token {
	t.Helper()
	tok, err := receipt.Mint(sec, e.clock.Now().AddDate(0, 0, days), serial)
	if err != nil {
		t.Fatal(err)
	}
	e.secret(string(tok))
	return tok
}

// opened is how many minted receipts of the secret exist.
func (e *kioskEnv) opened(t *testing.T, id uint32) int64 {
	t.Helper()
	s, err := e.st.FindTokenSecret(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s.Scanned
}

// flip changes one character of the MAC part of a signed token (the padding stays valid).
func flip(tok receipt.Token) receipt.Token {
	b := []byte(tok)
	if b[18] == 'A' {
		b[18] = 'B'
	} else {
		b[18] = 'A'
	}
	return receipt.Token(b)
}

func TestSignedTokens(t *testing.T) {
	e := newKioskEnv(t, Config{})
	sec := e.tokenSecret(t)
	tok := e.mint(t, sec, 0, 1)

	// First scan: the survey, and the receipt is created, once.
	rec := e.do(t, "GET", "/S/"+string(tok), "", nil)
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec, testAgencyName)
	rec = e.do(t, "GET", "/s/"+strings.ToLower(tok.ShortCode()), "", nil)
	wantStatus(t, rec, http.StatusOK)
	if n := e.opened(t, sec.ID); n != 1 {
		t.Fatalf("%d receipts after two openings, want 1", n)
	}
	rc, err := e.st.FindReceiptByTokenHash(t.Context(), tok.Hash())
	if err != nil || rc.Source != "minted" || rc.Channel != "counter" || rc.AgencyCode != testAgency {
		t.Errorf("minted receipt = %+v, %v", rc, err)
	}

	// Answer, then the replay is 409 and the first answer is kept.
	wantStatus(t, e.do(t, "POST", "/s/"+string(tok), form("A1", "5", "comment", "lần đầu"), formHeaders), http.StatusSeeOther)
	e.secret("lần đầu")
	wantStatus(t, e.do(t, "GET", "/s/"+string(tok), "", nil), http.StatusConflict)
	wantStatus(t, e.do(t, "POST", "/s/"+string(tok), form("A1", "1"), formHeaders), http.StatusConflict)
	if rows := e.responses(t); len(rows) != 1 || rows[0].Answers != "A1:5" {
		t.Errorf("responses = %+v, want the first answer only", rows)
	}

	other := receipt.Secret{ID: sec.ID + 100, Key: sec.Key}
	for _, tt := range []struct {
		name   string
		tok    receipt.Token
		status int
	}{
		{"forged (one character changed)", flip(e.mint(t, sec, 0, 2)), http.StatusNotFound},
		{"signed with another key", e.mint(t, receipt.Secret{ID: sec.ID, Key: []byte("0123456789abcdef0123456789abcdef")}, 0, 3), http.StatusNotFound},
		{"unknown secret", e.mint(t, other, 0, 4), http.StatusNotFound},
		{"60 days old", e.mint(t, sec, -60, 5), http.StatusOK},
		{"61 days old", e.mint(t, sec, -61, 6), http.StatusGone},
		{"dated tomorrow", e.mint(t, sec, 1, 7), http.StatusOK},
		{"dated in two days", e.mint(t, sec, 2, 8), http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(t, "GET", "/s/"+string(tt.tok), "", nil)
			wantStatus(t, rec, tt.status)
			if tt.status != http.StatusOK && strings.Contains(strings.ToUpper(rec.Body.String()), string(tt.tok)) {
				t.Error("the error page shows the token")
			}
			post := e.do(t, "POST", "/s/"+string(tt.tok), form("A1", "4"), formHeaders)
			if tt.status == http.StatusOK {
				wantStatus(t, post, http.StatusSeeOther)
			} else {
				wantStatus(t, post, tt.status)
			}
		})
	}
	if n := len(e.responses(t)); n != 3 {
		t.Errorf("%d responses, want 3 (the first and the two valid ones)", n)
	}
}

// TestSignedTokenRotation: a new secret and the old one both work until the old is revoked;
// then every token of the old one is refused, opened or not.
func TestSignedTokenRotation(t *testing.T) {
	e := newKioskEnv(t, Config{})
	old := e.tokenSecret(t)
	opened := e.mint(t, old, 0, 1)
	wantStatus(t, e.do(t, "GET", "/s/"+string(opened), "", nil), http.StatusOK)
	rotated := e.tokenSecret(t)
	if rotated.ID == old.ID {
		t.Fatal("rotation reused the secret ID")
	}
	fresh := e.mint(t, old, 0, 2)
	newer := e.mint(t, rotated, 0, 1)
	for _, tok := range []receipt.Token{opened, fresh, newer} {
		wantStatus(t, e.do(t, "GET", "/s/"+string(tok), "", nil), http.StatusOK)
	}
	if err := e.st.RevokeTokenSecret(t.Context(), old.ID); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []receipt.Token{opened, fresh} {
		wantStatus(t, e.do(t, "GET", "/s/"+string(tok), "", nil), http.StatusNotFound)
		wantStatus(t, e.do(t, "POST", "/s/"+string(tok), form("A1", "3"), formHeaders), http.StatusNotFound)
	}
	wantStatus(t, e.do(t, "GET", "/s/"+string(newer), "", nil), http.StatusOK)
	wantStatus(t, e.do(t, "POST", "/s/"+string(newer), form("A1", "3"), formHeaders), http.StatusSeeOther)
}

// TestSignedTokenValidityDays: --token-validity-days sets the window.
func TestSignedTokenValidityDays(t *testing.T) {
	e := newKioskEnv(t, Config{TokenValidityDays: 10})
	sec := e.tokenSecret(t)
	wantStatus(t, e.do(t, "GET", "/s/"+string(e.mint(t, sec, -10, 1)), "", nil), http.StatusOK)
	wantStatus(t, e.do(t, "GET", "/s/"+string(e.mint(t, sec, -11, 2)), "", nil), http.StatusGone)
}

// TestSignedTokenAtKiosk: a signed token's short code typed at a kiosk, on the plain form and
// through the queue's API.
func TestSignedTokenAtKiosk(t *testing.T) {
	e := newKioskEnv(t, Config{})
	_, dev := e.enrol(t, false)
	sec := e.tokenSecret(t)
	tok := e.mint(t, sec, 0, 1)
	rec := e.kiosk(t, "POST", "/kiosk/start", form("code", tok.ShortCode()), "", dev)
	wantStatus(t, rec, http.StatusOK)
	wantBody(t, rec, `value="`+string(tok)+`"`)
	// Sent from the queue without being checked first (the kiosk was offline).
	queued := e.mint(t, sec, 0, 2)
	b, _ := json.Marshal(map[string]any{"key": "signed-queued-00000001", "receipt": queued.ShortCode(), "answers": map[string]string{"A0": "4"}})
	wantStatus(t, e.kiosk(t, "POST", "/kiosk/api/submit", string(b), "application/json", dev), http.StatusOK)
	wantStatus(t, e.kiosk(t, "POST", "/kiosk/api/submit", string(b), "application/json", dev), http.StatusOK)
	if n := e.opened(t, sec.ID); n != 2 {
		t.Errorf("%d minted receipts, want 2", n)
	}
	rows := e.responses(t)
	if len(rows) != 1 || !rows[0].HasReceipt || rows[0].Source != "kiosk" {
		t.Errorf("responses = %+v, want the queued answer once", rows)
	}
	forged, _ := json.Marshal(map[string]any{"key": "signed-forged-00000001", "receipt": string(flip(e.mint(t, sec, 0, 3))), "answers": map[string]string{"A0": "4"}})
	wantStatus(t, e.kiosk(t, "POST", "/kiosk/api/submit", string(forged), "application/json", dev), http.StatusNotFound)
}

func TestMintedAPI(t *testing.T) {
	e := newKioskEnv(t, Config{})
	key, _ := e.apiKey(t)
	post := func(body, auth string) *httptest.ResponseRecorder {
		h := map[string]string{"Content-Type": "application/json"}
		if auth != "" {
			h["Authorization"] = "Bearer " + auth
		}
		return e.do(t, http.MethodPost, "/api/v1/minted", body, h)
	}
	today := e.clock.Now().In(calendar.Zone)
	day := today.AddDate(0, 0, -1).Format(time.DateOnly)
	for _, tt := range []struct {
		name, body, auth string
		status           int
		code             string
	}{
		{"no key", `{"agency":"` + testAgency + `","date":"` + day + `","count":5}`, "", http.StatusUnauthorized, "unauthorized"},
		{"bad date", `{"agency":"` + testAgency + `","date":"09/03/2026","count":5}`, key, http.StatusUnprocessableEntity, "invalid_date"},
		{"future date", `{"agency":"` + testAgency + `","date":"` + today.AddDate(0, 0, 3).Format(time.DateOnly) + `","count":5}`, key, http.StatusUnprocessableEntity, "invalid_date"},
		{"negative count", `{"agency":"` + testAgency + `","date":"` + day + `","count":-1}`, key, http.StatusUnprocessableEntity, "invalid_count"},
		{"no count", `{"agency":"` + testAgency + `","date":"` + day + `"}`, key, http.StatusUnprocessableEntity, "invalid_count"},
		{"unknown agency", `{"agency":"NOPE","date":"` + day + `","count":5}`, key, http.StatusUnprocessableEntity, "unknown_agency"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(tt.body, tt.auth)
			wantStatus(t, rec, tt.status)
			checkAPIError(t, rec, tt.code)
		})
	}
	for _, n := range []string{"12", "30"} { // the last report wins
		rec := post(`{"agency":"`+testAgency+`","date":"`+day+`","count":`+n+`}`, key)
		wantStatus(t, rec, http.StatusOK)
		wantBody(t, rec, `"count":`+n)
	}
	// A minted receipt opened that day is inside the 30, not on top of them.
	sec := e.tokenSecret(t)
	wantStatus(t, e.do(t, "GET", "/s/"+string(e.mint(t, sec, -1, 1)), "", nil), http.StatusOK)
	e.receipt(t) // one receipt issued by the API today
	pops, err := e.st.Populations(t.Context(), today.Year())
	if err != nil {
		t.Fatal(err)
	}
	want := 30.0 + 1
	if today.AddDate(0, 0, -1).Year() != today.Year() {
		want = 1 // on 1 January yesterday's figure belongs to last year
	}
	if got := pops[testAgency]; got != want {
		t.Errorf("population of %s = %v, want %v (30 minted as reported + 1 issued)", testAgency, got, want)
	}
}
