package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sipas/internal/auth"
	"sipas/internal/receipt"
	"sipas/internal/store"
)

// metrics are what GET /metrics exposes, in a registry of the server's own (not the global
// one), so two servers in one test process do not share counters. Labels are route patterns,
// never raw paths: a path holds a receipt token.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	submissions prometheus.Counter
	refusals    *prometheus.CounterVec
}

func newMetrics(st *store.Store, gate *auth.PasswordGate) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sipas_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sipas_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		submissions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sipas_submissions_total",
			Help: "Survey responses stored and acknowledged (303) through the citizen form.",
		}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sipas_refusals_total",
			Help: "Refused citizen attempts by reason (" + strings.Join(receipt.RefusalReasons, ", ") + ").",
		}, []string{"reason"}),
	}
	for _, r := range receipt.RefusalReasons {
		m.refusals.WithLabelValues(r) // every reason is exported from the start, at 0
	}
	m.reg.MustRegister(m.requests, m.latency, m.submissions, m.refusals,
		batchCollector{st, prometheus.NewDesc("sipas_store_write_batch_size",
			"Submissions per write transaction (group commit).", nil, nil)},
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "sipas_login_password_checks_total",
			Help: "Sign-in passwords checked (argon2id), whether the account exists or not.",
		}, func() float64 { return float64(gate.Verified()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "sipas_login_gate_refused_total",
			Help: "Sign-ins refused at once (503) because every password check slot was taken.",
		}, func() float64 { return float64(gate.Refused()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// batchCollector reads the store's batch-size histogram at scrape time, so the store needs
// no Prometheus dependency.
type batchCollector struct {
	st   *store.Store
	desc *prometheus.Desc
}

func (b batchCollector) Describe(ch chan<- *prometheus.Desc) { ch <- b.desc }

func (b batchCollector) Collect(ch chan<- prometheus.Metric) {
	st := b.st.WriteBatchStats()
	ch <- prometheus.MustNewConstHistogram(b.desc, st.Count, st.Sum, st.Buckets)
}

// observe counts and times every request. An error is answered here, through the one error
// handler, so that the status counted is the status sent.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		route, method, status := c.Path(), metricMethod(c.Request().Method), c.Response().Status
		s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		s.metrics.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		if route == "/s/:token" && method == http.MethodPost && status == http.StatusSeeOther {
			s.metrics.submissions.Inc()
		}
		return nil
	}
}

// metricMethod bounds the method label: a client may send any token as a method, and each new
// label value is a new time series.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// handleMetrics handles "GET /metrics" (API key of scope metrics): the Prometheus text format.
// The server's gzip middleware compresses it, once: promhttp's own compression is off (it was
// gzip inside gzip).
func (s *Server) handleMetrics(c echo.Context) error {
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{DisableCompression: true}).ServeHTTP(c.Response(), c.Request())
	return nil
}

// refused counts one refused citizen attempt, in /metrics and in the database's daily counts.
func (s *Server) refused(c echo.Context, reason string) {
	s.metrics.refusals.WithLabelValues(reason).Inc()
	if err := s.store.CountRefusal(c.Request().Context(), reason); err != nil {
		s.log.Error("count refusal", "err", err, "reason", reason)
	}
}
