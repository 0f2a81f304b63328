package webhook_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"sipas/internal/store"
	"sipas/internal/store/storetest"
	"sipas/internal/webhook"
	"sipas/internal/webhook/webhooktest"
)

// BenchmarkDeliveryLatency measures how long after SubmitResponse has returned (the answer
// committed, group commit and synchronous=FULL) its response.created event is accepted by a
// receiver on loopback, with the worker as serve runs it (woken by the commit, 1 s poll).
// ns/op is one submission plus its delivery, one at a time; p50-ms and p99-ms are the
// delivery part alone.
func BenchmarkDeliveryLatency(b *testing.B) {
	st := storetest.Open(b)
	storetest.MustCreateAgency(b, st, agency, "Sở Tư pháp", "province")
	sealer, _ := webhook.NewSealer(webhook.NewKey())
	recv := webhooktest.New(b)
	secret := webhook.NewSecret()
	if _, err := st.CreateWebhookEndpoint(b.Context(), store.NewWebhookEndpoint{URL: recv.URL(), Events: []string{webhook.ResponseCreated}},
		func(id int64) []byte { return sealer.Seal(id, secret) }); err != nil {
		b.Fatal(err)
	}
	recv.Trust(secret)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { (&webhook.Worker{Queue: st, Sealer: sealer, Wake: st.WebhookWake()}).Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	sub := store.Submission{SurveyID: "sipas", SurveyVersion: "2026.1", Source: "web", Answers: "A1:5 B1:4"}
	var lat []time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		tok := storetest.MustCreateReceipt(b, st, agency)
		b.StartTimer()
		if err := st.SubmitResponse(b.Context(), tok.Hash(), sub); err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		n++
		recv.WaitAccepted(b, n, 10*time.Second)
		lat = append(lat, time.Since(committed))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
