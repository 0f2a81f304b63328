package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"sipas/internal/openapitest"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
	"sipas/internal/webhook"
	"sipas/internal/webhook/webhooktest"
)

const agency = "WH.STP"

// env is a store with an agency, a sealer, and a worker on a fast retry schedule.
type env struct {
	st     *store.Store
	sealer *webhook.Sealer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := storetest.Open(t)
	storetest.MustCreateAgency(t, st, agency, "Sở Tư pháp", "province")
	sealer, err := webhook.NewSealer(webhook.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, sealer: sealer}
}

// register adds an endpoint of url for events and returns its id and secret.
func (e *env) register(t *testing.T, url string, withComments bool, events ...string) (int64, string) {
	t.Helper()
	secret := webhook.NewSecret()
	id, err := e.st.CreateWebhookEndpoint(t.Context(), store.NewWebhookEndpoint{URL: url, Events: events, WithComments: withComments},
		func(id int64) []byte { return e.sealer.Seal(id, secret) })
	if err != nil {
		t.Fatal(err)
	}
	return id, secret
}

// run starts the worker with retries after 20 ms, 40 ms, … at most 200 ms; it stops, and is
// waited for, when the test ends.
func (e *env) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &webhook.Worker{Queue: e.st, Sealer: e.sealer, Wake: e.st.WebhookWake(), Poll: 20 * time.Millisecond,
		Backoff: func(n int) time.Duration { return min(20*time.Millisecond<<(n-1), 200*time.Millisecond) }}
	var wg sync.WaitGroup
	wg.Go(func() { w.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// submit stores n citizen responses, each with a comment, and returns their response ids.
func (e *env) submit(t *testing.T, n int) []string {
	t.Helper()
	for i := range n {
		tok := storetest.MustCreateReceipt(t, e.st, agency)
		sub := store.Submission{SurveyID: "sipas", SurveyVersion: "2026.1", Source: "web", Answers: "A1:5 B1:3", Comment: "góp ý số " + string(rune('0'+i%10))}
		if err := e.st.SubmitResponse(t.Context(), tok.Hash(), sub); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, r := range storetest.Responses(t, e.st) {
		ids = append(ids, r.ResponseID)
	}
	return ids
}

type event struct {
	Type      string         `json:"type"`
	Timestamp time.Time      `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

// conforms checks every message against the webhooks of the OpenAPI document.
func conforms(t *testing.T, msgs []webhooktest.Message) {
	t.Helper()
	contract := openapitest.Load(t)
	for _, m := range msgs {
		var ev event
		if err := json.Unmarshal(m.Body, &ev); err != nil {
			t.Fatalf("body %s: %v", m.Body, err)
		}
		for _, p := range contract.CheckWebhook(ev.Type, m.Header, m.Body) {
			t.Errorf("webhook %s against the OpenAPI document: %s", ev.Type, p)
		}
	}
}

// received checks every accepted message against the OpenAPI document and returns, per
// webhook-id, how many times it was accepted, and the response ids carried.
func received(t *testing.T, msgs []webhooktest.Message) (byID map[string]int, responseIDs []string, comments int) {
	t.Helper()
	conforms(t, msgs)
	byID = map[string]int{}
	for _, m := range msgs {
		var ev event
		if err := json.Unmarshal(m.Body, &ev); err != nil {
			t.Fatalf("body %s: %v", m.Body, err)
		}
		byID[m.ID]++
		if byID[m.ID] == 1 {
			responseIDs = append(responseIDs, ev.Data["response_id"].(string))
		}
		if _, ok := ev.Data["comment"]; ok {
			comments++
		}
	}
	slices.Sort(responseIDs)
	return byID, responseIDs, comments
}

// TestReceiverDownThenUp: the receiver refuses every delivery for a while (503), then
// accepts: every event arrives, signed, exactly once per webhook-id, with the comment only
// at the endpoint allowed to read it.
func TestReceiverDownThenUp(t *testing.T) {
	e := newEnv(t)
	plain, withComments := webhooktest.New(t), webhooktest.New(t)
	_, s1 := e.register(t, plain.URL(), false, webhook.ResponseCreated)
	_, s2 := e.register(t, withComments.URL(), true, webhook.ResponseCreated, webhook.ReportPublished)
	plain.Trust(s1)
	withComments.Trust(s2)
	plain.Answer(http.StatusServiceUnavailable)
	withComments.Answer(http.StatusServiceUnavailable)
	e.run(t)

	const n = 40
	want := e.submit(t, n)
	slices.Sort(want)
	plain.WaitAttempts(t, 3*n, 20*time.Second) // every delivery refused, and retried, at least once
	withComments.WaitAttempts(t, 3*n, 20*time.Second)
	plain.Answer(http.StatusNoContent)
	withComments.Answer(http.StatusOK)

	for name, r := range map[string]*webhooktest.Receiver{"plain": plain, "with comments": withComments} {
		r.WaitAccepted(t, n, 30*time.Second)
		time.Sleep(300 * time.Millisecond) // longer than any retry: a second delivery would show now
		msgs, attempts, invalid := r.Snapshot()
		byID, got, comments := received(t, msgs)
		if len(invalid) > 0 {
			t.Errorf("%s: %d deliveries failed verification: %q", name, len(invalid), invalid[0])
		}
		for id, k := range byID {
			if k != 1 {
				t.Errorf("%s: %s accepted %d times, want once", name, id, k)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: received %d response ids, want the %d stored", name, len(got), len(want))
		}
		if wantComments := map[string]int{"plain": 0, "with comments": n}[name]; comments != wantComments {
			t.Errorf("%s: %d payloads carry a comment, want %d", name, comments, wantComments)
		}
		t.Logf("%s: %d events, %d attempts, all verified and accepted once", name, n, attempts)
	}
	for _, ep := range mustEndpoints(t, e.st) {
		if ep.Pending != 0 || ep.Disabled() || !ep.FailingSince.IsZero() {
			t.Errorf("endpoint %d: pending %d, disabled %v, failing since %v; want 0, no, never", ep.ID, ep.Pending, ep.Disabled(), ep.FailingSince)
		}
	}
}

func mustEndpoints(t *testing.T, st *store.Store) []store.WebhookEndpoint {
	t.Helper()
	list, err := st.ListWebhookEndpoints(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return list
}
