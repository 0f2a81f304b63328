package web

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"sipas/internal/receipt"
	"sipas/internal/report"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// Failures that look like failures (issue 18): a streamed export that fails after its first
// byte is cut off, never finished; one that fails before it is an ordinary error answer; a
// database that cannot take writes is 503 with Retry-After.

// seedExport stores n good responses of the test agency in 2026, then, when bad, one more
// whose stored answers cannot be decoded: the export fails on that last row.
func seedExport(t *testing.T, ts *testServer, n int, bad bool) {
	t.Helper()
	codes := ts.q.Codes()
	good := codes[0] + ":4 " + codes[1] + ":5"
	at := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	seeds := make([]store.Seed, 0, n+1)
	for i := range n + 1 {
		answers := good
		if i == n {
			if !bad {
				break
			}
			answers = "ZZ:9" // the last row in submission order
		}
		tok, err := receipt.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, store.Seed{
			NewReceipt: store.NewReceipt{TokenHash: tok.Hash(), AgencyCode: testAgency, Channel: "counter", Source: "api"},
			IssuedAt:   at, SubmittedAt: at.Add(time.Duration(i) * time.Second), Answered: true,
			Submission: store.Submission{SurveyID: ts.q.ID, SurveyVersion: ts.q.Version, Source: "web", Answers: answers,
				Comment: fmt.Sprint("góp ý số ", i)},
		})
	}
	storetest.MustSeedReceipts(t, ts.st, seeds)
}

// getExport downloads the export through a real HTTP server (a recorder cannot show a cut
// connection) and returns the answer and whatever error reading its body gave.
func getExport(t *testing.T, url, key string, gzip bool) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	client := &http.Client{Transport: &http.Transport{DisableCompression: !gzip}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestExportFailsVisibly(t *testing.T) {
	tmp := t.TempDir()
	ts := newTestServerConfig(t, Config{TempDir: tmp})
	key, _ := ts.apiKey(t)
	seedExport(t, ts, 4000, true) // about 300 KB of CSV before the bad row: past every buffer
	hs := httptest.NewServer(ts.srv)
	defer hs.Close()

	for _, tc := range []struct {
		format string
		gzip   bool
	}{{"csv", false}, {"csv", true}} {
		t.Run(fmt.Sprintf("%s gzip=%v", tc.format, tc.gzip), func(t *testing.T) {
			before := strings.Count(ts.logs.String(), `"aborted":true`)
			resp, body, err := getExport(t, hs.URL+"/api/v1/responses?year=2026&format="+tc.format, key, tc.gzip)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200 (the failure comes after the first byte)", resp.StatusCode)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("reading the body: %v after %d bytes, want unexpected EOF (a cut connection)", err, len(body))
			}
			if got := resp.Header.Get("X-Row-Count"); got != "4001" {
				t.Errorf("X-Row-Count = %q, want 4001", got)
			}
			if got := strings.Count(ts.logs.String(), `"aborted":true`) - before; got != 1 {
				t.Errorf("%d aborted request lines logged, want 1\n%s", got, ts.logs.String())
			}
		})
	}
	// The XLSX writes its workbook only at the end: a failure among the rows comes before
	// its first byte, so it is an error answer, and its spilled sheet is removed.
	resp, body, err := getExport(t, hs.URL+"/api/v1/responses?year=2026&format=xlsx", key, false)
	if err != nil || resp.StatusCode != http.StatusInternalServerError || resp.Header.Get(echo.HeaderContentDisposition) != "" {
		t.Errorf("xlsx: %d, %v, %q; want a 500 JSON error without attachment", resp.StatusCode, err, resp.Header.Get(echo.HeaderContentDisposition))
	}
	if _, err := zip.NewReader(bytes.NewReader(body), int64(len(body))); err == nil {
		t.Error("the failed XLSX is a readable workbook")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the failed XLSX left %d files in the temporary directory", len(left))
	}

	// curl, as a script would run it, fails: exit 18, a partial transfer.
	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.CommandContext(t.Context(), curl, "-sS", "-o", os.DevNull, "-H", "Authorization: Bearer "+key,
			hs.URL+"/api/v1/responses?year=2026").CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 18 {
			t.Errorf("curl: %v (%s), want exit 18 (partial file)", err, out)
		}
	}
}

