package dataset

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"sipas/internal/calendar"
)

// Years outside this range are typing mistakes ("224", "20244"), not data.
const (
	minYear = 2000
	maxYear = 2100
)

// quote quotes s for a message, shortened so that a misplaced long text
// does not swamp the report.
func quote(s string) string {
	const maxRunes = 40
	if utf8.RuneCountInString(s) > maxRunes {
		rs := []rune(s)
		s = string(rs[:maxRunes]) + "…"
	}
	return strconv.Quote(s)
}

// plural returns "1 error", "2 errors".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// required returns the named field when present and not empty, and reports
// it when it is empty. ok is false when there is nothing to check further.
func (r *row) required(name string) (v string, i int, ok bool) {
	v, i, ok = r.value(name)
	if ok && strings.TrimSpace(v) == "" {
		r.errf(i, "%s is empty", name)
		return "", i, false
	}
	return v, i, ok
}

// codeProblem explains why s cannot be an agency code, or returns "".
// Codes are compared byte for byte, so stray spaces would make a different
// code that looks identical in a spreadsheet.
func codeProblem(s string) string {
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			return "contains a space"
		case unicode.IsControl(r):
			return "contains a control character"
		}
	}
	return ""
}

// idProblem explains why s cannot be a response_id, or returns "". Inner
// spaces are allowed (older systems use them); surrounding ones are not.
func idProblem(s string) string {
	if strings.TrimSpace(s) != s {
		return "has spaces at the start or end"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "contains a control character"
		}
	}
	return ""
}

// oneOf checks s against the allowed values and returns a message tail
// for the error, or "" when s is allowed.
func oneOf(s string, allowed ...string) string {
	for _, a := range allowed {
		if s == a {
			return ""
		}
	}
	msg := "is not one of " + strings.Join(allowed, ", ")
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimSpace(s), a) {
			return msg + fmt.Sprintf(" (values are case-sensitive, without spaces: write %q)", a)
		}
	}
	return msg
}

// integer parses a whole number written in ASCII digits with an optional
// minus sign; strconv.ParseInt alone would also accept "+4". ok is false
// when s is not such a number; tooLarge when it is but does not fit.
func integer(s string) (n int64, ok, tooLarge bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" {
		return 0, false, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, true
	}
	return n, true, false
}

// decimal parses a number written as digits with an optional sign and
// decimal point ("83.02", "-1", "1859"). It refuses what strconv.ParseFloat
// would accept but no spreadsheet user means: "1e3", "Inf", "0x1p4", "_".
// places is the number of digits after the point.
func decimal(s string) (v float64, places int, ok bool) {
	body := strings.TrimPrefix(s, "-")
	intPart, frac, hasPoint := strings.Cut(body, ".")
	if intPart == "" || (hasPoint && frac == "") || len(body) > 40 {
		return 0, 0, false
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, 0, false
			}
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, 0, false
	}
	return v, len(frac), true
}

// numberHint explains the usual reasons why s is not a plain number, or
// not a plain whole number when whole is set; it returns "" otherwise.
func numberHint(s string, whole bool) string {
	t := strings.TrimSpace(s)
	switch {
	case t != s && t != "":
		return "; remove the spaces"
	case strings.HasSuffix(t, "%"):
		return "; write the number without %"
	case !whole && strings.Contains(t, ","):
		return "; use a dot (.) as decimal point and no thousands separators"
	case !whole:
		return ""
	}
	// "4.0" is 4, but "1.000" is 1000 when written the Vietnamese way, so
	// only suggest the value when it cannot be read as thousands.
	if in, frac, ok := strings.Cut(s, "."); ok && frac != "" && len(frac) != 3 && strings.Trim(frac, "0") == "" {
		if _, isInt, _ := integer(in); isInt {
			return fmt.Sprintf("; write %s", in)
		}
	}
	if strings.ContainsAny(s, ".,") {
		return "; write digits only, without thousands separators or decimals"
	}
	return ""
}

// year checks a year column.
func (r *row) year(name string) (int, bool) {
	s, i, ok := r.required(name)
	if !ok {
		return 0, false
	}
	n, isInt, tooLarge := integer(s)
	if !isInt {
		r.errf(i, "%s %s is not a whole number%s", name, quote(s), numberHint(s, true))
		return 0, false
	}
	if tooLarge || n < minYear || n > maxYear {
		r.errf(i, "%s %s is outside %d–%d", name, s, minYear, maxYear)
		return 0, false
	}
	return int(n), true
}

// NormalizeCode returns an agency code as sipas stores it: in Unicode NFC, so that the same
// code typed in decomposed form (some keyboards and older systems write Vietnamese so) is the
// same agency on import and on lookup.
func NormalizeCode(s string) string { return norm.NFC.String(s) }

// knownCode checks an agency code column against known. The code is
// normalised to Unicode NFC first: the same code typed in decomposed form
// (as some keyboards and older systems write Vietnamese) is the same agency.
func (r *row) knownCode(name string, known func(string) bool) (string, bool) {
	s, i, ok := r.required(name)
	if !ok {
		return "", false
	}
	s = NormalizeCode(s)
	if p := codeProblem(s); p != "" {
		r.errf(i, "%s %s %s", name, quote(s), p)
		return "", false
	}
	if !isKnown(known, s) {
		hint := ""
		if u := strings.ToUpper(s); u != s && isKnown(known, u) {
			hint = fmt.Sprintf(" (did you mean %q? codes are case-sensitive)", u)
		}
		r.errf(i, "%s %s is not a known agency%s", name, quote(s), hint)
		return "", false
	}
	return s, true
}

// isKnown treats a nil callback as "nothing is known": a parser must fail
// closed rather than accept codes no one checked.
func isKnown(known func(string) bool, code string) bool {
	return known != nil && known(code)
}

// parseTime reads submitted_at: an RFC 3339 timestamp, or a date taken as
// midnight in Vietnam. On failure it returns a message tail.
func parseTime(s string) (time.Time, string) {
	if len(s) == len(time.DateOnly) {
		if t, err := calendar.ParseDay(s); err == nil {
			return t, ""
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, ""
	}
	const forms = "is not an RFC 3339 timestamp (2024-01-30T08:15:00+07:00) or a date (2024-01-30)"
	if len(s) < len(time.DateOnly) || !isDateShape(s[:len(time.DateOnly)]) {
		return time.Time{}, forms
	}
	if _, err := time.Parse(time.DateOnly, s[:len(time.DateOnly)]); err != nil {
		return time.Time{}, "is not a real date"
	}
	rest := s[len(time.DateOnly):]
	switch {
	case rest == "":
		return time.Time{}, forms
	case rest[0] == ' ':
		return time.Time{}, forms + "; put a T between date and time"
	case !strings.ContainsAny(rest, "Zz+-"):
		return time.Time{}, "has no time zone; add Z for UTC or an offset such as +07:00"
	}
	return time.Time{}, forms
}

// isDateShape reports whether s looks like YYYY-MM-DD.
func isDateShape(s string) bool {
	for i := 0; i < len(s); i++ {
		switch i {
		case 4, 7:
			if s[i] != '-' {
				return false
			}
		default:
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
	}
	return len(s) == len(time.DateOnly)
}
