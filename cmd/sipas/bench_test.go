package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sipas/internal/dataset"
	"sipas/internal/index"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
	"sipas/internal/survey"
	"sipas/surveys"
)

// Benchmarks of issue 13 (reports whose cost does not grow with the responses) and of the
// import and batcher parts of issue 18, on the real binary and generated provinces of 30
// agencies and 24 questions (storetest.WriteSynthetic). Each prints its figure; run them all:
//
//	go test -run '^$' -bench . -benchtime 5x -timeout 60m ./cmd/sipas
//
// The generated databases are kept in $SIPAS_BENCH_DIR (default $TMPDIR/sipas-bench) so
// that later runs skip the generation; delete the directory to start again.

const benchAgencies = 30

var benchOnce struct {
	sync.Mutex
	bin string
}

// benchDir is where generated data are kept between runs.
func benchDir(b *testing.B) string {
	b.Helper()
	if testing.Short() {
		b.Skip("generates millions of responses; skipped with -short")
	}
	dir := os.Getenv("SIPAS_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "sipas-bench")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchBinary builds sipas once per run.
func benchBinary(b *testing.B) string {
	b.Helper()
	benchOnce.Lock()
	defer benchOnce.Unlock()
	if benchOnce.bin == "" {
		bin := filepath.Join(benchDir(b), "sipas")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
		benchOnce.bin = bin
	}
	return benchOnce.bin
}

func benchQuestionnaire(b *testing.B) *survey.Questionnaire {
	b.Helper()
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		b.Fatal(err)
	}
	q, err := cat.Get(survey.DefaultID)
	if err != nil {
		b.Fatal(err)
	}
	return q
}

// benchFiles generates (once) the CSV files of a province's year of n responses.
func benchFiles(b *testing.B, n int) storetest.SyntheticFiles {
	b.Helper()
	dir := filepath.Join(benchDir(b), fmt.Sprintf("csv-%d", n))
	g := storetest.Synthetic{Agencies: benchAgencies, Responses: n, Year: 2024, Codes: benchQuestionnaire(b).Codes(), Seed: 1}
	done := filepath.Join(dir, "done")
	if _, err := os.Stat(done); err == nil {
		return storetest.SyntheticFiles{Agencies: filepath.Join(dir, "Pagencies.csv"), Populations: filepath.Join(dir, "Ppopulations_2024.csv"),
			Responses: filepath.Join(dir, "Presponses_2024.csv")}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := storetest.WriteSynthetic(dir, g)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return f
}

// benchRun runs the binary, failing the benchmark on an error, and returns its stdout.
func benchRun(b *testing.B, stdin string, args ...string) string {
	b.Helper()
	cmd := exec.Command(benchBinary(b), args...)
	cmd.Env = crashChildEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		b.Fatalf("sipas %v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

// benchDB returns (once made) a database holding a province's year of n responses, imported
// with the real CLI.
func benchDB(b *testing.B, n int) string {
	b.Helper()
	db := filepath.Join(benchDir(b), fmt.Sprintf("db-%d.db", n))
	if _, err := os.Stat(db + ".done"); err == nil {
		return db
	}
	os.Remove(db)
	f := benchFiles(b, n)
	benchRun(b, "", "import", "agencies", "--db", db, f.Agencies)
	benchRun(b, "", "import", "populations", "--db", db, f.Populations)
	benchRun(b, "", "import", "responses", "--db", db, f.Responses)
	if err := os.WriteFile(db+".done", nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkReport is `sipas report --format json` as a whole process (start, open, migrate
// check, read, compute, write) on 100,000 and 1,000,000 imported responses, and on a national
// database of 20,000,000 (generated straight into a summary file and merged with `sipas
// summaries import`). Goals (issue 13): 1M ≤ 1 s and ≤ 1.5× the time of 100k; 20M ≤ 2 s.
func BenchmarkReport(b *testing.B) {
	times := map[string]time.Duration{}
	for _, tc := range []struct {
		name string
		db   func(*testing.B) string
	}{
		{"100k", func(b *testing.B) string { return benchDB(b, 100_000) }},
		{"1M", func(b *testing.B) string { return benchDB(b, 1_000_000) }},
		{"20M", bench20M},
	} {
		b.Run(tc.name, func(b *testing.B) {
			db := tc.db(b)
			args := []string{"report", "--db", db, "--year", "2024", "--format", "json"}
			benchRun(b, "", args...) // the first run may count summaries of an older database
			var total time.Duration
			for b.Loop() {
				t0 := time.Now()
				benchRun(b, "", args...)
				total += time.Since(t0)
			}
			times[tc.name] = total / time.Duration(b.N)
			b.ReportMetric(float64(times[tc.name].Microseconds())/1000, "ms/report")
		})
	}
	if times["100k"] > 0 && times["1M"] > 0 {
		b.Run("1M-over-100k", func(b *testing.B) {
			for b.Loop() {
			}
			b.ReportMetric(float64(times["1M"])/float64(times["100k"]), "ratio")
		})
	}
}

// bench20M makes (once) a national database whose summaries count 20,000,000 respondents of
// 30 agencies over every channel and month, with answers missing at random: a summary file
// counted with index.Counter, merged by `sipas summaries import`.
func bench20M(b *testing.B) string {
	b.Helper()
	const n = 20_000_000
	dir := benchDir(b)
	db := filepath.Join(dir, "db-20M.db")
	if _, err := os.Stat(db + ".done"); err == nil {
		return db
	}
	os.Remove(db)
	q := benchQuestionnaire(b)
	d := index.DesignOf(q)
	f := store.SummaryFile{Format: store.SummaryFileFormat, Version: store.SummaryFileVersion, Source: "db-bench-20M", ExportedAt: time.Now().UTC()}
	counts := map[string]*index.Stratum{}
	c := index.NewCounter(d)
	rng := rand.New(rand.NewPCG(20, 0))
	answers := make([]uint8, len(d.Questions))
	perAgency := make([]int, benchAgencies)
	for range n {
		a := rng.IntN(benchAgencies)
		perAgency[a]++
		key := fmt.Sprintf("P%02d/%s/%d", a, dataset.Channels[rng.IntN(3)], 1+rng.IntN(12))
		st := counts[key]
		if st == nil {
			s := c.NewStratum("")
			st = &s
			counts[key] = st
		}
		for i := range answers {
			answers[i] = 0
			if rng.IntN(10) != 0 {
				answers[i] = uint8(min(5, 2+rng.IntN(4)))
			}
		}
		c.Add(st, answers)
	}
	sv := store.SummaryFileSurvey{ID: q.ID, Design: d}
	for _, key := range slices.Sorted(maps.Keys(counts)) {
		parts := strings.Split(key, "/")
		month, _ := strconv.Atoi(parts[2])
		sv.Summaries = append(sv.Summaries, store.SummaryFileRow{Year: 2024, Agency: parts[0], Channel: parts[1], Month: month,
			Counts: counts[key].AppendBinary(nil)})
	}
	f.Surveys = []store.SummaryFileSurvey{sv}
	for a, m := range perAgency {
		code := fmt.Sprintf("P%02d", a)
		f.Agencies = append(f.Agencies, store.SummaryFileAgency{Code: code, Name: "Cơ quan " + code, Level: "district"})
		f.Populations = append(f.Populations, store.SummaryFilePop{Year: 2024, Agency: code, Receipts: float64(3 * m)})
	}
	file := filepath.Join(dir, "summaries-20M.json")
	raw, err := json.Marshal(f)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	benchRun(b, "", "summaries", "import", "--db", db, file)
	if err := os.WriteFile(db+".done", nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return db
}

// benchServer is one `sipas serve` of a benchmark.
type benchServer struct {
	url  string
	cmd  *exec.Cmd
	logs bytes.Buffer
}

// benchServe starts sipas serve on db and waits for /healthz.
func benchServe(b *testing.B, db string) *benchServer {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &benchServer{url: "http://" + addr}
	s.cmd = exec.Command(benchBinary(b), "serve", "--db", db, "--addr", addr, "--submit-rate", "0", "--log-format", "json")
	s.cmd.Env = crashChildEnv()
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, &s.logs
	if err := s.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		s.cmd.Wait()
	})
	for range 300 {
		if resp, err := http.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatalf("sipas serve did not start:\n%s", s.logs.String())
	return nil
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// benchSignIn creates (once) an analyst and signs in as a browser does.
func benchSignIn(b *testing.B, db, base string) *http.Client {
	b.Helper()
	const email, password = "bench@sipas.example", "mật khẩu đủ dài cho benchmark"
	cmd := exec.Command(benchBinary(b), "user", "add", "--db", db, "--email", email, "--role", "analyst", "--name", "Bench")
	cmd.Env, cmd.Stdin = crashChildEnv(), strings.NewReader(password+"\n")
	cmd.Run() // already there from an earlier run: fine
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: time.Minute}
	resp, err := client.Get(base + "/admin/login")
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		b.Fatalf("no CSRF field on the sign-in page")
	}
	resp, err = client.PostForm(base+"/admin/login", url.Values{"_csrf": {string(m[1])}, "email": {email}, "password": {password}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path == "/admin/login" {
		b.Fatalf("sign-in refused (status %d)", resp.StatusCode)
	}
	return client
}

// BenchmarkDashboard is one dashboard view (GET /admin/ of 2024, as the browser asks it,
// through the whole HTTP stack) of a signed-in analyst on 1,000,000 responses: the median and
// 90th percentile of b.N views. Goals (issue 13): median ≤ 200 ms, agency-filtered ≤ 100 ms.
func BenchmarkDashboard(b *testing.B) {
	db := benchDB(b, 1_000_000)
	s := benchServe(b, db)
	client := benchSignIn(b, db, s.url)
	for _, tc := range []struct{ name, query string }{{"all", "year=2024"}, {"agency", "year=2024&agency=P05"}} {
		b.Run(tc.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				resp, err := client.Get(s.url + "/admin/?" + tc.query)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("dashboard: status %d\n%s", resp.StatusCode, s.logs.String())
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
			b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds())/1000, "p90-ms")
		})
	}
}

// freshDB makes a new database with the province's agencies and stratum sizes.
func freshDB(b *testing.B, f storetest.SyntheticFiles) string {
	b.Helper()
	db := filepath.Join(b.TempDir(), "sipas.db")
	benchRun(b, "", "import", "agencies", "--db", db, f.Agencies)
	benchRun(b, "", "import", "populations", "--db", db, f.Populations)
	return db
}

// BenchmarkImport is `sipas import responses` of 1,000,000 rows (97 MB) into a new database, as
// a whole process: its time, its CPU time and its peak memory (max RSS). Goals: ≤ 20 s,
// ≤ 200 MB.
func BenchmarkImport(b *testing.B) {
	f := benchFiles(b, 1_000_000)
	var total, cpu time.Duration
	var rss int64
	for b.Loop() {
		b.StopTimer()
		db := freshDB(b, f)
		b.StartTimer()
		cmd := exec.Command(benchBinary(b), "import", "responses", "--db", db, f.Responses)
		cmd.Env = crashChildEnv()
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("import: %v\n%s", err, out)
		}
		total += time.Since(t0)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		rss = max(rss, ru.Maxrss)
		cpu += time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/import")
	// CPU time is the steadier figure on a machine others share: wall time grows with the load.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/import")
	b.ReportMetric(float64(rss)/1024, "max-RSS-MB")
}

// loadtestFigures are what `sipas loadtest` printed.
type loadtestFigures struct {
	throughput, p99 float64
	statuses        string
}

var (
	throughputLine = regexp.MustCompile(`throughput:\s+(\d+) acknowledged`)
	p99Line        = regexp.MustCompile(`p99 ([\d.]+) ms`)
	statusLine     = regexp.MustCompile(`sent in [^:]+: (.*)`)
)

// benchLoadtest runs sipas loadtest against s; started, if not nil, is called once its
// receipts are issued and the submissions begin.
func benchLoadtest(b *testing.B, s *benchServer, db string, requests int, started func()) loadtestFigures {
	b.Helper()
	key := lastLine(benchRun(b, "", "apikey", "create", "--name", "bench", "--issue", "P01", "--db", db))
	cmd := exec.Command(benchBinary(b), "loadtest", "--target", s.url, "--key", key, "--agency", "P01",
		"--clients", "64", "--requests", strconv.Itoa(requests), "--duration", "5m", "--baseline-db", "off")
	cmd.Env = crashChildEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var all strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		all.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "receipts:") && started != nil {
			started()
		}
	}
	if err := cmd.Wait(); err != nil {
		b.Fatalf("loadtest: %v\n%s\n%s", err, all.String(), s.logs.String())
	}
	var fg loadtestFigures
	if m := throughputLine.FindStringSubmatch(all.String()); m != nil {
		fg.throughput, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := p99Line.FindStringSubmatch(all.String()); m != nil {
		fg.p99, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := statusLine.FindStringSubmatch(all.String()); m != nil {
		fg.statuses = m[1]
	}
	return fg
}

// BenchmarkSubmissions is `sipas loadtest` (64 clients, 8000 durable submissions) against
// sipas serve, alone and while `sipas import responses` of 1,000,000 rows runs in another
// process on the same database. Goals: throughput and p99 no worse than before the summaries;
// during an import no 5xx and p99 < 100 ms.
func BenchmarkSubmissions(b *testing.B) {
	f := benchFiles(b, 1_000_000)
	for _, withImport := range []bool{false, true} {
		name := map[bool]string{false: "alone", true: "during-import"}[withImport]
		b.Run(name, func(b *testing.B) {
			var fg loadtestFigures
			for b.Loop() {
				db := freshDB(b, f)
				s := benchServe(b, db)
				imported := make(chan error, 1)
				start := func() {
					go func() {
						cmd := exec.CommandContext(context.Background(), benchBinary(b), "import", "responses", "--db", db, f.Responses)
						cmd.Env = crashChildEnv()
						out, err := cmd.CombinedOutput()
						if err != nil {
							err = fmt.Errorf("%w: %s", err, out)
						}
						imported <- err
					}()
				}
				if !withImport {
					start = nil
				}
				fg = benchLoadtest(b, s, db, 8000, start)
				if withImport {
					if err := <-imported; err != nil {
						b.Fatalf("import during the load: %v", err)
					}
				}
				if fg.statuses != "8000 × 303" {
					b.Errorf("submissions answered %s, want 8000 × 303", fg.statuses)
				}
			}
			b.ReportMetric(fg.throughput, "subs/s")
			b.ReportMetric(fg.p99, "p99-ms")
		})
	}
}
