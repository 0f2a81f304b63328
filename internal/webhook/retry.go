package webhook

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// The retry schedule (docs/api.md "Webhooks"): after the n-th failed attempt the next one
// waits FirstRetry·2^(n−1), at most MaxRetryDelay, ±10% jitter, for as long as the delivery
// is inside its RetryWindow (24 h from the event, or from a manual redelivery); the first
// failure after that is final. An endpoint whose every attempt failed for DisableAfter is
// disabled, as is one that answers 410 Gone.
const (
	FirstRetry    = 10 * time.Second
	MaxRetryDelay = 4 * time.Hour
	RetryWindow   = 24 * time.Hour
	DisableAfter  = 24 * time.Hour
	// Timeout bounds one attempt (the spec recommends 15–30 s).
	Timeout = 15 * time.Second
)

// Backoff is the wait before attempt n+1 after n failed attempts, without jitter.
func Backoff(n int) time.Duration {
	d := FirstRetry
	for i := 1; i < n && d < MaxRetryDelay; i++ {
		d *= 2
	}
	return min(d, MaxRetryDelay)
}

// jitter spreads d by ±10%, so that retries after an outage do not arrive together.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}

// Outcome is what one attempt's answer means for the delivery and its endpoint.
type Outcome struct {
	Delivered bool
	// Retry is when to try again; zero when the delivery is finished (delivered or given up).
	Retry time.Time
	// Disable is the reason to disable the endpoint, or "".
	Disable string
}

// Judge decides the outcome of an attempt of d at now that got status (0: no answer) or err.
// A 2xx is success; anything else, a redirect included (the spec: update the URL instead),
// is a failure.
func Judge(d Delivery, now time.Time, status int, err error, backoff func(int) time.Duration) Outcome {
	if err == nil && status >= 200 && status < 300 {
		return Outcome{Delivered: true}
	}
	var o Outcome
	if next := now.Add(jitter(backoff(d.Attempts + 1))); next.Before(d.RetryUntil) {
		o.Retry = next
	}
	switch {
	case status == http.StatusGone:
		o.Disable = "the endpoint answered 410 Gone"
	case !d.FailingSince.IsZero() && now.Sub(d.FailingSince) >= DisableAfter:
		o.Disable = fmt.Sprintf("every attempt failed for %s; the last: %s", DisableAfter, Describe(status, err))
	}
	return o
}

// Describe says what an attempt got, for the delivery log: "HTTP 503" or the error.
func Describe(status int, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("HTTP %d", status)
}
