package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/index"
	"sipas/internal/receipt"
	"sipas/internal/report"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
	"sipas/internal/survey"
	"sipas/surveys"
)

// Exactness of the summaries (issue 13): whatever way the answers arrive (group-committed
// submissions, one transaction per answer, kiosks, demo seeds, CSV imports, re-imports), the
// counts read from the summaries are those a full recount of the rows gives, and so are the
// reports built on them, to 1e-12.

func sipasQuestionnaire(tb testing.TB) *survey.Questionnaire {
	tb.Helper()
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		tb.Fatal(err)
	}
	q, err := cat.Get(survey.DefaultID)
	if err != nil {
		tb.Fatal(err)
	}
	return q
}

// rowsSource is a report source whose year counts are recounted from the rows.
type rowsSource struct{ *store.Store }

func (r rowsSource) YearCounts(ctx context.Context, q *survey.Questionnaire, year int, channel string) (*report.YearCounts, error) {
	return r.YearCountsFromRows(ctx, q, year, channel)
}

// world is a database filled at random, with what the test needs to know about it.
type world struct {
	t       *testing.T
	s       *store.Store
	q       *survey.Questionnaire
	clock   *storetest.Clock
	rng     *rand.Rand
	answers map[string]int // respondents per agency and year ("CODE/2024")
}

// agencies of the random world: LONE gets one respondent a year (a lonely stratum), CENSUS
// asks every citizen (receipts = respondents).
var worldAgencies = []string{"A0", "A1", "A2", "A3", "LONE", "CENSUS"}

func newWorld(t *testing.T, seed uint64, opts store.Options) *world {
	clock := storetest.NewClock(time.Date(2024, 1, 2, 9, 0, 0, 0, calendar.Zone))
	opts.Now = clock.Now
	w := &world{t: t, s: storetest.OpenOptions(t, opts), q: sipasQuestionnaire(t), clock: clock,
		rng: rand.New(rand.NewPCG(seed, 7)), answers: map[string]int{}}
	for _, a := range worldAgencies {
		storetest.MustCreateAgency(t, w.s, a, "Cơ quan "+a, "district")
	}
	return w
}

// at moves the clock to a random moment of year.
func (w *world) at(year int) {
	start := time.Date(year, 1, 1, 0, 0, 0, 0, calendar.Zone)
	w.clock.Advance(start.Add(time.Duration(w.rng.Int64N(int64(364 * 24 * time.Hour)))).Sub(w.clock.Now()))
}

// agency picks an agency for a new respondent of year, keeping LONE at one a year.
func (w *world) agency(year int) string {
	for {
		a := worldAgencies[w.rng.IntN(len(worldAgencies))]
		if a == "LONE" && w.answers[fmt.Sprintf("LONE/%d", year)] > 0 {
			continue
		}
		w.answers[fmt.Sprintf("%s/%d", a, year)]++
		return a
	}
}

// form is a random submission: answers missing at random, sometimes a blank form, some
// expectation options.
func (w *world) form() store.Submission {
	codes := w.q.Codes()
	answers := make([]uint8, len(codes))
	if w.rng.IntN(20) != 0 {
		for i := range answers {
			if w.rng.IntN(10) >= 3 {
				answers[i] = uint8(1 + w.rng.IntN(5))
			}
		}
	}
	var exp []string
	for _, o := range w.q.Expectation.Options {
		if w.rng.IntN(4) == 0 && len(exp) < w.q.Expectation.MaxChoices {
			exp = append(exp, o.Code)
		}
	}
	return store.Submission{SurveyID: w.q.ID, SurveyVersion: w.q.Version, Source: "web",
		Answers: survey.EncodeAnswers(codes, answers), Expectations: strings.Join(exp, " "), Comment: "góp ý"}
}

// submit issues n receipts of year and answers them at once (one or more group commits).
func (w *world) submit(year, n int) {
	w.at(year)
	toks := make([]receipt.Token, n)
	for i := range toks {
		toks[i] = storetest.MustCreateReceiptChannel(w.t, w.s, w.agency(year), dataset.Channels[w.rng.IntN(len(dataset.Channels))])
	}
	subs := make([]store.Submission, n)
	for i := range subs {
		subs[i] = w.form()
	}
	var wg sync.WaitGroup
	for i, tok := range toks {
		wg.Go(func() {
			if err := w.s.SubmitResponse(context.Background(), tok.Hash(), subs[i]); err != nil {
				w.t.Errorf("submit: %v", err)
			}
		})
	}
	wg.Wait()
	// A second answer to the same receipt is refused and counts nothing.
	if err := w.s.SubmitResponse(w.t.Context(), toks[0].Hash(), subs[0]); err == nil {
		w.t.Error("a receipt was answered twice")
	}
}

