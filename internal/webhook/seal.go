package webhook

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
)

// Secrets at rest. An API key is stored as its hash, but an HMAC signing secret has to be
// recoverable to sign each attempt. So it is stored sealed: AES-256-GCM under a key kept
// outside the database (sipas serve --webhook-key-file), with the endpoint's id as
// additional data so that a sealed secret cannot be moved to another endpoint's row. A copy
// of the database alone (a backup, a Litestream replica, a stolen file) cannot sign.

// KeySize is the length of a sealing key.
const KeySize = 32

// ErrUnseal is a sealed secret that does not open under this key (another key, or altered).
var ErrUnseal = errors.New("webhook: the secret does not open with this sealing key")

// Sealer seals and opens endpoint secrets.
type Sealer struct{ aead cipher.AEAD }

// NewSealer is a sealer with a KeySize-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("webhook: sealing key of %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("webhook: sealing key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("webhook: sealing key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// NewKey is a new random sealing key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}

// Seal seals the secret of endpoint: nonce followed by the ciphertext.
func (s *Sealer) Seal(endpoint int64, secret string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(secret)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, []byte(secret), aad(endpoint))
}

// Open returns the secret sealed for endpoint, or ErrUnseal.
func (s *Sealer) Open(endpoint int64, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", ErrUnseal
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], aad(endpoint))
	if err != nil {
		return "", ErrUnseal
	}
	return string(plain), nil
}

func aad(endpoint int64) []byte {
	return []byte("sipas webhook endpoint " + strconv.FormatInt(endpoint, 10))
}
