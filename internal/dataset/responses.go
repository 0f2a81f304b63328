package dataset

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"sipas/internal/calendar"
)

// Channels through which a receipt is handed out and its response collected (CONTRACT.md,
// responses.csv and POST /api/v1/receipts).
const (
	ChannelCounter = "counter"
	ChannelOnline  = "online"
	ChannelPostal  = "postal"
)

// Channels is the one list of channels: the values of responses.csv's channel column, of a
// receipt's channel and of the report's channel filter. A new channel is a line here and a
// "channel.<channel>" key in each catalogue of assets/i18n.
var Channels = []string{ChannelCounter, ChannelOnline, ChannelPostal}

// IsChannel reports whether s is one of Channels.
func IsChannel(s string) bool { return slices.Contains(Channels, s) }

// MaxCommentRunes is the longest comment accepted, in characters (runes,
// after NFC normalisation).
const MaxCommentRunes = 1000

// Response is one row of responses.csv.
type Response struct {
	ID          string
	AgencyCode  string
	Channel     string    // ChannelCounter, ChannelOnline or ChannelPostal
	SubmittedAt time.Time // as written; a bare date is midnight Asia/Ho_Chi_Minh
	Year        int       // year of SubmittedAt in Asia/Ho_Chi_Minh time
	Answers     []uint8   // one per question passed to ParseResponses: 0 = no answer, else 1..5
	Comment     string    // Unicode NFC with LF line breaks; empty when absent
	Line        int       // line where the row starts in the file
}

// SameContent reports whether r and o record the same answers: agency,
// channel, instant, answers and comment. The ID is the key and is not
// compared, nor are Line and the time zone SubmittedAt was written in, so
// that importing the same file twice is recognised as a no-op.
func (r Response) SameContent(o Response) bool {
	return r.AgencyCode == o.AgencyCode &&
		r.Channel == o.Channel &&
		r.SubmittedAt.Equal(o.SubmittedAt) &&
		slices.Equal(r.Answers, o.Answers) &&
		r.Comment == o.Comment
}

var responseColumns = []column{
	{"response_id", true}, {"agency_code", true}, {"channel", true}, {"submitted_at", true}, {"comment", false},
}

