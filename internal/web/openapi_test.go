package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"sipas/internal/dataset"
	"sipas/internal/openapitest"
	"sipas/internal/report"
)

// checkContract is installed by newServer on every test server, first of its pre-routing
// middleware: every answer to a request under /api/v1, whatever the test, is validated
// against the OpenAPI document, and a mismatch fails the test that built the server. No API
// test can forget it. (Benchmarks skip it: it is not part of what they measure.)
func checkContract(tb testing.TB) echo.MiddlewareFunc {
	if _, bench := tb.(*testing.B); bench {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	contract := openapitest.Load(tb)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if !strings.HasPrefix(req.URL.Path, "/api/v1/") {
				return next(c)
			}
			tee := &teeWriter{ResponseWriter: c.Response().Writer}
			c.Response().Writer = tee
			if err := next(c); err != nil {
				c.Error(err) // what Echo would do with it after this middleware returns
			}
			res := c.Response()
			for _, p := range contract.CheckResponse(req, res.Status, res.Header(), tee.body.Bytes()) {
				tb.Errorf("OpenAPI: %s %s → %d: %s", req.Method, req.URL.RequestURI(), res.Status, p)
			}
			return nil
		}
	}
}

// teeWriter keeps a copy of the body written through it.
type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the recorder (flushes of streamed exports).
func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func TestOpenAPIDocumentIsValid(t *testing.T) {
	for _, p := range openapitest.Load(t).ValidateDocument() {
		t.Error(p)
	}
}

// TestOpenAPICoversEveryRoute compares Echo's route table under /api/v1 with the document's
// operations, both ways: a route added without its contract fails here.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	ts := newTestServer(t)
	param := regexp.MustCompile(`:([a-z_]+)`)
	var routes []string
	for _, r := range ts.srv.e.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") && r.Method != echo.RouteNotFound {
			routes = append(routes, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
		}
	}
	slices.Sort(routes)
	routes = slices.Compact(routes)
	ops := openapitest.Load(t).Operations()
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			t.Errorf("route %s is not in assets/openapi.json", r)
		}
	}
	for _, op := range ops {
		if !slices.Contains(routes, op) {
			t.Errorf("assets/openapi.json has %s, which the server does not route", op)
		}
	}
	if len(routes) < 8 {
		t.Errorf("only %d API routes found: %v", len(routes), routes)
	}
}

// TestOpenAPIFormats: the format= enums of the document are report.Formats and
// report.ResponseFormats, in order (the first is the default).
func TestOpenAPIFormats(t *testing.T) {
	m := openapitest.Load(t).Model()
	for path, want := range map[string]string{
		"/api/v1/reports/index": report.FormatNames(),
		"/api/v1/responses":     report.ResponseFormatNames(),
	} {
		var got []string
		for _, p := range m.Paths.PathItems.GetOrZero(path).Get.Parameters {
			if p.Name != "format" {
				continue
			}
			for _, e := range p.Schema.Schema().Enum {
				got = append(got, e.Value)
			}
		}
		if strings.Join(got, ", ") != want {
			t.Errorf("%s format enum = %v, want %s", path, got, want)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.do(t, http.MethodGet, "/api/v1/openapi.json", "", nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, Content-Type %q; want 200 JSON", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !bytes.Equal(rec.Body.Bytes(), openapitest.Load(t).Raw()) {
		t.Error("the served document is not assets/openapi.json")
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q (%v), want 3.1.x", doc.OpenAPI, err)
	}
}

// TestContractCatchesDrift: the check itself fails on answers that break the document.
func TestContractCatchesDrift(t *testing.T) {
	c := openapitest.Load(t)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	for _, tt := range []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
		ok                 bool
	}{
		{"receipt as documented", "POST", "/api/v1/receipts", 201, jsonHeader,
			`{"token":"7X065B0DXDT6RDNR","short_code":"7X06-5B0D-XDT6-RDNR","number":"1927 9925 8017","url":"HTTPS://X/S/7X065B0DXDT6RDNR","qr_png":"/a","qr_svg":"/b","agency":"A","channel":"counter"}`, true},
		{"receipt without its url", "POST", "/api/v1/receipts", 201, jsonHeader,
			`{"token":"7X065B0DXDT6RDNR","short_code":"x","qr_png":"/a","qr_svg":"/b","agency":"A","channel":"counter"}`, false},
		{"receipt with an undocumented field", "POST", "/api/v1/receipts", 201, jsonHeader,
			`{"token":"7X065B0DXDT6RDNR","short_code":"x","url":"u","qr_png":"/a","qr_svg":"/b","agency":"A","channel":"counter","colour":"red"}`, false},
		{"undocumented status", "POST", "/api/v1/receipts", 418, jsonHeader, `{"error":{"code":"teapot","message":"m"}}`, false},
		{"error with an extra field", "POST", "/api/v1/receipts", 422, jsonHeader, `{"error":{"code":"x","message":"m","detail":1}}`, false},
		{"undocumented content type", "GET", "/api/v1/reports/index?year=2026", 200, http.Header{"Content-Type": {"text/html"}}, `<p>`, false},
		{"unknown path answered 404", "GET", "/api/v1/nope", 404, jsonHeader, `{"error":{"code":"not_found","message":"m"}}`, true},
		{"unknown path answered 200", "GET", "/api/v1/nope", 200, jsonHeader, `{}`, false},
	} {
		req, _ := http.NewRequest(tt.method, tt.path, nil)
		problems := c.CheckResponse(req, tt.status, tt.header, []byte(tt.body))
		if got := len(problems) == 0; got != tt.ok {
			t.Errorf("%s: conforms = %v, want %v (%v)", tt.name, got, tt.ok, problems)
		}
	}
}

// TestReportShapesConform asks the report API for every shape its JSON takes (no baseline,
// a raw baseline, an aggregate baseline, filters, small areas) and every format, so that the
// contract check above sees each of them.
func TestReportShapesConform(t *testing.T) {
	e := newAdminEnv(t)
	key, _ := e.apiKey(t)
	se := 1.1
	if _, err := e.st.ImportAggregates(t.Context(), e.q.ID, []dataset.Aggregate{
		{Year: 2022, Index: "overall", Basis: dataset.BasisUnweighted, Percent: 81.5, N: 300, SE: &se},
		{Year: 2022, Index: "overall", Basis: dataset.BasisStratified, Percent: 80.9, N: 300},
		{Year: 2022, Index: e.q.Codes()[0], Basis: dataset.BasisUnweighted, Percent: 79, N: 290},
	}); err != nil {
		t.Fatal(err)
	}
	y := strconv.Itoa(e.year)
	for _, q := range []string{
		"year=" + y,
		"year=" + y + "&baseline=2023",
		"year=" + y + "&baseline=2022&baseline_source=aggregates",
		"year=" + y + "&baseline=2023&small_area=commune",
		"year=" + y + "&small_area=province",
		"year=" + y + "&baseline=2023&level=commune&channel=online",
		"year=" + y + "&baseline=2023&agency=" + ownAgency,
		"year=2001",
		"year=" + y + "&baseline=2023&format=csv",
		"year=" + y + "&format=xlsx&lang=en",
		"year=" + y + "&format=pdf",
	} {
		rec := e.do(t, http.MethodGet, "/api/v1/reports/index?"+q, "", map[string]string{"Authorization": "Bearer " + key})
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d\n%.300s", q, rec.Code, rec.Body.String())
		}
	}
}
