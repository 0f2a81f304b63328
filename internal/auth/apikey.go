package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// APIKeyPrefix starts every API key, so a leaked key is recognisable in a log or a repository.
const APIKeyPrefix = "sipas_"

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewAPIKey returns a new key (shown to its owner once), its hash (the only thing stored) and a
// short prefix that identifies it in lists without revealing it.
func NewAPIKey() (key, hash, prefix string) {
	b := make([]byte, 32) // 256 bits
	rand.Read(b)          // never fails (crypto/rand panics instead)
	key = APIKeyPrefix + strings.ToLower(keyEncoding.EncodeToString(b))
	return key, HashSecret(key), key[:len(APIKeyPrefix)+6]
}

// HashSecret is the stored form of an API key or session id: hex SHA-256. A fast hash is right
// here because these secrets are long and random; passwords use argon2id instead.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
