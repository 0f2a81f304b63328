// Package webhooktest is a webhook receiver for tests. It verifies what it receives with its
// own implementation of the Standard Webhooks specification (1.0.0, "Verifying webhook
// authenticity"), written from the specification and sharing no code with package webhook's
// signer, so that a mistake in the signer cannot hide behind the same mistake here.
package webhooktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tolerance is how far webhook-timestamp may be from the receiver's clock.
const Tolerance = 5 * time.Minute

// Message is one delivery the receiver accepted.
type Message struct {
	ID     string
	Header http.Header
	Body   []byte
}

// Receiver is an HTTP server that verifies and records webhooks.
type Receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	// secrets the receiver trusts (whsec_…): a signature by any of them is valid.
	secrets []string
	status  int // answered to valid deliveries; 2xx accepts them
	// Accepted holds every delivery answered 2xx, in order; Attempts counts every request;
	// Invalid lists the problems of requests that failed verification (answered 400).
	accepted []Message
	attempts int
	invalid  []string
	changed  chan struct{} // signalled after each request, for the waits
}

// New starts a receiver trusting secrets, answering 204; it stops when the test ends.
func New(tb testing.TB, secrets ...string) *Receiver {
	r := &Receiver{secrets: secrets, status: http.StatusNoContent, changed: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(r.srv.Close)
	return r
}

// URL is where the receiver listens.
func (r *Receiver) URL() string { return r.srv.URL + "/hooks/sipas" }

// Trust replaces the secrets the receiver trusts.
func (r *Receiver) Trust(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = secrets
}

// Answer sets the status valid deliveries get: 503 plays a receiver that is down, 204 up.
func (r *Receiver) Answer(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() {
		select {
		case r.changed <- struct{}{}:
		default:
		}
	}()
	r.attempts++
	if err == nil {
		err = verify(r.secrets, req.Header, body, time.Now())
	}
	if err != nil {
		r.invalid = append(r.invalid, err.Error())
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if r.status >= 200 && r.status < 300 {
		r.accepted = append(r.accepted, Message{ID: req.Header.Get("webhook-id"), Header: req.Header.Clone(), Body: body})
	}
	w.WriteHeader(r.status)
}

// verify checks one request as the specification tells a consumer to: the three headers,
// the timestamp within Tolerance, and at least one "v1," signature that is the base64
// HMAC-SHA256, keyed with the base64-decoded part of a trusted whsec_ secret, of
// "{webhook-id}.{webhook-timestamp}.{body}", compared in constant time.
func verify(secrets []string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q is not an integer", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("webhook-timestamp %s is %s from now", ts, d)
	}
	content := []byte(id + "." + ts + "." + string(body))
	for _, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if err != nil {
			return fmt.Errorf("the test's secret is not whsec_ base64: %v", err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write(content)
		want := mac.Sum(nil)
		for _, sig := range strings.Split(sigs, " ") {
			version, b64, ok := strings.Cut(sig, ",")
			got, err := base64.StdEncoding.DecodeString(b64)
			if ok && version == "v1" && err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return fmt.Errorf("no valid v1 signature in %q", sigs)
}

// Snapshot returns what the receiver has seen so far.
func (r *Receiver) Snapshot() (accepted []Message, attempts int, invalid []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.accepted...), r.attempts, append([]string(nil), r.invalid...)
}

// WaitAccepted waits until n deliveries were accepted, or fails the test after within.
func (r *Receiver) WaitAccepted(tb testing.TB, n int, within time.Duration) []Message {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		acc, attempts, invalid := r.Snapshot()
		if len(acc) >= n {
			return acc
		}
		if time.Now().After(deadline) {
			tb.Fatalf("receiver: %d of %d deliveries accepted after %s (%d attempts, %d invalid: %.3q)", len(acc), n, within, attempts, len(invalid), invalid)
		}
		r.wait()
	}
}

// WaitAttempts waits until at least n requests arrived (valid or not).
func (r *Receiver) WaitAttempts(tb testing.TB, n int, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		if _, attempts, _ := r.Snapshot(); attempts >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("receiver: fewer than %d attempts after %s", n, within)
		}
		r.wait()
	}
}

// wait returns after the next request, or after 50 ms.
func (r *Receiver) wait() {
	select {
	case <-r.changed:
	case <-time.After(50 * time.Millisecond):
	}
}
