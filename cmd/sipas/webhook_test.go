package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"sipas/internal/webhook/webhooktest"
)

// TestWebhooksSurviveSIGKILL: the real server takes answers while its webhook receiver is
// down, and is killed with SIGKILL with every delivery pending (some never attempted, some
// waiting for their retry, perhaps some in flight). Restarted, with the receiver up, it
// delivers an event for every acknowledged answer, each once, signed.
func TestWebhooksSurviveSIGKILL(t *testing.T) {
	e := newCrashEnv(t)
	recv := webhooktest.New(t)
	recv.Answer(http.StatusServiceUnavailable)
	out := strings.Fields(e.cli(t, "webhook", "add", "--url", recv.URL(), "--events", "response.created", "--db", e.db))
	if len(out) != 2 || !strings.HasPrefix(out[1], "whsec_") {
		t.Fatalf("webhook add printed %q, want an id and a whsec_ secret", out)
	}
	recv.Trust(out[1])

	s := e.start(t)
	tokens := s.issue(t, e.key, 300)
	status := s.load(tokens, 16, len(tokens)+1, func() {})
	for i, st := range status {
		if st != http.StatusSeeOther {
			t.Fatalf("submission %d: status %d, want 303", i, st)
		}
	}
	_, tried, _ := recv.Snapshot()
	s.cmd.Process.Signal(syscall.SIGKILL)
	if err := s.wait(t, 10*time.Second); err == nil {
		t.Fatal("the server exited cleanly: it was not killed")
	}
	t.Logf("killed with %d answers acknowledged and %d delivery attempts refused", len(tokens), tried)

	recv.Answer(http.StatusNoContent)
	s2 := e.start(t)
	start := time.Now()
	// Retries come 10 s after a refused attempt; one in flight at the kill after its 30 s lease.
	recv.WaitAccepted(t, len(tokens), 90*time.Second)
	took := time.Since(start)
	time.Sleep(2 * time.Second) // a duplicate would come now
	msgs, _, invalid := recv.Snapshot()
	s2.cmd.Process.Signal(syscall.SIGTERM)
	if err := s2.wait(t, 15*time.Second); err != nil {
		t.Fatalf("restarted server: %v\n%s", err, s2.logs)
	}
	if len(invalid) > 0 {
		t.Errorf("%d deliveries failed verification, e.g. %s", len(invalid), invalid[0])
	}
	want := storedResponseIDs(t, e.db)
	got := map[string]int{}
	for _, m := range msgs {
		var ev struct {
			Data struct {
				ResponseID string `json:"response_id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(m.Body, &ev); err != nil {
			t.Fatal(err)
		}
		got[ev.Data.ResponseID]++
	}
	for _, id := range want {
		if got[id] != 1 {
			t.Errorf("response %s: its event was accepted %d times, want once", id, got[id])
		}
	}
	if len(want) != len(tokens) || len(got) != len(want) {
		t.Errorf("%d responses stored, %d events received; want %d of each", len(want), len(got), len(tokens))
	}
	t.Logf("after SIGKILL and restart: %d of %d events delivered, each once, within %s", len(got), len(want), took.Round(time.Second))
}

func storedResponseIDs(t *testing.T, db string) []string {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.QueryContext(t.Context(), `SELECT response_id FROM responses`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
