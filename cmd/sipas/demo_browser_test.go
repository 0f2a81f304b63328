package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sipas/internal/calendar"
	"sipas/internal/index"
	"sipas/internal/readback"
)

// TestBrowserDemo is what issues 10 and 19 call done, in Chromium on the demo data set: the
// dashboard's first screen compares this year with 2023 across the merger, a merged agency is
// compared with its predecessors, and the communes page shows direct and model estimates side
// by side; every page at a phone's 390 px and a desktop's 1280 px without axe-core violations.
// With SIPAS_SHOTS=dir the pages are screenshot there.
func TestBrowserDemo(t *testing.T) {
	srv := adminServer(t)
	shots := os.Getenv("SIPAS_SHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	year := calendar.ThisYear()
	for _, width := range []int64{1280, 390} {
		t.Run(strconv.FormatInt(width, 10)+"px", func(t *testing.T) {
			tab := newBrowser(t)
			size := viewport{width, map[int64]int64{1280: 800, 390: 844}[width]}
			signInBrowser(t, tab, srv, size.w, size.h)
			get := browserClient(t, tab, srv)
			rep := demoReport(t, get, year)
			checkDemoDashboard(t, tab, srv, rep, year)
			checkAdminPage(t, tab, srv, "/admin/", size, shots)
			t.Run("dashboard axe", func(t *testing.T) {
				checkAxe(t, tab, "/admin/")
			})
			checkDemoCommunes(t, tab, srv, rep)
			checkAdminPage(t, tab, srv, "/admin/communes", size, shots)
			checkAxe(t, tab, "/admin/communes")
			checkAdminPage(t, tab, srv, "/admin/crosswalk", size, shots)
			checkDemoCrosswalk(t, tab)
			checkAxe(t, tab, "/admin/crosswalk")
			for _, p := range []string{"/admin/communes?lang=en", "/admin/communes?baseline=none&level=province"} {
				checkAdminPage(t, tab, srv, p, size, shots)
				checkAxe(t, tab, p)
			}
		})
	}
}

// demoReport is the JSON report of this year against 2023 with the communes' model estimates,
// as the signed-in administrator downloads it.
func demoReport(t *testing.T, get func(string) (*http.Response, []byte), year int) *index.Report {
	t.Helper()
	resp, body := get(fmt.Sprintf("/api/v1/reports/index?year=%d&baseline=2023&small_area=commune", year))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("JSON report: %d %.300s", resp.StatusCode, body)
	}
	var rep index.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// checkDemoDashboard: the first screen says this year's index and its change from 2023 with the
// report's figures; the league table has this year's units only (no district, no former
// department), and the merged Sở Tài chính is compared with its four predecessors.
func checkDemoDashboard(t *testing.T, tab context.Context, srv *testServer, rep *index.Report, year int) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/admin/"), chromedp.WaitVisible(chromedp.CSS("#h-overall"))); err != nil {
		t.Fatal(err)
	}
	var overall *index.Index
	for i := range rep.Indices {
		if rep.Indices[i].Kind == index.KindOverall {
			overall = &rep.Indices[i]
		}
	}
	if overall == nil || overall.Change == nil || overall.Change.Stratified == nil || overall.Change.Stratified.Diff == nil {
		t.Fatalf("the report has no overall change from 2023: %+v", overall)
	}
	ch := overall.Change.Stratified
	if ch.Verdict == index.InsufficientData {
		t.Errorf("overall change from 2023: %s, want a verdict across the merger", ch.Verdict)
	}
	head := text(t, tab, "#h-overall")
	change := text(t, tab, ".headline .change")
	if !strings.Contains(head, strconv.Itoa(year)) || !strings.Contains(change, "so với năm 2023") {
		t.Errorf("first screen: %q / %q, want %d compared with 2023", head, change, year)
	}
	if want := points(*ch.Diff); !strings.Contains(change, want) {
		t.Errorf("first screen change %q lacks the report's %s", change, want)
	}
	league := text(t, tab, "section[aria-labelledby=h-agencies] tbody")
	// The rows are this year's units; former units appear only in the "so với 2023: …" note of
	// the row that took them over, never as a row.
	rows, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section[aria-labelledby=h-agencies] tbody tr")].map(r => r.dataset.agency)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range rows {
		if a := reportRow(rep, code); a == nil {
			t.Errorf("the league table of %d lists %s, which has no row in the report", year, code)
		}
	}
	for _, former := range []string{"DEMO.SKHDT", "DEMO.LH.STC"} {
		if slices.Contains(rows, former) {
			t.Errorf("the league table of %d lists the former unit %s as a row", year, former)
		}
	}
	var stc *index.AgencyRow
	for i, a := range rep.Agencies {
		if a.Agency == "DEMO.STC" {
			stc = &rep.Agencies[i]
		}
	}
	if stc == nil || stc.Stratified == nil || stc.Stratified.Change == nil || stc.Stratified.Change.Diff == nil {
		t.Fatalf("the report has no stratified change for Sở Tài chính: %+v", stc)
	}
	var preds []string
	for _, p := range stc.Predecessors {
		preds = append(preds, p.Agency)
	}
	if want := "DEMO.LH.SKHDT DEMO.LH.STC DEMO.SKHDT DEMO.STC"; strings.Join(preds, " ") != want {
		t.Errorf("Sở Tài chính's predecessors = %v, want %s (the chain through Sở Tài chính Lam Hà composed)", preds, want)
	}
	if !strings.Contains(league, "Sở Tài chính tỉnh Mẫu Sơn") {
		t.Errorf("the league table lacks the merged Sở Tài chính:\n%s", league)
	}
	t.Run("so với 2023 line", func(t *testing.T) {
		for _, name := range []string{"Sở Kế hoạch và Đầu tư tỉnh Mẫu Sơn", "Sở Tài chính tỉnh Lam Hà", "Sở Kế hoạch và Đầu tư tỉnh Lam Hà"} {
			if !strings.Contains(league, name) {
				t.Errorf("the merged Sở Tài chính's row does not name its predecessor %s", name)
			}
		}
	})
}

