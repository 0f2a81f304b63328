package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"sipas/internal/store/storetest"
)

// Texts of assets/i18n and surveys/sipas.json the pages must show.
const (
	viTitle      = "Phiếu khảo sát sự hài lòng về sự phục vụ hành chính (SIPAS)"
	enTitle      = "Satisfaction survey on public administrative services (SIPAS)"
	viA1         = "Nơi tiếp nhận hồ sơ có biển hiệu, chỉ dẫn rõ ràng, dễ tìm"
	viChoose     = "Vui lòng chọn một mức đánh giá từ 1 đến 5"
	viRepeated   = "Chỉ chọn một mức cho mỗi nội dung"
	viUnknown    = "Phiếu gửi có nội dung không hợp lệ"
	viTooLong    = "Góp ý quá dài"
	viBadUTF8    = "Nội dung chứa ký tự không hợp lệ"
	viThanks     = "Cảm ơn Ông/Bà đã đánh giá"
	viUsed       = "Phiếu này đã được gửi trước đó"
	viNotFound   = "Mã không hợp lệ hoặc đã hết hạn"
	viTooLarge   = "Nội dung gửi quá lớn"
	viBadRequest = "Yêu cầu không hợp lệ"
	viErrors     = "Vui lòng kiểm tra lại các nội dung được đánh dấu."
	comment      = "Cán bộ hướng dẫn nhiệt tình, dễ hiểu. Thời gian chờ còn lâu."
)

var htmlHeader = map[string]string{"Content-Type": "text/html; charset=UTF-8"}

// wantStored checks that exactly one response was stored for this request, from the default
// survey, with the given answers and comment.
func wantStored(answers, comment string) func(*testing.T, *testServer, fixture, *httptest.ResponseRecorder) {
	return func(t *testing.T, ts *testServer, f fixture, rec *httptest.ResponseRecorder) {
		t.Helper()
		if !ts.answered(t, f.tok) {
			t.Error("receipt not marked answered")
		}
		all := ts.responses(t)
		if len(all) == 0 {
			t.Fatal("no response stored")
		}
		got := all[len(all)-1]
		want := storetest.StoredResponse{
			ResponseID: got.ResponseID, HasReceipt: true, AgencyCode: testAgency,
			SurveyID: ts.q.ID, SurveyVersion: ts.q.Version, Channel: "counter", Source: "web",
			Year: got.Year, Month: got.Month, Answers: answers, Comment: comment,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("stored response (-want +got):\n%s", diff)
		}
		if got.SurveyID != "sipas" || got.SurveyVersion != "2026.1" {
			t.Errorf("survey = %s %s, want sipas 2026.1", got.SurveyID, got.SurveyVersion)
		}
	}
}

// wantFirstAnswerKept checks that a refused second answer left the first one alone.
func wantFirstAnswerKept(t *testing.T, ts *testServer, f fixture, rec *httptest.ResponseRecorder) {
	t.Helper()
	all := ts.responses(t)
	got := all[len(all)-1]
	if got.Answers != firstAnswer.Answers || got.Comment != firstAnswer.Comment {
		t.Errorf("kept response = %q %q, want the first %q %q", got.Answers, got.Comment, firstAnswer.Answers, firstAnswer.Comment)
	}
}

