package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
	"sipas/internal/survey"
)

// benchClients is the number of concurrent citizens of BenchmarkSubmitHTTP.
const benchClients = 64

// BenchmarkSubmitHTTP measures durable submissions through the real HTTP stack: a server on
// 127.0.0.1:0, 64 concurrent clients POSTing valid forms on distinct receipts, every one
// answered 303 only after its transaction committed with synchronous=FULL. It reports
// submissions per second and the 99th percentile latency, with group commit and with one
// transaction per response. Run:
//
//	go test -run '^$' -bench SubmitHTTP -benchtime 4000x ./internal/web
func BenchmarkSubmitHTTP(b *testing.B) {
	b.Run("group-commit", func(b *testing.B) { benchSubmitHTTP(b, store.Options{}) })
	b.Run("one-tx-per-response", func(b *testing.B) { benchSubmitHTTP(b, store.Options{NoGroupCommit: true}) })
}

func benchSubmitHTTP(b *testing.B, opts store.Options) {
	st := storetest.OpenOptions(b, opts)
	storetest.MustCreateAgency(b, st, testAgency, testAgencyName, "province")
	srv := newServer(b, st, Config{Logger: slog.New(slog.DiscardHandler)})
	q := srv.q
	ts := httptest.NewServer(srv.srv)
	defer ts.Close()
	tokens := benchReceipts(b, st, "MG.STP", b.N)
	body := validForm(q, "Thủ tục nhanh gọn").Encode()
	client := benchClient(benchClients)

	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range benchClients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				t0 := time.Now()
				status, err := postForm(b.Context(), client, ts.URL+"/s/"+string(tokens[i]), body)
				lat[i] = time.Since(t0)
				if err != nil || status != http.StatusSeeOther {
					b.Errorf("submission %d: status %d, %v; want 303", i, status, err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "subs/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	if n, err := st.CountResponses(context.Background()); err != nil || n != b.N {
		b.Errorf("stored %d responses (%v), want %d", n, err, b.N)
	}
}

// benchReceipts issues n receipts in one transaction.
func benchReceipts(tb testing.TB, st *store.Store, agency string, n int) []receipt.Token {
	tb.Helper()
	toks := make([]receipt.Token, n)
	list := make([]store.NewReceipt, n)
	for i := range n {
		tok, err := receipt.NewToken()
		if err != nil {
			tb.Fatal(err)
		}
		toks[i] = tok
		list[i] = store.NewReceipt{TokenHash: tok.Hash(), AgencyCode: agency, Channel: "counter", Source: "api"}
	}
	if _, err := st.CreateReceipts(tb.Context(), list); err != nil {
		tb.Fatal(err)
	}
	return toks
}

// validForm answers every question of q with 4 and adds the comment.
func validForm(q *survey.Questionnaire, comment string) url.Values {
	v := url.Values{}
	for _, code := range q.Codes() {
		v.Set(code, "4")
	}
	if comment != "" {
		v.Set(survey.FormFieldComment, comment)
	}
	return v
}

// benchClient keeps one connection per client and does not follow redirects: the 303 is the
// acknowledgement.
func benchClient(conns int) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

func postForm(ctx context.Context, client *http.Client, u, body string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
