package auth

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are argon2id's cost settings.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon2 follows OWASP's argon2id recommendation (m=19 MiB, t=2, p=1), a cost that
// keeps a sign-in under ~50 ms on a small server while making offline guessing expensive.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Password rules (ASVS 4.0.3 V2.1): at least MinPasswordLen characters, at most
// MaxPasswordBytes, and not one of the common passwords of common-passwords.txt.
const (
	MinPasswordLen   = 12
	MaxPasswordBytes = 1024
)

// Errors of CheckPasswordStrength, so forms can say which rule a password broke.
var (
	ErrPasswordShort  = fmt.Errorf("auth: the password must have at least %d characters", MinPasswordLen)
	ErrPasswordLong   = fmt.Errorf("auth: the password is longer than %d bytes", MaxPasswordBytes)
	ErrPasswordCommon = errors.New("auth: the password is one of the most common passwords")
)

// commonPasswordsText is the NCSC list of common passwords, cut to the lengths the length
// rule lets through (common-passwords.md gives its source, licence and how it was cut).
//
//go:embed common-passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			m[w] = true
		}
	}
	return m
})

// IsCommonPassword reports whether pw, in any letter case, is on the list of common passwords.
func IsCommonPassword(pw string) bool { return commonPasswords()[strings.ToLower(pw)] }

// CheckPasswordStrength refuses passwords too short to resist guessing, too long to hash
// cheaply, or on the list of common passwords.
func CheckPasswordStrength(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return ErrPasswordShort
	case len(pw) > MaxPasswordBytes:
		return ErrPasswordLong
	case IsCommonPassword(pw):
		return ErrPasswordCommon
	}
	return nil
}

var b64 = base64.RawStdEncoding

// HashPassword returns an argon2id PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func HashPassword(pw string, p Argon2Params) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword checks pw against a PHC string in constant time.
func VerifyPassword(pw, phc string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || p.Memory > 1<<20 || p.Time > 16 || p.Threads == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when an email is unknown, so a sign-in costs the same whether
// or not the account exists (no user enumeration by timing).
var dummyHash = sync.OnceValue(func() string { return HashPassword("not a password of anyone", DefaultArgon2) })

// VerifyNobody spends the time of one password check.
func VerifyNobody(pw string) { VerifyPassword(pw, dummyHash()) }

// NewSessionID returns a new random session id (256 bits); store only HashSecret of it.
func NewSessionID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
