package receipt

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Number is a receipt's number: NumberLen decimal digits printed on the receipt beside its QR
// code, for a citizen at a kiosk whose camera cannot read the code. Digits are what a tablet's
// number pad types fastest and what anyone reads aloud without doubt.
//
// The first 11 digits are derived from the token (NumberOf), so whoever holds a token can
// print its number and nothing needs storing but the number's Hash; the last is a Damm check
// digit, which catches every single mistyped digit and every swap of two adjacent digits
// before anything is looked up. 10^11 numbers are few beside the token's 2^80, so a number
// opens a receipt only at an enrolled kiosk (never on /s/), only within NumberValidity of its
// issue, and every unknown number charges the kiosk's refusal budget: docs/tokens.md
// ("Receipt numbers") gives the guessing argument.
type Number string

const (
	// NumberLen is the number of digits of a Number, check digit included.
	NumberLen = 12
	// NumberValidity is how long after its issue a receipt opens by its number.
	NumberValidity = 30 * 24 * time.Hour
)

// ErrMistyped means a receipt number's check digit does not match: a typing mistake.
var ErrMistyped = errors.New("receipt: mistyped number")

// numberDomain separates the hash a number is derived from from a token's Hash.
const numberDomain = "sipas receipt number v1\x00"

// NumberOf returns the number of a token. It is meant for the random tokens sipas issues
// (only receipts stored with their number's hash open by it).
func NumberOf(t Token) Number {
	h := sha256.Sum256([]byte(numberDomain + string(t)))
	body := fmt.Sprintf("%011d", binary.BigEndian.Uint64(h[:8])%100_000_000_000)
	return Number(body + strconv.Itoa(damm(body)))
}

// LooksLikeNumber reports whether s, without spaces, hyphens and dots, is NumberLen digits:
// a receipt number rather than a token.
func LooksLikeNumber(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			n++
		case c == ' ' || c == '-' || c == '.':
		default:
			return false
		}
	}
	return n == NumberLen
}

// ParseNumber reads a number as typed: spaces, hyphens and dots are ignored. Anything but
// NumberLen digits is ErrInvalidToken; a wrong check digit is ErrMistyped.
func ParseNumber(s string) (Number, error) {
	if len(s) > maxInputLen || !LooksLikeNumber(s) {
		return "", fmt.Errorf("%w: not a receipt number", ErrInvalidToken)
	}
	b := make([]byte, 0, NumberLen)
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	if damm(string(b)) != 0 {
		return "", ErrMistyped
	}
	return Number(b), nil
}

// Hash returns the hex SHA-256 of the number, the only form of it the database stores.
func (n Number) Hash() string {
	h := sha256.Sum256([]byte(n))
	return hex.EncodeToString(h[:])
}

// Grouped returns the number in three groups of four, as printed: "1234 5678 9012".
func (n Number) Grouped() string {
	if len(n) != NumberLen {
		return string(n)
	}
	return string(n[:4]) + " " + string(n[4:8]) + " " + string(n[8:])
}

// dammTable is the quasigroup of H. Michael Damm's check digit scheme (2004): the check digit
// of a string is the interim digit after its last digit, and a string ending in its check
// digit comes to 0.
var dammTable = [10][10]byte{
	{0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
	{7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
	{4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
	{1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
	{6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
	{3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
	{5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
	{8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
	{9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
	{2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}

// damm returns the interim digit of the decimal string digits.
func damm(digits string) int {
	var d byte
	for i := 0; i < len(digits); i++ {
		d = dammTable[d][digits[i]-'0']
	}
	return int(d)
}
