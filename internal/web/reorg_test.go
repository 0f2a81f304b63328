package web

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"sipas/internal/auth"
	"sipas/internal/calendar"
	"sipas/internal/dataset"
	"sipas/internal/receipt"
	"sipas/internal/store"
	"sipas/internal/store/storetest"
	"sipas/internal/survey"
)

// Tests of the reorganisation's pages: the crosswalk on the data page, the communes page
// (small-area estimates, METHODS §14) and the guides they link to.

// TestCrosswalkUpload: a crosswalk with mistakes is refused with every mistake at its line and
// column and stores nothing; a good one is stored, audited and listed by successor with names,
// shares and dates.
func TestCrosswalkUpload(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	admin := e.sessions["admin"]
	upload := func(content string) *httptest.ResponseRecorder {
		t.Helper()
		body, ctype := multipartBody(t, "crosswalk.csv", content, "_csrf", admin.csrf)
		return e.send(t, http.MethodPost, "/admin/crosswalk/upload", body, ctype, admin, nil)
	}
	empty := e.get(t, "/admin/crosswalk", admin)
	for _, w := range []string{e.msg("data.crosswalk_empty"), `href="/admin/docs/reorganisation.md"`, e.msg("data.upload_crosswalk")} {
		if !strings.Contains(empty.Body.String(), w) {
			t.Errorf("empty crosswalk page lacks %q", w)
		}
	}

	t.Run("mistakes", func(t *testing.T) {
		audits := auditCount(t, e.st)
		rec := upload("from_code,to_code,share,since\n" +
			"RIVAL.X0701,RIVAL.X0701,1,2025-07-01\n" + // a self-map
			"RIVAL.H07,NO.SUCH,0.5,2025-07-01\n" + // an unknown successor
			"RIVAL.H07,OWN.STP,0.3,2025-07-01\n" + // H07's shares sum to 0.8
			"RIVAL.TNMT,OWN.STP,45,2025-03-01\n") // a percentage for a fraction
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422\n%.2000s", rec.Code, rec.Body.String())
		}
		body := html.UnescapeString(rec.Body.String())
		located := regexp.MustCompile(`<code>crosswalk\.csv:\d+:\d+: [^<]+</code>`).FindAllString(body, -1)
		for _, w := range []string{"crosswalk.csv:2:2: ", "crosswalk.csv:3:2: ", "crosswalk.csv:5:3: ", e.srv.msgs.T("vi", "data.refused")} {
			if !strings.Contains(body, w) {
				t.Errorf("refusal lacks %q\n%s", w, located)
			}
		}
		if len(located) < 4 {
			t.Errorf("%d located errors, want one per mistake: %q", len(located), located)
		}
		if rows, err := e.st.ListCrosswalk(t.Context()); err != nil || len(rows) != 0 {
			t.Errorf("a refused crosswalk stored %d rows (%v)", len(rows), err)
		}
		if got := auditCount(t, e.st); got != audits {
			t.Errorf("a refused import was audited (%d → %d)", audits, got)
		}
	})

	t.Run("good file", func(t *testing.T) {
		rec := upload("from_code,to_code,share,since\nRIVAL.H07,RIVAL.X0701,0.45,2025-07-01\nRIVAL.H07,OWN.STP,0.55,2025-07-01\n" +
			"RIVAL.TNMT,OWN.STP,1,2025-03-01\n")
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d, want 200\n%.2000s", rec.Code, rec.Body.String())
		}
		body := html.UnescapeString(rec.Body.String())
		for _, w := range []string{"3 created, 0 updated, 0 unchanged", e.srv.msgs.T("vi", "data.crosswalk_successor") + ": " + ownAgencyName,
			rivals[1].name, "55%", "45%", "100%", "01/07/2025", "01/03/2025", e.srv.msgs.T("vi", "data.crosswalk_guide")} {
			if !strings.Contains(body, w) {
				t.Errorf("page after import lacks %q", w)
			}
		}
		// Successors in name order: "Sở Tư pháp …" before "UBND xã …".
		if strings.Index(body, ownAgencyName) > strings.Index(body, rivals[2].name) {
			t.Error("successors are not in name order")
		}
		wantAudit(t, e.st, "import.crosswalk", adminEmail, "crosswalk.csv: 3 created, 0 updated, 0 unchanged")
		en := e.get(t, "/admin/crosswalk?lang=en", admin)
		if b := en.Body.String(); !strings.Contains(b, "2025-07-01") || !strings.Contains(b, "Today&#39;s unit: "+ownAgencyName) {
			t.Errorf("English crosswalk page lacks ISO dates or its words\n%.3000s", b)
		}
	})
}

