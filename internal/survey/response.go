package survey

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// Response is one citizen's answers to a questionnaire, before it is stored.
type Response struct {
	// Answers is aligned with Questionnaire.Codes: 0 is "not applicable / no answer", else 1–5.
	Answers      []uint8
	Expectations []string // chosen expectation option codes, in questionnaire order
	Comment      string
}

// Answered reports how many scored questions were answered.
func (r Response) Answered() int {
	n := 0
	for _, a := range r.Answers {
		if a != 0 {
			n++
		}
	}
	return n
}

// Empty reports whether nothing was chosen or typed: no question answered, no expectation,
// no comment. An empty form is not an answer.
func (r Response) Empty() bool {
	return r.Answered() == 0 && len(r.Expectations) == 0 && strings.TrimSpace(r.Comment) == ""
}

// Message keys of validation errors; assets/i18n translates them.
const (
	ErrKeyChoose       = "error.choose_1_5"
	ErrKeyRepeated     = "error.repeated"
	ErrKeyUnknownField = "error.unknown_field"
	ErrKeyTooLong      = "error.comment_too_long"
	ErrKeyUTF8         = "error.invalid_utf8"
	ErrKeyTooMany      = "error.too_many_choices"
	ErrKeyUnknownOpt   = "error.unknown_option"
)

// ValidationErrors maps a form field (question code, "comment", or "_form") to a message key.
type ValidationErrors map[string]string

// Error lists the refused fields with their message keys, sorted by field.
func (v ValidationErrors) Error() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + v[k]
	}
	return "survey: invalid answers: " + strings.Join(parts, ", ")
}

// FormFieldComment is the form field of the free-text comment (CONTRACT.md).
const FormFieldComment = "comment"

// ParseForm turns submitted form values into a Response. Every problem is reported at once,
// keyed by field, so the page can show each error next to its question. Fields listed in
// ignore (e.g. "lang") are skipped; any other unknown field is refused, because a field we do
// not know is either a forged form or a questionnaire version mismatch.
func (q *Questionnaire) ParseForm(values url.Values, ignore ...string) (Response, ValidationErrors) {
	resp := Response{Answers: make([]uint8, len(q.codes))}
	errs := ValidationErrors{}
	skip := map[string]bool{}
	for _, f := range ignore {
		skip[f] = true
	}
	for field, vals := range values {
		if !utf8.ValidString(field) {
			errs["_form"] = ErrKeyUTF8
			continue
		}
		i, isQuestion := q.pos[field]
		switch {
		case skip[field]:
		case isQuestion:
			if len(vals) > 1 {
				errs[field] = ErrKeyRepeated
				continue
			}
			v, ok := parseLevel(vals[0])
			if !ok {
				errs[field] = ErrKeyChoose
				continue
			}
			resp.Answers[i] = v
		case q.Expectation != nil && field == q.Expectation.Code:
			if key := q.parseExpectations(vals, &resp); key != "" {
				errs[field] = key
			}
		case field == FormFieldComment && q.Comment != nil:
			if len(vals) > 1 {
				errs[field] = ErrKeyRepeated
				continue
			}
			c, key := q.parseComment(vals[0])
			if key != "" {
				errs[field] = key
				continue
			}
			resp.Comment = c
		default:
			errs["_form"] = ErrKeyUnknownField
		}
	}
	if len(errs) > 0 {
		return Response{}, errs
	}
	return resp, nil
}

// parseLevel accepts "" (not applicable) and "1"–"5" exactly.
func parseLevel(s string) (uint8, bool) {
	if s == "" {
		return 0, true
	}
	if len(s) == 1 && s[0] >= '1' && s[0] <= '5' {
		return s[0] - '0', true
	}
	return 0, false
}

func (q *Questionnaire) parseExpectations(vals []string, resp *Response) string {
	chosen := map[string]bool{}
	for _, v := range vals {
		if v == "" {
			continue
		}
		chosen[v] = true
	}
	if len(chosen) > q.Expectation.MaxChoices {
		return ErrKeyTooMany
	}
	for _, o := range q.Expectation.Options {
		if chosen[o.Code] {
			resp.Expectations = append(resp.Expectations, o.Code)
			delete(chosen, o.Code)
		}
	}
	if len(chosen) > 0 {
		return ErrKeyUnknownOpt
	}
	return ""
}

// parseComment validates and normalises the free text: valid UTF-8, CRLF → LF, trimmed, and
// at most MaxLength characters (runes, not bytes, since Vietnamese letters take 2–3 bytes).
func (q *Questionnaire) parseComment(s string) (string, string) {
	if !utf8.ValidString(s) {
		return "", ErrKeyUTF8
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if utf8.RuneCountInString(s) > q.Comment.MaxLength {
		return "", ErrKeyTooLong
	}
	return s, ""
}

// EncodeAnswers writes answers in the stored form "A1:4 A2:5 …": answered questions only, in
// questionnaire order. The form names its codes, so stored rows stay readable whatever later
// versions of a questionnaire add or reorder.
func EncodeAnswers(codes []string, answers []uint8) string {
	var b strings.Builder
	for i, a := range answers {
		if a == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(codes[i])
		b.WriteByte(':')
		b.WriteByte('0' + a)
	}
	return b.String()
}

// DecodeAnswers reads the stored form into dst, aligned with q.Codes. Codes the questionnaire
// does not have (an older version's) are skipped. dst is cleared first.
func (q *Questionnaire) DecodeAnswers(s string, dst []uint8) error {
	return DecodeAnswersAt(q.pos, s, dst)
}

// DecodeAnswersAt is DecodeAnswers for any list of codes: pos gives each code's position in
// dst, and codes it lacks are skipped.
func DecodeAnswersAt(pos map[string]int, s string, dst []uint8) error {
	clear(dst)
	for len(s) > 0 {
		var item string
		item, s, _ = strings.Cut(s, " ")
		code, v, ok := strings.Cut(item, ":")
		if !ok || len(v) != 1 || v[0] < '1' || v[0] > '5' {
			return fmt.Errorf("survey: stored answer %q is malformed", item)
		}
		if i, ok := pos[code]; ok {
			dst[i] = v[0] - '0'
		}
	}
	return nil
}
