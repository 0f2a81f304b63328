package main

import (
	"sipas/internal/logtest"

	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sipas/internal/receipt"
)

// Continuous replication with Litestream (docs/operations.md, "Continuous replication"): the
// real `sipas serve --checkpoints external` under submission load, `litestream replicate`
// beside it to a file replica, then a disaster (both processes SIGKILLed at once, as when the
// machine dies) and a restore from the replica alone; then Litestream restarted on the
// surviving local database and stopped cleanly, and a second restore.
//
// What the test asserts:
//   - after the disaster, the restored database passes PRAGMA integrity_check, holds nothing
//     that was not submitted, and is a prefix of the acknowledged answers: every answer
//     acknowledged before the last replicated one was sent is in it;
//   - no answer acknowledged at least lsWindow before the disaster is missing (answers lost = 0
//     for those). lsWindow is 3 s: monitor-interval (1 s, Litestream reads the WAL) plus
//     sync-interval (1 s, it pushes to the replica), plus 1 s for a CI machine whose two cores
//     are shared with other packages' tests;
//   - after Litestream has been restarted on the local database and stopped with SIGTERM
//     (which makes it sync what it has), the restored database holds every acknowledged
//     answer, exactly the answers of the local database, none twice, and `sipas migrate`
//     accepts it.
//
// What it measures and logs: the replication lag of each acknowledged answer, bounded by the
// restores polled every lsPoll during the load (above: from its 303 to the end of the first
// restore that holds it; below: to the start of the last one that did not), the number
// acknowledged, and how long before the disaster the replica was complete. The load is
// lsRate answers a second (each a new receipt through the API, then the form), far above a
// province's peak but below what saturates a small CI machine, so that the lag measures
// Litestream's intervals rather than a starved scheduler. Figures are in docs/operations.md.

// litestreamVersion is the release .ci/run builds (see there for why this one).
const litestreamVersion = "v0.5.18"

const (
	lsMonitor = time.Second                      // monitor-interval: how often Litestream reads the WAL
	lsSync    = time.Second                      // sync-interval: how often it pushes to the replica
	lsWindow  = lsMonitor + lsSync + time.Second // what the test asserts; see above
	lsLoadFor = 8 * time.Second                  // submission load before the disaster
	lsPoll    = 250 * time.Millisecond
	lsClients = 8
	lsRate    = 100 // answers a second from all clients together, at most
)

// litestreamBin finds the litestream binary on PATH: skipped when absent, except on CI
// (CI set) where that is a failure, like the browser and zbar tests.
func litestreamBin(t *testing.T) string {
	t.Helper()
	install := "GOBIN=DIR go install github.com/benbjohnson/litestream/cmd/litestream@" + litestreamVersion + " and put DIR on PATH (.ci/run does)"
	bin, err := exec.LookPath("litestream")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("litestream not found on PATH (%s); set CI=true to make this a failure", install)
		}
		t.Fatalf("litestream not found on PATH (%s): %v", install, err)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", bin, err)
	}
	v := strings.TrimSpace(string(out))
	switch {
	case v == litestreamVersion:
	case !strings.HasPrefix(v, "v0.5."):
		t.Fatalf("%s is litestream %s; this test needs the v0.5 configuration and replica format (%s)", bin, v, install)
	case os.Getenv("CI") != "":
		t.Fatalf("%s is litestream %s, CI pins %s", bin, v, litestreamVersion)
	default:
		t.Logf("note: %s is litestream %s, not the pinned %s", bin, v, litestreamVersion)
	}
	return bin
}

// lsProcess is one running `litestream replicate`.
type lsProcess struct {
	cmd  *exec.Cmd
	logs *logtest.Buffer
	done chan error
}

