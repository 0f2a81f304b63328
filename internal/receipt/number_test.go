package receipt

import (
	"errors"
	"strconv"
	"testing"
)

// The numbers of two tokens, also given in docs/tokens.md ("Receipt numbers").
func TestNumberOf(t *testing.T) {
	for _, tt := range []struct {
		tok  Token
		want Number
	}{
		{"0000000000000000", "078228797365"},
		{"7X065B0DXDT6RDNR", "192799258017"},
	} {
		got := NumberOf(tt.tok)
		if got != tt.want {
			t.Errorf("NumberOf(%s) = %s, want %s", tt.tok, got, tt.want)
		}
		if n, err := ParseNumber(got.Grouped()); err != nil || n != got {
			t.Errorf("ParseNumber(%q) = %q, %v", got.Grouped(), n, err)
		}
	}
	if g := Number("078228797365").Grouped(); g != "0782 2879 7365" {
		t.Errorf("Grouped = %q", g)
	}
}

func TestParseNumber(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Number
		err  error
	}{
		{"0782 2879 7365", "078228797365", nil},
		{"0782-2879-7365", "078228797365", nil},
		{" 078.228.797.365 ", "078228797365", nil},
		{"0782 2879 7366", "", ErrMistyped},
		{"07822879736", "", ErrInvalidToken},
		{"0782287973650", "", ErrInvalidToken},
		{"0782287973６5", "", ErrInvalidToken}, // a full-width digit
		{"ABCD-EFGH-JKMN-PQRS", "", ErrInvalidToken},
	} {
		got, err := ParseNumber(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ParseNumber(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	// A token of 16 digits is a token, not a number.
	if LooksLikeNumber("1234567890123456") || !LooksLikeNumber("1234 5678 9012") {
		t.Error("LooksLikeNumber confuses tokens and numbers")
	}
}

// The check digit catches every single wrong digit and every swap of two adjacent different
// digits, the two commonest typing mistakes, before anything is looked up.
func TestNumberCheckDigitCatchesTypos(t *testing.T) {
	for i := range 200 {
		n := string(NumberOf(Token(encode32([]byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, byte(i * 7)}))))
		if _, err := ParseNumber(n); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		for p := range NumberLen {
			for d := range 10 {
				if int(n[p]-'0') == d {
					continue
				}
				typo := n[:p] + strconv.Itoa(d) + n[p+1:]
				if _, err := ParseNumber(typo); !errors.Is(err, ErrMistyped) {
					t.Fatalf("%s → %s (digit %d wrong) not caught: %v", n, typo, p, err)
				}
			}
			if p+1 < NumberLen && n[p] != n[p+1] {
				swap := n[:p] + string(n[p+1]) + string(n[p]) + n[p+2:]
				if _, err := ParseNumber(swap); !errors.Is(err, ErrMistyped) {
					t.Fatalf("%s → %s (swap at %d) not caught: %v", n, swap, p, err)
				}
			}
		}
	}
}
