package web

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"sipas/internal/receipt"
	"sipas/internal/store"
)

// A service centre's Wi-Fi behind one address, with the default limits: 400 citizens with
// valid receipts answer within a minute and every answer is stored; then 300 bogus, reused,
// empty and invalid tries come from the same address, counted by reason, the ones past the
// address's budget held back (429); then 100 more citizens answer, among them the 60 whose
// empty or invalid forms were refused (their receipts stayed open), and every answer is
// stored.
func TestCrowdBehindOneAddressIsNeverTurnedAway(t *testing.T) {
	ts := newTestServer(t)
	const centre = "203.0.113.50"
	key, _ := ts.apiKey(t)
	toks := crowdReceipts(t, ts, 440)
	valid := validForm(ts.q, "Cán bộ hướng dẫn tận tình").Encode()
	post := func(tok receipt.Token, body string, port int) int {
		return from(ts.srv, fmt.Sprintf("%s:%d", centre, 10000+port), "/s/"+string(tok), body).Code
	}

	// 400 citizens at once, 20 at a time.
	start := time.Now()
	statuses := crowd(400, 20, func(i int) int { return post(toks[i], valid, i) })
	t.Logf("400 citizens from one address: %v in %v", countStatuses(statuses), time.Since(start).Round(time.Millisecond))
	for i, got := range statuses {
		if got != http.StatusSeeOther {
			t.Fatalf("citizen %d of 400: %d, want 303 (never turned away)", i, got)
		}
	}

	// 300 refused tries from the same address, in order: 60 unknown tokens and 60 reused
	// receipts (the budget, 120), then 180 of every kind, held back.
	empty, invalid := toks[400:430], toks[430:440]
	bad := validForm(ts.q, "")
	bad.Set(ts.q.Codes()[0], "9")
	var tries []func() int
	for i := range 60 {
		tries = append(tries, func() int { return post(receipt.Token(unknownToken(t)), valid, i) })
		tries = append(tries, func() int { return post(toks[i], valid, i) })
	}
	for i := range 30 {
		tries = append(tries,
			func() int { return post(receipt.Token(unknownToken(t)), valid, i) },
			func() int { return post(toks[100+i], valid, i) },
			func() int { return post("NOT-A-TOKEN", valid, i) },
			func() int { return post(empty[i], "lang=vi", i) },
			func() int { return post(invalid[i%10], bad.Encode(), i) },
			func() int { return post(empty[i], "", i) })
	}
	got := map[int]int{}
	for i, try := range tries {
		status := try()
		got[status]++
		if want := http.StatusTooManyRequests; i >= 120 && status != want {
			t.Errorf("try %d, past the budget: %d, want %d", i, status, want)
		}
	}
	t.Logf("300 refused tries: %v", got)
	if got[http.StatusNotFound] != 60 || got[http.StatusConflict] != 60 || got[http.StatusTooManyRequests] != 180 {
		t.Errorf("refused tries by status = %v, want 60 × 404, 60 × 409, 180 × 429", got)
	}

	// 100 more citizens, the 40 whose forms were refused among them.
	later := append(append([]receipt.Token{}, empty...), invalid...)
	later = append(later, crowdReceipts(t, ts, 60)...)
	statuses = crowd(len(later), 20, func(i int) int { return post(later[i], valid, 500+i) })
	for i, got := range statuses {
		if got != http.StatusSeeOther {
			t.Errorf("citizen %d of the last 100: %d, want 303", i, got)
		}
	}
	if n := len(ts.responses(t)); n != 440+60 {
		t.Errorf("%d responses stored, want 500", n)
	}

	// The refusals by reason, in the database and in /metrics: what each try was told.
	want := map[string]int64{receipt.RefusalUnknownToken: 60, receipt.RefusalReusedToken: 60, receipt.RefusalRateLimited: 180}
	counts := refusalCounts(t, ts.st)
	for _, r := range receipt.RefusalReasons {
		if counts[r] != want[r] {
			t.Errorf("refusals[%s] = %d, want %d (all: %v)", r, counts[r], want[r], counts)
		}
	}
	rec := do(ts.srv, http.MethodGet, "/metrics", "", "", "Authorization", "Bearer "+key)
	for _, line := range []string{
		`sipas_refusals_total{reason="unknown_token"} 60`, `sipas_refusals_total{reason="reused_token"} 60`,
		`sipas_refusals_total{reason="rate_limited"} 180`, `sipas_submissions_total 500`,
	} {
		if !strings.Contains(rec.Body.String(), line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

// The tries held back are still answered for what they are to whoever sent them: a refused
// form comes back filled in, and counted as held back, not under its own reason.
func TestHeldBackFormComesBackFilled(t *testing.T) {
	ts := newTestServerConfig(t, Config{AddressRefusals: RefusalLimit{Burst: 1}})
	tok := ts.receipt(t)
	if rec := from(ts.srv, "192.0.2.9:1", "/s/"+unknownToken(t), "A1=4"); rec.Code != http.StatusNotFound {
		t.Fatalf("first refusal: %d, want 404", rec.Code)
	}
	rec := from(ts.srv, "192.0.2.9:2", "/s/"+string(tok), "A1=4&A2=9&comment=Ch%E1%BB%9D+l%C3%A2u")
	body := rec.Body.String()
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("an invalid form from a held-back address: %d (Retry-After %q), want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	for _, want := range []string{"Mạng của bạn đã gửi quá nhiều lượt bị từ chối", `name="A1" value="4" checked`, `id="A2-e"`, ">Chờ lâu</textarea>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the 429 form lacks %q", want)
		}
	}
	if ts.answered(t, tok) {
		t.Error("the refused form answered the receipt")
	}
	if rec := from(ts.srv, "192.0.2.9:3", "/s/"+string(tok), "A1=4&A2=5"); rec.Code != http.StatusSeeOther {
		t.Errorf("the corrected form from the held-back address: %d, want 303", rec.Code)
	}
	if c := refusalCounts(t, ts.st); c[receipt.RefusalUnknownToken] != 1 || c[receipt.RefusalRateLimited] != 1 || c[receipt.RefusalInvalidAnswers] != 0 {
		t.Errorf("refusals = %v, want 1 unknown_token and 1 rate_limited", c)
	}
}

// crowdReceipts issues n receipts of the test agency in one transaction, with their numbers.
func crowdReceipts(t *testing.T, ts *testServer, n int) []receipt.Token {
	t.Helper()
	toks := make([]receipt.Token, n)
	list := make([]store.NewReceipt, n)
	for i := range toks {
		toks[i] = mustToken(t)
		list[i] = store.NewReceipt{TokenHash: toks[i].Hash(), NumberHash: receipt.NumberOf(toks[i]).Hash(),
			AgencyCode: testAgency, Channel: "counter", Source: "api"}
	}
	if _, err := ts.st.CreateReceipts(t.Context(), list); err != nil {
		t.Fatal(err)
	}
	return toks
}

// crowd runs do(0…n-1) on workers goroutines and returns the statuses, in order.
func crowd(n, workers int, do func(i int) int) []int {
	out := make([]int, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				out[i] = do(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func countStatuses(statuses []int) map[int]int {
	m := map[int]int{}
	for _, s := range statuses {
		m[s]++
	}
	return m
}

// refusalCounts is every refusal counted so far, by reason.
func refusalCounts(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	got, err := st.Refusals(t.Context(), time.Now().Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, r := range got {
		counts[r.Reason] += r.Count
	}
	return counts
}
