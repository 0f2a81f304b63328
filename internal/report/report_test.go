package report

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sipas/assets"
	"sipas/internal/calendar"
	"sipas/internal/i18n"
	"sipas/internal/index"
	"sipas/internal/survey"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff)\ngot:\n%s", name, got)
	}
}

// testQuestionnaire is a small questionnaire with full Vietnamese wording:
// two aspects of two and three criteria.
const testQuestionnaire = `{
 "id": "sipas", "version": "test.1",
 "title": {"vi": "Phiếu khảo sát sự hài lòng (thử nghiệm)", "en": "Satisfaction survey (test)"},
 "intro": {"vi": "Giới thiệu", "en": "Intro"},
 "scale": [
  {"value": 1, "label": {"vi": "Rất không hài lòng", "en": "Very dissatisfied"}},
  {"value": 2, "label": {"vi": "Không hài lòng", "en": "Dissatisfied"}},
  {"value": 3, "label": {"vi": "Bình thường", "en": "Neutral"}},
  {"value": 4, "label": {"vi": "Hài lòng", "en": "Satisfied"}},
  {"value": 5, "label": {"vi": "Rất hài lòng", "en": "Very satisfied"}}
 ],
 "not_applicable": {"vi": "Không áp dụng", "en": "Not applicable"},
 "satisfied_min": 4,
 "aspects": [
  {"id": "A", "title": {"vi": "Tiếp cận dịch vụ hành chính công", "en": "Access to the service"},
   "questions": [
    {"code": "A1", "text": {"vi": "Nơi tiếp nhận hồ sơ có biển hiệu, chỉ dẫn rõ ràng, dễ tìm", "en": "Clear signs"}},
    {"code": "A0", "text": {"vi": "Nhìn chung, Ông/Bà hài lòng về việc tiếp cận dịch vụ", "en": "Overall, access"}}
   ]},
  {"id": "E", "title": {"vi": "Tiếp nhận, giải quyết góp ý, phản ánh, kiến nghị", "en": "Handling of feedback and complaints"},
   "questions": [
    {"code": "E1", "text": {"vi": "Cơ quan có bố trí hình thức tiếp nhận góp ý, phản ánh, kiến nghị", "en": "Ways to give feedback"}},
    {"code": "E3", "text": {"vi": "Cơ quan phản hồi, xử lý kịp thời các góp ý", "en": "Timely answers"}},
    {"code": "E0", "text": {"vi": "Nhìn chung, Ông/Bà hài lòng về việc tiếp nhận, giải quyết góp ý", "en": "Overall, feedback"}}
   ]}
 ]
}`

func mustQuestionnaire(tb testing.TB) *survey.Questionnaire {
	tb.Helper()
	q, err := survey.Parse("test.json", []byte(testQuestionnaire))
	if err != nil {
		tb.Fatal(err)
	}
	return q
}

// testAgencies are the agencies of the fixture. Four names start with a
// formula trigger (one of them after spaces) so that every export that shows
// agency names is checked for neutralisation.
var testAgencies = []struct {
	code, name string
	receipts   float64
	n          int     // respondents this year
	p          float64 // chance of a satisfied answer
}{
	{"A01", "Sở Nội vụ", 5200, 60, 0.86},
	{"A02", "Sở Tư pháp", 12000, 45, 0.78},
	{"A03", "UBND xã Đông Hòa", 32, 30, 0.92}, // nearly a census: not indicative
	{"A04", `=HYPERLINK("http://example.com","Bấm vào đây")`, 3000, 25, 0.70},
	{"A05", "+84 Trung tâm Phục vụ hành chính công", 20000, 50, 0.83},
	{"A06", "-Ban Quản lý các khu công nghiệp", 400, 12, 0.75},
	{"A07", "@Sở Y tế", 7000, 35, 0.88},
	{"A08", "  =1+2 Sở Xây dựng", 2500, 20, 0.80},
	{"A09", "\tSở Giáo dục và Đào tạo", 60, 4, 0.60},
}

func testAgencyNames() map[string]string {
	names := map[string]string{}
	for _, a := range testAgencies {
		names[a.code] = a.name
	}
	return names
}

// sampleYear builds one year's Summary and receipts. shift moves every
// agency's satisfaction, so that the two years differ.
func sampleYear(d index.Design, seed uint64, shift float64) (*index.Summary, index.Populations) {
	rng := rand.New(rand.NewPCG(seed, 2026))
	s := index.NewSample(d)
	pops := index.Populations{}
	answers := make([]uint8, len(d.Questions))
	for _, a := range testAgencies {
		pops[a.code] = a.receipts
		for range a.n {
			for k := range answers {
				switch r := rng.Float64(); {
				case k == 3 && r < 0.35: // E3: often "not applicable"
					answers[k] = 0
				case r < 0.05:
					answers[k] = 0
				case rng.Float64() < a.p+shift:
					answers[k] = uint8(4 + rng.IntN(2))
				default:
					answers[k] = uint8(1 + rng.IntN(3))
				}
			}
			s.Add(a.code, answers)
		}
	}
	return s.Summary(), pops
}