// ParseResponses reads responses.csv
// (response_id,agency_code,channel,submitted_at,<question codes…>,comment).
// questions are the survey's scored question codes in order; Answers are
// aligned with them. The file may hold any non-empty subset of the question
// columns (an absent column is unanswered) and may omit comment; any other
// column is unknown. Each agency_code must be one for which known returns
// true (a nil known knows none), and each response_id may appear once. It
// returns every row, or no rows and an Errors listing every problem.
func ParseResponses(file string, r io.Reader, questions []string, known func(code string) bool) ([]Response, error) {
	var out []Response
	err := ReadResponses(file, r, questions, known, func(p *Response) error {
		c := *p
		c.Answers = slices.Clone(p.Answers)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadResponses is ParseResponses one row at a time, in bounded memory whatever the file's
// length: each is called with every row in file order as it is read, as long as no problem
// has been found. The Response and its Answers are reused for the next row, so each copies
// what it keeps. The file is always read to its end, so that the Errors returned list every
// problem; a caller keeping the rows must then discard those it was given. An error from
// each stops the reading and is returned as it is.
func ReadResponses(file string, r io.Reader, questions []string, known func(code string) bool, each func(*Response) error) error {
	c := &collector{file: file}
	cols := slices.Clone(responseColumns)
	for _, q := range questions {
		if !slices.ContainsFunc(cols, func(col column) bool { return col.name == q }) {
			cols = append(cols, column{q, false})
		}
	}
	expected := "response_id, agency_code, channel, submitted_at, the question codes (" + listCodes(questions) + ") and comment"
	rf := &responseFile{questions: questions, known: known, dups: newDuplicates("response_id"), each: each, c: c}
	t, err := readTable(file, r, cols, expected, c, rf.read)
	if err != nil {
		return err
	}
	if rf.err != nil {
		return rf.err
	}
	if t != nil && !slices.ContainsFunc(questions, func(q string) bool { return hasColumn(t, q) }) {
		c.addf(t.headerLine, 0, "no question column: the file needs at least one of %s", listCodes(questions))
	}
	rf.dups.report(c)
	return c.err()
}

// responseFile is responses.csv being read.
type responseFile struct {
	questions []string
	known     func(code string) bool
	dups      *duplicates
	c         *collector
	each      func(*Response) error
	err       error // each's, which stops the reading
	p         Response
	cols      []int // field index of each question, -1 when absent
}

// read checks one row's fields and hands a row without problems to each.
func (rf *responseFile) read(rw *row) {
	if rf.err != nil {
		return
	}
	before := rf.c.total
	if rf.cols == nil {
		rf.cols = make([]int, len(rf.questions))
		for k, q := range rf.questions {
			rf.cols[k] = rw.col(q)
		}
		rf.p.Answers = make([]uint8, len(rf.questions))
	}
	p := &rf.p
	*p = Response{Line: rw.line, Answers: p.Answers}
	clear(p.Answers)
	rf.fields(rw, p)
	if rf.c.total == before {
		rf.err = rf.each(p)
	}
	if rf.err != nil {
		rw.t.stop = true
	}
}

// fields checks the row's fields into p.
func (rf *responseFile) fields(rw *row, p *Response) {
	if s, i, ok := rw.required("response_id"); ok {
		if prob := idProblem(s); prob != "" {
			rw.errf(i, "response_id %s %s", quote(s), prob)
		} else {
			p.ID = s
			rf.dups.seeShown(rw, i, s, func() string { return quote(s) })
		}
	}
	p.AgencyCode, _ = rw.knownCode("agency_code", rf.known)
	if s, i, ok := rw.required("channel"); ok {
		if prob := oneOf(s, Channels...); prob != "" {
			rw.errf(i, "channel %s %s", quote(s), prob)
		} else {
			p.Channel = s
		}
	}
	if s, i, ok := rw.required("submitted_at"); ok {
		if at, prob := parseTime(s); prob != "" {
			rw.errf(i, "submitted_at %s %s", quote(s), prob)
		} else if y := calendar.Year(at); y < minYear || y > maxYear {
			rw.errf(i, "submitted_at %s is in %d, outside %d–%d", quote(s), y, minYear, maxYear)
		} else {
			p.SubmittedAt, p.Year = at, y
		}
	}
	rf.answers(rw, p)
	if s, i, ok := rw.value("comment"); ok && s != "" {
		p.Comment = normalizeText(s)
		if n := utf8.RuneCountInString(p.Comment); n > MaxCommentRunes {
			rw.errf(i, "comment is %d characters long; the limit is %d", n, MaxCommentRunes)
		}
		if ch, bad := controlChar(p.Comment); bad {
			rw.errf(i, "comment contains the control character %U", ch)
		}
	}
}

// answers reads the question columns: 1–5, or empty for no answer.
func (rf *responseFile) answers(rw *row, p *Response) {
	for k, q := range rf.questions {
		i := rf.cols[k]
		if i < 0 || rw.bad[i] {
			continue
		}
		s := rw.fields[i]
		if s == "" {
			continue
		}
		if len(s) == 1 && s[0] >= '1' && s[0] <= '5' {
			p.Answers[k] = s[0] - '0'
			continue
		}
		if _, isInt, _ := integer(s); isInt {
			tail := ""
			if strings.Trim(s, "-0") == "" {
				tail = "; leave the cell empty for no answer"
			}
			rw.errf(i, "%s: value %s is outside 1–5%s", q, s, tail)
			continue
		}
		rw.errf(i, "%s: %s is not a whole number 1–5%s", q, quote(s), numberHint(s, true))
	}
}

func hasColumn(t *table, name string) bool {
	_, ok := t.index[name]
	return ok
}

// lineBreaks turns CRLF and lone CR inside a comment into LF. encoding/csv
// already does so for the CRLF ending a physical line, but not for a CR
// before it ("\r\r\n") or on its own; without this a comment would not
// read back the same after being written out again.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// normalizeText gives free text one form: NFC, so that the same words typed
// on different systems compare equal, and LF line breaks.
func normalizeText(s string) string {
	return norm.NFC.String(lineBreaks.Replace(s))
}

// controlChar finds a control character other than tab and line feed,
// which a comment may contain.
func controlChar(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' {
			return r, true
		}
	}
	return 0, false
}

// listCodes lists question codes for a message, shortened when long.
func listCodes(codes []string) string {
	if len(codes) == 0 {
		return "none: the survey has no questions"
	}
	if len(codes) <= 6 {
		return strings.Join(codes, ", ")
	}
	return fmt.Sprintf("%s, …, %s", strings.Join(codes[:3], ", "), codes[len(codes)-1])
}
