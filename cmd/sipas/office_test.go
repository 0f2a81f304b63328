package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"sipas/internal/index"
	"sipas/internal/index/indextest"
	"sipas/internal/readback"
	"sipas/internal/report"
	"sipas/internal/store"
)

// officeReport is the raw-baseline reference case imported with the CLI: its database, its
// report JSON and the 2024 receipts of its agencies.
type officeReport struct {
	db       string
	rep      index.Report
	receipts map[string]float64
	args     []string // of the report: --db, --year, --baseline
}

func newOfficeReport(t *testing.T) officeReport {
	t.Helper()
	readback.Need(t, "soffice", "libreoffice-calc-nogui")
	ref, err := filepath.Abs(refDir)
	if err != nil {
		t.Fatal(err)
	}
	tc := indextest.Cases[0] // the raw baseline
	o := officeReport{db: referenceDB(t, filepath.Join(t.TempDir(), "sipas.db"), ref, tc), receipts: map[string]float64{}}
	o.args = []string{"--db", o.db, "--year", itoa(indextest.Year), "--baseline", itoa(indextest.BaselineYear)}
	if err := json.Unmarshal(mustRun(t, append([]string{"report", "--format", "json"}, o.args...)...), &o.rep); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(ref, tc.Populations))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		if r[0] == itoa(indextest.Year) {
			o.receipts[r[1]], _ = strconv.ParseFloat(r[2], 64)
		}
	}
	return o
}

func (o officeReport) run(t *testing.T, args ...string) []byte {
	t.Helper()
	return mustRun(t, append(append([]string{"report"}, args...), o.args...)...)
}

// want is the number a cell should hold, with how closely: the CSV rounds percentages to 4
// decimals and p-values to 4 significant digits.
type want struct {
	v   *float64
	abs float64 // absolute tolerance; 0 with rel set means relative only
	rel float64
}

func pct(f *float64) want { return scaled(f, 100, 0.5e-4) }
func dec(f *float64, decimals int) want {
	return want{v: f, abs: 0.5*math.Pow10(-decimals) + 1e-9}
}
func pv(f *float64) want { return want{v: f, rel: 0.5e-3} }
func count(n int) want   { v := float64(n); return want{v: &v, abs: 0} }
func rank(n *int) want {
	if n == nil {
		return want{}
	}
	return count(*n)
}
func scaled(f *float64, by, abs float64) want {
	if f == nil {
		return want{}
	}
	v := *f * by
	return want{v: &v, abs: abs + 1e-9}
}

// indexWants are the numbers of the CSV's indices table, from the report JSON: for each row
// (index and basis, as the CSV orders them), column name → number.
func indexWants(rep *index.Report) []map[string]want {
	var out []map[string]want
	for i := range rep.Indices {
		ix := &rep.Indices[i]
		for _, strat := range []bool{true, false} {
			e, ch := ix.Unweighted, (*index.Change)(nil)
			if strat {
				e = ix.Stratified
			}
			if ix.Change != nil {
				ch = ix.Change.Unweighted
				if strat {
					ch = ix.Change.Stratified
				}
			}
			row := map[string]want{}
			if e != nil {
				row["estimate_pct"], row["ci_low_pct"], row["ci_high_pct"], row["se_pct"] = pct(e.Value), pct(e.CILow), pct(e.CIHigh), pct(e.SE)
				row["n"] = count(e.N)
				if e.DesignEffect != nil {
					row["n_eff"], row["deff"] = dec(e.NEff, 2), dec(e.Deff, 4)
				}
			}
			changeWants(row, ch)
			out = append(out, row)
		}
	}
	return out
}

func changeWants(row map[string]want, ch *index.Change) {
	if ch == nil {
		return
	}
	row["change_pct"], row["change_ci_low_pct"], row["change_ci_high_pct"] = pct(ch.Diff), pct(ch.CILow), pct(ch.CIHigh)
	row["p_value"], row["baseline_estimate_pct"], row["baseline_n"] = pv(ch.PValue), pct(ch.BaselineEstimate), dec(ch.BaselineN, 2)
	if ch.Adjustment != nil {
		row["p_holm"] = pv(ch.PHolm)
	}
}

// agencyWants are the numbers of the CSV's agencies table, in report order.
func agencyWants(o officeReport) []map[string]want {
	var out []map[string]want
	for _, a := range o.rep.Agencies {
		s := a.Stratified
		rate := float64(s.N) / o.receipts[a.Agency]
		row := map[string]want{"n": count(s.N), "estimate_pct": pct(s.Estimate), "ci_low_pct": pct(s.CILow),
			"ci_high_pct": pct(s.CIHigh), "se_pct": pct(s.SE), "rank_low": rank(s.RankLow), "rank_high": rank(s.RankHigh),
			"response_rate_pct": pct(&rate)}
		if s.Change != nil {
			changeWants(row, &s.Change.Change)
		}
		out = append(out, row)
	}
	return out
}