// mustReport computes the fixture report: 2026 against raw 2025 responses.
func mustReport(tb testing.TB) *index.Report {
	tb.Helper()
	d := Design(mustQuestionnaire(tb))
	cur, pops := sampleYear(d, 1, 0)
	base, pops0 := sampleYear(d, 2, -0.08)
	rep, err := index.Compute(index.Input{
		Design: d, Current: cur, Populations: pops,
		Baseline: &index.Baseline{Year: 2025, Source: index.SourceResponses, Summary: base, Populations: pops0},
	})
	if err != nil {
		tb.Fatal(err)
	}
	rep.Survey, rep.Year = "sipas", 2026
	return rep
}

func testMeta(tb testing.TB) Meta {
	return Meta{
		Survey:      mustQuestionnaire(tb),
		L:           locale("vi"),
		Scope:       "Toàn tỉnh",
		AgencyNames: testAgencyNames(),
		Generated:   time.Date(2026, 11, 25, 9, 30, 0, 0, calendar.Zone),
	}
}

func ptr(f float64) *float64 { return &f }

// catalog is the shipped catalogues of assets/i18n.
var catalog = sync.OnceValue(func() *i18n.Catalog {
	c, err := i18n.Load(assets.FS)
	if err != nil {
		panic(err)
	}
	return c
})

// locale is a language of the shipped catalogues.
func locale(code string) *i18n.Locale { return catalog().Locale(code) }

// edgeReport is a hand-made report of the awkward cases: no stratified
// basis (a stratum without receipts), an index nobody answered, an index
// with one respondent, an aggregate baseline without agency comparisons.
func edgeReport() *index.Report {
	agency := "A01"
	return &index.Report{
		Survey: "sipas", Year: 2026,
		Baseline:        &index.BaselineRef{Year: 2023, Source: index.SourceAggregates},
		ConfidenceLevel: 0.95,
		Filters:         index.Filters{Agency: &agency},
		Respondents:     3,
		Indices: []index.Index{
			{ID: "A1", Kind: index.KindQuestion, Aspect: "A",
				Unweighted: &index.Estimate{Value: ptr(1), SE: ptr(0), CILow: ptr(0.4385), CIHigh: ptr(1), N: 2},
				Change: &index.IndexChange{Unweighted: &index.Change{Diff: ptr(0.17), CILow: ptr(-0.4), CIHigh: ptr(0.2),
					PValue: ptr(0.4), Verdict: index.NoChange, BaselineEstimate: ptr(0.83), BaselineN: ptr(1200)}}},
			{ID: "A0", Kind: index.KindQuestion, Aspect: "A",
				Unweighted: &index.Estimate{Value: ptr(0), N: 1},
				Change:     &index.IndexChange{Unweighted: &index.Change{Verdict: index.InsufficientData}}},
			{ID: "E1", Kind: index.KindQuestion, Aspect: "E", Unweighted: &index.Estimate{}},
			{ID: "E3", Kind: index.KindQuestion, Aspect: "E", Unweighted: &index.Estimate{}},
			{ID: "E0", Kind: index.KindQuestion, Aspect: "E", Unweighted: &index.Estimate{}},
			{ID: "A", Kind: index.KindAspect,
				Unweighted: &index.Estimate{Value: ptr(0.5), CILow: ptr(0), CIHigh: ptr(1), N: 2, Composition: &index.Composition{DroppedQuestions: []string{}}}},
			{ID: "E", Kind: index.KindAspect,
				Unweighted: &index.Estimate{N: 0, Composition: &index.Composition{DroppedQuestions: []string{"E1", "E3", "E0"}}}},
			{ID: "overall", Kind: index.KindOverall,
				Unweighted: &index.Estimate{Value: ptr(0.5), N: 2, Composition: &index.Composition{DroppedQuestions: []string{"E1", "E3", "E0"}}},
				Change: &index.IndexChange{Unweighted: &index.Change{Diff: ptr(-0.3266), Verdict: index.InsufficientData,
					BaselineEstimate: ptr(0.8266), BaselineN: ptr(2063)}}},
		},
		Agencies: []index.AgencyRow{{Agency: "A01", N: 2, Estimate: ptr(0.5), Indicative: true}},
	}
}
