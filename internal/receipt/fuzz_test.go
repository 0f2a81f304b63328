package receipt

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseToken checks that ParseToken and ParseSigned never panic on any
// input, that they fail only with ErrInvalidToken, and that whatever they
// accept is canonical and survives every form a token is printed or typed in.
// The seed corpus is in testdata/fuzz/FuzzParseToken.
func FuzzParseToken(f *testing.F) {
	for _, s := range []string{
		"ABCDEFGHJKMNPQRS",
		"abcd-efgh-jkmn-pqrs",
		"000021HY00002E5XQH81F4V5X4",
		"0000-21hy-0000-2e5x-qh81-f4v5-x4",
		"000021HY00002E5XQH81F4V5X5",
		"oOiIlL0123456789",
		"ABCDEFGHJKMNPQRı",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sg, serr := ParseSigned(Token(s))
		tok, err := ParseToken(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("ParseToken error %v is not ErrInvalidToken", err)
			}
			if serr == nil {
				t.Fatalf("ParseSigned accepted what ParseToken refused: %v", err)
			}
			return
		}
		if len(tok) != RandomLen && len(tok) != SignedLen {
			t.Fatalf("ParseToken gave %d characters", len(tok))
		}
		for _, form := range []string{string(tok), strings.ToLower(string(tok)), tok.ShortCode(), strings.ToLower(tok.ShortCode())} {
			if back, err := ParseToken(form); err != nil || back != tok {
				t.Fatalf("ParseToken(%q) = %q, %v; want %q", form, back, err, tok)
			}
		}
		if _, err := SurveyURL("https://sipas.angiang.gov.vn", tok); err != nil {
			t.Fatalf("SurveyURL: %v", err)
		}
		if len(tok) == RandomLen {
			if serr == nil || IsSigned(tok) {
				t.Fatalf("random-length token %q taken as signed", tok)
			}
			return
		}
		if serr != nil {
			t.Fatalf("ParseSigned(%q): %v, but ParseToken accepted it", s, serr)
		}
		if !IsSigned(tok) {
			t.Fatalf("IsSigned(%q) = false", tok)
		}
		if sg.ID > MaxSecretID || sg.Day < 0 || sg.Day > MaxDay || sg.Serial > MaxSerial {
			t.Fatalf("ParseSigned fields out of range: %+v", sg)
		}
		if got := sg.token(); got != tok {
			t.Fatalf("re-encoded %q, want %q", got, tok)
		}
		if d := sg.Date(); dayNumber(d) != sg.Day {
			t.Fatalf("dayNumber(Date()) = %d, want %d", dayNumber(d), sg.Day)
		}
	})
}
