package web

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"sipas/internal/readback"
	"sipas/internal/receipt"
	"sipas/internal/store"
)

var jsonHeaders = map[string]string{"Content-Type": "application/json", "Authorization": "Bearer {key}"}

// receiptResponseBody is the 201 body of POST /api/v1/receipts.
type receiptResponseBody struct {
	Token     string `json:"token"`
	ShortCode string `json:"short_code"`
	Number    string `json:"number"`
	URL       string `json:"url"`
	QRPNG     string `json:"qr_png"`
	QRSVG     string `json:"qr_svg"`
	Agency    string `json:"agency"`
	Channel   string `json:"channel"`
}

// isQRAlphanumeric reports whether s is entirely in the 45-character QR alphanumeric set.
func isQRAlphanumeric(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || strings.IndexByte(" $%*+-./:", c) >= 0) {
			return false
		}
	}
	return true
}

// wantReceiptCreated checks a 201 and returns the body; the new token becomes a log secret.
func wantReceiptCreated(channel string) func(*testing.T, *testServer, fixture, *httptest.ResponseRecorder) {
	return func(t *testing.T, ts *testServer, f fixture, rec *httptest.ResponseRecorder) {
		t.Helper()
		var got receiptResponseBody
		dec := json.NewDecoder(rec.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("201 body: %v", err)
		}
		ts.secret(got.Token)
		tok, err := receipt.ParseToken(got.Token)
		if err != nil || string(tok) != got.Token {
			t.Fatalf("token %q is not a canonical token (%v)", got.Token, err)
		}
		if got, want := got.URL, "HTTPS://SIPAS.EXAMPLE.GOV.VN/S/"+string(tok); got != want {
			t.Errorf("url = %q, want %q", got, want)
		}
		if !isQRAlphanumeric(got.URL) {
			t.Errorf("url %q is not all QR alphanumeric (uppercase) characters", got.URL)
		}
		if got, want := got.QRPNG, "/api/v1/receipts/"+string(tok)+"/qr.png"; got != want {
			t.Errorf("qr_png = %q, want %q", got, want)
		}
		if got, want := got.QRSVG, "/api/v1/receipts/"+string(tok)+"/qr.svg"; got != want {
			t.Errorf("qr_svg = %q, want %q", got, want)
		}
		if got.Agency != testAgency || got.Channel != channel {
			t.Errorf("agency, channel = %q, %q; want %q, %q", got.Agency, got.Channel, testAgency, channel)
		}
		if got, want := got.ShortCode, tok.ShortCode(); got != want {
			t.Errorf("short_code = %q, want %q", got, want)
		}
		if got, want := got.Number, receipt.NumberOf(tok).Grouped(); got != want || len(got) != 14 {
			t.Errorf("number = %q, want %q", got, want)
		}
		if n, err := receipt.ParseNumber(got.Number); err != nil {
			t.Errorf("number %q does not parse: %v", got.Number, err)
		} else if rc, err := ts.st.FindReceiptByNumber(t.Context(), n.Hash()); err != nil || rc.AgencyCode != testAgency {
			t.Errorf("the receipt does not open by its number: %v", err)
		}
		rc, err := ts.st.FindReceiptByTokenHash(t.Context(), tok.Hash())
		if err != nil {
			t.Fatalf("the issued receipt is not stored: %v", err)
		}
		if rc.Channel != channel || rc.Source != "api" || rc.AgencyCode != testAgency || rc.Answered {
			t.Errorf("stored receipt = %+v, want channel %s, source api, agency %s, unanswered", rc, channel, testAgency)
		}
		// The url, as a phone opens it, leads to the survey.
		path := strings.TrimPrefix(got.URL, "HTTPS://SIPAS.EXAMPLE.GOV.VN")
		page := ts.do(t, http.MethodGet, path, "", nil)
		if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), testAgencyName) {
			t.Errorf("GET %s: status %d, want 200 with the agency name", "/S/…", page.Code)
		}
	}
}

