package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Delivery is one event to send to one endpoint: a row of the outbox.
type Delivery struct {
	ID         int64
	EndpointID int64
	URL        string
	MessageID  string // webhook-id: the same on every attempt
	EventType  string
	Body       []byte // signed and sent as it is, on every attempt
	Attempts   int    // attempts made before this one
	RetryUntil time.Time
	// FailingSince is the first failure of the endpoint's current run of failures; zero
	// when its last attempt succeeded.
	FailingSince time.Time
	// Secrets are the endpoint's sealed secrets: the current one, then the previous one
	// while a rotation lasts.
	Secrets [][]byte
}

// Attempt is one attempt of a delivery, as the worker records it.
type Attempt struct {
	DeliveryID, EndpointID int64
	At                     time.Time
	Status                 int // 0: no answer
	Error                  string
	Duration               time.Duration
	Outcome
}

// Queue is the outbox as the worker sees it; *store.Store implements it.
type Queue interface {
	// ClaimDeliveries returns up to max deliveries due at now, of enabled endpoints, and
	// puts each off until now+lease: a worker that dies while sending leaves them due again.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, max int) ([]Delivery, error)
	// RecordAttempt writes the attempt into the delivery log and applies its outcome.
	RecordAttempt(ctx context.Context, a Attempt) error
	// PruneDeliveries deletes finished deliveries older than before.
	PruneDeliveries(ctx context.Context, before time.Time) error
}

// Worker delivers the outbox: every due delivery, signed, with retries, until ctx ends.
type Worker struct {
	Queue  Queue
	Sealer *Sealer
	Client *http.Client // nil: one with Timeout and no redirects
	Log    *slog.Logger
	// Wake is signalled when deliveries are queued; the worker also looks every Poll.
	Wake <-chan struct{}
	Poll time.Duration // 0: 1 s
	// Backoff replaces the retry schedule (tests); nil: Backoff.
	Backoff func(n int) time.Duration
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// Parallel is how many deliveries one worker sends at once.
const Parallel = 4

// batch is how many due deliveries one look claims.
const batch = 32

// Keep is how long finished deliveries stay in the delivery log.
const Keep = 30 * 24 * time.Hour

func (w *Worker) defaults() {
	if w.Client == nil {
		w.Client = &http.Client{Timeout: Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	if w.Poll == 0 {
		w.Poll = time.Second
	}
	if w.Backoff == nil {
		w.Backoff = Backoff
	}
	if w.Now == nil {
		w.Now = time.Now
	}
}

// Run delivers until ctx ends; attempts in flight then finish (each within Timeout).
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	tick := time.NewTicker(w.Poll)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		for w.round(ctx) == batch {
			// a full batch: more may be due at once
		}
		if now := w.Now(); now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			if err := w.Queue.PruneDeliveries(ctx, now.Add(-Keep)); err != nil && ctx.Err() == nil {
				w.Log.Error("prune webhook deliveries", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-w.Wake:
		case <-tick.C:
		}
	}
}

// round claims the due deliveries and sends them, Parallel at a time; it returns how many
// it claimed.
func (w *Worker) round(ctx context.Context) int {
	if ctx.Err() != nil {
		return 0
	}
	list, err := w.Queue.ClaimDeliveries(ctx, w.Now(), 2*Timeout, batch)
	if err != nil {
		if ctx.Err() == nil {
			w.Log.Error("claim webhook deliveries", "err", err)
		}
		return 0
	}
	sem := make(chan struct{}, Parallel)
	var wg sync.WaitGroup
	for _, d := range list {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			w.deliver(context.WithoutCancel(ctx), d)
		})
	}
	wg.Wait()
	return len(list)
}

// deliver makes one attempt of d and records it. It runs to its end even when the worker is
// told to stop, so an answered attempt is not sent again.
func (w *Worker) deliver(ctx context.Context, d Delivery) {
	start := w.Now()
	status, err := w.send(ctx, d, start)
	a := Attempt{DeliveryID: d.ID, EndpointID: d.EndpointID, At: start, Status: status, Duration: w.Now().Sub(start)}
	if err != nil {
		a.Error = err.Error()
	}
	a.Outcome = Judge(d, start, status, err, w.Backoff)
	if err := w.Queue.RecordAttempt(ctx, a); err != nil {
		w.Log.Error("record webhook attempt", "err", err, "delivery_id", d.ID)
	}
	if a.Disable != "" {
		w.Log.Warn("webhook endpoint disabled", "endpoint_id", d.EndpointID, "reason", a.Disable)
	}
}

// errUnsealed is an endpoint whose secrets do not open: the sealing key changed.
var errUnsealed = errors.New("webhook: the endpoint's secret does not open with this server's sealing key (rotate it)")

// send posts d's body, signed for this attempt, and returns the answer's status.
func (w *Worker) send(ctx context.Context, d Delivery, at time.Time) (int, error) {
	secrets := make([]string, 0, len(d.Secrets))
	for _, sealed := range d.Secrets {
		s, err := w.Sealer.Open(d.EndpointID, sealed)
		if err != nil {
			return 0, errUnsealed
		}
		secrets = append(secrets, s)
	}
	ts := at.Unix()
	sig, err := Sign(secrets, d.MessageID, ts, d.Body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, fmt.Errorf("webhook: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sipas-webhooks/1")
	req.Header.Set("webhook-id", d.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := w.Client.Do(req)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // without the URL, which may carry the receiver's own credentials
	}
	if err != nil {
		return 0, fmt.Errorf("webhook: %s: %w", d.EventType, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}