// kiosk answers n receipts of year at a kiosk of agency A1.
func (w *world) kiosk(year, n int) {
	w.at(year)
	k, err := w.s.CreateKiosk(w.t.Context(), store.NewKiosk{AgencyCode: "A1", Counter: "Quầy 1", SurveyID: w.q.ID, EnrolHash: fmt.Sprintf("enrol-%d", w.rng.Int())})
	if err != nil {
		w.t.Fatal(err)
	}
	for i := range n {
		w.answers[fmt.Sprintf("A1/%d", year)]++
		tok := storetest.MustCreateReceiptChannel(w.t, w.s, "A1", "counter")
		if _, err := w.s.SubmitKioskResponse(w.t.Context(), store.KioskSubmission{KioskID: k.ID, Key: fmt.Sprintf("k-%d-%d", k.ID, i),
			Token: tok, Submission: w.form()}); err != nil {
			w.t.Fatal(err)
		}
	}
}

// importFile imports n random rows of year (channels and months at random) and returns them.
func (w *world) importFile(name string, year, n int) string {
	var b strings.Builder
	b.WriteString("response_id,agency_code,channel,submitted_at," + strings.Join(w.q.Codes(), ",") + ",comment\n")
	for i := range n {
		w.at(year)
		fmt.Fprintf(&b, "%s-%d,%s,%s,%s", name, i, w.agency(year), dataset.Channels[w.rng.IntN(3)], w.clock.Now().Format(time.RFC3339))
		for range w.q.Codes() {
			if v := w.rng.IntN(8); v < 5 {
				fmt.Fprintf(&b, ",%d", v+1)
			} else {
				b.WriteString(",")
			}
		}
		b.WriteString(",\n")
	}
	if _, err := w.s.ImportFile(w.t.Context(), w.q, "responses", name, strings.NewReader(b.String())); err != nil {
		w.t.Fatalf("import %s: %v", name, err)
	}
	return b.String()
}

// populations imports the receipts of each agency and year: CENSUS asked exactly its
// respondents, the others more.
func (w *world) populations() {
	var list []dataset.Population
	for _, year := range []int{2024, 2025} {
		for i, a := range worldAgencies {
			n := w.answers[fmt.Sprintf("%s/%d", a, year)]
			if n == 0 {
				continue
			}
			if a != "CENSUS" {
				n = n*(2+i) + 3
			}
			list = append(list, dataset.Population{Year: year, AgencyCode: a, Receipts: int64(n)})
		}
	}
	if _, err := w.s.ImportPopulations(w.t.Context(), list); err != nil {
		w.t.Fatal(err)
	}
}

// checkExact compares the summaries with a recount of the rows: the counts exactly, and the
// reports on them (all channels and each, with and without a baseline and an agency filter)
// to 1e-12.
func (w *world) checkExact(q *survey.Questionnaire) {
	t := w.t
	t.Helper()
	ctx := t.Context()
	for _, year := range []int{2024, 2025} {
		for _, ch := range append([]string{""}, dataset.Channels...) {
			got, err := w.s.YearCounts(ctx, q, year, ch)
			if err != nil {
				t.Fatal(err)
			}
			want, err := w.s.YearCountsFromRows(ctx, q, year, ch)
			if err != nil {
				t.Fatal(err)
			}
			if msg := diffYearCounts(want, got); msg != "" {
				t.Errorf("%d channel %q: summaries differ from the rows: %s", year, ch, msg)
			}
		}
	}
	if problems, err := w.s.VerifyReceiptCounts(ctx); err != nil || len(problems) != 0 {
		t.Errorf("receipt counts differ from the receipts: %v %v", problems, err)
	}
	queries := []report.Query{{Year: 2024}, {Year: 2025, BaselineYear: 2024}}
	for _, ch := range dataset.Channels {
		queries = append(queries, report.Query{Year: 2025, BaselineYear: 2024, Filters: index.Filters{Channel: &ch}})
	}
	agency := "A2"
	queries = append(queries, report.Query{Year: 2025, BaselineYear: 2024, Filters: index.Filters{Agency: &agency}})
	for _, qy := range queries {
		got, err := report.Build(ctx, w.s, q, qy)
		if err != nil {
			t.Fatalf("report %+v from summaries: %v", qy, err)
		}
		want, err := report.Build(ctx, rowsSource{w.s}, q, qy)
		if err != nil {
			t.Fatalf("report %+v from rows: %v", qy, err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12), cmpopts.EquateNaNs(), allIndexFields); diff != "" {
			t.Errorf("report %+v: from summaries differs from the rows (-rows +summaries):\n%s", qy, diff)
		}
		if got.Respondents == 0 {
			t.Errorf("report %+v has no respondents: the test checks nothing", qy)
		}
	}
}

