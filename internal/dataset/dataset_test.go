package dataset

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// sipasQuestions are the scored questions of the default survey, in order.
var sipasQuestions = strings.Fields("A1 A2 A3 A0 B1 B2 B3 B4 B0 C1 C2 C3 C4 C5 C0 D1 D2 D3 D0 E1 E2 E3 E4 E0")

// validSipasIndex accepts the question codes, aspect codes and "overall".
func validSipasIndex(id string) bool {
	return id == "overall" || slices.Contains([]string{"A", "B", "C", "D", "E"}, id) || slices.Contains(sipasQuestions, id)
}

// knownSet returns a known callback for the given codes.
func knownSet(codes ...string) func(string) bool {
	m := make(map[string]bool, len(codes))
	for _, c := range codes {
		m[c] = true
	}
	return func(c string) bool { return m[c] }
}

// refdata returns the path of a file of the shared reference data, or
// skips the test when the data are not there (SIPAS_REFDATA overrides).
func refdata(tb testing.TB, name string) string {
	tb.Helper()
	dir := os.Getenv("SIPAS_REFDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "refdata")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("reference data not available: %v", err)
	}
	return p
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// errStrings returns the printed problems of err, which must be an Errors.
func errStrings(tb testing.TB, err error) []string {
	tb.Helper()
	if err == nil {
		return nil
	}
	var es Errors
	if !errors.As(err, &es) {
		tb.Fatalf("error %q is a %T, want Errors", err, err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Error()
	}
	return out
}

// checkErrors compares the problems of err with want, line by line.
func checkErrors(tb testing.TB, err error, want []string) {
	tb.Helper()
	got := errStrings(tb, err)
	if reflect.DeepEqual(got, want) {
		return
	}
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		g, w := "(none)", "(none)"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if g != w {
			mark = "≠ "
		}
		b.WriteString(mark + "got:  " + g + "\n  want: " + w + "\n")
	}
	tb.Errorf("errors differ:\n%s", b.String())
}

// bomCRLF re-encodes a file as Excel on Windows writes it.
func bomCRLF(b []byte) []byte {
	return append([]byte("\uFEFF"), bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))...)
}

func TestRefdataAgencies(t *testing.T) {
	tests := []struct {
		file      string
		wantCount int
		wantFirst Agency
	}{
		{"agencies.csv", 12, Agency{Code: "MG", Name: "Trung tâm Phục vụ hành chính công tỉnh Minh Giang", Level: "province", Line: 2}},
		{"edge_agencies.csv", 4, Agency{Code: "XA", Name: "UBND huyện Xuân An", Level: "district", Line: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := mustRead(t, refdata(t, tt.file))
			got, err := ParseAgencies(tt.file, bytes.NewReader(data), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantCount {
				t.Fatalf("agencies = %d, want %d", len(got), tt.wantCount)
			}
			if got[0] != tt.wantFirst {
				t.Errorf("first = %+v, want %+v", got[0], tt.wantFirst)
			}
			levels := map[string]int{}
			for _, a := range got {
				levels[a.Level]++
			}
			if tt.file == "agencies.csv" {
				if want := map[string]int{"province": 3, "district": 4, "commune": 5}; !reflect.DeepEqual(levels, want) {
					t.Errorf("levels = %v, want %v", levels, want)
				}
			}
			again, err := ParseAgencies(tt.file, bytes.NewReader(bomCRLF(data)), nil)
			if err != nil {
				t.Fatalf("with BOM and CRLF: %v", err)
			}
			if !reflect.DeepEqual(again, got) {
				t.Errorf("with BOM and CRLF the rows differ")
			}
		})
	}
}

// refAgencies returns the codes of the reference agencies as a callback.
func refAgencies(tb testing.TB, file string) func(string) bool {
	tb.Helper()
	f, err := os.Open(refdata(tb, file))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	as, err := ParseAgencies(file, f, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var codes []string
	for _, a := range as {
		codes = append(codes, a.Code)
	}
	return knownSet(codes...)
}

func TestRefdataPopulations(t *testing.T) {
	tests := []struct {
		file, agencies string
		wantCount      int
		wantFirst      Population
		wantTotal2023  int64
	}{
		{"populations.csv", "agencies.csv", 24, Population{2023, "MG", 185000, 2}, 0},
		{"edge_populations.csv", "edge_agencies.csv", 8, Population{2023, "XA", 900, 2}, 900 + 120 + 6 + 40},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := mustRead(t, refdata(t, tt.file))
			known := refAgencies(t, tt.agencies)
			got, err := ParsePopulations(tt.file, bytes.NewReader(data), known)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantCount {
				t.Fatalf("populations = %d, want %d", len(got), tt.wantCount)
			}
			if got[0] != tt.wantFirst {
				t.Errorf("first = %+v, want %+v", got[0], tt.wantFirst)
			}
			if tt.wantTotal2023 > 0 {
				var total int64
				for _, p := range got {
					if p.Year == 2023 {
						total += p.Receipts
					}
				}
				if total != tt.wantTotal2023 {
					t.Errorf("2023 receipts = %d, want %d", total, tt.wantTotal2023)
				}
			}
			again, err := ParsePopulations(tt.file, bytes.NewReader(bomCRLF(data)), known)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("with BOM and CRLF: rows differ or error %v", err)
			}
		})
	}
}

