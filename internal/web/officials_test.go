package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestReportCSVForSpreadsheets: format=csv is the machine format; locale=vi-VN the same table
// for a Vietnamese spreadsheet, under a file name that says so; table= chooses the table; a
// wrong locale or table is the user's mistake, said in words.
func TestReportCSVForSpreadsheets(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	s := e.sessions["analyst"]
	base := "/api/v1/reports/index?year=" + strconv.Itoa(e.year) + "&baseline=2023&format=csv"
	machine := e.get(t, base, s)
	sheet := e.get(t, base+"&locale=vi-VN", s)
	if machine.Code != http.StatusOK || sheet.Code != http.StatusOK {
		t.Fatalf("status %d, %d", machine.Code, sheet.Code)
	}
	head := func(b string) string { return strings.SplitN(strings.TrimPrefix(b, "\uFEFF"), "\n", 2)[0] }
	if h := head(machine.Body.String()); !strings.HasPrefix(h, "index,kind,aspect,basis,estimate_pct") {
		t.Errorf("machine header = %q", h)
	}
	if h := head(sheet.Body.String()); !strings.HasPrefix(h, "index;kind;aspect;basis;estimate_pct") {
		t.Errorf("vi-VN header = %q, want the same columns separated by ;", h)
	}
	if strings.Count(sheet.Body.String(), ",") < 50 || strings.Contains(strings.SplitN(sheet.Body.String(), "\n", 3)[1], ".") {
		t.Errorf("vi-VN CSV has no decimal commas:\n%.400s", sheet.Body.String())
	}
	cd := sheet.Header().Get("Content-Disposition")
	if !strings.Contains(cd, "-vi-vn") || strings.Contains(machine.Header().Get("Content-Disposition"), "vi-vn") {
		t.Errorf("file names %q / %q do not tell the spreadsheet CSV from the machine one", cd, machine.Header().Get("Content-Disposition"))
	}
	if ag := e.get(t, base+"&table=agencies", s); ag.Code != http.StatusOK || !strings.HasPrefix(head(ag.Body.String()), "agency,agency_name,basis") {
		t.Errorf("table=agencies: %d %q", ag.Code, head(ag.Body.String()))
	}
	for q, code := range map[string]string{"&locale=xx-YY": "invalid_locale", "&table=nope": "invalid_table",
		"&table=small_area": "table_needs_small_area"} {
		rec := e.get(t, base+q, s)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"code":"`+code+`"`) {
			t.Errorf("%s: %d %s, want 400 %s", q, rec.Code, rec.Body.String(), code)
		}
	}
}

// TestRawExportsForPeople: the raw XLSX speaks the official's language; the raw CSV for a
// spreadsheet is ;-separated; the plain one stays the responses.csv layout.
func TestRawExportsForPeople(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	s := e.sessions["admin"]
	base := "/api/v1/responses?year=" + strconv.Itoa(e.year)
	if rec := e.get(t, base+"&format=csv", s); !strings.HasPrefix(strings.TrimPrefix(rec.Body.String(), "\uFEFF"), "response_id,agency_code,channel,submitted_at,") {
		t.Errorf("machine raw CSV: %.200s", rec.Body.String())
	}
	sheet := e.get(t, base+"&format=csv&locale=vi-VN", s)
	if !strings.HasPrefix(strings.TrimPrefix(sheet.Body.String(), "\uFEFF"), "response_id;agency_code;channel;submitted_at;") ||
		!strings.Contains(sheet.Header().Get("Content-Disposition"), "vi-vn") {
		t.Errorf("vi-VN raw CSV: %q\n%.200s", sheet.Header().Get("Content-Disposition"), sheet.Body.String())
	}
	for lang, want := range map[string]string{"vi": "Mã phiếu", "en": "Response ID"} {
		rec := e.get(t, base+"&format=xlsx&lang="+lang, s)
		f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		rows, _ := f.GetRows(f.GetSheetName(0))
		f.Close()
		if len(rows) < 2 || rows[0][0] != want || !strings.HasPrefix(rows[0][4], e.q.Codes()[0]+" – ") {
			t.Errorf("%s raw XLSX header = %q, want %q and questions with their wording", lang, rows[0], want)
		}
	}
}

// TestDashboardWords: levels of the year, one verdict in words with its adjustment, p never
// written 0,000, and the spreadsheet CSV offered to a Vietnamese-language official only.
func TestDashboardWords(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	s := e.sessions["admin"]
	old := e.get(t, "/admin/?year=2024&baseline=none", s).Body.String()
	now := e.get(t, "/admin/?year=2026", s).Body.String()
	if !strings.Contains(old, `<option value="district"`) || strings.Contains(now, `<option value="district"`) {
		t.Error("the level filter offers the district level after 2025, or not before")
	}
	if !strings.Contains(now, "Cấp xã (xã, phường, đặc khu)") {
		t.Error("the level filter does not name the commune level of 2025 on")
	}
	page := e.get(t, "/admin/?year="+strconv.Itoa(e.year), s).Body.String()
	for _, w := range []string{"hiệu chỉnh Holm trên", "Khoảng tin cậy 95%: với số phiếu đã thu", "khoảng hạng", "điểm phần trăm",
		"locale=vi-VN", "CSV dữ liệu máy", "CSV cho bảng tính vi-VN"} {
		if !strings.Contains(page, w) {
			t.Errorf("the dashboard lacks %q", w)
		}
	}
	for _, w := range []string{"p = 0,000", "điểm %"} {
		if strings.Contains(page, w) {
			t.Errorf("the dashboard writes %q", w)
		}
	}
	if en := e.get(t, "/admin/?lang=en&year="+strconv.Itoa(e.year), s).Body.String(); strings.Contains(en, "locale=vi-VN") || !strings.Contains(en, "CSV, machine format") {
		t.Error("the English dashboard offers the vi-VN spreadsheet CSV, or no machine CSV")
	}
}

// TestCommentsFilteredAndFolded: a search without diacritics finds the comment, the agency
// filter keeps one agency's, and the page says how many there are.
func TestCommentsFilteredAndFolded(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	s := e.sessions["admin"]
	rec := e.get(t, "/admin/comments?q=NEN+THEM+GHE+NGOI", s).Body.String()
	if !strings.Contains(rec, e.msg("comments.count", 1, 1, 1)) || !strings.Contains(rec, "nên thêm ghế ngồi") {
		t.Errorf("search without diacritics did not find the comment:\n%.2000s", rec)
	}
	rival := rivals[1]
	only := e.get(t, "/admin/comments?agency="+rival.code, s).Body.String()
	if !strings.Contains(only, rival.comment) || strings.Contains(only, ownComment) || !strings.Contains(only, `<select name="agency">`) {
		t.Error("the agency filter does not keep that agency's comments alone")
	}
	if own := e.get(t, "/admin/comments", e.sessions["agency"]).Body.String(); strings.Contains(own, `<select name="agency">`) {
		t.Error("an agency official is offered other agencies")
	}
}

// TestAuditInWords: the audit page says events in the official's language, the code beside.
func TestAuditInWords(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	s := e.sessions["admin"]
	e.get(t, "/api/v1/reports/index?year="+strconv.Itoa(e.year)+"&format=pdf", s)
	vi := e.get(t, "/admin/audit", s).Body.String()
	en := e.get(t, "/admin/audit?lang=en&action=report.download", s).Body.String()
	if !strings.Contains(vi, "Tải báo cáo") || !strings.Contains(vi, "định dạng: pdf") || !strings.Contains(vi, "<code class=\"note\">report.download</code>") {
		t.Errorf("the audit page does not say the download in Vietnamese words:\n%.3000s", vi)
	}
	if !strings.Contains(en, "Report downloaded") || !strings.Contains(en, "format: pdf") {
		t.Errorf("the English audit page does not say it in English:\n%.3000s", en)
	}
}
