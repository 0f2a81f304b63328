// Package auth holds the officials' side of sipas: roles and what they may do, password
// hashing, and the generation and hashing of API keys and session ids. It does no I/O.
package auth

import "errors"

// Sentinel errors the web layer maps to 401 and 403.
var (
	ErrUnauthorized = errors.New("auth: not signed in or bad credentials")
	ErrForbidden    = errors.New("auth: not allowed")
)