func TestRefdataResponses(t *testing.T) {
	tests := []struct {
		file, agencies string
		year           int
		wantCount      int
		wantLastLine   int
	}{
		{"responses_2023.csv", "agencies.csv", 2023, 1928, 1943},
		{"responses_2024.csv", "agencies.csv", 2024, 2063, 2076},
		{"edge_responses_2023.csv", "edge_agencies.csv", 2023, 25, 26},
		{"edge_responses_2024.csv", "edge_agencies.csv", 2024, 27, 28},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := mustRead(t, refdata(t, tt.file))
			known := refAgencies(t, tt.agencies)
			got, err := ParseResponses(tt.file, bytes.NewReader(data), sipasQuestions, known)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantCount {
				t.Fatalf("responses = %d, want %d", len(got), tt.wantCount)
			}
			// The README says each file holds exactly the responses of its
			// year in Vietnam time, including UTC "Z" answers dated 31 December.
			for _, r := range got {
				if r.Year != tt.year {
					t.Errorf("line %d: %s submitted %s: year = %d, want %d", r.Line, r.ID, r.SubmittedAt.Format(time.RFC3339), r.Year, tt.year)
				}
				if len(r.Answers) != len(sipasQuestions) {
					t.Fatalf("line %d: %d answers, want %d", r.Line, len(r.Answers), len(sipasQuestions))
				}
				if !norm.NFC.IsNormalString(r.Comment) {
					t.Errorf("line %d: comment is not NFC", r.Line)
				}
			}
			if got, want := got[len(got)-1].Line, tt.wantLastLine; got != want {
				t.Errorf("last row line = %d, want %d", got, want)
			}
			again, err := ParseResponses(tt.file, bytes.NewReader(bomCRLF(data)), sipasQuestions, known)
			if err != nil {
				t.Fatalf("with BOM and CRLF: %v", err)
			}
			for i := range got {
				if !again[i].SameContent(got[i]) || again[i].ID != got[i].ID || again[i].Line != got[i].Line {
					t.Fatalf("with BOM and CRLF, line %d differs: %+v, want %+v", got[i].Line, again[i], got[i])
				}
			}
		})
	}
}