func startLitestream(t *testing.T, bin, config string) *lsProcess {
	t.Helper()
	p := &lsProcess{logs: &logtest.Buffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, "replicate", "-config", config)
	p.cmd.Env = lsChildEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// stop sends sig and waits up to within for the process to end; if it is still running then,
// it is killed and stop reports false.
func (p *lsProcess) stop(sig os.Signal, within time.Duration) (exited bool) {
	p.cmd.Process.Signal(sig)
	select {
	case err := <-p.done:
		p.done <- err
		return true
	case <-time.After(within):
		p.cmd.Process.Kill()
		err := <-p.done
		p.done <- err
		return false
	}
}

// lsChildEnv is the environment without SIPAS_*, LITESTREAM_* and AWS_* settings from outside.
func lsChildEnv() []string {
	var env []string
	for _, kv := range crashChildEnv() {
		if !strings.HasPrefix(kv, "LITESTREAM_") && !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}

// lsRestore restores the latest state of the replica at url into the new file out.
func lsRestore(bin, url, out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "restore", "-o", out, url)
	cmd.Env = lsChildEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("litestream restore: %v\n%s", err, b)
	}
	return nil
}

// lsAnswer is one submission of the load. proc, the receipt's procedure, is unique and names
// the answer in a restored database.
type lsAnswer struct {
	proc        string
	sent, acked time.Time // acked: when the answer (any status) came back
	status      int       // 303, or 0 without an answer
}

// lsLoad issues receipts with distinct procedures and answers them from lsClients clients,
// lsRate a second in all (each client waits for its next slot), until stop is closed.
func lsLoad(s *crashServer, key string, stop <-chan struct{}) []lsAnswer {
	var seq atomic.Int64
	var mu sync.Mutex
	var all []lsAnswer
	var wg sync.WaitGroup
	for range lsClients {
		wg.Go(func() {
			var mine []lsAnswer
			defer func() { mu.Lock(); all = append(all, mine...); mu.Unlock() }()
			tick := time.NewTicker(time.Second * lsClients / lsRate)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				proc := fmt.Sprintf("ls-%06d", seq.Add(1))
				tok, ok := issueOne(s, key, proc)
				if !ok {
					return // the server is gone
				}
				a := lsAnswer{proc: proc, sent: time.Now()}
				a.status = s.submit(tok)
				a.acked = time.Now()
				mine = append(mine, a)
			}
		})
	}
	wg.Wait()
	return all
}

func issueOne(s *crashServer, key, proc string) (receipt.Token, bool) {
	body, _ := json.Marshal(map[string]string{"agency": "CR.STP", "procedure": proc})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/api/v1/receipts", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := crashClient.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var r struct{ Token string }
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&r) != nil {
		return "", false
	}
	return receipt.Token(r.Token), true
}

// answered reads a database file: the procedures of the answered receipts, and the result of
// PRAGMA integrity_check.
func answered(path string) (map[string]bool, string, error) {
	d, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, "", err
	}
	defer d.Close()
	ctx := context.Background()
	var check string
	if err := d.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil {
		return nil, "", fmt.Errorf("integrity_check: %w", err)
	}
	rows, err := d.QueryContext(ctx, `SELECT r.procedure FROM responses s JOIN receipts r ON r.id = s.receipt_id`)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, "", err
		}
		got[p] = true
	}
	return got, check, rows.Err()
}

// lsPollResult is one restore during the load.
type lsPollResult struct {
	start, end time.Time
	present    map[string]bool
	err        error
}

// lsPoller restores the replica every lsPoll into dir until stop is closed.
func lsPoller(bin, url, dir string, stop <-chan struct{}) []lsPollResult {
	var out []lsPollResult
	tick := time.NewTicker(lsPoll)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return out
		case <-tick.C:
		}
		r := lsPollResult{start: time.Now()}
		db := filepath.Join(dir, fmt.Sprintf("poll-%03d.db", i))
		if r.err = lsRestore(bin, url, db); r.err == nil {
			r.present, _, r.err = answered(db)
		}
		r.end = time.Now()
		out = append(out, r)
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(db + suffix)
		}
	}
}

