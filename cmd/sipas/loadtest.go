package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sipas/internal/dataset"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/survey"
)

const loadtestUsage = `loadtest --target URL --key KEY --agency CODE [--clients 64] [--requests 2000] [--duration 1m]
         [--allow-remote] [--baseline-db FILE|off] [--baseline-n 500] [--surveys DIR]

Measures durable submissions against a running sipas: issues --requests receipts through
POST /api/v1/receipts, submits a valid form on each from --clients concurrent clients (until all
are sent or --duration has passed), prints throughput and latency percentiles, then checks that
every acknowledged (303) submission is stored by opening its survey page and expecting 409. It also
measures, in a temporary database, the raw rate of one FULL-sync transaction per response, for
comparison. Exit status 1 when an acknowledged submission is missing.

Only loopback targets are allowed unless --allow-remote: a load test writes real receipts and
responses. Valid answers are never rate-limited, so the server needs no special settings.`

// loadtestConfig is what one run of the load test needs.
type loadtestConfig struct {
	target    string
	key       string
	agency    string
	clients   int
	requests  int
	duration  time.Duration
	baseline  string // database file for the raw-rate baseline, "" for a temporary one, "off"
	baselineN int
	q         *survey.Questionnaire
}

func cmdLoadtest(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "loadtest", loadtestUsage)
	var c loadtestConfig
	fs.StringVar(&c.target, "target", "", "base `URL` of the running sipas, e.g. http://127.0.0.1:8080")
	fs.StringVar(&c.key, "key", envOr("SIPAS_API_KEY", ""), "API `key` that issues the receipts (env SIPAS_API_KEY)")
	fs.StringVar(&c.agency, "agency", "", "`code` of the agency the receipts belong to")
	fs.IntVar(&c.clients, "clients", 64, "concurrent `clients`")
	fs.IntVar(&c.requests, "requests", 2000, "`number` of receipts to issue and submit")
	fs.DurationVar(&c.duration, "duration", time.Minute, "stop submitting after this `long` even if some receipts are left")
	allowRemote := fs.Bool("allow-remote", false, "allow a target that is not a loopback address")
	fs.StringVar(&c.baseline, "baseline-db", "", "database `file` (must not exist) for the raw one-transaction-per-response rate; default a temporary directory, off to skip. Put it on the server database's file system")
	fs.IntVar(&c.baselineN, "baseline-n", 500, "`number` of responses the baseline stores")
	dir := surveysFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("loadtest takes no arguments, only flags")
	case c.target == "":
		return usagef("loadtest needs --target URL")
	case c.key == "":
		return usagef("loadtest needs --key (an API key: sipas apikey create --name loadtest --issue CODE)")
	case c.agency == "":
		return usagef("loadtest needs --agency CODE (an agency of the target's database)")
	case c.clients < 1 || c.requests < 1 || c.duration <= 0 || c.baselineN < 1:
		return usagef("--clients, --requests, --duration and --baseline-n must be positive")
	}
	c.target = strings.TrimRight(c.target, "/")
	if err := checkLoopback(c.target, *allowRemote); err != nil {
		return err
	}
	cat, err := loadSurveys(*dir)
	if err != nil {
		return err
	}
	if c.q, err = cat.Get(survey.DefaultID); err != nil {
		return err
	}
	return runLoadtest(ctx, e, c)
}

// checkLoopback refuses targets other than localhost and loopback addresses unless allowed.
func checkLoopback(target string, allowRemote bool) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--target %q must be an http:// or https:// URL", target)
	}
	if allowRemote {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return usagef("--target %s is not a loopback address: a load test writes real receipts and responses; add --allow-remote if you mean it", host)
}

// shot is one submission's outcome: status 0 when the request failed without an answer.
type shot struct {
	status  int
	latency time.Duration
}