// compareSheet reads the first sheet of a workbook LibreOffice made from a CSV and compares
// every number of wants, by column name, with its cell: a number cell holding the same
// number. It returns how many numbers matched and the mismatches.
func compareSheet(t *testing.T, xlsx []byte, wants []map[string]want) (matched int, bad []string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(wants) {
		t.Fatalf("LibreOffice read %d rows, want %d: the separator was not understood?", len(rows), 1+len(wants))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimPrefix(h, "\uFEFF")] = i
	}
	for i, w := range wants {
		for name, wv := range w {
			j, ok := col[name]
			if !ok {
				t.Fatalf("no column %s in %q", name, rows[0])
			}
			ref, _ := excelize.CoordinatesToCellName(j+1, i+2)
			raw := ""
			if j < len(rows[i+1]) {
				raw = rows[i+1][j]
			}
			if wv.v == nil {
				if raw != "" {
					bad = append(bad, fmt.Sprintf("%s (%s) = %q, want empty", ref, name, raw))
				}
				continue
			}
			typ, _ := f.GetCellType(sheet, ref)
			got, err := strconv.ParseFloat(raw, 64)
			switch {
			case typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset, err != nil:
				bad = append(bad, fmt.Sprintf("%s (%s) = %q is not a number cell (type %v), want %v", ref, name, raw, typ, *wv.v))
			case math.Abs(got-*wv.v) > max(wv.abs, wv.rel*math.Abs(*wv.v)):
				bad = append(bad, fmt.Sprintf("%s (%s) = %v, want %v", ref, name, got, *wv.v))
			default:
				matched++
			}
		}
	}
	return matched, bad
}

// TestSpreadsheetCSVInLibreOffice is issue 12's check: the CSV for a Vietnamese spreadsheet
// (`--format csv --locale vi-VN`), opened by LibreOffice Calc set to vi-VN, holds every number
// of the JSON report as the same number, in both tables; the machine CSV, opened the same way,
// does not (which is why there are two).
func TestSpreadsheetCSVInLibreOffice(t *testing.T) {
	o := newOfficeReport(t)
	for _, tt := range []struct {
		table string
		wants []map[string]want
		least int
	}{
		{"indices", indexWants(&o.rep), 700},
		{"agencies", agencyWants(o), 150},
	} {
		t.Run(tt.table, func(t *testing.T) {
			sheet := o.run(t, "--format", "csv", "--locale", "vi-VN", "--table", tt.table)
			if !regexp.MustCompile(`;\d+,\d+;`).Match(sheet) || regexp.MustCompile(`;-?\d+\.\d+;`).Match(sheet) {
				t.Fatalf("the vi-VN CSV is not ;-separated with decimal commas:\n%.300s", sheet)
			}
			n, bad := compareSheet(t, readback.Office(t, sheet, "report.csv", "vi-VN", readback.CSVSemicolonUTF8, "xlsx"), tt.wants)
			for _, b := range bad {
				t.Error("vi-VN CSV in LibreOffice vi-VN: " + b)
			}
			t.Logf("%s: %d numbers read by LibreOffice (vi-VN) equal the JSON report's", tt.table, n)
			if n < tt.least {
				t.Errorf("only %d numbers compared, want at least %d", n, tt.least)
			}
			machine := o.run(t, "--format", "csv", "--table", tt.table)
			_, misread := compareSheet(t, readback.Office(t, machine, "report.csv", "vi-VN", readback.CSVCommaUTF8, "xlsx"), tt.wants)
			t.Logf("%s: the machine CSV in LibreOffice (vi-VN) misreads %d numbers", tt.table, len(misread))
			if len(misread) < n/2 {
				t.Errorf("the machine CSV misreads only %d of %d numbers in a vi-VN spreadsheet: the check cannot tell the formats apart", len(misread), n)
			}
		})
	}
}