// A complete export has as many records as X-Row-Count says, and ends cleanly.
func TestExportRowCount(t *testing.T) {
	ts := newTestServer(t)
	key, _ := ts.apiKey(t)
	seedExport(t, ts, 1500, false)
	hs := httptest.NewServer(ts.srv)
	defer hs.Close()
	resp, body, err := getExport(t, hs.URL+"/api/v1/responses?year=2026", key, true)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d, %v", resp.StatusCode, err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(resp.Header.Get("X-Row-Count"))
	if err != nil || n != 1500 || len(recs)-1 != n {
		t.Errorf("X-Row-Count %q, %d records after the header; want 1500 and as many", resp.Header.Get("X-Row-Count"), len(recs)-1)
	}
}

// A failure before the first byte is an ordinary answer: 500 JSON, with no attachment
// header or row count, so the error is not saved as "responses.csv".
func TestExportFailureBeforeTheFirstByte(t *testing.T) {
	ts := newTestServer(t)
	key, _ := ts.apiKey(t)
	seedExport(t, ts, 3, true)
	rec := ts.do(t, http.MethodGet, "/api/v1/responses?year=2026", "", map[string]string{"Authorization": "Bearer " + key})
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500\n%s", rec.Code, rec.Body.String())
	}
	checkAPIError(t, rec, "internal")
	for _, h := range []string{echo.HeaderContentDisposition, "X-Row-Count"} {
		if v := rec.Header().Get(h); v != "" {
			t.Errorf("the error answer carries %s: %q", h, v)
		}
	}
}

// An Unavailable store error is 503 with Retry-After, on the API and on pages; the error
// page says nothing was saved.
func TestUnavailableIs503WithRetryAfter(t *testing.T) {
	ts := newTestServer(t)
	ts.srv.e.GET("/kiosk/api/test-unavailable", func(echo.Context) error {
		return fmt.Errorf("store: submit response: commit: %w", store.ErrUnavailable)
	})
	ts.srv.e.GET("/test-unavailable", func(echo.Context) error { return store.ErrClosed })
	for path, want := range map[string]string{"/kiosk/api/test-unavailable": `"code":"unavailable"`, "/test-unavailable?lang=en": "Nothing was saved"} {
		rec := ts.do(t, http.MethodGet, path, "", nil)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != retryAfter {
			t.Errorf("%s: %d, Retry-After %q; want 503 and %s", path, rec.Code, rec.Header().Get("Retry-After"), retryAfter)
		}
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: body lacks %q:\n%.800s", path, want, rec.Body.String())
		}
		checkNoStoreText(t, rec.Body.String())
	}
}

// /healthz reports write health and the figures an operator watches.
func TestHealthzReportsWrites(t *testing.T) {
	ts := newTestServer(t)
	storetest.MustCreateReceipt(t, ts.st, testAgency) // one commit
	rec := ts.do(t, http.MethodGet, "/healthz", "", nil)
	var h healthReply
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("healthz: %d %s (%v)", rec.Code, rec.Body.String(), err)
	}
	if h.Status != "ok" || !h.Writes.OK || h.Writes.LastCommit == nil || h.Writes.FailingSince != nil || h.FreeBytes <= 0 || h.WALBytes <= 0 {
		t.Errorf("healthz = %+v, want ok with a last commit, free space and a WAL", h)
	}
}

// More responses than an XLSX sheet holds are refused before any row is written: 422 with
// what to do, not a million rows spilled and then a 500.
func TestExportTooManyRowsForXLSX(t *testing.T) {
	ts := newTestServer(t)
	key, _ := ts.apiKey(t)
	seedExport(t, ts, 3, false)
	i := slices.IndexFunc(report.ResponseFormats, func(f report.ResponseFormat) bool { return f.Name == "xlsx" })
	defer func(n int64) { report.ResponseFormats[i].MaxRows = n }(report.ResponseFormats[i].MaxRows)
	report.ResponseFormats[i].MaxRows = 2 // a sheet of two rows, for the test
	rec := ts.do(t, http.MethodGet, "/api/v1/responses?year=2026&format=xlsx", "", map[string]string{"Authorization": "Bearer " + key})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "download CSV") {
		t.Errorf("xlsx of 3 rows with room for 2: %d %s, want 422 saying to download CSV", rec.Code, rec.Body.String())
	}
	checkAPIError(t, rec, "too_many_rows")
}