func runLoadtest(ctx context.Context, e env, c loadtestConfig) error {
	client := &http.Client{
		Transport:     &http.Transport{MaxIdleConns: c.clients, MaxIdleConnsPerHost: c.clients, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	defer client.CloseIdleConnections()
	fmt.Fprintf(e.stdout, "target %s: %d clients, %d submissions, at most %s\n", c.target, c.clients, c.requests, c.duration)

	t0 := time.Now()
	tokens, err := issueReceipts(ctx, client, c)
	if err != nil {
		return err
	}
	d := time.Since(t0)
	fmt.Fprintf(e.stdout, "receipts:    %d issued in %s (%.0f/s)\n", len(tokens), d.Round(time.Millisecond), float64(len(tokens))/d.Seconds())

	shots, elapsed := submitAll(ctx, client, c, tokens)
	acked, unknown := reportShots(e, shots, tokens, elapsed)
	missing := verifyAcked(ctx, e, client, c, acked, unknown)
	if c.baseline != "off" {
		rate, p99, where, err := measureBaseline(ctx, c)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "baseline:    raw single-row insert, one FULL-sync transaction per response, in %s: %.0f/s (p99 %s)\n", where, rate, ms(p99))
		if rate > 0 && len(acked) > 0 {
			fmt.Fprintf(e.stdout, "ratio:       durable HTTP submissions = %.1f× the raw rate\n", float64(len(acked))/elapsed.Seconds()/rate)
		}
	}
	switch {
	case missing > 0:
		return fmt.Errorf("loadtest: %d acknowledged submissions are not stored", missing)
	case len(acked) == 0:
		return errors.New("loadtest: no submission was acknowledged")
	}
	return nil
}

// reportShots prints the submissions' statuses, throughput and latency, and returns the
// acknowledged tokens and those that got no answer.
func reportShots(e env, shots []shot, tokens []receipt.Token, elapsed time.Duration) (acked, unknown []receipt.Token) {
	byStatus := map[int]int{}
	var lat []time.Duration
	for i, s := range shots {
		switch s.status {
		case -1: // not sent: the duration ran out
			continue
		case 0:
			unknown = append(unknown, tokens[i])
		case http.StatusSeeOther:
			acked = append(acked, tokens[i])
		}
		byStatus[s.status]++
		lat = append(lat, s.latency)
	}
	fmt.Fprintf(e.stdout, "submissions: %d sent in %s: %s\n", len(lat), elapsed.Round(time.Millisecond), statusCounts(byStatus))
	if byStatus[http.StatusTooManyRequests] > 0 {
		fmt.Fprintln(e.stdout, "             (429: refused attempts from this address are held back; valid answers never are, so some of these were not valid)")
	}
	fmt.Fprintf(e.stdout, "throughput:  %.0f acknowledged submissions/s\n", float64(len(acked))/elapsed.Seconds())
	if len(lat) > 0 {
		slices.Sort(lat)
		fmt.Fprintf(e.stdout, "latency:     p50 %s  p90 %s  p99 %s  max %s\n",
			ms(percentile(lat, 0.50)), ms(percentile(lat, 0.90)), ms(percentile(lat, 0.99)), ms(lat[len(lat)-1]))
	}
	return acked, unknown
}

// verifyAcked checks that every acknowledged answer is stored (its survey page must answer
// 409), resubmits the unanswered ones, and returns how many acknowledged answers are missing.
func verifyAcked(ctx context.Context, e env, client *http.Client, c loadtestConfig, acked, unknown []receipt.Token) int {
	again := openTokens(ctx, client, c, acked)
	missing := 0
	for i, s := range again {
		if s.status != http.StatusConflict {
			missing++
			if missing <= 10 {
				fmt.Fprintf(e.stderr, "loadtest: acknowledged submission %s…: its page gave %s, want 409\n", acked[i].ShortCode()[:4], statusName(s.status))
			}
		}
	}
	fmt.Fprintf(e.stdout, "verify:      %d of %d acknowledged submissions stored (their pages gave 409), %d missing\n",
		len(acked)-missing, len(acked), missing)
	if len(unknown) > 0 {
		// No answer: stored or not, but at most once. Submitting again tells which, and stores it if not.
		n := map[int]int{}
		for _, s := range submitTokens(ctx, client, c, unknown) {
			n[s.status]++
		}
		fmt.Fprintf(e.stdout, "             %d submissions got no answer; submitting them again: %s\n", len(unknown), statusCounts(n))
	}
	return missing
}

// issueReceipts asks the target for c.requests receipts, from c.clients clients.
func issueReceipts(ctx context.Context, client *http.Client, c loadtestConfig) ([]receipt.Token, error) {
	body, _ := json.Marshal(map[string]string{"agency": c.agency, "channel": "counter", "procedure": "sipas loadtest"})
	tokens := make([]receipt.Token, c.requests)
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range min(c.clients, c.requests) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= c.requests {
					return
				}
				tok, err := issueReceipt(ctx, client, c, body)
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				tokens[i] = tok
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return tokens, nil
}

func issueReceipt(ctx context.Context, client *http.Client, c loadtestConfig, body []byte) (receipt.Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.target+"/api/v1/receipts", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("loadtest: issue receipt: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("loadtest: issue receipt: %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	var r struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Token == "" {
		return "", fmt.Errorf("loadtest: issue receipt: unexpected answer %.200q", b)
	}
	return receipt.ParseToken(r.Token)
}

// submitAll submits a valid form on every token until all are sent or c.duration has passed.
// Tokens not sent get status -1.
func submitAll(ctx context.Context, client *http.Client, c loadtestConfig, tokens []receipt.Token) ([]shot, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	start := time.Now()
	shots := submitTokens(ctx, client, c, tokens)
	return shots, time.Since(start)
}

// submitTokens posts one form per token from c.clients clients; once ctx ends, the tokens not
// yet sent get status -1 (requests in flight are let finish).
func submitTokens(ctx context.Context, client *http.Client, c loadtestConfig, tokens []receipt.Token) []shot {
	return eachToken(ctx, c, tokens, func(u string, rnd *rand.Rand) int {
		req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(loadtestForm(c.q, rnd).Encode()))
		if err != nil {
			return 0
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return statusOfRequest(client, req)
	})
}

// openTokens opens the survey page of each token: 409 says its answer is stored. Unlike
// submitting again, reopening an answered receipt is not a refusal, so the server's refusal
// limit does not hold the check back.
func openTokens(ctx context.Context, client *http.Client, c loadtestConfig, tokens []receipt.Token) []shot {
	return eachToken(ctx, c, tokens, func(u string, _ *rand.Rand) int {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return 0
		}
		return statusOfRequest(client, req)
	})
}

// eachToken runs send on the survey URL of every token from c.clients clients and returns
// each status (-1 when ctx ended first) and latency.
func eachToken(ctx context.Context, c loadtestConfig, tokens []receipt.Token, send func(u string, rnd *rand.Rand) int) []shot {
	shots := make([]shot, len(tokens))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(c.clients, len(tokens)) {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
			for {
				i := int(next.Add(1) - 1)
				if i >= len(tokens) {
					return
				}
				if ctx.Err() != nil {
					shots[i].status = -1
					continue
				}
				t0 := time.Now()
				// The request does not use ctx: a submission in flight when time is up finishes.
				shots[i].status = send(c.target+"/s/"+string(tokens[i]), rnd)
				shots[i].latency = time.Since(t0)
			}
		})
	}
	wg.Wait()
	return shots
}