// TestResponsesCSVInLibreOffice: the raw responses CSV for a Vietnamese spreadsheet opens in
// LibreOffice vi-VN with every answer a number and every submission time a date.
func TestResponsesCSVInLibreOffice(t *testing.T) {
	o := newOfficeReport(t)
	csvData := responsesCSV(t, o.db)
	recs, err := csvReader(csvData, ';').ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(readback.Office(t, csvData, "responses.csv", "vi-VN", readback.CSVSemicolonUTF8, "xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows, _ := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if len(rows) != len(recs) || len(rows) < 1000 {
		t.Fatalf("LibreOffice read %d rows of %d", len(rows), len(recs))
	}
	answers := 0
	for i, r := range recs[1:] {
		for j := 4; j < len(r)-1; j++ {
			if r[j] == "" {
				continue
			}
			ref, _ := excelize.CoordinatesToCellName(j+1, i+2)
			if typ, _ := f.GetCellType(sheet, ref); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset || rows[i+1][j] != r[j] {
				t.Fatalf("%s = %q (type %v), want the number %s", ref, rows[i+1][j], typ, r[j])
			}
			answers++
		}
		if _, err := strconv.ParseFloat(rows[i+1][3], 64); err != nil {
			t.Fatalf("row %d: the submission time %q is read as %q, not a date", i+2, r[3], rows[i+1][3])
		}
	}
	t.Logf("%d answers and %d submission times read as numbers and dates", answers, len(recs)-1)
}

// responsesCSV is the raw responses of the reference year as the API writes them for
// locale=vi-VN: the store's export through report.NewResponsesCSV.
func responsesCSV(t *testing.T, db string) []byte {
	t.Helper()
	st, q := openDB(t, db), defaultQuestionnaire(t)
	vi, _ := report.SpreadsheetLocale("vi-VN")
	var buf bytes.Buffer
	w := report.NewResponsesCSV(&buf, report.ResponseLayout{Codes: q.Codes(), Locale: vi})
	answers := make([]uint8, len(q.Codes()))
	err := st.ExportResponses(t.Context(), q.ID, indextest.Year, "", func(int64) error { return nil }, func(r *store.ExportRow) error {
		if err := q.DecodeAnswers(r.Answers, answers); err != nil {
			return err
		}
		return w.Write(report.ResponseRecord{ResponseID: r.ResponseID, AgencyCode: r.AgencyCode, Channel: r.Channel,
			SubmittedAt: r.SubmittedAt, Answers: answers, Comment: r.Comment})
	})
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestXLSXInLibreOffice: LibreOffice vi-VN shows the workbook's numbers in their formats:
// percentages with one decimal comma, changes as signed points, p as 0,012 or "< 0,001",
// counts with a dot between thousands.
func TestXLSXInLibreOffice(t *testing.T) {
	o := newOfficeReport(t)
	xlsx := o.run(t, "--format", "xlsx")
	shown := func(sheet int) [][]string {
		t.Helper()
		b := readback.Office(t, xlsx, "report.xlsx", "vi-VN", "", readback.CSVShownSheet(sheet))
		recs, err := csvReader(b, ',').ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	var ov *index.Index
	for i := range o.rep.Indices {
		if o.rep.Indices[i].Kind == index.KindOverall {
			ov = &o.rep.Indices[i]
		}
	}
	e, ch := ov.Stratified, ov.Change.Stratified
	summary := rowStarting(t, shown(1), "Chỉ số hài lòng chung (có trọng số")
	rate := float64(e.N) / sum(o.receipts)
	for i, w := range map[int]string{1: viPct(*e.Value), 2: viPct(*e.CILow), 4: viCount(e.N), 5: viPct(rate),
		7: viPoints(*ch.Diff), 10: viP(*ch.PValue)} {
		if summary[i] != w {
			t.Errorf("Tổng hợp column %d shows %q, want %q", i+1, summary[i], w)
		}
	}
	indices := shown(2)
	checked := 0
	for _, ix := range o.rep.Indices {
		if ix.Kind != index.KindQuestion || ix.Change.Stratified.PValue == nil {
			continue
		}
		r := rowStarting(t, indices, ix.ID)
		c := ix.Change.Stratified
		for i, w := range map[int]string{4: viPct(*ix.Stratified.Value), 7: viCount(ix.Stratified.N), 11: viPoints(*c.Diff),
			14: viP(*c.PValue), 15: viP(*c.PHolm)} {
			if r[i] != w {
				t.Errorf("Chỉ số %s column %d shows %q, want %q", ix.ID, i+1, r[i], w)
			}
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("only %d criteria checked", checked)
	}
	if !strings.Contains(fmt.Sprint(indices), "< 0,001") {
		t.Error(`no p-value shows as "< 0,001" in Chỉ số, though some are below 0.001`)
	}
}

func rowStarting(t *testing.T, rows [][]string, prefix string) []string {
	t.Helper()
	for _, r := range rows {
		if len(r) > 0 && strings.HasPrefix(r[0], prefix) {
			return r
		}
	}
	t.Fatalf("no row starts with %q", prefix)
	return nil
}

func csvReader(b []byte, comma rune) *csv.Reader {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF"))))
	r.Comma, r.FieldsPerRecord = comma, -1
	return r
}

func sum(m map[string]float64) float64 {
	s := 0.0
	for _, v := range m {
		s += v
	}
	return s
}

// The Vietnamese conventions of GLOSSARY.md, written independently of the i18n package.
func viDec(v float64, d int) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', d, 64), ".", ",", 1)
}
func viPct(f float64) string { return viDec(f*100, 1) + "%" }
func viP(p float64) string {
	if p < 0.001 {
		return "< 0,001"
	}
	return viDec(p, 3)
}
func viPoints(d float64) string {
	s := viDec(d*100, 1)
	if d > 0 {
		s = "+" + s
	}
	return s
}
func viCount(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return s
}

// TestSmallAreaCSVInLibreOffice: the small-area table (`--small-area commune --table
// small_area --locale vi-VN`) opened by LibreOffice vi-VN holds the JSON block's numbers:
// direct and model estimates with their intervals, γ and the rank ranges from the MSEs.
func TestSmallAreaCSVInLibreOffice(t *testing.T) {
	readback.Need(t, "soffice", "libreoffice-calc-nogui")
	ref, err := filepath.Abs(refDir)
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "sae.db")
	for _, f := range [][2]string{{"agencies", "sae_agencies.csv"}, {"populations", "sae_populations.csv"},
		{"responses", "sae_responses_2023.csv"}, {"responses", "sae_responses_2025.csv"}} {
		mustImport(t, db, f[0], filepath.Join(ref, f[1]))
	}
	args := []string{"report", "--db", db, "--year", "2025", "--baseline", "2023", "--small-area", "commune"}
	var rep index.Report
	if err := json.Unmarshal(mustRun(t, append(args, "--format", "json")...), &rep); err != nil {
		t.Fatal(err)
	}
	sa := rep.SmallArea
	var est, vs []float64
	for _, r := range sa.Rows {
		est, vs = append(est, *r.EBLUP), append(vs, *r.MSE)
	}
	lo, hi := index.RankRanges(est, vs)
	var wants []map[string]want
	for i, r := range sa.Rows {
		se := math.Sqrt(*r.MSE)
		w := map[string]want{"n": count(r.N), "direct_pct": pct(r.Direct), "model_pct": pct(r.EBLUP),
			"model_ci_low_pct": pct(&r.CI[0]), "model_ci_high_pct": pct(&r.CI[1]), "model_se_pct": pct(&se),
			"gamma": dec(r.Gamma, 6), "rank_low": count(lo[i]), "rank_high": count(hi[i]), "baseline_pct": pct(r.Baseline)}
		if r.DirectVar != nil {
			half := 1.959963984540054 * math.Sqrt(*r.DirectVar)
			l, h := max(0, *r.Direct-half), min(1, *r.Direct+half)
			w["direct_ci_low_pct"], w["direct_ci_high_pct"] = pct(&l), pct(&h)
		}
		wants = append(wants, w)
	}
	sheet := mustRun(t, append(args, "--format", "csv", "--table", "small_area", "--locale", "vi-VN")...)
	n, bad := compareSheet(t, readback.Office(t, sheet, "communes.csv", "vi-VN", readback.CSVSemicolonUTF8, "xlsx"), wants)
	for _, b := range bad {
		t.Error("small-area CSV in LibreOffice vi-VN: " + b)
	}
	t.Logf("%d numbers of %d communes read by LibreOffice (vi-VN) equal the JSON report's", n, len(sa.Rows))
	if n < 10*len(sa.Rows) {
		t.Errorf("only %d numbers compared", n)
	}
}

// TestReorganisedAgenciesInExports (issue 10): each reorganised unit's 2023 value is shown
// with the units it was built from, shares where only part of a unit moved, in the XLSX and
// the PDF; a unit that merely continued says nothing of the kind.
func TestReorganisedAgenciesInExports(t *testing.T) {
	ref, err := filepath.Abs(refDir)
	if err != nil {
		t.Fatal(err)
	}
	db := xwDB(t, ref, true)
	args := []string{"report", "--db", db, "--year", "2025", "--baseline", "2023"}
	f, err := excelize.OpenReader(bytes.NewReader(mustRun(t, append(args, "--format", "xlsx")...)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Cơ quan")
	compared := map[string]string{}
	for _, r := range rows[1:] {
		if len(r) > 9 {
			compared[r[1]] = r[9]
		}
	}
	// xã 30310 took over district 884 and 45% of district 888 (xw_crosswalk.csv).
	if got := compared["MG.884.30310"]; !strings.HasPrefix(got, "so với 2023: ") || !strings.Contains(got, "(45%)") || strings.Count(got, ",") < 1 {
		t.Errorf("MG.884.30310 compared with %q, want its predecessors with 45%% of district 888", got)
	}
	if got := compared["MG.STP"]; got != "" {
		t.Errorf("MG.STP, which continued, compared with %q", got)
	}
	text := strings.Join(strings.Fields(norm.NFC.String(readback.PDFText(t, mustRun(t, append(args, "--format", "pdf")...)))), " ")
	if !strings.Contains(text, compared["MG.884.30310"]) {
		t.Errorf("the PDF lacks %q", compared["MG.884.30310"])
	}
}
