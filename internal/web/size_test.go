package web

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"regexp"
	"testing"
)

// pageBudget is what the survey page and its stylesheet may weigh, gzip-compressed, together:
// about what a TCP connection's first round trip delivers (an initial window of 10 segments of
// 1,460 bytes), so a citizen on a weak 3G signal gets a usable page after one round trip.
const pageBudget = 14_000

func gzipLen(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

var stylesheetRE = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)"`)

func TestSurveyPageSize(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name, query, body string
	}{
		{"vi", "", ""},
		{"en", "?lang=en", ""},
		// The page again with an error on every question, as large as the page gets.
		{"vi with errors", "", "A1=9&A2=9&A3=9&A0=9&B1=9&B2=9&B3=9&B4=9&B0=9&C1=9&C2=9&C3=9&C4=9&C5=9&C0=9&D1=9&D2=9&D3=9&D0=9&E1=9&E2=9&E3=9&E4=9&E0=9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := ts.receipt(t)
			fetch := func(method, path, body string, gz bool) []byte {
				t.Helper()
				h := map[string]string{}
				if body != "" {
					h["Content-Type"] = "application/x-www-form-urlencoded"
				}
				if gz {
					h["Accept-Encoding"] = "gzip"
				}
				rec := ts.do(t, method, path, body, h)
				if rec.Code != http.StatusOK && rec.Code != http.StatusUnprocessableEntity {
					t.Fatalf("%s %s: status %d", method, path, rec.Code)
				}
				return rec.Body.Bytes()
			}
			method := http.MethodGet
			if tt.body != "" {
				method = http.MethodPost
			}
			path := "/s/" + string(tok) + tt.query
			page := fetch(method, path, tt.body, false)
			pageWire := fetch(method, path, tt.body, true)
			m := stylesheetRE.FindSubmatch(page)
			if m == nil {
				t.Fatal("the page links no stylesheet")
			}
			css := fetch(http.MethodGet, string(m[1]), "", false)
			cssWire := fetch(http.MethodGet, string(m[1]), "", true)

			pageGz, cssGz := gzipLen(t, page), gzipLen(t, css)
			t.Logf("survey page %s: HTML %d B raw, %d B gzip -9, %d B as served (gzip); CSS %d B raw, %d B gzip -9, %d B as served",
				tt.name, len(page), pageGz, len(pageWire), len(css), cssGz, len(cssWire))
			t.Logf("survey page %s: total %d B raw, %d B gzip -9, %d B as served", tt.name,
				len(page)+len(css), pageGz+cssGz, len(pageWire)+len(cssWire))
			if got := pageGz + cssGz; got >= pageBudget {
				t.Errorf("page + CSS = %d B gzip'd, want < %d B", got, pageBudget)
			}
			// A refused form too: routes.go skips gzip on POST /s/:token (a redirect needs no
			// compressor), and handleError compresses the form it sends back.
			if got := len(pageWire) + len(cssWire); got >= pageBudget {
				t.Errorf("page + CSS as served = %d B, want < %d B", got, pageBudget)
			}
		})
	}
}
