package auth

import (
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The second factor is TOTP (RFC 6238) with the parameters every authenticator app reads from
// an otpauth:// URL: SHA-1, six digits, 30-second steps. A code of the step before or after
// the server's is accepted too (phone clocks drift), and never a step already used.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	// TOTPIssuer names sipas in the authenticator app.
	TOTPIssuer = "SIPAS"
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}

// NewTOTP returns a new secret (base32, 160 bits) for account.
func NewTOTP(account string) (string, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account, Period: totpPeriod,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", err
	}
	return k.Secret(), nil
}

// TOTPURL is the otpauth:// URL of account's secret, which an authenticator app enrols from
// (shown as a QR code).
func TOTPURL(account, secret string) (string, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		return "", fmt.Errorf("auth: totp secret: %w", err)
	}
	k, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account, Period: totpPeriod,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, Secret: raw})
	if err != nil {
		return "", err
	}
	return k.URL(), nil
}

// TOTPStep is the time step of t (its Unix time over the period).
func TOTPStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// VerifyTOTP checks a code against secret at now. It returns the step the code is of, and
// false for a wrong code or one of a step not after lastStep (a code is good once).
func VerifyTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	code = strings.Join(strings.Fields(code), "") // "123 456" as some apps show it
	if len(code) != int(totpDigits) {
		return 0, false
	}
	step := TOTPStep(now)
	for _, s := range []int64{step, step - 1, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && s > lastStep {
			return s, true
		}
	}
	return 0, false
}

// TOTPCode is the code of secret at t, for tests and the CLI's check.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}
