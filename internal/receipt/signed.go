package receipt

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"sipas/internal/calendar"
)

// Signed tokens let one-stop-shop software that cannot reach sipas print
// working receipts: it holds a per-agency secret and mints tokens offline;
// sipas recognises them on first use. docs/tokens.md is the normative
// description. The 16-byte payload, big-endian, is
//
//	bits   0–23   secret ID   (24)  which secret; the server maps it to agency and status
//	bits  24–39   day         (16)  days since 2020-01-01 in Asia/Ho_Chi_Minh
//	bits  40–63   serial      (24)  per secret and day, chosen by the minting software
//	bits  64–127  MAC         (64)  HMAC-SHA256(key, macPrefix ‖ bytes 0–7), first 8 bytes
//
// followed by two zero bits to fill 26 base32 characters. 24-bit IDs and
// serials (16.7 million each) are far beyond any province's needs, and
// spending the bits on the MAC instead keeps forgery at 2^-64 per online
// guess while the token still fits a version 4 QR code with a long base URL.
const (
	MaxSecretID = 1<<24 - 1
	MaxSerial   = 1<<24 - 1
	MaxDay      = 1<<16 - 1 // 2199-06-06

	// MinKeyLen is the shortest secret key Mint and Verify accept. NewSecretKey
	// makes KeyLen bytes.
	MinKeyLen = 16
	KeyLen    = 32

	macLen = 8
)

// macPrefix separates these MACs from anything else the same key might ever
// sign, and names the format version: a future layout gets a new prefix.
const macPrefix = "sipas-receipt-v1"

// epoch is day 0 of the day field, in Asia/Ho_Chi_Minh (calendar.Zone).
var epoch = time.Date(2020, time.January, 1, 0, 0, 0, 0, calendar.Zone)

// Secret is a per-agency signing secret created by an administrator. ID is
// public and written into every token; Key is shared only with the agency's
// one-stop-shop software. An ID is never reused for a different key.
type Secret struct {
	ID  uint32
	Key []byte
}

// Signed is the decoded content of a signed token. ParseSigned fills it
// without checking the MAC; call Verify with the key of the secret ID names
// before trusting any field.
type Signed struct {
	ID     uint32 // secret ID, 0..MaxSecretID
	Day    int    // days since 2020-01-01 (Asia/Ho_Chi_Minh), 0..MaxDay
	Serial uint32 // 0..MaxSerial

	mac [macLen]byte
}

// NewSecretKey returns a new random key of KeyLen bytes for a Secret.
func NewSecretKey() ([]byte, error) {
	k := make([]byte, KeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("receipt: new secret key: %w", err)
	}
	return k, nil
}

// Mint returns the signed token for serial on the calendar day that day falls
// on in Asia/Ho_Chi_Minh (so 2024-05-16T18:00Z mints for 2024-05-17). Minting
// is deterministic: the same secret, day and serial always give the same
// token, so the minting software must not reuse a serial within a day, or two
// receipts share one survey answer.
func Mint(s Secret, day time.Time, serial uint32) (Token, error) {
	if s.ID > MaxSecretID {
		return "", fmt.Errorf("receipt: mint: secret id %d exceeds %d", s.ID, MaxSecretID)
	}
	if serial > MaxSerial {
		return "", fmt.Errorf("receipt: mint: serial %d exceeds %d", serial, MaxSerial)
	}
	if len(s.Key) < MinKeyLen {
		return "", fmt.Errorf("receipt: mint: key of %d bytes, want at least %d", len(s.Key), MinKeyLen)
	}
	n := dayNumber(day)
	if n < 0 || n > MaxDay {
		return "", fmt.Errorf("receipt: mint: day %s outside 2020-01-01..2199-06-06", calendar.Day(day))
	}
	sg := Signed{ID: s.ID, Day: n, Serial: serial}
	copy(sg.mac[:], sg.sum(s.Key))
	return sg.token(), nil
}

// ParseSigned decodes a signed token without verifying it, so the caller can
// look up the secret by ID first. t may be in any form ParseToken accepts.
// It returns ErrInvalidToken for anything that is not a well-formed signed
// token, including every random token.
func ParseSigned(t Token) (Signed, error) {
	tok, err := ParseToken(string(t))
	if err != nil {
		return Signed{}, err
	}
	if len(tok) != SignedLen {
		return Signed{}, fmt.Errorf("%w: not a signed token", ErrInvalidToken)
	}
	b, ok := decode32(string(tok))
	if !ok || len(b) != 8+macLen {
		// Unreachable after ParseToken; kept so a change there cannot
		// silently yield a half-decoded Signed.
		return Signed{}, fmt.Errorf("%w: not a signed token", ErrInvalidToken)
	}
	var sg Signed
	sg.ID = uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
	sg.Day = int(binary.BigEndian.Uint16(b[3:5]))
	sg.Serial = uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])
	copy(sg.mac[:], b[8:])
	return sg, nil
}

// IsSigned reports whether t is a well-formed signed token (it says nothing
// about the signature).
func IsSigned(t Token) bool {
	_, err := ParseSigned(t)
	return err == nil
}

// Verify checks the token's MAC under key, in constant time. It returns
// ErrForged on a mismatch, including for a Signed not obtained from
// ParseSigned, and a plain error for a key shorter than MinKeyLen (a
// configuration fault, not the citizen's).
func (s Signed) Verify(key []byte) error {
	if len(key) < MinKeyLen {
		return fmt.Errorf("receipt: verify: key of %d bytes, want at least %d", len(key), MinKeyLen)
	}
	if !hmac.Equal(s.sum(key), s.mac[:]) {
		return ErrForged
	}
	return nil
}

// Date returns the start (00:00 in Asia/Ho_Chi_Minh) of the day the token was
// minted for. The store compares it with now to enforce the validity window.
func (s Signed) Date() time.Time {
	return epoch.AddDate(0, 0, s.Day)
}

// fields returns the 8 bytes of ID, day and serial, big-endian.
func (s Signed) fields() []byte {
	b := make([]byte, 8)
	b[0], b[1], b[2] = byte(s.ID>>16), byte(s.ID>>8), byte(s.ID)
	binary.BigEndian.PutUint16(b[3:5], uint16(s.Day))
	b[5], b[6], b[7] = byte(s.Serial>>16), byte(s.Serial>>8), byte(s.Serial)
	return b
}

// sum returns the truncated MAC of s's fields under key.
func (s Signed) sum(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(macPrefix))
	m.Write(s.fields())
	return m.Sum(nil)[:macLen]
}

// token encodes s, MAC included.
func (s Signed) token() Token {
	return Token(encode32(append(s.fields(), s.mac[:]...)))
}

// dayNumber returns the number of days from 2020-01-01 to t's calendar date
// in Asia/Ho_Chi_Minh; absurd dates fall outside 0..MaxDay.
func dayNumber(t time.Time) int { return calendar.DaysBetween(epoch, t) }