// reportRow returns the report's agency row of code, or nil.
func reportRow(rep *index.Report, code string) *index.AgencyRow {
	for i := range rep.Agencies {
		if rep.Agencies[i].Agency == code {
			return &rep.Agencies[i]
		}
	}
	return nil
}

// checkDemoCommunes: the communes page has one table row and one tile per commune of the
// report's small_area block, each with the report's model estimate, γ in words and rank range;
// the special zone without answers is marked synthetic; the page has no script.
func checkDemoCommunes(t *testing.T, tab context.Context, srv *testServer, rep *index.Report) {
	t.Helper()
	sa := rep.SmallArea
	if sa == nil || sa.AreasInModel < 10 || sa.Sigma2u == nil || len(sa.Warnings) != 0 {
		t.Fatalf("the demo's small_area: %+v, want ≥ 10 communes with answers and a model without warnings", sa)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/admin/communes"), chromedp.WaitVisible(chromedp.CSS("table"))); err != nil {
		t.Fatalf("open the communes page: %v", err)
	}
	scripts, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.scripts.length`))
	if err != nil || scripts != 0 {
		t.Errorf("the communes page has %d scripts (%v), want none", scripts, err)
	}
	rows, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("section[aria-labelledby=h-table] tbody tr")).map(r => r.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	tiles, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("ul.tiles li").length`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(sa.Rows) || tiles != len(sa.Rows) {
		t.Fatalf("communes page: %d rows and %d tiles, want %d of each", len(rows), tiles, len(sa.Rows))
	}
	synthetic := 0
	for _, r := range sa.Rows {
		row := rowOf(rows, demoName(r.Agency))
		if row == "" {
			t.Errorf("no row for %s (%s)", demoName(r.Agency), r.Agency)
			continue
		}
		want := []string{percent(*r.EBLUP), fmt.Sprintf("hạng %d–%d", *r.RankLow, *r.RankHigh)}
		if r.Synthetic {
			synthetic++
			want = append(want, "ước lượng tổng hợp (không có phiếu)")
		} else {
			want = append(want, fmt.Sprintf("dựa %d%% vào câu trả lời của chính xã này", int(math.Round(*r.Gamma*100))), percent(*r.Direct))
		}
		for _, w := range want {
			if !strings.Contains(row, w) {
				t.Errorf("%s's row %q lacks %q", r.Agency, row, w)
			}
		}
	}
	if synthetic != 1 {
		t.Errorf("%d synthetic communes, want 1 (the special zone without answers)", synthetic)
	}
}

// checkDemoCrosswalk: the crosswalk page shows which former unit went where, with names.
func checkDemoCrosswalk(t *testing.T, tab context.Context) {
	t.Helper()
	body := text(t, tab, "main")
	for _, w := range []string{"Đơn vị hiện nay: UBND xã Đồng Lâm", "UBND xã Vĩnh Lợi (đến 30/6/2025)", "60%", "01/07/2025",
		"Sở Lao động – Thương binh và Xã hội tỉnh Mẫu Sơn (đến 28/2/2025)", "01/03/2025"} {
		if !strings.Contains(body, w) {
			t.Errorf("the crosswalk page lacks %q", w)
		}
	}
}

// checkAxe fails the test for every WCAG 2.2 A/AA violation axe-core finds on the tab's page.
func checkAxe(t *testing.T, tab context.Context, path string) {
	t.Helper()
	for _, v := range readback.Axe(t, tab) {
		t.Errorf("%s: axe: %s", path, v)
	}
}

func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("%s: %v", sel, err)
	}
	return s
}

// rowOf is the first row whose text starts with name.
func rowOf(rows []string, name string) string {
	for _, r := range rows {
		if strings.HasPrefix(r, name) {
			return r
		}
	}
	return ""
}

// demoName is a demo unit's name.
func demoName(code string) string {
	for _, u := range demoUnits {
		if u.code == code {
			return u.name
		}
	}
	return code
}

// percent and points write a fraction as the Vietnamese pages do, to one decimal.
func percent(f float64) string {
	return strings.ReplaceAll(strconv.FormatFloat(f*100, 'f', 1, 64), ".", ",") + "%"
}

func points(d float64) string {
	s := strings.ReplaceAll(strconv.FormatFloat(math.Abs(d)*100, 'f', 1, 64), ".", ",")
	switch {
	case d > 0:
		s = "+" + s
	case d < 0:
		s = "−" + s
	}
	return s + " điểm phần trăm"
}
