// Package encryption protects secrets at rest (code host tokens, credentials) with
// AES-256-GCM under a key from ENCRYPTION_KEY. Without a key, values are stored as they
// are; values written while a key was set cannot be read without it.
package encryption

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// StoredPrefix starts every encrypted value, so encrypted and plain values can share a
// column (rows written before a key was set stay readable) and a query can find the
// plain ones.
const StoredPrefix = "lookout:aesgcm:v1:"

const prefix = StoredPrefix

// ErrNoKey is returned when encrypted data is read without a key.
var ErrNoKey = errors.New("this value is encrypted: set ENCRYPTION_KEY to the key it was written with")

// Key encrypts and decrypts values. A nil *Key stores plain text.
type Key struct {
	aead cipher.AEAD
}

// NewKey derives a key from secret (any string; a long random one is what you want).
// An empty secret yields nil: no encryption.
func NewKey(secret string) (*Key, error) {
	if secret == "" {
		return nil, nil
	}
	if len(secret) < 16 {
		return nil, errors.New("ENCRYPTION_KEY must be at least 16 characters")
	}
	sum := sha256.Sum256([]byte(secret))
	block, err := aes.NewCipher(sum[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Key{aead: aead}, nil
}

// Encrypt returns the stored form of plaintext.
func (k *Key) Encrypt(plaintext string) (string, error) {
	if k == nil {
		return plaintext, nil
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := k.aead.Seal(nonce, nonce, []byte(plaintext), nil)
	return prefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// Decrypt returns the plaintext of a stored value; plain values pass through, so turning
// on encryption later keeps old rows readable.
func (k *Key) Decrypt(stored string) (string, error) {
	if !strings.HasPrefix(stored, prefix) {
		return stored, nil
	}
	if k == nil {
		return "", ErrNoKey
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(stored, prefix))
	if err != nil || len(raw) < k.aead.NonceSize() {
		return "", errors.New("encrypted value is corrupt")
	}
	plain, err := k.aead.Open(nil, raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():], nil)
	if err != nil {
		return "", fmt.Errorf("decrypting: wrong ENCRYPTION_KEY or corrupt value")
	}
	return string(plain), nil
}
