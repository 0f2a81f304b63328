package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"sipas/internal/index"
	"sipas/internal/index/indextest"
	"sipas/internal/readback"
)

// verdictWords are the words of each verdict on the Vietnamese pages and exports.
var verdictWords = map[index.Verdict]string{
	index.Higher:           "Cao hơn có ý nghĩa thống kê",
	index.Lower:            "Thấp hơn có ý nghĩa thống kê",
	index.NoChange:         "Chưa thay đổi có ý nghĩa thống kê",
	index.InsufficientData: "Chưa đủ dữ liệu",
}

// TestBrowserOneVerdictPerAgency is issue 16's check: for every agency of the reference data,
// the verdict on its change from 2023 is one and the same on the province's dashboard, on its
// own filtered view, for its own agency official, and in the XLSX and PDF of that official's
// view; and it is the Holm verdict over all agencies of the JSON report, said with the family
// size in words.
func TestBrowserOneVerdictPerAgency(t *testing.T) {
	ref, err := filepath.Abs(refDir)
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t)
	referenceDB(t, srv.DB, ref, indextest.Cases[0])
	if code, _, stderr := runCmd(t, browserAdminPW+"\n", "user", "add", "--db", srv.DB, "--email", browserAdmin, "--role", "admin"); code != exitOK {
		t.Fatalf("user add: %s", stderr)
	}
	var rep index.Report
	if err := json.Unmarshal(mustRun(t, "report", "--db", srv.DB, "--year", "2024", "--baseline", "2023", "--format", "json"), &rep); err != nil {
		t.Fatal(err)
	}
	const view = "/admin/?year=2024&baseline=2023"
	tab := readback.Browser(t, 5*time.Minute) // the administrator's, for every agency's views
	signInBrowser(t, tab, srv, 1280, 800)
	province := leagueVerdicts(t, tab, srv.URL+view)
	holm := fmt.Sprintf("Holm trên %d cơ quan", rep.AgencyFamily.Holm)
	for _, a := range rep.Agencies {
		want := verdictWords[a.Stratified.Change.VerdictHolm]
		t.Run(a.Agency, func(t *testing.T) {
			if got := province[a.Agency]; got != want {
				t.Errorf("province dashboard: %q, want the Holm verdict %q", got, want)
			}
			if got := leagueVerdicts(t, tab, srv.URL+view+"&agency="+url.QueryEscape(a.Agency))[a.Agency]; got != want {
				t.Errorf("its own filtered view: %q, want %q", got, want)
			}
			checkOfficialVerdict(t, srv, a.Agency, want, holm)
		})
	}
}

// leagueVerdicts opens a dashboard and returns the verdict of every league table row by agency.
func leagueVerdicts(t *testing.T, tab context.Context, page string) map[string]string {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#h-agencies"))); err != nil {
		t.Fatalf("open %s: %v", page, err)
	}
	rows, err := chromedp.Run(tab, chromedp.Evaluate[map[string]string](`Object.fromEntries(Array.from(
		document.querySelectorAll("table.league tr[data-agency]")).map(tr => [tr.dataset.agency, (tr.querySelector("td.verdict .v") || {textContent: ""}).textContent.trim()]))`))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// checkOfficialVerdict signs the agency's own official in (a new browser) and checks the
// verdict of their dashboard, its words on the Holm family, and the verdict in the XLSX and
// PDF of the dashboard's links.
func checkOfficialVerdict(t *testing.T, srv *testServer, agency, want, holm string) {
	t.Helper()
	email := strings.ToLower(strings.ReplaceAll(agency, ".", "-")) + "@sipas.test"
	const pw = "Mật-khẩu-cơ-quan-9Qx!"
	if code, _, stderr := runCmd(t, pw+"\n", "user", "add", "--db", srv.DB, "--email", email, "--role", "agency", "--agency", agency); code != exitOK {
		t.Fatalf("user add: %s", stderr)
	}
	tab := newBrowser(t)
	signInAs(t, tab, srv, email, pw, 1280, 800)
	own := leagueVerdicts(t, tab, srv.URL+"/admin/?year=2024&baseline=2023")
	if len(own) != 1 || own[agency] != want {
		t.Errorf("its own official's dashboard: %q, want only %s with %q", own, agency, want)
	}
	body, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, holm) {
		t.Errorf("its own official's dashboard does not say %q", holm)
	}
	get := browserClient(t, tab, srv)
	link := func(format string) string {
		v, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.CSS(`.downloads a[href*="format=`+format+`"]`), "href"))
		if err != nil {
			t.Fatalf("no %s link: %v", format, err)
		}
		return fmt.Sprint(v.Value)
	}
	if _, x := get(link("xlsx")); xlsxVerdict(t, x, agency) != want {
		t.Errorf("its official's XLSX: %q, want %q", xlsxVerdict(t, x, agency), want)
	}
	if _, p := get(link("pdf")); pdfVerdict(t, p, agency) != want {
		t.Errorf("its official's PDF: %q, want %q", pdfVerdict(t, p, agency), want)
	}
}

// xlsxVerdict is the verdict of an agency's row of the agencies sheet.
func xlsxVerdict(t *testing.T, b []byte, agency string) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("open the XLSX: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Cơ quan")
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if strings.HasPrefix(h, "Kết luận") {
			col = i
		}
	}
	for _, r := range rows[1:] {
		if len(r) > col && r[1] == agency {
			return r[col]
		}
	}
	return ""
}

// verdictPhrase finds the verdict words of any verdict.
var verdictPhrase = regexp.MustCompile(`Cao hơn có ý nghĩa thống kê|Thấp hơn có ý nghĩa thống kê|Chưa thay đổi có ý nghĩa thống kê|Chưa đủ dữ liệu`)

// pdfVerdict is the first verdict after the agency's code in the PDF's league table, its
// words joined where the table's cell wrapped them.
func pdfVerdict(t *testing.T, b []byte, agency string) string {
	t.Helper()
	text := norm.NFC.String(readback.PDFText(t, b, "-raw"))
	i := strings.Index(text, "("+agency+")")
	if i < 0 {
		t.Fatalf("the PDF has no row for %s", agency)
	}
	row := strings.Join(strings.Fields(text[i:min(len(text), i+600)]), " ")
	return verdictPhrase.FindString(row)
}
