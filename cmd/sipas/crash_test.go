package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
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

	"sipas/internal/logtest"
	"sipas/internal/receipt"
	_ "sipas/internal/store" // the sqlite driver, to count rows
)

// Durability against the real binary: `sipas serve` in a subprocess on a temporary database is
// killed with SIGKILL in the middle of a load (and, in the second test, stopped with SIGTERM),
// then restarted on the same database. Every submission it acknowledged (303) must be there,
// and no receipt may be answered twice.

// crashBuild builds the sipas binary into a temporary directory of the test (the build
// cache makes the second build a link).
func crashBuild(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sipas")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashEnv is a database with one agency and an API key, made with the real CLI.
type crashEnv struct {
	bin, db, key string
}

func newCrashEnv(t *testing.T) crashEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and kills the real server; skipped with -short")
	}
	e := crashEnv{bin: crashBuild(t), db: filepath.Join(t.TempDir(), "sipas.db")}
	csv := filepath.Join(t.TempDir(), "agencies.csv")
	if err := os.WriteFile(csv, []byte("code,name,level,parent_code\nCR.STP,Sở Tư pháp,province,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.cli(t, "import", "agencies", csv, "--db", e.db)
	e.key = strings.TrimSpace(e.cli(t, "apikey", "create", "--name", "crash test", "--issue", "CR.STP", "--db", e.db))
	return e
}

func (e crashEnv) cli(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(e.bin, args...)
	cmd.Env = crashChildEnv()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("sipas %v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

// crashChildEnv is the environment without SIPAS_* settings from outside.
func crashChildEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SIPAS_") {
			env = append(env, kv)
		}
	}
	return env
}

// crashServer is one running `sipas serve`.
type crashServer struct {
	cmd  *exec.Cmd
	url  string
	logs *logtest.Buffer
	done chan error
}

// start runs the server on a free loopback port and waits until /healthz answers. extra are
// more flags of serve.
func (e crashEnv) start(t *testing.T, extra ...string) *crashServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &crashServer{url: "http://" + addr, logs: &logtest.Buffer{}, done: make(chan error, 1)}
	// The check after a restart re-submits every answer from one address, expecting 409: a
	// refusal each, so the refusal limit is set out of its way.
	s.cmd = exec.Command(e.bin, append([]string{"serve", "--db", e.db, "--addr", addr, "--refusal-limit", "1000000", "--log-format", "json"}, extra...)...)
	s.cmd.Env = crashChildEnv()
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("sipas serve exited before answering: %v\n%s", err, s.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sipas serve did not answer /healthz in 10 s\n%s", s.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wait waits for the process to end and returns its exit error.
func (s *crashServer) wait(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(within):
		t.Fatalf("sipas serve still running after %s\n%s", within, s.logs)
		return nil
	}
}

var crashClient = &http.Client{
	Transport:     &http.Transport{MaxIdleConnsPerHost: 64},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       20 * time.Second,
}