// statusOfRequest sends req and returns the status, or 0 when no answer came.
func statusOfRequest(client *http.Client, req *http.Request) int {
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// loadtestForm is a valid answer: each question 1–5 or not applicable, and a short comment.
func loadtestForm(q *survey.Questionnaire, rnd *rand.Rand) url.Values {
	v := url.Values{}
	for _, code := range q.Codes() {
		if a := rnd.IntN(6); a > 0 {
			v.Set(code, fmt.Sprint(a))
		}
	}
	if q.Comment != nil {
		v.Set(survey.FormFieldComment, "sipas loadtest")
	}
	return v
}

// measureBaseline stores c.baselineN responses one transaction each (synchronous=FULL, no
// group commit) in a new database, one after the other, and returns the rate and p99.
func measureBaseline(ctx context.Context, c loadtestConfig) (float64, time.Duration, string, error) {
	path := c.baseline
	if path == "" {
		dir, err := os.MkdirTemp("", "sipas-loadtest-")
		if err != nil {
			return 0, 0, "", fmt.Errorf("loadtest: baseline: %w", err)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "baseline.db")
	} else if _, err := os.Stat(path); err == nil {
		return 0, 0, "", fmt.Errorf("loadtest: baseline: %s exists; name a new file", path)
	}
	st, err := store.Open(ctx, path, store.Options{NoGroupCommit: true})
	if err != nil {
		return 0, 0, "", fmt.Errorf("loadtest: baseline: %w", err)
	}
	defer st.Close()
	if _, err := st.ImportAgencies(ctx, []dataset.Agency{{Code: "BASE", Name: "Baseline", Level: "province"}}); err != nil {
		return 0, 0, "", fmt.Errorf("loadtest: baseline: %w", err)
	}
	hashes := make([]string, c.baselineN)
	list := make([]store.NewReceipt, c.baselineN)
	for i := range hashes {
		tok, err := receipt.NewToken()
		if err != nil {
			return 0, 0, "", err
		}
		hashes[i] = tok.Hash()
		list[i] = store.NewReceipt{TokenHash: hashes[i], AgencyCode: "BASE", Channel: "counter", Source: "api"}
	}
	if _, err := st.CreateReceipts(ctx, list); err != nil {
		return 0, 0, "", fmt.Errorf("loadtest: baseline: %w", err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, len(hashes))
	start := time.Now()
	for i, h := range hashes {
		v := loadtestForm(c.q, rnd)
		resp, verrs := c.q.ParseForm(v)
		if verrs != nil {
			return 0, 0, "", verrs
		}
		t0 := time.Now()
		if err := st.SubmitResponse(ctx, h, store.Submission{SurveyID: c.q.ID, SurveyVersion: c.q.Version, Source: "web",
			Answers: survey.EncodeAnswers(c.q.Codes(), resp.Answers), Comment: resp.Comment}); err != nil {
			return 0, 0, "", fmt.Errorf("loadtest: baseline: %w", err)
		}
		lat[i] = time.Since(t0)
	}
	elapsed := time.Since(start)
	slices.Sort(lat)
	return float64(len(hashes)) / elapsed.Seconds(), percentile(lat, 0.99), path, nil
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func statusName(s int) string {
	if s == 0 {
		return "no answer"
	}
	return fmt.Sprint(s)
}

func statusCounts(m map[int]int) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d × %s", m[k], statusName(k))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