func TestSurveyPages(t *testing.T) {
	ts := newTestServer(t)
	ts.secret(comment)
	long := strings.Repeat("ệ", 1001) // 1,001 characters, 3,003 bytes
	ts.secret(long[:60])
	runHandlerTests(t, ts, []handlerTest{
		{
			name: "GET vi", path: "/s/{tok}", wantStatus: http.StatusOK, wantHeader: htmlHeader,
			wantBody: []string{`<html lang="vi">`, viTitle, testAgencyName, viA1, `name="A1" value="5"`, `name="E0" value="1"`,
				`<textarea id="comment" name="comment"`, `action="/s/{tok}"`, "Gửi đánh giá", `hreflang="en"`, "Không áp dụng"},
			wantNotBody: []string{"<script", " style=", "Satisfaction survey", `class="err"`, `role="alert"`},
		},
		{
			name: "GET en", path: "/s/{tok}?lang=en", wantStatus: http.StatusOK,
			wantBody:    []string{`<html lang="en">`, enTitle, testAgencyName, `action="/s/{tok}?lang=en"`, "Submit", "Not applicable"},
			wantNotBody: []string{viTitle},
		},
		{
			name: "GET /S/ uppercase path from a QR code", path: "/S/{tok}", wantStatus: http.StatusOK,
			wantBody: []string{viTitle, testAgencyName, `action="/s/{tok}"`},
		},
		{
			name: "GET lowercase token", path: "/s/{tok_lower}", wantStatus: http.StatusOK,
			wantBody: []string{viTitle, `action="/s/{tok}"`},
		},
		{
			name: "GET /S/ with lowercase token", path: "/S/{tok_lower}", wantStatus: http.StatusOK,
			wantBody: []string{viTitle},
		},
		{
			name: "GET short code typed with hyphens", path: "/s/{short}", wantStatus: http.StatusOK,
			wantBody: []string{viTitle, `action="/s/{tok}"`},
		},
		{
			name: "GET unknown token", path: "/s/{unknown}", wantStatus: http.StatusNotFound, wantHeader: htmlHeader,
			wantBody: []string{viNotFound, `<html lang="vi">`}, wantNotBody: []string{viTitle},
		},
		{
			name: "GET unknown token en", path: "/s/{unknown}?lang=en", wantStatus: http.StatusNotFound,
			wantBody: []string{"Invalid or expired code"},
		},
		{
			name: "GET forged signed token", path: "/s/{forged}", wantStatus: http.StatusNotFound,
			wantBody: []string{viNotFound},
		},
		{
			name: "GET malformed token", path: "/s/not-a-token!", wantStatus: http.StatusNotFound,
			wantBody: []string{viNotFound}, wantNotBody: []string{"not-a-token"},
		},
		{
			name: "GET token with markup", path: "/s/%3Cscript%3Ealert(1)%3C%2Fscript%3E", wantStatus: http.StatusNotFound,
			wantBody: []string{viNotFound}, wantNotBody: []string{"<script", "alert(1)"},
		},
		{
			name: "GET token too long", path: "/s/" + strings.Repeat("A", 200), wantStatus: http.StatusNotFound,
			wantBody: []string{viNotFound}, wantNotBody: []string{strings.Repeat("A", 30)},
		},
		{
			name: "GET token one character short", path: "/s/{tok}X", wantStatus: http.StatusNotFound,
			wantBody: []string{viNotFound},
		},
		{
			name: "GET already answered", path: "/s/{tok}", answered: true, wantStatus: http.StatusConflict,
			wantBody: []string{viUsed}, wantNotBody: []string{viTitle, "<form"},
		},
		{
			name: "GET thanks", path: "/thanks", wantStatus: http.StatusOK, wantBody: []string{viThanks},
		},
		{
			name: "GET thanks en", path: "/thanks?lang=en", wantStatus: http.StatusOK, wantBody: []string{"Thank you for your feedback"},
		},
		{
			name: "GET no such page", path: "/no/such/page", wantStatus: http.StatusNotFound, wantBody: []string{"Không tìm thấy trang"},
		},
		{
			name: "GET healthz", path: "/healthz", wantStatus: http.StatusOK,
			wantHeader: map[string]string{"Content-Type": "application/json"}, wantBody: []string{`"status":"ok"`},
		},
		{
			name: "GET stylesheet", path: "/static/app.css", wantStatus: http.StatusOK,
			wantHeader: map[string]string{"Content-Type": "text/css"}, wantBody: []string{"fieldset"},
		},
		{
			name: "GET static path traversal", path: "/static/../../go.mod", wantStatus: http.StatusNotFound,
			wantNotBody: []string{"module sipas"},
		},

		// Submissions.
		{
			name: "POST answers", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body:       form("A1", "4", "A2", "5", "B1", "1", "E0", "", "comment", "  "+comment+"\r\n"),
			wantStatus: http.StatusSeeOther, wantHeader: map[string]string{"Location": "/thanks"},
			stores: true, after: wantStored("A1:4 A2:5 B1:1", comment),
		},
		{
			name: "POST en", method: http.MethodPost, path: "/s/{tok}?lang=en", headers: formHeaders,
			body:       form("A1", "3", "lang", "en"),
			wantStatus: http.StatusSeeOther, wantHeader: map[string]string{"Location": "/thanks?lang=en"},
			stores: true, after: wantStored("A1:3", ""),
		},
		{
			name: "POST /S/ with lowercase token", method: http.MethodPost, path: "/S/{tok_lower}", headers: formHeaders,
			body: form("C1", "2"), wantStatus: http.StatusSeeOther, stores: true, after: wantStored("C1:2", ""),
		},
		{
			name: "POST comment of exactly 1,000 characters", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("A1", "5", "comment", strings.Repeat("ệ", 1000)), wantStatus: http.StatusSeeOther,
			stores: true, after: wantStored("A1:5", strings.Repeat("ệ", 1000)),
		},
		{
			name: "POST expectations", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("A1", "5", "Q1", "time", "Q1", "B"), wantStatus: http.StatusSeeOther, stores: true,
			after: func(t *testing.T, ts *testServer, f fixture, rec *httptest.ResponseRecorder) {
				all := ts.responses(t)
				if got, want := all[len(all)-1].Expectations, "B time"; got != want {
					t.Errorf("expectations = %q, want %q (questionnaire order)", got, want)
				}
			},
		},
		{
			name: "POST again keeps the first answer", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			answered: true, body: form("A1", "1", "comment", "lần hai"),
			wantStatus: http.StatusConflict, wantBody: []string{viUsed}, wantNotBody: []string{"lần hai"},
			after: wantFirstAnswerKept,
		},
		{
			name: "POST unknown token", method: http.MethodPost, path: "/s/{unknown}", headers: formHeaders,
			body: form("A1", "5"), wantStatus: http.StatusNotFound, wantBody: []string{viNotFound},
		},
		{
			name: "POST forged token", method: http.MethodPost, path: "/s/{forged}", headers: formHeaders,
			body: form("A1", "5"), wantStatus: http.StatusNotFound, wantBody: []string{viNotFound},
		},
		{
			name: "POST malformed token", method: http.MethodPost, path: "/s/xyz", headers: formHeaders,
			body: form("A1", "5"), wantStatus: http.StatusNotFound, wantBody: []string{viNotFound},
		},

		// Invalid answers: 422, the form again with the error next to the question, nothing stored.
		{
			name: "POST value 7", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("A1", "7", "A2", "5"), wantStatus: http.StatusUnprocessableEntity, wantHeader: htmlHeader,
			wantBody: []string{`id="A1-e"`, viChoose, `aria-describedby="A1-e"`, `role="alert"`, viErrors, testAgencyName,
				`name="A2" value="5" checked`, `<form method="post" accept-charset="utf-8">`},
			// The form posts back to its own URL: like an error page, it carries no token.
			wantNotBody: []string{`id="A2-e"`, `name="A1" value="5" checked`, "{tok}"},
		},
		{
			name: "POST value abc", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("A1", "abc"), wantStatus: http.StatusUnprocessableEntity,
			wantBody: []string{`id="A1-e"`, viChoose}, wantNotBody: []string{">abc"},
		},
		{
			name: "POST value 0", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("B2", "0"), wantStatus: http.StatusUnprocessableEntity, wantBody: []string{`id="B2-e"`, viChoose},
		},
		{
			name: "POST value 4.5", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("A1", "4.5"), wantStatus: http.StatusUnprocessableEntity, wantBody: []string{`id="A1-e"`},
		},
		{
			name: "POST unknown field", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("A1", "5", "Z9", "5"), wantStatus: http.StatusUnprocessableEntity,
			wantBody: []string{viUnknown, `role="alert"`}, wantNotBody: []string{"Z9"},
		},
		{
			name: "POST repeated field", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: "A1=1&A1=2", wantStatus: http.StatusUnprocessableEntity,
			wantBody: []string{`id="A1-e"`, viRepeated},
		},
		{
			name: "POST repeated comment", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: "comment=a&comment=b", wantStatus: http.StatusUnprocessableEntity,
			wantBody: []string{`id="comment-e"`, viRepeated},
		},
		{
			name: "POST comment over 1,000 characters", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("A1", "4", "comment", long), wantStatus: http.StatusUnprocessableEntity,
			wantBody: []string{`id="comment-e"`, viTooLong, `aria-describedby="comment-h comment-e"`, `name="A1" value="4" checked`, long},
		},
		{
			name: "POST comment invalid UTF-8", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: "A1=4&comment=ok%FF%FEok", wantStatus: http.StatusUnprocessableEntity,
			wantBody: []string{`id="comment-e"`, viBadUTF8, `name="A1" value="4" checked`},
		},
		{
			name: "POST field name invalid UTF-8", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: "%FF=4", wantStatus: http.StatusUnprocessableEntity, wantBody: []string{viBadUTF8},
		},
		{
			name: "POST too many expectations", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("Q1", "A", "Q1", "B", "Q1", "C", "Q1", "D"), wantStatus: http.StatusUnprocessableEntity,
			wantBody: []string{`id="Q1-e"`, "Chọn quá nhiều nội dung"},
		},
		{
			name: "POST unknown expectation", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("Q1", "bribes"), wantStatus: http.StatusUnprocessableEntity,
			wantBody: []string{`id="Q1-e"`, "Lựa chọn không hợp lệ"}, wantNotBody: []string{"bribes"},
		},
		{
			name: "POST several errors at once", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("A1", "9", "E0", "x", "comment", long), wantStatus: http.StatusUnprocessableEntity,
			wantBody: []string{`id="A1-e"`, `id="E0-e"`, `id="comment-e"`},
		},
		{
			name: "POST 422 in English", method: http.MethodPost, path: "/s/{tok}?lang=en", headers: formHeaders,
			body: form("A1", "7"), wantStatus: http.StatusUnprocessableEntity,
			wantBody:    []string{`id="A1-e"`, "Please choose a rating from 1 to 5", `<form method="post" accept-charset="utf-8">`, `href="?lang=vi"`},
			wantNotBody: []string{"{tok}"},
		},

		// Wrong kinds of body.
		{
			name: "POST oversized body", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: form("A1", "5", "comment", strings.Repeat("x", 70<<10)), wantStatus: http.StatusRequestEntityTooLarge,
			// The form again, the answers kept and the comment cut to its 1,000 characters.
			wantBody:    []string{viTooLarge, `name="A1" value="5" checked`, ">" + strings.Repeat("x", 1000) + "</textarea>", `id="comment-e"`},
			wantNotBody: []string{strings.Repeat("x", 1001)},
		},
		{
			name: "POST JSON on the form route", method: http.MethodPost, path: "/s/{tok}",
			headers: map[string]string{"Content-Type": "application/json"}, body: `{"A1":"5"}`,
			wantStatus: http.StatusUnsupportedMediaType, wantBody: []string{viBadRequest},
		},
		{
			name: "POST multipart on the form route", method: http.MethodPost, path: "/s/{tok}",
			headers:    map[string]string{"Content-Type": "multipart/form-data; boundary=x"},
			body:       "--x\r\nContent-Disposition: form-data; name=\"A1\"\r\n\r\n5\r\n--x--\r\n",
			wantStatus: http.StatusUnsupportedMediaType,
		},
		{
			name: "POST without content type", method: http.MethodPost, path: "/s/{tok}", body: "A1=5",
			wantStatus: http.StatusUnsupportedMediaType,
		},
		{
			name: "POST malformed form encoding", method: http.MethodPost, path: "/s/{tok}", headers: formHeaders,
			body: "A1=%zz", wantStatus: http.StatusBadRequest, wantBody: []string{viBadRequest},
		},
	})

	if got, want := len(ts.responses(t)), 7; got != want {
		t.Errorf("%d responses stored in all, want %d (the 303 cases and the pre-answered ones)", got, want)
	}
}