// issue asks the server for n receipts through the API.
func (s *crashServer) issue(t *testing.T, key string, n int) []receipt.Token {
	t.Helper()
	toks := make([]receipt.Token, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || t.Failed() {
					return
				}
				req, _ := http.NewRequest(http.MethodPost, s.url+"/api/v1/receipts", strings.NewReader(`{"agency":"CR.STP","procedure":"crash"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := crashClient.Do(req)
				if err != nil {
					t.Errorf("issue receipt: %v", err)
					return
				}
				var r struct{ Token string }
				err = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated || err != nil {
					t.Errorf("issue receipt: %s, %v", resp.Status, err)
					return
				}
				toks[i] = receipt.Token(r.Token)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return toks
}

// crashForm is a valid answer to the default questionnaire.
var crashForm = url.Values{"A1": {"4"}, "B1": {"5"}, "C1": {"3"}, "comment": {"bình thường"}}.Encode()

func (s *crashServer) submit(tok receipt.Token) int {
	req, _ := http.NewRequest(http.MethodPost, s.url+"/s/"+string(tok), strings.NewReader(crashForm))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := crashClient.Do(req)
	if err != nil {
		return 0 // no answer: the outcome is unknown to the citizen
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// load submits every token from clients goroutines. After `after` acknowledgements it calls
// interrupt once; tokens not yet sent when interrupt has returned are left unsent (-1).
func (s *crashServer) load(tokens []receipt.Token, clients, after int, interrupt func()) []int {
	status := make([]int, len(tokens))
	var next, acks atomic.Int64
	var stopped atomic.Bool
	var once sync.Once
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(tokens) {
					return
				}
				if stopped.Load() {
					status[i] = -1
					continue
				}
				status[i] = s.submit(tokens[i])
				if status[i] == http.StatusSeeOther && acks.Add(1) == int64(after) {
					once.Do(func() {
						interrupt() // the other clients' requests in flight meet it
						stopped.Store(true)
					})
				}
			}
		})
	}
	wg.Wait()
	return status
}

// responseCounts reads the database file directly: responses, answered receipts, and
// receipts with more than one response.
func responseCounts(t *testing.T, db string) (responses, answered, doubled int) {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	for q, dst := range map[string]*int{
		`SELECT count(*) FROM responses`:                              &responses,
		`SELECT count(*) FROM receipts WHERE answered_at IS NOT NULL`: &answered,
		`SELECT count(*) FROM (SELECT receipt_id FROM responses WHERE receipt_id IS NOT NULL GROUP BY receipt_id HAVING count(*) > 1)`: &doubled,
	} {
		if err := d.QueryRowContext(ctx, q).Scan(dst); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return
}

// verifyAfterRestart checks, on a restarted server, that every acknowledged submission is
// stored (re-submitting gives 409), and settles the unanswered ones (303 or 409, once). It
// returns how many responses the database must now hold.
func verifyAfterRestart(t *testing.T, s *crashServer, tokens []receipt.Token, status []int) int {
	t.Helper()
	// Re-submit everything that was sent, and the first unsent receipt, from 32 clients.
	again := make([]int, len(tokens))
	firstUnsent := slices.Index(status, -1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(tokens) {
					return
				}
				if status[i] != -1 || i == firstUnsent {
					again[i] = s.submit(tokens[i])
				}
			}
		})
	}
	wg.Wait()
	var acked, unknown, unsent int
	want := 0
	for i, st := range status {
		switch st {
		case http.StatusSeeOther:
			acked++
			want++
			if again[i] != http.StatusConflict {
				t.Errorf("acknowledged submission %d: re-submitting after the restart gave %d, want 409 (the answer was lost)", i, again[i])
			}
		case 0:
			unknown++
			want++
			if again[i] != http.StatusSeeOther && again[i] != http.StatusConflict {
				t.Errorf("unanswered submission %d: re-submitting gave %d, want 303 or 409", i, again[i])
			}
		case -1:
			unsent++
			if i == firstUnsent {
				want++
				if again[i] != http.StatusSeeOther {
					t.Errorf("unsent receipt %d: first submission after the restart gave %d, want 303", i, again[i])
				}
			}
		default:
			t.Errorf("submission %d: status %d during the load, want 303 or no answer", i, st)
		}
	}
	t.Logf("%d acknowledged, %d without an answer, %d not sent", acked, unknown, unsent)
	if acked == 0 {
		t.Error("nothing was acknowledged before the interruption: the test proved nothing")
	}
	return want
}

func TestCrashKeepsAcknowledgedSubmissions(t *testing.T) {
	e := newCrashEnv(t)
	s := e.start(t)
	tokens := s.issue(t, e.key, 1000)

	status := s.load(tokens, 32, 300, func() { s.cmd.Process.Signal(syscall.SIGKILL) })
	if err := s.wait(t, 10*time.Second); err == nil {
		t.Fatal("the server exited cleanly: it was not killed")
	}
	s2 := e.start(t) // the same database, after a crash: WAL recovery happens at open
	want := verifyAfterRestart(t, s2, tokens, status)
	s2.cmd.Process.Signal(syscall.SIGTERM)
	if err := s2.wait(t, 15*time.Second); err != nil {
		t.Fatalf("restarted server: %v\n%s", err, s2.logs)
	}
	responses, answered, doubled := responseCounts(t, e.db)
	if responses != want || answered != want || doubled != 0 {
		t.Errorf("database: %d responses, %d answered receipts, %d answered twice; want %d, %d, 0",
			responses, answered, doubled, want, want)
	}
	t.Logf("after SIGKILL and restart: %d responses stored, as acknowledged", responses)
}

func TestSIGTERMDrainsInFlightSubmissions(t *testing.T) {
	e := newCrashEnv(t)
	s := e.start(t)
	tokens := s.issue(t, e.key, 1000)

	status := s.load(tokens, 32, 300, func() { s.cmd.Process.Signal(syscall.SIGTERM) })
	if err := s.wait(t, 15*time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v, want exit 0\n%s", err, s.logs)
	}
	if !strings.Contains(s.logs.String(), `"msg":"shutting down"`) {
		t.Errorf("no shutdown line in the log:\n%s", s.logs)
	}
	s2 := e.start(t)
	want := verifyAfterRestart(t, s2, tokens, status)
	s2.cmd.Process.Signal(syscall.SIGTERM)
	if err := s2.wait(t, 15*time.Second); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
	responses, answered, doubled := responseCounts(t, e.db)
	if responses != want || answered != want || doubled != 0 {
		t.Errorf("database: %d responses, %d answered receipts, %d answered twice; want %d, %d, 0",
			responses, answered, doubled, want, want)
	}
}
