package web

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"sipas/internal/readback"
	"sipas/internal/receipt"
)

func TestSheetsAPI(t *testing.T) {
	e := newKioskEnv(t, Config{})
	key, _ := e.apiKey(t)
	revoked, revokedID := e.apiKey(t)
	if err := e.st.RevokeAPIKey(t.Context(), revokedID); err != nil {
		t.Fatal(err)
	}
	post := func(body, auth, ctype string) *http.Response {
		h := map[string]string{"Content-Type": cmpOr(ctype, "application/json")}
		if auth != "" {
			h["Authorization"] = "Bearer " + auth
		}
		rec := e.do(t, http.MethodPost, "/api/v1/sheets", body, h)
		checkSecurityHeaders(t, rec.Header())
		return rec.Result()
	}
	for _, tt := range []struct {
		name, body, auth, ctype string
		status                  int
		code                    string
	}{
		{"no key", `{"agency":"` + testAgency + `","count":3}`, "", "", http.StatusUnauthorized, "unauthorized"},
		{"revoked key", `{"agency":"` + testAgency + `","count":3}`, revoked, "", http.StatusUnauthorized, "unauthorized"},
		{"count 0", `{"agency":"` + testAgency + `","count":0}`, key, "", http.StatusUnprocessableEntity, "invalid_count"},
		{"count 1001", `{"agency":"` + testAgency + `","count":1001}`, key, "", http.StatusUnprocessableEntity, "invalid_count"},
		{"negative count", `{"agency":"` + testAgency + `","count":-4}`, key, "", http.StatusUnprocessableEntity, "invalid_count"},
		{"fractional count", `{"agency":"` + testAgency + `","count":2.5}`, key, "", http.StatusUnprocessableEntity, "invalid_count"},
		{"count as text", `{"agency":"` + testAgency + `","count":"3"}`, key, "", http.StatusUnprocessableEntity, "invalid_count"},
		{"no count", `{"agency":"` + testAgency + `"}`, key, "", http.StatusUnprocessableEntity, "invalid_count"},
		{"no agency", `{"count":3}`, key, "", http.StatusUnprocessableEntity, "invalid_agency"},
		{"unknown agency", `{"agency":"NOPE","count":3}`, key, "", http.StatusUnprocessableEntity, "unknown_agency"},
		{"unknown field", `{"agency":"` + testAgency + `","count":3,"size":"A5"}`, key, "", http.StatusBadRequest, "invalid_json"},
		{"not JSON", `agency=X&count=3`, key, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, "unsupported_media_type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(t, http.MethodPost, "/api/v1/sheets", tt.body, map[string]string{"Content-Type": cmpOr(tt.ctype, "application/json"),
				"Authorization": "Bearer " + tt.auth})
			if tt.auth == "" {
				rec = e.do(t, http.MethodPost, "/api/v1/sheets", tt.body, map[string]string{"Content-Type": "application/json"})
			}
			wantStatus(t, rec, tt.status)
			checkAPIError(t, rec, tt.code)
		})
	}
	if n := e.sheetReceipts(t); n != 0 {
		t.Errorf("the refused requests issued %d receipts", n)
	}

	res := post(`{"agency":"`+testAgency+`","count":3}`, key, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type = %q, want application/pdf", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="sipas-qr-MG.STP-`) {
		t.Errorf("Content-Disposition = %q", cd)
	}
	var body bytes.Buffer
	body.ReadFrom(res.Body)
	if !bytes.HasPrefix(body.Bytes(), []byte("%PDF-")) {
		t.Errorf("body is not a PDF: %.20q", body.Bytes())
	}
	if n := e.sheetReceipts(t); n != 3 {
		t.Errorf("%d sheet receipts issued, want 3", n)
	}
	if !slices.Contains(storetestAudit(t, e), "sheets.create") {
		t.Error("the sheet is not audited")
	}
}

// sheetReceipts counts the receipts issued for sticker sheets.
func (e *kioskEnv) sheetReceipts(t *testing.T) int {
	t.Helper()
	rows, err := e.st.ListPopulations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		n += int(r.Issued)
	}
	return n
}

func storetestAudit(t *testing.T, e *kioskEnv) []string {
	t.Helper()
	entries, err := e.st.ListAudit(t.Context(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range entries {
		out = append(out, a.Action)
	}
	return out
}

// TestStickerSheets prints a sheet of 27 stickers (a full A4 page and part of a second) as an
// agency would, rasterises it at 200 dpi like a scan of the printed page, reads every QR code
// with zbarimg, and opens each survey.
func TestStickerSheets(t *testing.T) {
	e := newKioskEnv(t, Config{})
	key, _ := e.apiKey(t)
	const n = 27
	rec := e.do(t, http.MethodPost, "/api/v1/sheets", `{"agency":"`+testAgency+`","count":27}`,
		map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + key})
	wantStatus(t, rec, http.StatusOK)

	pages, urls := readback.QRCodes(t, rec.Body.Bytes())
	if pages != 2 {
		t.Fatalf("%d pages, want 2 (24 stickers a page)", pages)
	}
	if len(urls) != n {
		t.Fatalf("zbarimg read %d codes, want %d", len(urls), n)
	}
	seen := map[string]bool{}
	for _, u := range urls {
		if seen[u] {
			t.Errorf("%s is on the sheet twice", u)
		}
		seen[u] = true
		e.secret(u[strings.LastIndex(u, "/")+1:])
		if !strings.HasPrefix(u, strings.ToUpper(testBaseURL)+"/S/") {
			t.Errorf("code %q is not a survey URL of %s", u, testBaseURL)
			continue
		}
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := receipt.ParseToken(strings.TrimPrefix(p.Path, "/S/"))
		if err != nil {
			t.Errorf("code %q: %v", u, err)
			continue
		}
		page := e.do(t, http.MethodGet, p.Path, "", nil)
		if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), testAgencyName) {
			t.Errorf("GET %s: status %d, want the survey of %s", p.Path, page.Code, testAgencyName)
		}
		if rc, err := e.st.FindReceiptByTokenHash(t.Context(), tok.Hash()); err != nil || rc.Source != "sheet" || rc.Channel != "counter" {
			t.Errorf("receipt of %s = %+v, %v; want a counter receipt from a sheet", tok.LogValue(), rc, err)
		}
	}
	if got := e.sheetReceipts(t); got != n {
		t.Errorf("%d receipts issued, want %d", got, n)
	}
}