func TestLitestreamReplicatesAcknowledgedAnswers(t *testing.T) {
	bin := litestreamBin(t)
	e := newCrashEnv(t)
	dir := t.TempDir()
	replica := filepath.Join(dir, "replica")
	url := "file://" + replica
	config := filepath.Join(dir, "litestream.yml")
	yml := fmt.Sprintf(`# written by TestLitestreamReplicatesAcknowledgedAnswers
logging:
  level: info
  stderr: true
dbs:
  - path: %s
    monitor-interval: %s
    replica:
      type: file
      path: %s
      sync-interval: %s
`, e.db, lsMonitor, replica, lsSync)
	if err := os.WriteFile(config, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}

	ls := startLitestream(t, bin, config)
	s := e.start(t, "--checkpoints", "external")
	if !strings.Contains(s.logs.String(), "checkpoints=external") {
		t.Errorf("the serving line does not show checkpoints=external:\n%s", s.logs)
	}
	// The replica exists once Litestream has taken its first snapshot.
	for i := 0; ; i++ {
		err := lsRestore(bin, url, filepath.Join(dir, fmt.Sprintf("first-%03d.db", i)))
		if err == nil {
			break
		}
		if i == 100 {
			t.Fatalf("no replica after 20 s: %v\nlitestream:\n%s", err, ls.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The load, restores of the replica every lsPoll, and after lsLoadFor the disaster:
	// Litestream and sipas SIGKILLed, Litestream first (sipas may acknowledge a few more
	// answers in between, which the replica cannot have). The load starts just after a sync
	// of Litestream, so a random delay puts the disaster anywhere between two syncs.
	stopLoad, stopPoll := make(chan struct{}), make(chan struct{})
	var answers []lsAnswer
	var polls []lsPollResult
	var wg sync.WaitGroup
	wg.Go(func() { answers = lsLoad(s, e.key, stopLoad) })
	wg.Go(func() { polls = lsPoller(bin, url, dir, stopPoll) })
	loadFor := lsLoadFor + rand.N(lsMonitor+lsSync)
	time.Sleep(loadFor)
	close(stopPoll)
	disaster := time.Now()
	ls.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Process.Signal(syscall.SIGKILL)
	close(stopLoad)
	wg.Wait()
	if err := s.wait(t, 10*time.Second); err == nil {
		t.Fatal("sipas exited cleanly: it was not killed")
	}
	ls.stop(syscall.SIGKILL, 10*time.Second)

	slices.SortFunc(answers, func(a, b lsAnswer) int { return a.acked.Compare(b.acked) })
	var acked []lsAnswer
	sent := map[string]bool{}
	for _, a := range answers {
		sent[a.proc] = true
		switch a.status {
		case http.StatusSeeOther:
			acked = append(acked, a)
		case 0: // no answer: the kill met it
		default:
			t.Errorf("answer %s: status %d during the load, want 303 or no answer", a.proc, a.status)
		}
	}
	if len(acked) == 0 {
		t.Fatalf("nothing was acknowledged: the test proved nothing\nsipas:\n%s", s.logs)
	}

	// Lag, from the polls: for each answer, the end of the first restore that holds it minus
	// its acknowledgement (above), and the start of the restore before it minus the same (below).
	var lags []time.Duration // upper bounds
	var lagBelow time.Duration
	for _, p := range polls {
		if p.err != nil {
			t.Errorf("restore during the load (%s): %v", p.start.Format(time.TimeOnly), p.err)
		}
	}
	for _, a := range acked {
		for k, p := range polls {
			if p.err == nil && p.present[a.proc] {
				lags = append(lags, max(0, p.end.Sub(a.acked)))
				if k > 0 && polls[k-1].err == nil {
					lagBelow = max(lagBelow, polls[k-1].start.Sub(a.acked))
				}
				break
			}
		}
	}
	slices.Sort(lags)

	// The disaster: only the replica is left.
	r1 := filepath.Join(dir, "after-disaster.db")
	if err := lsRestore(bin, url, r1); err != nil {
		t.Fatalf("restore after the disaster: %v\nlitestream:\n%s", err, ls.logs)
	}
	present, check, err := answered(r1)
	if err != nil || check != "ok" {
		t.Fatalf("restored database: integrity_check %q, %v", check, err)
	}
	if _, _, doubled := responseCounts(t, r1); doubled != 0 {
		t.Errorf("%d receipts answered twice in the restored database", doubled)
	}
	var lastSent time.Time // the latest sending of an answer the replica holds
	for p := range present {
		if !sent[p] {
			t.Errorf("restored database holds answer %s, which was never submitted", p)
		}
	}
	for _, a := range answers {
		if present[a.proc] && a.sent.After(lastSent) {
			lastSent = a.sent
		}
	}
	var missing []lsAnswer
	early, earlyLost := 0, 0 // acknowledged at least lsWindow before the disaster
	for _, a := range acked {
		if a.acked.Before(disaster.Add(-lsWindow)) {
			early++
		}
		if present[a.proc] {
			continue
		}
		missing = append(missing, a)
		if a.acked.Before(lastSent) {
			t.Errorf("answer %s acknowledged at %s is missing, but one sent later (%s) was replicated: the replica is not a prefix",
				a.proc, a.acked.Format(time.StampMilli), lastSent.Format(time.StampMilli))
		}
		if a.acked.Before(disaster.Add(-lsWindow)) {
			earlyLost++
			t.Errorf("answer %s acknowledged %.1f s before the disaster is not in the replica (window %s)",
				a.proc, disaster.Sub(a.acked).Seconds(), lsWindow)
		}
	}
	complete := disaster.Sub(acked[len(acked)-1].acked) // the replica has everything acknowledged up to this long before the disaster
	if len(missing) > 0 {
		complete = disaster.Sub(missing[0].acked)
	}

	// The local disk survived: Litestream restarted on it, then stopped cleanly (SIGTERM makes
	// it sync what it has; killed if it has not finished in 30 s), and restored again.
	ls2 := startLitestream(t, bin, config)
	// Litestream opens the database at the first tick of its monitor; stopped before that, it
	// syncs nothing (v0.5.18: 24 of 792 acknowledged answers missing when stopped after 0.1 s).
	time.Sleep(2*lsMonitor + lsSync/2)
	if !ls2.stop(syscall.SIGTERM, 30*time.Second) {
		t.Errorf("litestream did not stop within 30 s of SIGTERM and was killed\n%s", ls2.logs)
	}
	r2 := filepath.Join(dir, "after-restart.db")
	if err := lsRestore(bin, url, r2); err != nil {
		t.Fatalf("restore after the restart: %v\nlitestream:\n%s", err, ls2.logs)
	}
	present2, check2, err := answered(r2)
	if err != nil || check2 != "ok" {
		t.Fatalf("restored database after the restart: integrity_check %q, %v", check2, err)
	}
	lost := 0
	for _, a := range acked {
		if !present2[a.proc] {
			lost++
			t.Errorf("answer %s acknowledged at %s is not in the replica after Litestream's clean stop", a.proc, a.acked.Format(time.StampMilli))
		}
	}
	local, _, err := answered(e.db)
	if err != nil {
		t.Fatal(err)
	}
	for p := range local {
		if !present2[p] {
			t.Errorf("answer %s is in the local database but not in the replica", p)
		}
	}
	for p := range present2 {
		if !local[p] {
			t.Errorf("answer %s is in the replica but not in the local database", p)
		}
	}
	if _, _, doubled := responseCounts(t, r2); doubled != 0 {
		t.Errorf("%d receipts answered twice in the restored database", doubled)
	}
	e.cli(t, "migrate", "--db", r2) // sipas opens a restored database (with Litestream's own tables)

	pct := func(q float64) float64 {
		if len(lags) == 0 {
			return 0
		}
		return lags[min(len(lags)-1, int(q*float64(len(lags))))].Seconds()
	}
	var restoring time.Duration
	for _, p := range polls {
		restoring += p.end.Sub(p.start)
	}
	t.Logf("load: %d answers acknowledged in %s from %d clients (%.0f/s), %d without an answer; %d restores during the load, %.0f ms each on average",
		len(acked), loadFor.Round(time.Millisecond), lsClients, float64(len(acked))/loadFor.Seconds(), len(answers)-len(acked), len(polls),
		restoring.Seconds()*1000/float64(max(1, len(polls))))
	t.Logf("replication lag (from the 303 to the end of the first restore holding the answer, polled every %s; %d answers): median %.2f s, p90 %.2f s, max %.2f s; the largest lag is at least %.2f s",
		lsPoll, len(lags), pct(0.5), pct(0.9), pct(1), lagBelow.Seconds())
	t.Logf("disaster (both SIGKILLed): replica complete up to %.2f s before it; %d acknowledged answers missing, lost %d of the %d acknowledged at least %s before it",
		complete.Seconds(), len(missing), earlyLost, early, lsWindow)
	t.Logf("after Litestream's restart and clean stop: %d of %d acknowledged answers in the replica, lost %d; %d answers in all, %d in the local database; integrity_check ok",
		len(acked)-lost, len(acked), lost, len(present2), len(local))
}