func TestReceiptsAPI(t *testing.T) {
	ts := newTestServer(t)
	runHandlerTests(t, ts, []handlerTest{
		{
			name: "create", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body:       `{"agency":"MG.STP","procedure":"Chứng thực bản sao","channel":"online"}`,
			wantStatus: http.StatusCreated, wantHeader: map[string]string{"Content-Type": "application/json"},
			after: wantReceiptCreated("online"),
		},
		{
			name: "create with default channel", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body: `{"agency":"MG.STP"}`, wantStatus: http.StatusCreated, after: wantReceiptCreated("counter"),
		},
		{
			name: "create postal, content type with charset", method: http.MethodPost, path: "/api/v1/receipts",
			headers: map[string]string{"Content-Type": "application/json; charset=utf-8", "Authorization": "Bearer {key}"},
			body:    `{"agency":"MG.STP","channel":"postal"}`, wantStatus: http.StatusCreated, after: wantReceiptCreated("postal"),
		},
		{
			name: "no key", method: http.MethodPost, path: "/api/v1/receipts",
			headers: map[string]string{"Content-Type": "application/json"}, body: `{"agency":"MG.STP"}`,
			wantStatus: http.StatusUnauthorized, wantAPIErr: "unauthorized",
			wantHeader: map[string]string{"WWW-Authenticate": "Bearer"},
		},
		{
			name: "wrong key", method: http.MethodPost, path: "/api/v1/receipts",
			headers: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer sipas_wrongwrongwrongwrongwrongwrong"},
			body:    `{"agency":"MG.STP"}`, wantStatus: http.StatusUnauthorized, wantAPIErr: "unauthorized",
			wantNotBody: []string{"sipas_wrong"},
		},
		{
			name: "revoked key", method: http.MethodPost, path: "/api/v1/receipts",
			headers: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer {revoked}"},
			body:    `{"agency":"MG.STP"}`, wantStatus: http.StatusUnauthorized, wantAPIErr: "unauthorized",
		},
		{
			name: "key hash instead of key", method: http.MethodPost, path: "/api/v1/receipts",
			headers: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + strings.Repeat("0", 64)},
			body:    `{"agency":"MG.STP"}`, wantStatus: http.StatusUnauthorized, wantAPIErr: "unauthorized",
		},
		{
			name: "basic auth", method: http.MethodPost, path: "/api/v1/receipts",
			headers: map[string]string{"Content-Type": "application/json", "Authorization": "Basic {key}"},
			body:    `{"agency":"MG.STP"}`, wantStatus: http.StatusUnauthorized, wantAPIErr: "unauthorized",
		},
		{
			name: "unknown agency", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body: `{"agency":"NO.SUCH","channel":"counter"}`, wantStatus: http.StatusUnprocessableEntity, wantAPIErr: "unknown_agency",
		},
		{
			name: "agency codes are case-sensitive", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body: `{"agency":"mg.stp"}`, wantStatus: http.StatusUnprocessableEntity, wantAPIErr: "unknown_agency",
		},
		{
			name: "missing agency", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body: `{"channel":"counter"}`, wantStatus: http.StatusUnprocessableEntity, wantAPIErr: "invalid_agency",
		},
		{
			name: "bad channel", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body: `{"agency":"MG.STP","channel":"fax"}`, wantStatus: http.StatusUnprocessableEntity, wantAPIErr: "invalid_channel",
		},
		{
			name: "procedure too long", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body:       `{"agency":"MG.STP","procedure":"` + strings.Repeat("ủ", 301) + `"}`,
			wantStatus: http.StatusUnprocessableEntity, wantAPIErr: "invalid_procedure",
		},
		{
			name: "malformed JSON", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body: `{"agency":`, wantStatus: http.StatusBadRequest, wantAPIErr: "invalid_json",
		},
		{
			name: "unknown field", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body: `{"agency":"MG.STP","colour":"red"}`, wantStatus: http.StatusBadRequest, wantAPIErr: "invalid_json",
		},
		{
			name: "two values", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body: `{"agency":"MG.STP"}{"agency":"MG.STP"}`, wantStatus: http.StatusBadRequest, wantAPIErr: "invalid_json",
		},
		{
			name: "wrong type", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body: `{"agency":42}`, wantStatus: http.StatusBadRequest, wantAPIErr: "invalid_json",
		},
		{
			name: "invalid UTF-8", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body: "{\"agency\":\"MG.STP\",\"procedure\":\"\xff\"}", wantStatus: http.StatusBadRequest, wantAPIErr: "invalid_json",
		},
		{
			name: "form body", method: http.MethodPost, path: "/api/v1/receipts",
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer {key}"},
			body:    "agency=MG.STP", wantStatus: http.StatusUnsupportedMediaType, wantAPIErr: "unsupported_media_type",
		},
		{
			name: "oversized body", method: http.MethodPost, path: "/api/v1/receipts", headers: jsonHeaders,
			body:       `{"agency":"MG.STP","procedure":"` + strings.Repeat("x", 70<<10) + `"}`,
			wantStatus: http.StatusRequestEntityTooLarge, wantAPIErr: "too_large",
		},
		{
			name: "no such API", path: "/api/v1/nope", wantStatus: http.StatusNotFound, wantAPIErr: "not_found",
		},

		// QR codes of a receipt.
		{
			name: "qr.png", path: "/api/v1/receipts/{tok}/qr.png", wantStatus: http.StatusOK,
			wantHeader: map[string]string{"Content-Type": "image/png"},
			after: func(t *testing.T, ts *testServer, f fixture, rec *httptest.ResponseRecorder) {
				img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
				if err != nil {
					t.Fatalf("qr.png is not a PNG: %v", err)
				}
				if got, want := img.Bounds().Dx(), receipt.DefaultQRSize; got != want {
					t.Errorf("width = %d, want %d", got, want)
				}
				want := "HTTPS://SIPAS.EXAMPLE.GOV.VN/S/" + string(f.tok)
				if got := readback.QRImage(t, rec.Body.Bytes()); got != want {
					t.Errorf("zbarimg reads %q, want exactly %q", got, want)
				}
			},
		},
		{
			name: "qr.png of a lowercase token, sized", path: "/api/v1/receipts/{tok_lower}/qr.png?size=512", wantStatus: http.StatusOK,
			after: func(t *testing.T, ts *testServer, f fixture, rec *httptest.ResponseRecorder) {
				cfg, format, err := image.DecodeConfig(bytes.NewReader(rec.Body.Bytes()))
				if err != nil || format != "png" {
					t.Fatalf("DecodeConfig: %v, %q; want a png", err, format)
				}
				if cfg.Width != 512 || cfg.Height != 512 {
					t.Errorf("size = %d×%d, want 512×512", cfg.Width, cfg.Height)
				}
				if got, want := readback.QRImage(t, rec.Body.Bytes()), "HTTPS://SIPAS.EXAMPLE.GOV.VN/S/"+string(f.tok); got != want {
					t.Errorf("zbarimg reads %q, want %q", got, want)
				}
			},
		},
		{
			name: "qr.png bad size", path: "/api/v1/receipts/{tok}/qr.png?size=abc", wantStatus: http.StatusBadRequest,
			wantAPIErr: "invalid_size",
		},
		{
			name: "qr.png huge size", path: "/api/v1/receipts/{tok}/qr.png?size=100000", wantStatus: http.StatusBadRequest,
			wantAPIErr: "invalid_size",
		},
		{
			name: "qr.svg", path: "/api/v1/receipts/{tok}/qr.svg", wantStatus: http.StatusOK,
			wantHeader: map[string]string{"Content-Type": "image/svg+xml"}, wantBody: []string{"<svg", `xmlns="http://www.w3.org/2000/svg"`},
			after: func(t *testing.T, ts *testServer, f fixture, rec *httptest.ResponseRecorder) {
				var svg struct {
					XMLName xml.Name
					Path    struct {
						D string `xml:"d,attr"`
					} `xml:"path"`
				}
				if err := xml.Unmarshal(rec.Body.Bytes(), &svg); err != nil {
					t.Fatalf("qr.svg is not XML: %v", err)
				}
				if svg.XMLName.Local != "svg" || svg.Path.D == "" {
					t.Errorf("qr.svg root = %q with path %.20q, want <svg> with a path", svg.XMLName.Local, svg.Path.D)
				}
			},
		},
		{
			name: "qr.png of an unknown token", path: "/api/v1/receipts/{unknown}/qr.png", wantStatus: http.StatusNotFound,
			wantAPIErr: "not_found",
		},
		{
			name: "qr.svg of an unknown token", path: "/api/v1/receipts/{unknown}/qr.svg", wantStatus: http.StatusNotFound,
			wantAPIErr: "not_found",
		},
		{
			name: "qr.png of a forged token", path: "/api/v1/receipts/{forged}/qr.png", wantStatus: http.StatusNotFound,
			wantAPIErr: "not_found",
		},
		{
			name: "qr.png of a malformed token", path: "/api/v1/receipts/x%2Fy/qr.png", wantStatus: http.StatusNotFound,
			wantAPIErr: "not_found",
		},
	})
}

func TestHealthzFailsWhenTheDatabaseIsClosed(t *testing.T) {
	ts := newTestServer(t)
	if rec := ts.do(t, http.MethodGet, "/healthz", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("healthz: status = %d, want 200", rec.Code)
	}
	// A second store on the same file, closed: /healthz must report it.
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "gone.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ts.srv.store = st
	rec := ts.do(t, http.MethodGet, "/healthz", "", nil)
	if got, want := rec.Code, http.StatusInternalServerError; got != want {
		t.Errorf("healthz on a closed database: status = %d, want %d", got, want)
	}
	checkAPIError(t, rec, "internal")
	for _, leak := range leaks {
		if strings.Contains(rec.Body.String(), leak) {
			t.Errorf("500 body contains %q: %s", leak, rec.Body.String())
		}
	}
	if !strings.Contains(ts.logs.String(), `"level":"ERROR"`) {
		t.Error("the internal error was not logged")
	}
}