// TestSurveySubmitThenShow walks the loop on one receipt: page, answer, thanks, page again.
func TestSurveySubmitThenShow(t *testing.T) {
	ts := newTestServer(t)
	tok := ts.receipt(t)
	if rec := ts.do(t, http.MethodGet, "/S/"+string(tok), "", nil); rec.Code != http.StatusOK {
		t.Fatalf("GET survey: status = %d, want %d", rec.Code, http.StatusOK)
	}
	rec := ts.do(t, http.MethodPost, "/s/"+string(tok), form("A1", "5", "comment", comment), formHeaders)
	if got, want := rec.Code, http.StatusSeeOther; got != want {
		t.Fatalf("POST: status = %d, want %d", got, want)
	}
	loc := rec.Header().Get("Location")
	rec = ts.do(t, http.MethodGet, loc, "", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), viThanks) {
		t.Errorf("GET %s: status %d, body %.300q; want 200 with %q", loc, rec.Code, rec.Body.String(), viThanks)
	}
	rec = ts.do(t, http.MethodGet, "/s/"+string(tok), "", nil)
	if got, want := rec.Code, http.StatusConflict; got != want {
		t.Errorf("GET after answering: status = %d, want %d", got, want)
	}
	if got := len(ts.responses(t)); got != 1 {
		t.Errorf("stored %d responses, want 1", got)
	}
}

// TestSurveyGzip checks that the page is compressed for clients that accept it.
func TestSurveyGzip(t *testing.T) {
	ts := newTestServer(t)
	tok := ts.receipt(t)
	rec := ts.do(t, http.MethodGet, "/s/"+string(tok), "", map[string]string{"Accept-Encoding": "gzip"})
	if got, want := rec.Header().Get("Content-Encoding"), "gzip"; got != want {
		t.Errorf("Content-Encoding = %q, want %q", got, want)
	}
}
