package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// TokenPrefix marks Lookout access tokens so secret scanners can recognise them.
const TokenPrefix = "lo_"

// NewToken returns a fresh random access token value (160 bits of entropy).
func NewToken() string { return TokenPrefix + randomHex(20) }

// NewSecret returns a random hex secret of n bytes (session cookies, CSRF tokens, webhook
// signing secrets).
func NewSecret(n int) string { return randomHex(n) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the platform is broken; nothing safe to do
	}
	return hex.EncodeToString(b)
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// HashPassword hashes a password for storage.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", fmt.Errorf("password must be at least %d characters", MinPasswordLength)
	}
	if len(password) > 72 {
		return "", errors.New("password must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// CheckPassword reports whether password matches hash. An empty hash (a user without a
// password) never matches.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// ConstantTimeEqual compares secrets without leaking where they differ.
func ConstantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Token scopes. user:all acts as the user; site-admin:sudo is reserved for admin
// automation and may only be granted to site admins.
const (
	ScopeUserAll       = "user:all"
	ScopeSiteAdminSudo = "site-admin:sudo"
)

// ValidateScopes checks requested token scopes; an empty list means user:all.
func ValidateScopes(scopes []string, siteAdmin bool) ([]string, error) {
	if len(scopes) == 0 {
		return []string{ScopeUserAll}, nil
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range scopes {
		switch s {
		case ScopeUserAll:
		case ScopeSiteAdminSudo:
			if !siteAdmin {
				return nil, fmt.Errorf("scope %q may only be granted to site admins", s)
			}
		default:
			return nil, fmt.Errorf("unknown scope %q (valid: %s, %s)", s, ScopeUserAll, ScopeSiteAdminSudo)
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if !seen[ScopeUserAll] {
		return nil, fmt.Errorf("scope %q is required", ScopeUserAll)
	}
	return out, nil
}
