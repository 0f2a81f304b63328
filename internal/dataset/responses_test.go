package dataset

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testQuestions = []string{"A1", "A2", "B0"}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatal(err)
	}
	return at
}

func TestParseResponses(t *testing.T) {
	known := knownSet("MG", "MG.883")
	in := "response_id,channel,agency_code,B0,submitted_at,A1,comment\n" +
		"R1,counter,MG,5,2024-01-01,4,\n" +
		"R2,online,MG,,2023-12-31T17:05:00Z,,\"Rất tốt, cảm ơn.\"\n" +
		"R3,postal,MG.883,1,2024-03-05T09:10:11.250+07:00,2,\"Hai\r\ndòng \"\"trích\"\"\"\n" +
		"R4,online,MG,3,2024-12-31T16:59:59.999Z,3,\n" +
		"R5,online,MG,,2024-12-31T17:00:00Z,,Cuối năm\n"
	got, err := ParseResponses("r.csv", strings.NewReader(in), testQuestions, known)
	if err != nil {
		t.Fatal(err)
	}
	want := []Response{
		{ID: "R1", AgencyCode: "MG", Channel: "counter", SubmittedAt: mustTime(t, "2024-01-01T00:00:00+07:00"), Year: 2024, Answers: []uint8{4, 0, 5}, Line: 2},
		{ID: "R2", AgencyCode: "MG", Channel: "online", SubmittedAt: mustTime(t, "2023-12-31T17:05:00Z"), Year: 2024, Answers: []uint8{0, 0, 0}, Comment: "Rất tốt, cảm ơn.", Line: 3},
		{ID: "R3", AgencyCode: "MG.883", Channel: "postal", SubmittedAt: mustTime(t, "2024-03-05T09:10:11.25+07:00"), Year: 2024, Answers: []uint8{2, 0, 1}, Comment: "Hai\ndòng \"trích\"", Line: 4},
		{ID: "R4", AgencyCode: "MG", Channel: "online", SubmittedAt: mustTime(t, "2024-12-31T16:59:59.999Z"), Year: 2024, Answers: []uint8{3, 0, 3}, Line: 6},
		{ID: "R5", AgencyCode: "MG", Channel: "online", SubmittedAt: mustTime(t, "2024-12-31T17:00:00Z"), Year: 2025, Answers: []uint8{0, 0, 0}, Comment: "Cuối năm", Line: 7},
	}
	if len(got) != len(want) {
		t.Fatalf("responses = %d, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.SameContent(w) || g.ID != w.ID || g.Year != w.Year || g.Line != w.Line {
			t.Errorf("row %d:\ngot  %+v\nwant %+v", i, g, w)
		}
	}
	// A date alone is midnight in Vietnam, kept in that zone.
	if name, off := got[0].SubmittedAt.Zone(); off != 7*3600 {
		t.Errorf("date zone = %s %d, want +07:00", name, off)
	}
}