// allIndexFields makes cmp compare the unexported fields of the report's types too.
var allIndexFields = cmp.Exporter(func(t reflect.Type) bool { return t.PkgPath() == "sipas/internal/index" })

func TestSummariesEqualRecountFromRows(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			w := newWorld(t, seed, store.Options{})
			// Answers before any summary exists: the first report counts them from the rows.
			w.submit(2024, 5)
			w.checkYear(2024, 5)
			for range 6 {
				w.submit(2024+w.rng.IntN(2), 1+w.rng.IntN(40))
			}
			w.kiosk(2025, 3)
			file := w.importFile("paper.csv", 2024, 150)
			w.importFile("online.csv", 2025, 120)
			// The same file again changes nothing.
			if res, err := w.s.ImportFile(t.Context(), w.q, "responses", "paper.csv", strings.NewReader(file)); err != nil || res.Unchanged != 150 || res.Created != 0 {
				t.Errorf("second import = %+v, %v; want 150 unchanged", res, err)
			}
			w.submit(2025, 30)
			w.populations()
			w.checkExact(w.q)
		})
	}
}

// checkYear compares one year's counts of the summaries (all channels) with the rows, and
// wants n respondents (n < 0: any).
func (w *world) checkYear(year, n int) {
	w.t.Helper()
	got, err := w.s.YearCounts(w.t.Context(), w.q, year, "")
	if err != nil {
		w.t.Fatal(err)
	}
	want, err := w.s.YearCountsFromRows(w.t.Context(), w.q, year, "")
	if err != nil {
		w.t.Fatal(err)
	}
	if msg := diffYearCounts(want, got); msg != "" || (n >= 0 && got.Full.Respondents() != n) {
		w.t.Errorf("%d: counts of %d respondents differ from the rows: %s", year, got.Full.Respondents(), msg)
	}
}

// diffYearCounts says how two year counts differ, or "" when they are equal (cmp would take
// minutes over the pair matrices).
func diffYearCounts(want, got *report.YearCounts) string {
	if msg := diffSummary(want.Full, got.Full); msg != "" {
		return "full: " + msg
	}
	if msg := diffSummary(want.Domain, got.Domain); msg != "" {
		return "domain: " + msg
	}
	if len(want.Months) != len(got.Months) {
		return fmt.Sprintf("%d months, want %d", len(got.Months), len(want.Months))
	}
	for i, m := range want.Months {
		g := got.Months[i]
		if m.Month != g.Month {
			return fmt.Sprintf("month %d, want %d", g.Month, m.Month)
		}
		if msg := diffSummary(m.Full, g.Full) + diffSummary(m.Domain, g.Domain); msg != "" {
			return fmt.Sprintf("month %d: %s", m.Month, msg)
		}
	}
	if !reflect.DeepEqual(want.Expectations, got.Expectations) {
		return fmt.Sprintf("expectations %v, want %v", got.Expectations, want.Expectations)
	}
	return ""
}

func diffSummary(want, got *index.Summary) string {
	switch {
	case want == nil && got == nil:
		return ""
	case want == nil || got == nil:
		return fmt.Sprintf("summary %v, want %v", got, want)
	case !reflect.DeepEqual(want.Design, got.Design):
		return "another design"
	case len(want.Strata) != len(got.Strata):
		return fmt.Sprintf("%d strata, want %d", len(got.Strata), len(want.Strata))
	}
	for i := range want.Strata {
		if !want.Strata[i].Equal(&got.Strata[i]) {
			return fmt.Sprintf("stratum %s: %+v, want %+v", want.Strata[i].Code, got.Strata[i], want.Strata[i])
		}
	}
	return ""
}

// One transaction per answer (no group commit) and the demo's seeds count alike.
func TestSummariesOtherWriters(t *testing.T) {
	w := newWorld(t, 11, store.Options{NoGroupCommit: true})
	w.submit(2024, 20)
	w.submit(2025, 20)
	var seeds []store.Seed
	for i := range 30 {
		tok, _ := receipt.NewToken()
		year := 2024 + i%2
		w.at(year)
		sd := store.Seed{NewReceipt: store.NewReceipt{TokenHash: tok.Hash(), AgencyCode: w.agency(year), Channel: "online", Source: "demo"},
			IssuedAt: w.clock.Now(), SubmittedAt: w.clock.Now(), Answered: true, Submission: w.form()}
		sd.Submission.Source = "demo"
		seeds = append(seeds, sd)
	}
	storetest.MustSeedReceipts(t, w.s, seeds)
	w.populations()
	w.checkExact(w.q)
}