// TestRefdataResponseRows checks particular rows of the reference files.
func TestRefdataResponseRows(t *testing.T) {
	byID := map[string]Response{}
	for _, file := range []string{"responses_2023.csv", "responses_2024.csv"} {
		data := mustRead(t, refdata(t, file))
		rs, err := ParseResponses(file, bytes.NewReader(data), sipasQuestions, refAgencies(t, "agencies.csv"))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			byID[r.ID] = r
		}
	}
	tests := []struct {
		id          string
		wantLine    int
		wantYear    int
		wantAt      string // RFC 3339 in UTC
		wantChannel string
		wantComment string // "" = not checked
		wantAnswers string // as written in the file
	}{
		// UTC "Z" answers from the first hours of 1 January, Vietnam time.
		{"MG23-00009", 2, 2023, "2022-12-31T17:05:00Z", "online", "", "5,5,5,5,5,5,5,3,5,5,5,5,4,5,5,5,5,5,5,5,5,5,5,4"},
		{"MG24-00001", 2, 2024, "2023-12-31T17:05:00Z", "online", "", "1,1,1,2,4,5,4,5,4,4,5,4,4,4,3,4,4,2,4,2,3,,2,3"},
		{"MG24-00006", 4, 2024, "2023-12-31T23:59:59Z", "online", "", "5,5,5,4,5,4,5,5,5,5,5,2,4,5,3,5,5,5,5,5,5,5,4,3"},
		{"MG24-00672", 5, 2024, "2024-01-01T02:40:00Z", "online", "Ứng dụng quét mã QR rất tiện, không phải xếp hàng.", "4,5,5,5,,1,2,2,2,4,3,2,4,4,4,3,5,3,3,4,4,5,5,4"},
		// A date alone is midnight in Vietnam.
		{"MG23-00507", 24, 2023, "2023-01-03T17:00:00Z", "counter", "Cổng dịch vụ công trực tuyến hay bị lỗi, khó đăng nhập.", "5,5,5,5,5,5,5,,5,5,5,5,5,5,4,5,5,5,5,5,5,5,5,4"},
		// A comment with a line break, and the row after it.
		{"MG23-00790", 471, 2023, "2023-03-27T02:45:37Z", "counter", "Hồ sơ bị trả lại 2 lần vì thiếu giấy tờ,\nđề nghị hướng dẫn một lần cho đầy đủ.", "3,1,3,3,3,3,3,2,4,3,4,1,4,2,1,3,4,3,2,4,5,3,3,2"},
		{"MG23-01496", 473, 2023, "2023-03-27T03:32:16Z", "online", "", "5,4,5,5,4,5,5,4,5,5,5,4,5,,,5,5,5,5,5,4,5,5,5"},
		// Doubled quotes inside a quoted comment.
		{"MG23-00644", 104, 2023, "2023-01-17T17:00:00Z", "counter", `Cán bộ nói "hẹn tuần sau" nhưng ba tuần mới có kết quả.`, "4,4,4,,4,,4,5,4,4,5,3,4,4,3,4,5,4,3,4,,,4,4"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			r, ok := byID[tt.id]
			if !ok {
				t.Fatalf("response %s not found", tt.id)
			}
			if r.Line != tt.wantLine {
				t.Errorf("line = %d, want %d", r.Line, tt.wantLine)
			}
			if r.Year != tt.wantYear {
				t.Errorf("year = %d, want %d", r.Year, tt.wantYear)
			}
			if got := r.SubmittedAt.UTC().Format(time.RFC3339); got != tt.wantAt {
				t.Errorf("submitted_at = %s, want %s", got, tt.wantAt)
			}
			if r.Channel != tt.wantChannel {
				t.Errorf("channel = %q, want %q", r.Channel, tt.wantChannel)
			}
			if tt.wantComment != "" && r.Comment != tt.wantComment {
				t.Errorf("comment = %q, want %q", r.Comment, tt.wantComment)
			}
			if got := answersText(r.Answers); got != tt.wantAnswers {
				t.Errorf("answers = %s, want %s", got, tt.wantAnswers)
			}
		})
	}
}

// answersText writes answers as in the file: "4,,5".
func answersText(as []uint8) string {
	parts := make([]string, len(as))
	for i, a := range as {
		if a > 0 {
			parts[i] = strconv.Itoa(int(a))
		}
	}
	return strings.Join(parts, ",")
}

func TestRefdataAggregates(t *testing.T) {
	data := mustRead(t, refdata(t, "aggregates_2023.csv"))
	got, err := ParseAggregates("aggregates_2023.csv", bytes.NewReader(data), validSipasIndex, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60 {
		t.Fatalf("aggregates = %d, want 60", len(got))
	}
	if want := (Aggregate{Year: 2023, Index: "A1", Basis: "unweighted", Percent: 74.07, N: 1859, Line: 2}); got[0] != want {
		t.Errorf("first = %+v, want %+v", got[0], want)
	}
	last := got[len(got)-1]
	if want := (Aggregate{Year: 2023, Index: "overall", Basis: "stratified", Percent: 78.92, N: 1927, Line: 61}); last != want {
		t.Errorf("last = %+v, want %+v", last, want)
	}
	bases := map[string]int{}
	for _, a := range got {
		bases[a.Basis]++
	}
	if bases["unweighted"] != 30 || bases["stratified"] != 30 {
		t.Errorf("bases = %v, want 30 of each", bases)
	}
}

func BenchmarkParseResponses(b *testing.B) {
	data := mustRead(b, refdata(b, "responses_2024.csv"))
	known := refAgencies(b, "agencies.csv")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseResponses("responses_2024.csv", bytes.NewReader(data), sipasQuestions, known); err != nil {
			b.Fatal(err)
		}
	}
}
