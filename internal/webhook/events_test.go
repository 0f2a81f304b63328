package webhook_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
	"sipas/internal/webhook"
	"sipas/internal/webhook/webhooktest"
)

// TestRotationSignsWithBothSecrets: after a rotation every delivery carries two v1
// signatures, so a receiver that still trusts only the old secret, and one that trusts only
// the new one, both verify it.
func TestRotationSignsWithBothSecrets(t *testing.T) {
	e := newEnv(t)
	recv := webhooktest.New(t)
	id, old := e.register(t, recv.URL(), false, webhook.ResponseCreated)
	fresh := webhook.NewSecret()
	if err := e.st.RotateWebhookSecret(t.Context(), id, func(id int64) []byte { return e.sealer.Seal(id, fresh) }, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	e.run(t)
	recv.Trust(old)
	e.submit(t, 1)
	recv.WaitAccepted(t, 1, 10*time.Second)
	recv.Trust(fresh)
	e.submit(t, 1)
	msgs := recv.WaitAccepted(t, 2, 10*time.Second)
	for _, m := range msgs {
		if sigs := strings.Fields(m.Header.Get("webhook-signature")); len(sigs) != 2 {
			t.Errorf("webhook-signature %q: want two signatures during the rotation", sigs)
		}
	}
	if _, _, invalid := recv.Snapshot(); len(invalid) > 0 {
		t.Errorf("refused: %q", invalid)
	}
}

// TestGoneDisablesTheEndpoint: a 410 disables the endpoint with the reason shown; events
// after that are not queued for it, and those queued before wait; enabling it again
// delivers them.
func TestGoneDisablesTheEndpoint(t *testing.T) {
	e := newEnv(t)
	recv := webhooktest.New(t)
	id, secret := e.register(t, recv.URL(), false, webhook.ResponseCreated)
	recv.Trust(secret)
	recv.Answer(http.StatusGone)
	e.run(t)
	e.submit(t, 3)
	deadline := time.Now().Add(10 * time.Second)
	var ep store.WebhookEndpoint
	for time.Now().Before(deadline) {
		var err error
		if ep, err = e.st.FindWebhookEndpoint(t.Context(), id); err != nil {
			t.Fatal(err)
		}
		if ep.Disabled() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !ep.Disabled() || !strings.Contains(ep.DisabledReason, "410") {
		t.Fatalf("endpoint disabled %v (%q), want disabled for the 410", ep.Disabled(), ep.DisabledReason)
	}
	_, attempts, _ := recv.Snapshot()
	time.Sleep(200 * time.Millisecond)
	if _, later, _ := recv.Snapshot(); later != attempts {
		t.Errorf("a disabled endpoint got %d more attempts", later-attempts)
	}
	if ep, _ = e.st.FindWebhookEndpoint(t.Context(), id); ep.Pending < 1 || ep.Pending > 3 {
		t.Fatalf("%d deliveries wait, want the one that met the 410 at least", ep.Pending)
	}
	recv.Answer(http.StatusNoContent)
	if err := e.st.SetWebhookEndpointEnabled(t.Context(), id, true, ""); err != nil {
		t.Fatal(err)
	}
	recv.WaitAccepted(t, int(ep.Pending), 10*time.Second)
}

// TestRedeliverSendsTheSameMessage: a manual redelivery sends the same webhook-id and body.
func TestRedeliverSendsTheSameMessage(t *testing.T) {
	e := newEnv(t)
	recv := webhooktest.New(t)
	id, secret := e.register(t, recv.URL(), false, webhook.ResponseCreated)
	recv.Trust(secret)
	e.run(t)
	e.submit(t, 1)
	first := recv.WaitAccepted(t, 1, 10*time.Second)[0]
	var log []store.WebhookDelivery
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		// the receiver answered; the worker records the attempt just after
		if log, err = e.st.ListWebhookDeliveries(t.Context(), id, 10); err != nil || (len(log) == 1 && log[0].State != "pending") {
			break
		}
	}
	if err != nil || len(log) != 1 || log[0].State != "delivered" || len(log[0].Attempts) != 1 || log[0].Attempts[0].Status != 204 {
		t.Fatalf("delivery log = %+v (%v), want one delivered delivery with its 204 attempt", log, err)
	}
	if err := e.st.RedeliverWebhook(t.Context(), id, log[0].ID); err != nil {
		t.Fatal(err)
	}
	again := recv.WaitAccepted(t, 2, 10*time.Second)[1]
	if again.ID != first.ID || string(again.Body) != string(first.Body) {
		t.Errorf("redelivered %s %s, want the same message %s %s", again.ID, again.Body, first.ID, first.Body)
	}
	if err := e.st.RedeliverWebhook(t.Context(), id+1, log[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("redeliver through another endpoint: %v, want ErrNotFound", err)
	}
}

// TestPublishAndSpikeEvents: publishing a report and a burst of refusals over the threshold
// each send one event of their type, valid against the document.
func TestPublishAndSpikeEvents(t *testing.T) {
	st := storetest.OpenOptions(t, store.Options{RefusalSpike: 5})
	sealer, _ := webhook.NewSealer(webhook.NewKey())
	e := &env{st: st, sealer: sealer}
	recv := webhooktest.New(t)
	_, secret := e.register(t, recv.URL(), false, webhook.ReportPublished, webhook.RefusalsSpike)
	recv.Trust(secret)
	e.run(t)
	baseline := 2023
	if err := st.PublishReport(t.Context(), store.ReportPublication{Survey: "sipas", Year: 2026, Baseline: &baseline, PublishedBy: "a@b"},
		"https://sipas.example.gov.vn/api/v1/reports/index?year=2026&baseline=2023"); err != nil {
		t.Fatal(err)
	}
	for range 12 { // over the threshold of 5 in one hour: one spike, not two
		if err := st.CountRefusal(t.Context(), receipt.RefusalUnknownToken); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Refusals(t.Context(), time.Now()); err != nil { // flushes the counts
		t.Fatal(err)
	}
	recv.WaitAccepted(t, 2, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	msgs, _, _ := recv.Snapshot()
	types := map[string]int{}
	for _, m := range msgs {
		var ev struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(m.Body, &ev); err != nil {
			t.Fatal(err)
		}
		types[ev.Type]++
		if ev.Type == webhook.RefusalsSpike && ev.Data["refusals"].(float64) != 12 {
			t.Errorf("spike data %v, want 12 refusals", ev.Data)
		}
	}
	conforms(t, msgs)
	if types[webhook.ReportPublished] != 1 || types[webhook.RefusalsSpike] != 1 || len(msgs) != 2 {
		t.Errorf("events %v, want one report.published and one refusals.spike", types)
	}
}

// TestJudge is the retry and disabling rule.
func TestJudge(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	fresh := webhook.Delivery{RetryUntil: now.Add(webhook.RetryWindow)}
	failingLong := fresh
	failingLong.FailingSince = now.Add(-webhook.DisableAfter)
	late := webhook.Delivery{RetryUntil: now.Add(time.Second), Attempts: 9}
	for _, tt := range []struct {
		name             string
		d                webhook.Delivery
		status           int
		err              error
		delivered, retry bool
		disable          string
	}{
		{"2xx", fresh, 204, nil, true, false, ""},
		{"5xx is retried", fresh, 503, nil, false, true, ""},
		{"a redirect is a failure", fresh, 301, nil, false, true, ""},
		{"no answer is retried", fresh, 0, errors.New("connection refused"), false, true, ""},
		{"410 disables", fresh, 410, nil, false, true, "410"},
		{"24 h of failures disable", failingLong, 500, nil, false, true, "HTTP 500"},
		{"past the window: given up", late, 500, nil, false, false, ""},
	} {
		o := webhook.Judge(tt.d, now, tt.status, tt.err, webhook.Backoff)
		if o.Delivered != tt.delivered || !o.Retry.IsZero() != tt.retry || (tt.disable == "") != (o.Disable == "") ||
			!strings.Contains(o.Disable, tt.disable) {
			t.Errorf("%s: %+v, want delivered %v, retry %v, disable %q", tt.name, o, tt.delivered, tt.retry, tt.disable)
		}
	}
	var total time.Duration
	for n := 1; n <= 16; n++ {
		total += webhook.Backoff(n)
	}
	if webhook.Backoff(1) != 10*time.Second || webhook.Backoff(2) != 20*time.Second || webhook.Backoff(20) != 4*time.Hour ||
		total < webhook.RetryWindow {
		t.Errorf("schedule: %s, %s, … %s, 16 retries span %s; want 10 s, 20 s, … 4 h, more than 24 h", webhook.Backoff(1),
			webhook.Backoff(2), webhook.Backoff(20), total)
	}
}

// TestSealer: a sealed secret opens only for its endpoint and under its key.
func TestSealer(t *testing.T) {
	a, _ := webhook.NewSealer(webhook.NewKey())
	b, _ := webhook.NewSealer(webhook.NewKey())
	secret := webhook.NewSecret()
	sealed := a.Seal(7, secret)
	if got, err := a.Open(7, sealed); err != nil || got != secret {
		t.Errorf("Open = %q, %v", got, err)
	}
	if _, err := a.Open(8, sealed); !errors.Is(err, webhook.ErrUnseal) {
		t.Errorf("another endpoint's row opened it: %v", err)
	}
	if _, err := b.Open(7, sealed); !errors.Is(err, webhook.ErrUnseal) {
		t.Errorf("another key opened it: %v", err)
	}
	if strings.Contains(string(sealed), strings.TrimPrefix(secret, "whsec_")) {
		t.Error("the sealed form contains the secret")
	}
}

// TestSignReferenceVector: the signature of the Standard Webhooks reference libraries' test
// vector (libraries/go/webhook_test.go of standard-webhooks/standard-webhooks).
func TestSignReferenceVector(t *testing.T) {
	got, err := webhook.Sign([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
		[]byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; err != nil || got != want {
		t.Errorf("Sign = %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_short", "whsec_!!!"} {
		if _, err := webhook.Sign([]string{bad}, "msg_1", 1, nil); !errors.Is(err, webhook.ErrBadSecret) {
			t.Errorf("Sign with %q: %v, want ErrBadSecret", bad, err)
		}
	}
}

// TestKioskAnswersAreEvents: an answer taken at a kiosk (here without a receipt) is a
// response.created with source kiosk, written with the answer; a replayed key is not a
// second event.
func TestKioskAnswersAreEvents(t *testing.T) {
	e := newEnv(t)
	recv := webhooktest.New(t)
	_, secret := e.register(t, recv.URL(), true, webhook.ResponseCreated)
	recv.Trust(secret)
	e.run(t)
	k, err := e.st.CreateKiosk(t.Context(), store.NewKiosk{AgencyCode: agency, Counter: "Quầy 1", AllowWithoutReceipt: true, EnrolHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	ks := store.KioskSubmission{KioskID: k.ID, Key: "key-0123456789abcdef",
		Submission: store.Submission{SurveyID: "sipas-quick", SurveyVersion: "1", Answers: "A0:4", Comment: "nhanh"}}
	for range 2 {
		if _, err := e.st.SubmitKioskResponse(t.Context(), ks); err != nil {
			t.Fatal(err)
		}
	}
	recv.WaitAccepted(t, 1, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	msgs, _, _ := recv.Snapshot()
	conforms(t, msgs)
	var ev struct {
		Data webhook.Response `json:"data"`
	}
	if len(msgs) != 1 || json.Unmarshal(msgs[0].Body, &ev) != nil || ev.Data.Source != "kiosk" || ev.Data.Agency != agency ||
		ev.Data.Answers["A0"] != 4 || ev.Data.Comment == nil || *ev.Data.Comment != "nhanh" {
		t.Errorf("%d events, the first %s; want one kiosk response.created with its answer and comment", len(msgs), msgs[0].Body)
	}
}
