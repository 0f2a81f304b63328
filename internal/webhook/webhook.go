// Package webhook is what sipas pushes to other systems: the event types and their payloads,
// Standard Webhooks signatures (https://www.standardwebhooks.com, spec 1.0.0), the sealing of
// endpoint secrets at rest, the retry schedule, and the worker that delivers the outbox the
// store writes in the same transaction as each event. It does no SQL: the worker reads and
// records through Queue, which the store implements.
package webhook

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The event types (docs/api.md "Webhooks"; their payloads are in assets/openapi.json).
const (
	// ResponseCreated: a citizen's response (web or kiosk, not an import) was committed.
	ResponseCreated = "response.created"
	// ReportPublished: an admin published the report of a year (/admin/webhooks).
	ReportPublished = "report.published"
	// RefusalsSpike: the refused attempts of one clock hour reached the threshold.
	RefusalsSpike = "refusals.spike"
)

// Events are the event types an endpoint may subscribe to, in the order forms show them.
var Events = []string{ResponseCreated, ReportPublished, RefusalsSpike}

// IsEvent reports whether name is one of Events.
func IsEvent(name string) bool { return slices.Contains(Events, name) }

// Envelope is the payload structure of the Standard Webhooks specification. Timestamp is
// when the event happened, not when it is delivered.
type Envelope struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// Response is the data of response.created. Comment is set only for endpoints allowed to
// receive comments (free text may name people); it is left out of the JSON otherwise.
type Response struct {
	ResponseID    string         `json:"response_id"`
	Survey        string         `json:"survey"`
	SurveyVersion string         `json:"survey_version"`
	Agency        string         `json:"agency"`
	Channel       string         `json:"channel"`
	Source        string         `json:"source"`
	SubmittedAt   time.Time      `json:"submitted_at"`
	Year          int            `json:"year"`
	Month         int            `json:"month"`
	Answers       map[string]int `json:"answers"`
	Expectations  []string       `json:"expectations"`
	Comment       *string        `json:"comment,omitempty"`
}

// Publication is the data of report.published: a thin payload, the receiver fetches the
// report from ReportURL with its API key (so every read of the data stays audited).
type Publication struct {
	Survey      string    `json:"survey"`
	Year        int       `json:"year"`
	Baseline    *int      `json:"baseline"`
	PublishedAt time.Time `json:"published_at"`
	ReportURL   string    `json:"report_url"`
}

// Spike is the data of refusals.spike.
type Spike struct {
	HourStart time.Time        `json:"hour_start"`
	Threshold int64            `json:"threshold"`
	Refusals  int64            `json:"refusals"`
	ByReason  map[string]int64 `json:"by_reason"`
}

// ParseAnswers reads answers in the stored form of package survey ("A1:5 B2:3") into a map
// of question code to 1–5; a malformed item is skipped (the store wrote it, so there is none).
func ParseAnswers(s string) map[string]int {
	out := map[string]int{}
	for _, item := range strings.Fields(s) {
		code, v, ok := strings.Cut(item, ":")
		if ok && len(v) == 1 && v[0] >= '1' && v[0] <= '5' {
			out[code] = int(v[0] - '0')
		}
	}
	return out
}

// NewMessageID is a new webhook-id: "msg_" and 24 random hex digits. It never contains a
// full stop, which would make id.timestamp.body ambiguous.
func NewMessageID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "msg_" + hex.EncodeToString(b)
}

// ErrBadURL is an endpoint URL that is not an absolute http or https URL with a host.
var ErrBadURL = errors.New("webhook: the URL must be an absolute http:// or https:// URL")

// ErrNoEvents is an endpoint that subscribes to nothing, or to an unknown event.
var ErrNoEvents = errors.New("webhook: choose one or more of " + strings.Join(Events, ", "))

// CheckEndpoint validates what an admin registers: the URL, and events (each in Events, at
// least one). It returns the events deduplicated in the order of Events.
func CheckEndpoint(rawURL string, events []string) ([]string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(rawURL) > 2000 {
		return nil, ErrBadURL
	}
	var out []string
	for _, e := range Events {
		if slices.Contains(events, e) {
			out = append(out, e)
		}
	}
	for _, e := range events {
		if !IsEvent(e) {
			return nil, ErrNoEvents
		}
	}
	if len(out) == 0 {
		return nil, ErrNoEvents
	}
	return out, nil
}