// TestDocsServed: the guides the pages link to are served from the binary to any official;
// nothing else of the repository is.
func TestDocsServed(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	for path, want := range map[string]int{
		"/admin/docs/reorganisation.md": http.StatusOK, "/admin/docs/methods.md": http.StatusOK,
		"/admin/docs/api.md": http.StatusNotFound, "/admin/docs/..%2Fgo.mod": http.StatusNotFound, "/admin/docs/docs.go": http.StatusNotFound,
	} {
		rec := e.get(t, path, e.sessions["agency"])
		if rec.Code != want {
			t.Errorf("%s: status %d, want %d", path, rec.Code, want)
		}
		if want == http.StatusOK && (!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; charset=utf-8") || !strings.Contains(rec.Body.String(), "§11")) {
			t.Errorf("%s: %s %.200q", path, rec.Header().Get("Content-Type"), rec.Body.String())
		}
	}
	if rec := e.get(t, "/admin/docs/methods.md", e.sessions[""]); rec.Code != http.StatusSeeOther {
		t.Errorf("anonymous: status %d, want 303 to sign in", rec.Code)
	}
}

// communeFixture adds to e a province of communes across the reorganisation: 12 former
// communes with 2023 answers, each merged into one of 12 new communes with this year's answers
// (3 to 58), and a special zone formed from one of them with no answers yet; and an official of
// the first new commune.
const (
	communeOfficial = "lanhdao.xa01@sipas.test"
	communePassword = "Mật-khẩu-xã-một-3Hp!"
)

func communeFixture(t *testing.T, e *adminEnv) {
	t.Helper()
	ctx := t.Context()
	var agencies []dataset.Agency
	var pops []dataset.Population
	var xw strings.Builder
	xw.WriteString("from_code,to_code,share,since\n")
	for i := 1; i <= 13; i++ {
		old, cur := fmt.Sprintf("XC.%02d", i), fmt.Sprintf("XA.%02d", i)
		agencies = append(agencies, dataset.Agency{Code: old, Name: fmt.Sprintf("UBND xã Cũ Số %d (đến 30/6/2025)", i), Level: "commune"},
			dataset.Agency{Code: cur, Name: fmt.Sprintf("UBND xã Mới Số %d", i), Level: "commune"})
		pops = append(pops, dataset.Population{Year: 2023, AgencyCode: old, Receipts: 900}, dataset.Population{Year: e.year, AgencyCode: cur, Receipts: 2000})
		fmt.Fprintf(&xw, "%s,%s,1,2025-07-01\n", old, cur)
	}
	if _, err := e.st.ImportAgencies(ctx, agencies); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.ImportPopulations(ctx, pops); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.ImportFile(ctx, e.q, "crosswalk", "crosswalk.csv", strings.NewReader(xw.String())); err != nil {
		t.Fatal(err)
	}
	codes := e.q.Codes()
	var seeds []store.Seed
	for i := 1; i <= 13; i++ {
		for y, year := range []int{2023, e.year} {
			n := 20
			if y == 1 {
				n = []int{3, 5, 8, 12, 15, 20, 25, 30, 35, 40, 50, 58, 0}[i-1]
			}
			code := fmt.Sprintf([]string{"XC.%02d", "XA.%02d"}[y], i)
			for j := range n {
				answers := make([]uint8, len(codes))
				for k := range answers {
					answers[k] = uint8(3 + (i*j+k+y*i)%3) // communes differ; later ones a little better
				}
				tok, err := receipt.NewToken()
				if err != nil {
					t.Fatal(err)
				}
				at := time.Date(year, 3, 1+j%27, 9, 0, 0, 0, calendar.Zone)
				seeds = append(seeds, store.Seed{NewReceipt: store.NewReceipt{TokenHash: tok.Hash(), AgencyCode: code, Channel: "counter", Source: "api"},
					IssuedAt: at, SubmittedAt: at.Add(time.Hour), Answered: true,
					Submission: store.Submission{SurveyID: e.q.ID, SurveyVersion: e.q.Version, Source: "web", Answers: survey.EncodeAnswers(codes, answers)}})
			}
		}
	}
	storetest.MustSeedReceipts(t, e.st, seeds)
	e.users[communeOfficial] = storetest.MustCreateOfficial(t, e.st, communeOfficial, auth.RoleAgency, "XA.01", communePassword)
	e.secret(communePassword)
	e.sessions["commune"] = e.signIn(t, communeOfficial, communePassword)
}

