// Package receipt holds the receipt tokens that link one printed
// administrative-procedure receipt to at most one survey response, the survey
// URL built from them and the QR code that carries that URL.
//
// There are two kinds of token, told apart by length:
//
//   - a random token (16 characters, 80 bits from crypto/rand) that sipas
//     issues itself and records by its Hash;
//   - a signed token (26 characters) that one-stop-shop software mints
//     offline with Mint under a per-agency Secret, and that sipas checks with
//     ParseSigned and Signed.Verify when the citizen first opens it.
//
// Both are written in Crockford base32, uppercase. docs/tokens.md is the
// normative description of the formats, with test vectors that this
// package's tests read back from the document.
//
// The package is pure: it reads crypto/rand but does no database or HTTP
// work. Expiry, replay and revocation need the database and are decided by
// internal/store, which reports them with the sentinel errors declared here
// so that internal/web maps every receipt failure in one place.
package receipt

import "errors"

// Sentinel errors. Callers branch on them with errors.Is; messages never
// contain a token, because a token is the citizen's only credential and errors
// end up in logs.
var (
	// ErrInvalidToken means the text is not a token at all: wrong length,
	// a character outside the Crockford alphabet, or non-zero padding bits.
	ErrInvalidToken = errors.New("receipt: invalid token")

	// ErrForged means a signed token is well formed but its MAC does not
	// match the secret it names. The web layer answers it like an unknown
	// token (404) so that probing reveals nothing.
	ErrForged = errors.New("receipt: forged token")

	// ErrAlreadyUsed is returned by the store when the receipt already has a
	// response; the first response is kept.
	ErrAlreadyUsed = errors.New("receipt: already used")

	// ErrExpired is returned by the store when the receipt (or the signed
	// token's Date) is outside its validity window.
	ErrExpired = errors.New("receipt: expired")

	// ErrRevoked is returned by the store when the receipt, or the secret a
	// signed token was minted under, has been revoked by an administrator.
	ErrRevoked = errors.New("receipt: revoked")
)