func TestResponseSameContent(t *testing.T) {
	base := Response{
		ID: "R1", AgencyCode: "MG", Channel: "online",
		SubmittedAt: mustTime(t, "2024-01-01T00:30:00+07:00"), Year: 2024,
		Answers: []uint8{4, 0, 5}, Comment: "tốt", Line: 2,
	}
	tests := []struct {
		name   string
		change func(*Response)
		want   bool
	}{
		{"identical", func(*Response) {}, true},
		{"same instant in UTC", func(r *Response) { r.SubmittedAt = mustTime(t, "2023-12-31T17:30:00Z") }, true},
		{"other line and id", func(r *Response) { r.Line, r.ID = 9, "R9" }, true},
		{"other agency", func(r *Response) { r.AgencyCode = "MG.883" }, false},
		{"other channel", func(r *Response) { r.Channel = "counter" }, false},
		{"other instant", func(r *Response) { r.SubmittedAt = r.SubmittedAt.Add(time.Second) }, false},
		{"other answer", func(r *Response) { r.Answers = []uint8{4, 1, 5} }, false},
		{"fewer answers", func(r *Response) { r.Answers = []uint8{4, 0} }, false},
		{"other comment", func(r *Response) { r.Comment = "tốt." }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			o.Answers = append([]uint8(nil), base.Answers...)
			tt.change(&o)
			if got := base.SameContent(o); got != tt.want {
				t.Errorf("SameContent = %v, want %v", got, tt.want)
			}
			if got := o.SameContent(base); got != tt.want {
				t.Errorf("reversed SameContent = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseResponsesOptionalColumns(t *testing.T) {
	in := "response_id,agency_code,channel,submitted_at,A2\nR1,MG,counter,2024-05-06,3\n"
	got, err := ParseResponses("r.csv", strings.NewReader(in), testQuestions, knownSet("MG"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint8{0, 3, 0}; len(got) != 1 || !reflect.DeepEqual(got[0].Answers, want) || got[0].Comment != "" {
		t.Errorf("got %+v, want answers %v and no comment", got, want)
	}
}

func TestParseResponsesErrors(t *testing.T) {
	const h = "response_id,agency_code,channel,submitted_at,A1,A2,B0,comment\n"
	long := strings.Repeat("ệ", MaxCommentRunes)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "header",
			in:   "response_id,agency_code,submitted_at,a1,F1,A2,A2\nR1,MG,2024-01-01,4,4,4,4\n",
			want: []string{
				`r.csv:1: missing required column "channel"`,
				`r.csv:1:4: unknown column "a1"; did you mean "A1"? column names are case-sensitive`,
				`r.csv:1:5: unknown column "F1"; the columns are response_id, agency_code, channel, submitted_at, the question codes (A1, A2, B0) and comment`,
				`r.csv:1:7: column "A2" appears twice (also column 6)`,
			},
		},
		{
			name: "no question column",
			in:   "response_id,agency_code,channel,submitted_at,comment\nR1,MG,online,2024-01-01,\n",
			want: []string{"r.csv:1: no question column: the file needs at least one of A1, A2, B0"},
		},
		{
			name: "required fields",
			in:   h + ",,,,4,,,\n",
			want: []string{
				"r.csv:2:1: response_id is empty",
				"r.csv:2:2: agency_code is empty",
				"r.csv:2:3: channel is empty",
				"r.csv:2:4: submitted_at is empty",
			},
		},
		{
			name: "identifiers and channel",
			in:   h + "\" R1\",mg,Online,2024-01-01,,,,\nR2,XYZ,web,2024-01-01,,,,\n",
			want: []string{
				`r.csv:2:1: response_id " R1" has spaces at the start or end`,
				`r.csv:2:2: agency_code "mg" is not a known agency (did you mean "MG"? codes are case-sensitive)`,
				`r.csv:2:3: channel "Online" is not one of counter, online, postal (values are case-sensitive, without spaces: write "online")`,
				`r.csv:3:2: agency_code "XYZ" is not a known agency`,
				`r.csv:3:3: channel "web" is not one of counter, online, postal`,
			},
		},
		{
			name: "answers",
			in: h +
				"R1,MG,online,2024-01-01,7,0,-1,\n" +
				"R2,MG,online,2024-01-01,4.0, 4,x,\n" +
				"R3,MG,online,2024-01-01,\"4,5\",45,4 ,\n",
			want: []string{
				"r.csv:2:5: A1: value 7 is outside 1–5",
				"r.csv:2:6: A2: value 0 is outside 1–5; leave the cell empty for no answer",
				"r.csv:2:7: B0: value -1 is outside 1–5",
				`r.csv:3:5: A1: "4.0" is not a whole number 1–5; write 4`,
				`r.csv:3:6: A2: " 4" is not a whole number 1–5; remove the spaces`,
				`r.csv:3:7: B0: "x" is not a whole number 1–5`,
				`r.csv:4:5: A1: "4,5" is not a whole number 1–5; write digits only, without thousands separators or decimals`,
				"r.csv:4:6: A2: value 45 is outside 1–5",
				`r.csv:4:7: B0: "4 " is not a whole number 1–5; remove the spaces`,
			},
		},
		{
			name: "dates",
			in: h +
				"R1,MG,online,2024-02-30,,,,\n" +
				"R2,MG,online,30/01/2024,,,,\n" +
				"R3,MG,online,2024-01-30T08:15:00,,,,\n" +
				"R4,MG,online,2024-01-30 08:15:00+07:00,,,,\n" +
				"R5,MG,online,2024-13-01T08:15:00Z,,,,\n" +
				"R6,MG,online,1999-06-01,,,,\n" +
				"R7,MG,online,2024-1-5,,,,\n" +
				"R8,MG,online,2024-01-30T25:00:00+07:00,,,,\n" +
				"R9,MG,online,2100-12-31T17:00:00Z,,,,\n",
			want: []string{
				`r.csv:2:4: submitted_at "2024-02-30" is not a real date`,
				`r.csv:3:4: submitted_at "30/01/2024" is not an RFC 3339 timestamp (2024-01-30T08:15:00+07:00) or a date (2024-01-30)`,
				`r.csv:4:4: submitted_at "2024-01-30T08:15:00" has no time zone; add Z for UTC or an offset such as +07:00`,
				`r.csv:5:4: submitted_at "2024-01-30 08:15:00+07:00" is not an RFC 3339 timestamp (2024-01-30T08:15:00+07:00) or a date (2024-01-30); put a T between date and time`,
				`r.csv:6:4: submitted_at "2024-13-01T08:15:00Z" is not a real date`,
				`r.csv:7:4: submitted_at "1999-06-01" is in 1999, outside 2000–2100`,
				`r.csv:8:4: submitted_at "2024-1-5" is not an RFC 3339 timestamp (2024-01-30T08:15:00+07:00) or a date (2024-01-30)`,
				`r.csv:9:4: submitted_at "2024-01-30T25:00:00+07:00" is not an RFC 3339 timestamp (2024-01-30T08:15:00+07:00) or a date (2024-01-30)`,
				`r.csv:10:4: submitted_at "2100-12-31T17:00:00Z" is in 2101, outside 2000–2100`,
			},
		},
		{
			name: "duplicate response_id",
			in:   h + "R1,MG,online,2024-01-01,,,,\nR2,MG,online,2024-01-01,,,,\nR1,MG,online,2024-01-01,,,,\n",
			want: []string{
				`r.csv:2:1: response_id "R1" appears again on line 4`,
				`r.csv:4:1: response_id "R1" is duplicated: it is already on line 2`,
			},
		},
		{
			name: "comments",
			in: h +
				"R1,MG,online,2024-01-01,,,," + long + "\n" +
				"R2,MG,online,2024-01-01,,,," + long + "!\n" +
				"R3,MG,online,2024-01-01,,,,\"chuông \a\"\n" +
				"R4,MG,online,2024-01-01,,,,\"dòng một\ndòng \xFFhai\"\n" +
				"R5,MG,online,2024-01-01,,,9,\"x\"\n",
			want: []string{
				"r.csv:3:8: comment is 1001 characters long; the limit is 1000",
				"r.csv:4:8: comment contains the control character U+0007",
				`r.csv:6:8: comment: invalid UTF-8 (byte 0xFF); save the file as UTF-8 (in Excel: "CSV UTF-8")`,
				"r.csv:7:7: B0: value 9 is outside 1–5",
			},
		},
		{
			name: "a multi-line comment keeps later lines right",
			in: h +
				"R1,MG,online,2024-01-01,,,,\"một\nhai\nba\"\n" +
				"R2,MG,online,2024-01-01,6,,,\n" +
				"R3,MG,online,2024-01-01,,,,\"a\r\nb\"\r\n" +
				"R4,MG,online,2024-01-01,,,0,\r\n",
			want: []string{
				"r.csv:5:5: A1: value 6 is outside 1–5",
				"r.csv:8:7: B0: value 0 is outside 1–5; leave the cell empty for no answer",
			},
		},
		{
			name: "ragged and quoting errors do not stop the parse",
			in: h +
				"R1,MG,online,2024-01-01,,,,Tốt, nhanh\n" +
				"R2,MG,online,2024-01-01,,,\n" +
				"R3,MG,online,2024-01-01,,,,Cán bộ nói \"ok\"\n" +
				"R4,MG,online,2024-01-01,8,,,\n",
			want: []string{
				"r.csv:2: row has 9 fields but the header has 8; is a comma inside a text that is not quoted?",
				"r.csv:3: row has 7 fields but the header has 8",
				`r.csv:4:8: comment: a " inside a field that does not start with "; enclose the whole field in quotes and write each " inside it as ""`,
				"r.csv:5:5: A1: value 8 is outside 1–5",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponses("r.csv", strings.NewReader(tt.in), testQuestions, knownSet("MG"))
			if got != nil {
				t.Errorf("rows = %+v, want none", got)
			}
			checkErrors(t, err, tt.want)
		})
	}
}

// TestCommentLimit checks that the limit counts characters, not bytes, and
// counts them after NFC (a decomposed "ệ" is three runes, one once composed).
func TestCommentLimit(t *testing.T) {
	const h = "response_id,agency_code,channel,submitted_at,A1,comment\n"
	tests := []struct {
		name    string
		comment string
		wantErr bool
	}{
		{"1000 composed", strings.Repeat("ệ", 1000), false},
		{"1000 decomposed", strings.Repeat("e\u0323\u0302", 1000), false},
		{"1001", strings.Repeat("a", 1001), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := h + "R1,MG,online,2024-01-01,4," + tt.comment + "\n"
			got, err := ParseResponses("r.csv", strings.NewReader(in), []string{"A1"}, knownSet("MG"))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && got[0].Comment != strings.Repeat("ệ", 1000) {
				t.Errorf("comment not normalised to NFC")
			}
		})
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestReadResponsesStreams checks that a large file is read as a stream: the first row comes
// before most of the file is read, memory stays bounded, and problems far into the file (past
// the bytes already dropped) are still located by line and column, a duplicate id with both
// of its lines.
func TestReadResponsesStreams(t *testing.T) {
	const rows = 60000
	var b strings.Builder
	b.WriteString("response_id,agency_code,channel,submitted_at,A1,A2,B0,comment\n")
	for i := range rows {
		fmt.Fprintf(&b, "R%06d,MG,counter,2024-05-01,4,,5,\"góp ý, số %d\"\n", i, i)
	}
	good := b.String()
	in := &countingReader{r: strings.NewReader(good)}
	firstAt, n := -1, 0
	err := ReadResponses("r.csv", in, testQuestions, knownSet("MG"), func(p *Response) error {
		if firstAt < 0 {
			firstAt = in.n
		}
		n++
		return nil
	})
	if err != nil || n != rows {
		t.Fatalf("ReadResponses = %v after %d rows, want nil after %d", err, n, rows)
	}
	if firstAt > 256<<10 || firstAt >= len(good)/4 {
		t.Errorf("first row handed over after reading %d of %d bytes: the file is not streamed", firstAt, len(good))
	}

	// A stray quote and a duplicate far into the file, past what the window dropped.
	bad := good + "X1,MG,counter,2024-05-01,4,,5,Cán bộ nói \"ok\"\n" + "R000007,MG,online,2024-05-02,3,,,\n"
	delivered := 0
	err = ReadResponses("r.csv", strings.NewReader(bad), testQuestions, knownSet("MG"), func(*Response) error { delivered++; return nil })
	checkErrors(t, err, []string{
		`r.csv:9:1: response_id "R000007" appears again on line 60003`,
		fmt.Sprintf(`r.csv:%d:8: comment: a " inside a field that does not start with "; enclose the whole field in quotes and write each " inside it as ""`, rows+2),
		fmt.Sprintf(`r.csv:%d:1: response_id "R000007" is duplicated: it is already on line 9`, rows+3),
	})
	if delivered != rows {
		t.Errorf("%d rows handed over, want the %d before the first problem", delivered, rows)
	}

	// A quote never closed runs to the end of the file: it is found where it opens.
	open := good + "X2,MG,counter,2024-05-01,4,,5,\"chưa đóng\n" + strings.Repeat("R9,MG,online,2024-05-02,3,,,\n", 5000)
	err = ReadResponses("r.csv", strings.NewReader(open), testQuestions, knownSet("MG"), func(*Response) error { return nil })
	checkErrors(t, err, []string{fmt.Sprintf(`r.csv:%d:8: comment: a quoted field is never closed: the " here starts a text that runs to the end of the file`, rows+2)})
}

// TestReadResponsesStopsOnCallerError checks that an error of the callback ends the reading
// and comes back as it is.
func TestReadResponsesStopsOnCallerError(t *testing.T) {
	boom := errors.New("database full")
	in := "response_id,agency_code,channel,submitted_at,A1\nR1,MG,online,2024-01-01,4\nR2,MG,online,2024-01-01,4\n"
	calls := 0
	err := ReadResponses("r.csv", strings.NewReader(in), testQuestions, knownSet("MG"), func(*Response) error { calls++; return boom })
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("ReadResponses = %v after %d calls, want the callback's error after 1", err, calls)
	}
}
