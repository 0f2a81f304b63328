package receipt

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// Token is a receipt token in canonical form: Crockford base32, uppercase,
// no separators, RandomLen or SignedLen characters. Values returned by
// NewToken, ParseToken and Mint are canonical; convert user input with
// ParseToken, never with a plain Token(s) conversion.
type Token string

// Token lengths in characters. The lengths alone tell the two kinds apart, so
// no type prefix is spent on them.
const (
	RandomLen = 16 // NewToken: 80 random bits
	SignedLen = 26 // Mint: 130 bits, see signed.go
)

// alphabet is Crockford's base32 alphabet. We use it rather than RFC 4648
// base32 or base64 because
//   - it has no I, L, O or U, so a code read aloud or typed from the
//     printed receipt cannot confuse 1/I/L or 0/O, and the decoder can accept
//     those look-alikes as aliases;
//   - digits and uppercase letters are all in the QR alphanumeric set (5.5
//     bits per character instead of 8 in byte mode), which keeps the QR code
//     of the whole survey URL at a small, easily scanned version;
//   - there is no padding character and no '+', '/' or '=' to escape in URLs.
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// maxInputLen bounds the text ParseToken looks at, so that a hostile request
// cannot make it walk megabytes of hyphens. A signed short code with
// separators and some stray spaces fits comfortably.
const maxInputLen = 64

// decodeMap maps an input byte to its 5-bit value, or -1. It folds case and
// the Crockford aliases O→0 and I, L→1. It is indexed by byte, not rune, on
// purpose: strings.ToUpper would turn "ı" (dotless i) or "ſ" (long s) into
// ASCII letters and so accept text that no receipt ever carried.
var decodeMap = func() (m [256]int8) {
	for i := range m {
		m[i] = -1
	}
	for v, c := range []byte(alphabet) {
		m[c] = int8(v)
		m[c|0x20] = int8(v) // lowercase; all letters of the alphabet are ASCII
	}
	for _, c := range []byte("oO") {
		m[c] = 0
	}
	for _, c := range []byte("iIlL") {
		m[c] = 1
	}
	return m
}()

// NewToken returns a new random token of RandomLen characters.
//
// 80 bits is enough because a token can only be guessed online, one HTTP
// request per guess: with ten million open receipts an attacker would still
// need about 10^17 requests per hit. It is also short enough for a 4×4 short
// code and a version 3 QR code.
func NewToken() (Token, error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("receipt: new token: %w", err)
	}
	return Token(encode32(b[:])), nil
}

// ParseToken reads a token typed or scanned by a person or a machine. It is
// case-insensitive, accepts the Crockford aliases o→0 and i, l→1, and ignores
// hyphens and spaces anywhere, so "abcd-efgh-jkmn-pqrs" and "ABCDEFGHJKMNPQRS"
// are the same token. The result is canonical.
//
// It checks syntax only: RandomLen or SignedLen characters of the alphabet,
// and for a signed token zero padding bits (so that each token has exactly one
// canonical spelling and one Hash). Whether a token exists or a signature
// verifies is for the store and Signed.Verify. Anything else is
// ErrInvalidToken.
func ParseToken(s string) (Token, error) {
	if len(s) > maxInputLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, maxInputLen)
	}
	buf := make([]byte, 0, SignedLen)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == ' ' {
			continue
		}
		v := decodeMap[c]
		if v < 0 {
			// The offset, never the character: the rest of s is a token.
			return "", fmt.Errorf("%w: invalid character at byte %d", ErrInvalidToken, i)
		}
		if len(buf) == SignedLen {
			return "", fmt.Errorf("%w: more than %d characters", ErrInvalidToken, SignedLen)
		}
		buf = append(buf, alphabet[v])
	}
	switch len(buf) {
	case RandomLen:
	case SignedLen:
		// 26 characters carry 130 bits for a 128-bit payload; the last
		// character's two low bits are padding and must be zero.
		if decodeMap[buf[SignedLen-1]]&3 != 0 {
			return "", fmt.Errorf("%w: non-zero padding bits", ErrInvalidToken)
		}
	default:
		return "", fmt.Errorf("%w: %d characters, want %d or %d", ErrInvalidToken, len(buf), RandomLen, SignedLen)
	}
	return Token(buf), nil
}

