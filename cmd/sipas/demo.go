package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/survey"
)

const demoUsage = "demo [--addr 127.0.0.1:8080] [--db sipas-demo.db] [--base-url URL]"

func cmdDemo(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "demo", demoUsage)
	db := fs.String("db", envOr("SIPAS_DEMO_DB", "sipas-demo.db"), "demo database `file`, recreated at every start (env SIPAS_DEMO_DB)")
	cfg, log, err := parseServe(e, fs, db, args)
	if err != nil {
		return err
	}
	cat, err := loadSurveys(cfg.Surveys)
	if err != nil {
		return err
	}
	q, err := cat.Get(survey.DefaultID)
	if err != nil {
		return err
	}
	if err := removeDemoDB(ctx, cfg.DB); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return err
	}
	info, err := seedDemo(ctx, st, q, cfg.BaseURL, time.Now())
	st.Close()
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, info)
	cfg.Init = true // the demo's own database, made just now
	return runServer(ctx, cfg, log, nil)
}

// removeDemoDB deletes an earlier demo database, and refuses to delete anything else.
func removeDemoDB(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	st, err := store.Open(ctx, path, store.Options{Access: store.ReadOnlyAnyVersion})
	if err != nil {
		return err
	}
	v, err := st.Setting(ctx, "demo")
	st.Close()
	if err != nil || v != "1" {
		return fmt.Errorf("demo: %s exists and is not a demo database; choose another --db", path)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-state"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

var demoComments = []string{
	"Cán bộ hướng dẫn nhiệt tình, dễ hiểu.",
	"Thời gian chờ còn lâu, cần thêm quầy tiếp nhận.",
	"Nên có thêm chỗ ngồi và nước uống cho người chờ.",
	"Thủ tục nhanh gọn, rất hài lòng.",
	"Trang dịch vụ công trực tuyến hay bị lỗi, khó nộp hồ sơ.",
	"Phí, lệ phí được niêm yết rõ ràng.",
	"Mong được trả kết quả qua bưu điện.",
}

// seedDemo fills a fresh database with a plausible province across the 2025 reorganisation
// (demo_units.go): the units of 2023 with their paper survey, this year's units with receipts
// issued by sipas (most answered), the receipts of both years, the crosswalk between them, an
// API key and a few unanswered receipts to try. It returns what to print for the user. The
// data are drawn from one seeded generator, in this order, so every demo is the same.
func seedDemo(ctx context.Context, st *store.Store, q *survey.Questionnaire, baseURL string, now time.Time) (string, error) {
	if err := st.SetSetting(ctx, "demo", "1"); err != nil {
		return "", err
	}
	year := calendar.Year(now)
	if err := seedDemoAgencies(ctx, st, year); err != nil {
		return "", err
	}
	xw, err := st.ImportFile(ctx, q, "crosswalk", "demo-crosswalk.csv", strings.NewReader(demoCrosswalk))
	if err != nil {
		return "", fmt.Errorf("demo crosswalk: %w", err)
	}
	rng := rand.New(rand.NewPCG(2023, 2026))
	paper, err := seedDemoPaper(ctx, st, q, rng)
	if err != nil {
		return "", err
	}
	seeds, err := seedDemoYear(ctx, st, q, rng, year, now)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	old, current := demoCounts()
	fmt.Fprintf(&b, "sipas demo: a province across the 2025 reorganisation: %d units of 2023, %d of %d, a crosswalk of %d rows;\n"+
		"%d paper responses of 2023, %d receipts issued in %d.\n\n", old, current, year, xw.Created, paper, seeds, year)
	for _, step := range []func(context.Context, *store.Store, string, int, *strings.Builder) error{
		demoLinks, demoAPIKey, demoKiosk, demoOfficials,
	} {
		if err := step(ctx, st, baseURL, year, &b); err != nil {
			return "", err
		}
	}
	b.WriteString("\n")
	return b.String(), nil
}

// demoCounts counts the units of 2023 and of this year (a unit that continued is in both).
func demoCounts() (old, current int) {
	for _, u := range demoUnits {
		if u.recv23 > 0 {
			old++
		}
		if u.recvNow > 0 {
			current++
		}
	}
	return old, current
}

// seedDemoAgencies imports the demo units and their receipts counts of 2023 and year.
func seedDemoAgencies(ctx context.Context, st *store.Store, year int) error {
	var agencies []dataset.Agency
	var pops []dataset.Population
	for _, u := range demoUnits {
		agencies = append(agencies, dataset.Agency{Code: u.code, Name: u.name, Level: u.level, ParentCode: u.parent})
		if u.recv23 > 0 {
			pops = append(pops, dataset.Population{Year: 2023, AgencyCode: u.code, Receipts: u.recv23})
		}
		if u.recvNow > 0 {
			pops = append(pops, dataset.Population{Year: year, AgencyCode: u.code, Receipts: u.recvNow})
		}
	}
	if _, err := st.ImportAgencies(ctx, agencies); err != nil {
		return err
	}
	_, err := st.ImportPopulations(ctx, pops)
	return err
}

// seedDemoPaper imports 2023's paper survey of the units of 2023 and returns how many
// responses it has.
func seedDemoPaper(ctx context.Context, st *store.Store, q *survey.Questionnaire, rng *rand.Rand) (int, error) {
	var paper []store.ImportedResponse
	for i, u := range demoUnits {
		for j := range u.n23 {
			answers, comment := demoAnswers(rng, q, u.q23, 0)
			at := time.Date(2023, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 8+rng.IntN(9), rng.IntN(60), 0, 0, calendar.Zone)
			paper = append(paper, store.ImportedResponse{
				Response: dataset.Response{ID: fmt.Sprintf("P23-%02d-%04d", i, j), AgencyCode: u.code, Channel: dataset.ChannelCounter,
					SubmittedAt: at, Year: 2023, Comment: comment, Answers: answers},
				Answers: survey.EncodeAnswers(q.Codes(), answers),
			})
		}
	}
	_, err := st.ImportResponses(ctx, "demo", q.ID, q.Version, paper)
	return len(paper), err
}

// seedDemoYear issues this year's receipts of this year's units through sipas, from January
// until now: each unit's answers and two unanswered receipts for three answered (a 60%
// response rate). It returns how many receipts it issued.
func seedDemoYear(ctx context.Context, st *store.Store, q *survey.Questionnaire, rng *rand.Rand, year int, now time.Time) (int, error) {
	start := time.Date(year, 1, 2, 8, 0, 0, 0, calendar.Zone)
	span := now.Add(-12 * time.Hour).Sub(start) // an answer comes within 11 hours of its receipt
	var seeds []store.Seed
	channelsByRoll := []string{dataset.ChannelCounter, dataset.ChannelCounter, dataset.ChannelCounter, dataset.ChannelOnline, dataset.ChannelPostal}
	for _, u := range demoUnits {
		for i := range u.nNow + u.nNow*2/3 {
			tok, err := receipt.NewToken()
			if err != nil {
				return 0, err
			}
			issued := start.Add(time.Duration(rng.Float64() * float64(max(span, time.Hour))))
			answers, comment := demoAnswers(rng, q, u.qNow, 0.35)
			seeds = append(seeds, store.Seed{
				NewReceipt: store.NewReceipt{TokenHash: tok.Hash(), NumberHash: receipt.NumberOf(tok).Hash(), AgencyCode: u.code, Procedure: "Cấp bản sao trích lục hộ tịch",
					Channel: channelsByRoll[rng.IntN(len(channelsByRoll))], Source: "demo"},
				IssuedAt: issued, SubmittedAt: issued.Add(time.Duration(5+rng.IntN(600)) * time.Minute),
				Answered: i < u.nNow,
				Submission: store.Submission{SurveyID: q.ID, SurveyVersion: q.Version, Source: "web",
					Answers: survey.EncodeAnswers(q.Codes(), answers), Comment: comment,
					Expectations: demoExpectations(rng, q)},
			})
		}
	}
	return len(seeds), st.SeedReceipts(ctx, seeds)
}

// demoLinks issues five unanswered receipts and prints their survey links.
func demoLinks(ctx context.Context, st *store.Store, baseURL string, _ int, b *strings.Builder) error {
	fmt.Fprintln(b, "Survey links to try (each can be answered once):")
	var fresh []store.NewReceipt
	var toks []receipt.Token
	for _, code := range []string{"DEMO.TTHCC", "DEMO.STP", "DEMO.STC", "DEMO.XM01", "DEMO.XM03"} {
		tok, err := receipt.NewToken()
		if err != nil {
			return err
		}
		toks = append(toks, tok)
		fresh = append(fresh, store.NewReceipt{TokenHash: tok.Hash(), NumberHash: receipt.NumberOf(tok).Hash(), AgencyCode: code, Channel: dataset.ChannelCounter, Source: "demo"})
	}
	if _, err := st.CreateReceipts(ctx, fresh); err != nil {
		return err
	}
	for _, tok := range toks {
		u, err := receipt.SurveyURL(baseURL, tok)
		if err != nil {
			return err
		}
		fmt.Fprintf(b, "  %s\n", u)
	}
	return nil
}

// demoAPIKey creates an API key and prints how to use it.
func demoAPIKey(ctx context.Context, st *store.Store, baseURL string, year int, b *strings.Builder) error {
	key, hash, prefix := auth.NewAPIKey()
	scopes := auth.Scopes{{Kind: auth.ScopeIssue, Agency: auth.AllAgencies}, {Kind: auth.ScopeReports, Agency: auth.AllAgencies}, {Kind: auth.ScopeMetrics}}
	if _, err := st.CreateAPIKey(ctx, store.NewAPIKey{Name: "demo one-stop software", Hash: hash, Prefix: prefix, Scopes: scopes}); err != nil {
		return err
	}
	fmt.Fprintf(b, "\nAPI key (demo, scopes %s): %s\nIssue a receipt:\n  curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n    -d '{\"agency\":\"DEMO.STP\",\"procedure\":\"Chứng thực bản sao\",\"channel\":\"counter\"}' %s/api/v1/receipts\n",
		scopes, key, key, baseURL)
	fmt.Fprintf(b, "Report: %s/api/v1/reports/index?year=%d&baseline=2023 (same key)\n\n", baseURL, year)
	return nil
}

// demoKiosk registers a kiosk and prints its enrolment link.
func demoKiosk(ctx context.Context, st *store.Store, baseURL string, _ int, b *strings.Builder) error {
	ktok, err := receipt.NewToken()
	if err != nil {
		return err
	}
	if _, err := st.CreateKiosk(ctx, store.NewKiosk{AgencyCode: "DEMO.TTHCC", Counter: "Quầy số 1", IdleSeconds: 60,
		AllowWithoutReceipt: true, EnrolHash: ktok.Hash()}); err != nil {
		return err
	}
	fmt.Fprintf(b, "Kiosk (open on a tablet or a browser window; the code works once, for 24 h):\n  %s/kiosk/enrol?code=%s\n\n", baseURL, ktok)
	return nil
}

// demoOfficials creates one official of each role and prints their new passwords.
func demoOfficials(ctx context.Context, st *store.Store, baseURL string, _ int, b *strings.Builder) error {
	fmt.Fprintf(b, "Officials' pages: %s/admin/ (this year against 2023 across the merger), %s/admin/communes (commune\n"+
		"estimates), %s/admin/crosswalk (which unit went where) — demo accounts (passwords are new at every start):\n", baseURL, baseURL, baseURL)
	for _, u := range []struct {
		email  string
		role   auth.Role
		agency string
	}{
		{"admin@demo.sipas.vn", auth.RoleAdmin, ""},
		{"analyst@demo.sipas.vn", auth.RoleAnalyst, ""},
		{"stp@demo.sipas.vn", auth.RoleAgency, "DEMO.STP"},
		{"tayhoa@demo.sipas.vn", auth.RoleAgency, "DEMO.XM01"},
	} {
		pw := demoPassword()
		if _, err := st.CreateOfficial(ctx, store.NewOfficial{Email: u.email, Role: u.role, AgencyCode: u.agency,
			PasswordHash: auth.HashPassword(pw, auth.DefaultArgon2)}); err != nil {
			return err
		}
		fmt.Fprintf(b, "  %-24s %-8s password %s\n", u.email, u.role, pw)
	}
	return nil
}

// demoAnswers draws one respondent: a personal lean shared by all answers (answers correlate
// within a respondent, as in real surveys), agency quality, and an improvement in aspects B
// and D this year.
func demoAnswers(rng *rand.Rand, q *survey.Questionnaire, quality, improvement float64) ([]uint8, string) {
	answers := make([]uint8, len(q.Codes()))
	lean := rng.NormFloat64() * 0.9
	base := math.Log(quality / (1 - quality))
	for i, code := range q.Codes() {
		skip := 0.03
		if code == "E3" {
			skip = 0.18
		}
		if rng.Float64() < skip {
			continue
		}
		l := base + lean + rng.NormFloat64()*0.5
		if a := code[:1]; a == "B" || a == "D" {
			l += improvement
		}
		if rng.Float64() < 1/(1+math.Exp(-l)) {
			answers[i] = uint8(4 + rng.IntN(2))
		} else {
			answers[i] = uint8(1 + rng.IntN(3))
		}
	}
	comment := ""
	if rng.Float64() < 0.12 {
		comment = demoComments[rng.IntN(len(demoComments))]
	}
	return answers, comment
}

func demoExpectations(rng *rand.Rand, q *survey.Questionnaire) string {
	if q.Expectation == nil || rng.Float64() < 0.3 {
		return ""
	}
	opts := q.Expectation.Options
	var picked []string
	for _, i := range rng.Perm(len(opts))[:1+rng.IntN(q.Expectation.MaxChoices)] {
		picked = append(picked, opts[i].Code)
	}
	return strings.Join(picked, " ")
}

// demoPassword is a readable random password for the demo accounts.
func demoPassword() string {
	tok, _ := receipt.NewToken()
	return strings.ToLower(tok.ShortCode())
}