// TestCommunesPage: an administrator sees every commune of the level with direct and model
// estimates, γ in words, rank ranges, the comparison with 2023 and the tiles; the commune's own
// official sees their row only, with the province's rank range; the guards are stated.
func TestCommunesPage(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	communeFixture(t, e)
	page := func(path, who string) string {
		t.Helper()
		rec := e.get(t, path, e.sessions[who])
		if rec.Code != http.StatusOK {
			t.Fatalf("%s as %s: status %d\n%.2000s", path, who, rec.Code, rec.Body.String())
		}
		return html.UnescapeString(rec.Body.String())
	}
	all := page("/admin/communes", "admin")
	rows := regexp.MustCompile(`(?s)<tr><th scope="row">(.*?)</tr>`).FindAllStringSubmatch(all, -1)
	tiles := strings.Count(all, `<li class="tile `)
	if len(rows) != 14 || tiles != 14 { // 13 new communes and the unchanged rival commune of the fixture
		t.Fatalf("%d rows and %d tiles, want 14 of each\n%.3000s", len(rows), tiles, all)
	}
	for _, w := range []string{"vào câu trả lời của chính xã này", "hạng ", "ước lượng tổng hợp (không có phiếu)", ">Năm 2023<",
		"UBND xã Cũ Số 4 (đến 30/6/2025)", e.srv.msgs.T("vi", "sae.assumptions_title"), `href="/admin/docs/methods.md"`, "(trong 14)"} {
		if !strings.Contains(all, w) {
			t.Errorf("communes page lacks %q", w)
		}
	}
	if strings.Contains(all, "Sở Tư pháp") {
		t.Error("the commune page lists a province-level agency")
	}
	if strings.Contains(all, "<script") {
		t.Error("the communes page has a script; it must work without JavaScript")
	}

	own := page("/admin/communes", "commune")
	if !strings.Contains(own, "UBND xã Mới Số 1<") || strings.Contains(own, "UBND xã Mới Số 2<") || strings.Contains(own, rivals[2].name) {
		t.Errorf("the commune official sees other communes' rows\n%.3000s", own)
	}
	if strings.Count(own, `<li class="tile `) != 1 || strings.Contains(own, e.srv.msgs.T("vi", "sae.province")) {
		t.Error("the commune official sees more than their own tile, or the province line")
	}
	if r := rankOf(all, "UBND xã Mới Số 1"); r == "" || r != rankOf(own, "UBND xã Mới Số 1") {
		t.Errorf("rank range %q for the admin, %q for the commune's official: want the province's for both", r, rankOf(own, "UBND xã Mới Số 1"))
	}

	none := page("/admin/communes?baseline=none&lang=en", "admin")
	if strings.Contains(none, "made of") || !strings.Contains(none, "from this commune&#39;s own answers") && !strings.Contains(none, "from this commune's own answers") {
		t.Errorf("without a baseline: comparison columns or English words wrong\n%.2000s", none)
	}
	province := page("/admin/communes?level=province", "admin")
	if !strings.Contains(province, e.srv.msgs.T("vi", "sae.warn.few_areas", 2)) {
		t.Errorf("two province-level agencies: the few-areas guard is not stated\n%.2000s", province)
	}
	if rec := e.get(t, "/admin/communes?level=ward", e.sessions["admin"]); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("level=ward: status %d, want 422", rec.Code)
	}
	if got := page("/admin/communes", "agency"); !strings.Contains(got, e.srv.msgs.T("vi", "sae.empty", "cấp xã", e.year)) {
		t.Errorf("a province agency's official on the communes page: want the empty state\n%.2000s", got)
	}
}

// rankOf is the rank range printed in the table row of name.
func rankOf(body, name string) string {
	m := regexp.MustCompile(`(?s)<th scope="row">` + regexp.QuoteMeta(name) + `<.*?(hạng \d+(–\d+)?)`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}