// Hash returns the hex SHA-256 of the canonical token, the only form of a
// token the database stores. A plain, unsalted hash is enough: tokens carry
// at least 64 bits that an attacker cannot predict, so there is no dictionary
// to precompute, and a leaked database then yields no usable survey link.
func (t Token) Hash() string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// ShortCode returns the token with a hyphen after every fourth character, as
// printed under the QR code for people who type it in: "ABCD-EFGH-JKMN-PQRS"
// for a random token, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-23" for a signed one.
// ParseToken accepts it back.
func (t Token) ShortCode() string {
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(t[i])
	}
	return b.String()
}

// LogValue implements slog.LogValuer. Tokens must never reach a log (the
// citizen's anonymity rests on it), so a Token passed to slog by mistake is
// written as a prefix of its Hash, which still lets an operator correlate log
// lines with the receipts table.
func (t Token) LogValue() slog.Value {
	return slog.StringValue("sha256:" + t.Hash()[:12])
}

// SurveyURL returns the survey URL of a receipt, BASEURL/S/TOKEN, entirely in
// uppercase. CONTRACT.md lets the url be uppercase so that the whole string is
// in the QR alphanumeric set (0-9 A-Z space $%*+-./:) and the QR code stays
// small; the server routes /S/ like /s/, and scheme and host are
// case-insensitive anyway.
//
// baseURL is the service's public http or https URL, optionally with a path
// prefix; trailing slashes are dropped. A base URL with a query, a fragment,
// user info, non-ASCII text or any other character that has no alphanumeric
// encoding after uppercasing (such as '_', '?', '~', '=') is refused. Paths
// that differ only in case must therefore route to the same place.
func SurveyURL(baseURL string, t Token) (string, error) {
	tok, err := ParseToken(string(t))
	if err != nil {
		return "", fmt.Errorf("receipt: survey url: %w", err)
	}
	base := strings.TrimRight(baseURL, "/")
	if err := checkBaseURL(base); err != nil {
		return "", fmt.Errorf("receipt: base URL %q: %w", baseURL, err)
	}
	return asciiUpper(base) + "/S/" + string(tok), nil
}

func checkBaseURL(base string) error {
	for i, r := range base {
		// Space is in the QR set but cannot appear in a URL.
		if r >= 0x80 || r == ' ' || !isQRAlphanumeric(asciiUpper(string(r))[0]) {
			return fmt.Errorf("character %q at byte %d has no QR alphanumeric encoding", r, i)
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return fmt.Errorf("scheme must be http or https")
	}
	if u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("no host")
	}
	return nil
}

// isQRAlphanumeric reports whether c is one of the 45 characters of QR
// alphanumeric mode (ISO/IEC 18004 table 5).
func isQRAlphanumeric(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || strings.IndexByte(" $%*+-./:", c) >= 0
}

// asciiUpper uppercases ASCII letters only; see decodeMap for why not
// strings.ToUpper.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 0x20
		}
	}
	return string(b)
}

// encode32 writes src as a big-endian bit string in Crockford base32, five
// bits per character, zero-padding the last character. 10 bytes give 16
// characters exactly; 16 bytes give 26 characters with two padding bits.
func encode32(src []byte) string {
	out := make([]byte, 0, (len(src)*8+4)/5)
	var acc uint32
	nbits := 0
	for _, b := range src {
		acc = acc<<8 | uint32(b)
		nbits += 8
		for nbits >= 5 {
			nbits -= 5
			out = append(out, alphabet[acc>>nbits&31])
		}
		acc &= 1<<nbits - 1
	}
	if nbits > 0 {
		out = append(out, alphabet[acc<<(5-nbits)&31])
	}
	return string(out)
}

// decode32 is the inverse of encode32 for canonical text (characters of
// alphabet only). It reports false if the padding bits are not zero.
func decode32(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s)*5/8)
	var acc uint32
	nbits := 0
	for i := 0; i < len(s); i++ {
		v := decodeMap[s[i]]
		if v < 0 {
			return nil, false
		}
		acc = acc<<5 | uint32(v)
		nbits += 5
		if nbits >= 8 {
			nbits -= 8
			out = append(out, byte(acc>>nbits))
			acc &= 1<<nbits - 1
		}
	}
	return out, acc == 0
}
