package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
)

// Real faults (issue 18): a file system that fills up while the service runs, a database
// that is not there, a newer binary meeting an older database.

// mountTmpfs mounts a tmpfs of size bytes on a new directory and unmounts it when the test
// ends. Mounting needs root (and, in a container, the right to mount): skipped where it is
// refused, a failure with SIPAS_FAULTS=require, which .ci/run sets when it can mount one.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		if os.Getenv("SIPAS_FAULTS") != "require" {
			t.Skipf("cannot mount a tmpfs (needs root): %v %s; SIPAS_FAULTS=require makes this a failure", err, out)
		}
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file in dir until the file system is full and returns its name.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := bytes.Repeat([]byte{0x5a}, 64<<10)
	for {
		if _, err := f.Write(block); err != nil {
			break // ENOSPC; write what still fits, in smaller pieces
		}
	}
	for _, n := range []int{4096, 512, 1} {
		for {
			if _, err := f.Write(block[:n]); err != nil {
				break
			}
		}
	}
	return name
}

// faultClient does not follow redirects: a 303 is the acknowledgement.
var faultClient = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// submitForm posts a valid answer with a long comment (so each one needs new pages) and
// returns the status and the Retry-After header.
func submitForm(t *testing.T, base string, tok receipt.Token, i int) (int, string) {
	form := url.Values{"A1": {"4"}, "B1": {"5"}, "C1": {"3"}, "comment": {strings.Repeat(fmt.Sprint("góp ý ", i, " "), 60)}}
	resp, err := faultClient.Post(base+"/s/"+string(tok), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Errorf("submit: %v", err)
		return 0, ""
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// healthz returns /healthz's status and reply.
func healthz(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	resp, err := faultClient.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, h
}

// getXLSX downloads the raw XLSX export and returns the status, the body and the error of
// reading it.
func getXLSX(t *testing.T, base, key string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v1/responses?year=2026&format=xlsx", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := faultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// seedAnswered stores n answered responses of agency A in 2026 (the export's rows).
func seedAnswered(t *testing.T, st *store.Store, n int) {
	t.Helper()
	at := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	seeds := make([]store.Seed, n)
	for i := range seeds {
		tok, err := receipt.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		seeds[i] = store.Seed{NewReceipt: store.NewReceipt{TokenHash: tok.Hash(), AgencyCode: "A", Channel: "counter", Source: "api"},
			IssuedAt: at, SubmittedAt: at.Add(time.Duration(i) * time.Second), Answered: true,
			Submission: store.Submission{SurveyID: "sipas", SurveyVersion: "1", Source: "web", Answers: "A1:4 B1:5 C1:3",
				Comment: strings.Repeat(fmt.Sprint("nhận xét ", i, " "), 20)}}
	}
	storetest.MustSeedReceipts(t, st, seeds)
}

// The disk fills while citizens answer and an official exports: every refused answer is a
// 503 with Retry-After (never a 500), /healthz goes 503, the XLSX export (which spills its
// sheet beside the database) fails as an error and leaves no temporary file; nothing
// acknowledged is lost, and once there is room again the service recovers without a
// restart: /healthz 200, the refused answers go in, the export works.
func TestDiskFullAnsweredHonestly(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a file system; skipped with -short")
	}
	dir := mountTmpfs(t, 96<<20)
	db := filepath.Join(dir, "sipas.db")
	st := storetest.OpenPath(t, db, store.Options{})
	storetest.MustCreateAgency(t, st, "A", "Cơ quan A", "province")
	key := storetest.MustCreateAPIKey(t, st)
	seedAnswered(t, st, 50000) // an XLSX of them spills past excelize's 16 MiB in memory
	toks := make([]receipt.Token, 400)
	for i := range toks {
		toks[i] = storetest.MustCreateReceipt(t, st, "A")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, serveConfig{DB: db})

	if resp, body, err := getXLSX(t, ts.URL, key); err != nil || resp.StatusCode != http.StatusOK || !isZip(body) {
		t.Fatalf("export with room: %d, %d bytes, %v", resp.StatusCode, len(body), err)
	}
	status := make([]int, len(toks))
	for i := range 20 {
		if status[i], _ = submitForm(t, ts.URL, toks[i], i); status[i] != http.StatusSeeOther {
			t.Fatalf("submission %d with room: %d", i, status[i])
		}
	}
	filler := fillDisk(t, dir)
	var wg sync.WaitGroup
	var mu sync.Mutex
	retry := map[string]int{}
	for c := range 8 {
		wg.Go(func() {
			for i := 20 + c; i < len(toks); i += 8 {
				s, ra := submitForm(t, ts.URL, toks[i], i)
				mu.Lock()
				status[i] = s
				if s == http.StatusServiceUnavailable {
					retry[ra]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, s := range status {
		counts[s]++
	}
	t.Logf("with the disk full: statuses %v, Retry-After %v", counts, retry)
	if counts[http.StatusServiceUnavailable] == 0 || len(counts) > 2 || retry["10"] != counts[http.StatusServiceUnavailable] {
		t.Fatalf("statuses %v, Retry-After %v: want only 303 and 503, each 503 with Retry-After 10", counts, retry)
	}
	code, h := healthz(t, ts.URL)
	if code != http.StatusServiceUnavailable || h["status"] != "failing" {
		t.Errorf("/healthz with the disk full: %d %v, want 503 failing", code, h)
	}
	resp, body, err := getXLSX(t, ts.URL, key)
	t.Logf("XLSX export with the disk full: %d, %d bytes, read error %v", resp.StatusCode, len(body), err)
	if resp.StatusCode == http.StatusOK && err == nil && isZip(body) {
		t.Error("the export with the disk full produced a complete workbook")
	}
	if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
		t.Error("the export's 503 has no Retry-After")
	}
	if left, _ := os.ReadDir(db + "-tmp"); len(left) != 0 {
		t.Errorf("the failed export left %d temporary files", len(left))
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	recovered := waitHealthy(t, ts.URL, 10*time.Second)
	t.Logf("room again: /healthz 200 after %v, no restart", recovered)
	for i, s := range status {
		if s != http.StatusSeeOther {
			if status[i], _ = submitForm(t, ts.URL, toks[i], i); status[i] != http.StatusSeeOther {
				t.Errorf("resubmission %d after recovery: %d, want 303 (a 503 stored nothing)", i, status[i])
			}
		}
	}
	if resp, body, err := getXLSX(t, ts.URL, key); err != nil || resp.StatusCode != http.StatusOK || !isZip(body) {
		t.Errorf("export after recovery: %d, %v", resp.StatusCode, err)
	}
	checkAllAnswered(t, db, toks)
	if !strings.Contains(ts.Logs.String(), `"status":503`) {
		t.Error("no 503 request line in the log")
	}
}

func isZip(b []byte) bool {
	_, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	return err == nil
}

// waitHealthy polls /healthz until it answers 200 and returns how long that took.
func waitHealthy(t *testing.T, base string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if code, _ := healthz(t, base); code == http.StatusOK {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("/healthz not 200 within %v of the disk having room", within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkAllAnswered: every receipt has exactly one response (all were acknowledged, now or
// after the recovery), read through a read-only store of the live file.
func checkAllAnswered(t *testing.T, db string, toks []receipt.Token) {
	t.Helper()
	st, err := store.Open(t.Context(), db, store.Options{Access: store.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, tok := range toks {
		rc, err := st.FindReceiptByTokenHash(t.Context(), tok.Hash())
		if err != nil || !rc.Answered {
			t.Errorf("receipt %d: answered %v (%v), want its acknowledged answer", i, rc.Answered, err)
		}
	}
}

// serve on a missing or empty database refuses and creates nothing; --init creates it.
func TestServeRefusesAMissingDatabase(t *testing.T) {
	dir := isolate(t)
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{filepath.Join(dir, "missing.db"), empty} {
		code, _, stderr := runCmd(t, "", "serve", "--db", db, "--addr", "127.0.0.1:0")
		if code != exitError || !strings.Contains(stderr, "--init") || !strings.Contains(stderr, db) {
			t.Errorf("serve --db %s: exit %d, stderr %q; want 1 naming the file and --init", db, code, stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a refused serve left files: %v", entries)
	}
	// --init: the first start creates the database (startServer sets it).
	ts := startServer(t)
	if !strings.Contains(ts.Logs.String(), "created a new, empty database") {
		t.Errorf("serve --init on a new file did not say it created the database:\n%s", ts.Logs.String())
	}
}

// A binary with a migration more than the database: its backup and report leave the live
// schema as they found it (they open it read-only), its serve refuses until --migrate, and
// sipas migrate backs up before it migrates.
func TestNewerBinaryLeavesTheSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary; skipped with -short")
	}
	newer := filepath.Join(t.TempDir(), "sipas-newer")
	if out, err := exec.Command("go", "build", "-tags", "sipas_extra_migration", "-o", newer, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags sipas_extra_migration: %v\n%s", err, out)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	mustImport(t, db, "agencies", refAgencies)
	before := migrationsOf(t, db)
	cli := func(args ...string) (string, error) {
		cmd := exec.Command(newer, args...)
		cmd.Env = crashChildEnv()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := cli("backup", "--db", db, filepath.Join(dir, "copy.db")); err != nil {
		t.Fatalf("newer backup: %v\n%s", err, out)
	}
	if out, err := cli("report", "--db", db, "--year", "2026"); err == nil || !strings.Contains(out, "sipas migrate") {
		t.Errorf("newer report on an older database: %v, %q; want a refusal naming sipas migrate", err, out)
	}
	if out, err := cli("serve", "--db", db, "--addr", "127.0.0.1:0"); err == nil || !strings.Contains(out, "--migrate") {
		t.Errorf("newer serve on an older database: %v, %q; want a refusal naming --migrate", err, out)
	}
	if got := migrationsOf(t, db); !slices.Equal(got, before) {
		t.Fatalf("after the newer binary's backup, report and serve the live migrations are %v, want %v", got, before)
	}
	if got := migrationsOf(t, filepath.Join(dir, "copy.db")); !slices.Equal(got, before) {
		t.Errorf("the newer binary's copy has migrations %v, want the live ones %v", got, before)
	}
	// This binary still serves the database the newer one backed up.
	if code, _, stderr := runCmd(t, "", "report", "--db", db, "--year", "2026"); code != exitOK && strings.Contains(stderr, "migration") {
		t.Errorf("the older binary refuses the database after the newer one's backup: %s", stderr)
	}
	out, err := cli("migrate", "--db", db)
	if err != nil || !strings.Contains(out, "backed up to "+db+".before-9000_test_extra-") || !strings.Contains(out, "applied 9000_test_extra.sql") {
		t.Fatalf("newer migrate: %v\n%s", err, out)
	}
	if code, _, stderr := runCmd(t, "", "report", "--db", db, "--year", "2026"); code != exitError || !strings.Contains(stderr, "9000_test_extra.sql") {
		t.Errorf("older binary on the migrated database: exit %d, %q; want the unknown migration refused", code, stderr)
	}
}

// migrationsOf lists the applied migrations of a database file, read-only.
func migrationsOf(t *testing.T, db string) []string {
	t.Helper()
	st, err := store.Open(context.Background(), db, store.Options{Access: store.ReadOnlyAnyVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	names, err := st.Migrations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// Damaged pages are found at start (quick_check, beside the service), logged as an ERROR, and
// /healthz answers 500 "damaged" instead of serving them quietly until a report fails.
func TestServeReportsADamagedDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sipas.db")
	st := storetest.OpenPath(t, db, store.Options{})
	storetest.MustCreateAgency(t, st, "A", "Cơ quan A", "province")
	for range 300 {
		storetest.MustCreateReceipt(t, st, "A")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(db, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xee}, 64), fi.Size()-4096); err != nil { // the last page's header
		t.Fatal(err)
	}
	f.Close()
	ts := startServerWith(t, serveConfig{DB: db})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(ts.Logs.String(), "quick_check") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(ts.Logs.String(), `"level":"ERROR","msg":"quick_check: the database is damaged`) {
		t.Errorf("no ERROR line for the damage:\n%s", ts.Logs.String())
	}
	if code, h := healthz(t, ts.URL); code != http.StatusInternalServerError || h["status"] != "damaged" {
		t.Errorf("/healthz of a damaged database: %d %v, want 500 damaged", code, h)
	}
}

// The real binary, killed, then its WAL deleted: the next start says so in an ERROR line
// (the answers in that WAL are gone, and nothing else would say it). After a clean stop the
// same start says nothing of the kind.
func TestServeNoticesADeletedWAL(t *testing.T) {
	e := newCrashEnv(t)
	s := e.start(t)
	tokens := s.issue(t, e.key, 20)
	for _, tok := range tokens {
		if got := s.submit(tok); got != http.StatusSeeOther {
			t.Fatalf("submit: %d", got)
		}
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.wait(t, 10*time.Second)
	if err := os.Remove(e.db + "-wal"); err != nil {
		t.Fatalf("after SIGKILL the WAL should be there: %v", err)
	}
	s2 := e.start(t)
	logs := s2.logs.String()
	for _, want := range []string{"did not stop cleanly and there is no WAL", "a -shm file without its -wal file"} {
		if !strings.Contains(logs, want) || !strings.Contains(logs, `"level":"ERROR"`) {
			t.Errorf("start after the WAL was deleted: no ERROR line with %q\n%s", want, logs)
		}
	}
	s2.cmd.Process.Signal(syscall.SIGTERM)
	if err := s2.wait(t, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	s3 := e.start(t)
	if logs := s3.logs.String(); strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, `"msg":"wal at start"`) {
		t.Errorf("start after a clean stop: %s", logs)
	}
}
