package receipt

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	const n = 2000
	seen := make(map[Token]bool, n)
	var used [256]bool
	for range n {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != RandomLen {
			t.Fatalf("len(%q) = %d, want %d", tok, len(tok), RandomLen)
		}
		if got, err := ParseToken(string(tok)); err != nil || got != tok {
			t.Fatalf("ParseToken(%q) = %q, %v; want it back", tok, got, err)
		}
		if seen[tok] {
			t.Fatalf("duplicate token %q", tok)
		}
		seen[tok] = true
		for i := 0; i < len(tok); i++ {
			used[tok[i]] = true
		}
	}
	// 32 000 characters drawn uniformly from 32: every one must appear.
	for _, c := range []byte(alphabet) {
		if !used[c] {
			t.Errorf("character %q never appeared in %d tokens", c, n)
		}
	}
}

func TestParseToken(t *testing.T) {
	const canon = Token("ABCDEFGHJKMNPQRS")
	valid := []struct {
		name, in string
		want     Token
	}{
		{"canonical", "ABCDEFGHJKMNPQRS", canon},
		{"lowercase", "abcdefghjkmnpqrs", canon},
		{"mixed case", "AbCdEfGhJkMnPqRs", canon},
		{"short code", "ABCD-EFGH-JKMN-PQRS", canon},
		{"short code lowercase", "abcd-efgh-jkmn-pqrs", canon},
		{"spaces", " ABCD EFGH  JKMN PQRS ", canon},
		{"stray hyphens", "-AB-CD-EF-GH-JK-MN-PQ-RS-", canon},
		{"aliases", "oOiIlL0123456789", "0011110123456789"},
		{"signed", "000021HY00002E5XQH81F4V5X4", "000021HY00002E5XQH81F4V5X4"},
		{"signed short code lowercase", "0000-21hy-0000-2e5x-qh81-f4v5-x4", "000021HY00002E5XQH81F4V5X4"},
		{"signed with aliases", "ooo021HY0ooo2E5XQH8iF4V5X4", "000021HY00002E5XQH81F4V5X4"},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseToken(tt.in)
			if err != nil {
				t.Fatalf("ParseToken(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseToken(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}

	invalid := []struct{ name, in string }{
		{"empty", ""},
		{"only separators", "---- ----"},
		{"15 chars", "ABCDEFGHJKMNPQR"},
		{"17 chars", "ABCDEFGHJKMNPQRST"},
		{"25 chars", "000021HY00002E5XQH81F4V5X"},
		{"27 chars", "000021HY00002E5XQH81F4V5X40"},
		{"U", "ABCDEFGHJKMNPQRU"},
		{"u", "abcdefghjkmnpqru"},
		{"underscore", "ABCD_EFGH_JKMN_P"},
		{"tab", "ABCD\tEFGHJKMNPQRS"},
		{"newline", "ABCDEFGHJKMNPQRS\n"},
		{"dotless i", "ABCDEFGHJKMNPQRı"},
		{"long s", "ABCDEFGHJKMNPQRſ"},
		{"fullwidth digit", "ABCDEFGHJKMNPQR１"},
		{"NUL", "ABCDEFGHJKMNPQR\x00"},
		{"padding bits set", "000021HY00002E5XQH81F4V5X5"},
		{"padding bits set 2", "000021HY00002E5XQH81F4V5X7"},
		{"too long", strings.Repeat("-", 60) + "ABCDEFGHJKMNPQRS"},
		{"percent-encoded", "ABCD%2DEFGHJKMNPQRS"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseToken(tt.in)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("ParseToken(%q) = %q, %v; want ErrInvalidToken", tt.in, got, err)
			}
			if !strings.HasPrefix(err.Error(), "receipt: ") {
				t.Errorf("error %q lacks the receipt: prefix", err)
			}
		})
	}
}

// TestParseTokenErrorHidesToken guards the anonymity rule: errors are logged,
// tokens must not be.
func TestParseTokenErrorHidesToken(t *testing.T) {
	for _, in := range []string{"ABCDEFGHJKMNPQR", "ABCDEFGHJKMNPQR_", "000021HY00002E5XQH81F4V5X5"} {
		_, err := ParseToken(in)
		if err == nil || strings.Contains(err.Error(), in[:8]) {
			t.Errorf("ParseToken(%q) error = %v; want an error that does not quote the input", in, err)
		}
	}
}

func TestTokenHash(t *testing.T) {
	const want = "2125b2c332b1113aae9bfc5e9f7e3b4c91d828cb942c2df1eeb02502eccae9e9" // sha256sum of "0123456789ABCDEF"
	if got := Token("0123456789ABCDEF").Hash(); got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
	tok, err := ParseToken("0123-4567-89ab-cdef")
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Hash(); got != want {
		t.Errorf("Hash of parsed lowercase short code = %s, want %s", got, want)
	}
}

func TestShortCode(t *testing.T) {
	tests := []struct {
		tok  Token
		want string
	}{
		{"ABCDEFGHJKMNPQRS", "ABCD-EFGH-JKMN-PQRS"},
		{"000021HY00002E5XQH81F4V5X4", "0000-21HY-0000-2E5X-QH81-F4V5-X4"},
	}
	for _, tt := range tests {
		got := tt.tok.ShortCode()
		if got != tt.want {
			t.Errorf("ShortCode(%q) = %q, want %q", tt.tok, got, tt.want)
		}
		if back, err := ParseToken(got); err != nil || back != tt.tok {
			t.Errorf("ParseToken(%q) = %q, %v; want %q", got, back, err, tt.tok)
		}
	}
}

func TestTokenLogValue(t *testing.T) {
	const tok = Token("ABCDEFGHJKMNPQRS")
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("issued", "token", tok)
	if strings.Contains(buf.String(), string(tok)) {
		t.Errorf("log line %q contains the token", buf.String())
	}
	if want := "token=sha256:" + tok.Hash()[:12]; !strings.Contains(buf.String(), want) {
		t.Errorf("log line %q lacks %q", buf.String(), want)
	}
}

func TestSurveyURL(t *testing.T) {
	const tok = Token("ABCDEFGHJKMNPQRS")
	valid := []struct{ base, want string }{
		{"https://sipas.angiang.gov.vn", "HTTPS://SIPAS.ANGIANG.GOV.VN/S/ABCDEFGHJKMNPQRS"},
		{"https://sipas.angiang.gov.vn/", "HTTPS://SIPAS.ANGIANG.GOV.VN/S/ABCDEFGHJKMNPQRS"},
		{"https://sipas.angiang.gov.vn//", "HTTPS://SIPAS.ANGIANG.GOV.VN/S/ABCDEFGHJKMNPQRS"},
		{"https://dichvucong.angiang.gov.vn/sipas", "HTTPS://DICHVUCONG.ANGIANG.GOV.VN/SIPAS/S/ABCDEFGHJKMNPQRS"},
		{"HTTPS://DICHVUCONG.ANGIANG.GOV.VN/SIPAS/", "HTTPS://DICHVUCONG.ANGIANG.GOV.VN/SIPAS/S/ABCDEFGHJKMNPQRS"},
		{"http://127.0.0.1:8080", "HTTP://127.0.0.1:8080/S/ABCDEFGHJKMNPQRS"},
		{"https://khao-sat.an-giang.vn/a%2Fb", "HTTPS://KHAO-SAT.AN-GIANG.VN/A%2FB/S/ABCDEFGHJKMNPQRS"},
	}
	for _, tt := range valid {
		t.Run(tt.base, func(t *testing.T) {
			got, err := SurveyURL(tt.base, tok)
			if err != nil {
				t.Fatalf("SurveyURL(%q): %v", tt.base, err)
			}
			if got != tt.want {
				t.Errorf("SurveyURL(%q) = %q, want %q", tt.base, got, tt.want)
			}
			for i := 0; i < len(got); i++ {
				if !isQRAlphanumeric(got[i]) {
					t.Errorf("%q: byte %d %q is not QR alphanumeric", got, i, got[i])
				}
			}
		})
	}

	invalid := []struct{ name, base string }{
		{"empty", ""},
		{"underscore", "https://sipas_angiang.gov.vn"},
		{"query", "https://sipas.angiang.gov.vn/?x=1"},
		{"fragment", "https://sipas.angiang.gov.vn/#s"},
		{"tilde", "https://example.vn/~sipas"},
		{"user info", "https://admin@sipas.angiang.gov.vn"},
		{"space", "https://sipas.angiang.gov.vn/khao sat"},
		{"vietnamese", "https://sipas.angiang.gov.vn/khảo-sát"},
		{"long s folds to S", "https://ſipas.angiang.gov.vn"},
		{"no scheme", "sipas.angiang.gov.vn"},
		{"ftp", "ftp://sipas.angiang.gov.vn"},
		{"no host", "https:///sipas"},
		{"opaque", "https:sipas"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SurveyURL(tt.base, tok)
			if err == nil {
				t.Fatalf("SurveyURL(%q) = %q, want an error", tt.base, got)
			}
			if !strings.HasPrefix(err.Error(), "receipt: base URL ") {
				t.Errorf("error %q lacks the receipt: base URL prefix", err)
			}
		})
	}

	t.Run("bad token", func(t *testing.T) {
		if _, err := SurveyURL("https://sipas.angiang.gov.vn", "short"); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("err = %v, want ErrInvalidToken", err)
		}
	})
	t.Run("non-canonical token", func(t *testing.T) {
		got, err := SurveyURL("https://sipas.angiang.gov.vn", "abcd-efgh-jkmn-pqrs")
		if want := "HTTPS://SIPAS.ANGIANG.GOV.VN/S/ABCDEFGHJKMNPQRS"; err != nil || got != want {
			t.Errorf("SurveyURL = %q, %v; want %q", got, err, want)
		}
	})
}

func TestEncode32(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{make([]byte, 10), "0000000000000000"},
		{bytes.Repeat([]byte{0xff}, 10), "ZZZZZZZZZZZZZZZZ"},
		{bytes.Repeat([]byte{0xff}, 16), "ZZZZZZZZZZZZZZZZZZZZZZZZZW"},
		// 0x00 0x44 0x32 0x14 0xC7 = 00000 00001 00010 00011 00100 00101 00110 00111
		{[]byte{0x00, 0x44, 0x32, 0x14, 0xc7}, "01234567"},
	}
	for _, tt := range tests {
		got := encode32(tt.in)
		if got != tt.want {
			t.Errorf("encode32(%x) = %q, want %q", tt.in, got, tt.want)
		}
		back, ok := decode32(got)
		if !ok || !bytes.Equal(back, tt.in) {
			t.Errorf("decode32(%q) = %x, %v; want %x", got, back, ok, tt.in)
		}
	}
}