// variant is the default questionnaire uploaded again with other codes: A1 dropped, B0 moved
// to aspect A, a new question F1 in a new aspect.
func variant(t *testing.T) *survey.Questionnaire {
	raw, err := surveys.FS.ReadFile("sipas.json")
	if err != nil {
		t.Fatal(err)
	}
	var def map[string]any
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatal(err)
	}
	aspects := def["aspects"].([]any)
	a := aspects[0].(map[string]any)
	b := aspects[1].(map[string]any)
	aq, bq := a["questions"].([]any), b["questions"].([]any)
	a["questions"] = append(aq[1:], bq[len(bq)-1])
	b["questions"] = bq[:len(bq)-1]
	f := map[string]any{"id": "F", "title": map[string]any{"vi": "Khác"}, "questions": []any{
		map[string]any{"code": "F1", "text": map[string]any{"vi": "Câu hỏi mới"}}}}
	def["aspects"] = append(aspects, f)
	def["version"] = "2026.2"
	out, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	q, err := survey.Parse("variant.json", out)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// A questionnaire with other codes never mixes layouts: its first report counts the
// summaries again from the rows for its design, answers then count for that design, and
// going back counts them again.
func TestSummariesFollowTheDesign(t *testing.T) {
	w := newWorld(t, 5, store.Options{})
	w.submit(2024, 40)
	w.submit(2025, 40)
	w.populations()
	w.checkExact(w.q)

	v := variant(t)
	w.checkExact(v)
	w.q = v // answers to the new version, which names F1
	w.submit(2025, 30)
	w.populations()
	w.checkExact(v)

	old := sipasQuestionnaire(t)
	w.checkExact(old)
	w.q = old
	w.submit(2024, 10)
	w.populations()
	w.checkExact(old)
}

// execBehind runs a statement on s's database through a connection of its own, as a damaged
// restore or a hand edit would change it.
func execBehind(t *testing.T, s *store.Store, query string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+s.Path()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// VerifySummaries finds summaries that do not match the rows (a missing key, altered counts,
// altered expectation counts, a key without rows), and RepairSummaries makes them exact.
func TestVerifyAndRepairSummaries(t *testing.T) {
	w := newWorld(t, 3, store.Options{})
	w.submit(2024, 60)
	w.submit(2025, 60)
	ctx := t.Context()
	if _, err := w.s.YearCounts(ctx, w.q, 2024, ""); err != nil {
		t.Fatal(err)
	}
	chk, err := w.s.VerifySummaries(ctx, w.q)
	if err != nil || len(chk.Problems) != 0 || chk.Responses != 120 || chk.Keys == 0 {
		t.Fatalf("verify of exact summaries = %+v, %v; want 120 responses and no problem", chk, err)
	}
	execBehind(t, w.s, `DELETE FROM summaries WHERE id = (SELECT min(id) FROM summaries)`)
	execBehind(t, w.s, `UPDATE summaries SET counts = (SELECT counts FROM summaries WHERE id = (SELECT max(id) FROM summaries))
		WHERE id = (SELECT min(id) + 1 FROM summaries)`)
	execBehind(t, w.s, `UPDATE summaries SET expectations = 'time:99' WHERE id = (SELECT max(id) FROM summaries)`)
	execBehind(t, w.s, `INSERT INTO summaries (survey_id, year, agency_id, channel, month, counts, expectations)
		SELECT survey_id, 2031, agency_id, channel, month, counts, '' FROM summaries LIMIT 1`)
	chk, err = w.s.VerifySummaries(ctx, w.q)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"have no summary", "the counts differ", "the expectation counts differ", "2031"}
	got := strings.Join(chk.Problems, "\n")
	for _, wnt := range want {
		if !strings.Contains(got, wnt) {
			t.Errorf("problems do not mention %q:\n%s", wnt, got)
		}
	}
	if len(chk.Problems) != 4 {
		t.Errorf("%d problems, want 4:\n%s", len(chk.Problems), got)
	}
	execBehind(t, w.s, `UPDATE receipt_counts SET answered = answered + 1 WHERE (agency_id, year, day) = (SELECT agency_id, year, day FROM receipt_counts LIMIT 1)`)
	if p, err := w.s.VerifyReceiptCounts(ctx); err != nil || len(p) != 1 || !strings.Contains(p[0], "answered") {
		t.Errorf("verify of altered receipt counts = %v, %v; want the one difference", p, err)
	}
	if err := w.s.RepairReceiptCounts(ctx); err != nil {
		t.Fatal(err)
	}
	if chk, err = w.s.RepairSummaries(ctx, w.q); err != nil || len(chk.Problems) != 0 {
		t.Errorf("after repair: %+v, %v; want no problem", chk, err)
	}
	w.populations()
	w.checkExact(w.q)
	if chk, err := w.s.VerifySummaries(ctx, variant(t)); err != nil || len(chk.Problems) != 1 {
		t.Errorf("verify for another design = %+v, %v; want the one problem that the design differs", chk, err)
	}
}
