// Package access holds what an admin API key is: its token's format
// (lh_<id>_<secret>, the id readable for lookup and logs), the hash a store
// keeps instead of the secret, and the scopes that decide what a key may do.
package access

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Scope is what a key may do; each scope includes the ones before it.
type Scope int

// Scopes, from least to most.
const (
	// Read allows GET and HEAD.
	Read Scope = iota + 1
	// Write adds POST, PUT, PATCH and DELETE on the tenant's data.
	Write
	// Admin adds key management, the audit log, erasure and the routes
	// across tenants.
	Admin
)

// AllTenants is the tenant of an integrator key: every tenant.
const AllTenants = "*"

// Prefix starts every key's token.
const Prefix = "lh_"

// ErrMalformed is returned for a token that is not lh_<id>_<secret>.
var ErrMalformed = errors.New("malformed api key")

// ParseScope reads "read", "write" or "admin".
func ParseScope(s string) (Scope, error) {
	switch s {
	case "read":
		return Read, nil
	case "write":
		return Write, nil
	case "admin":
		return Admin, nil
	}
	return 0, fmt.Errorf("unknown scope %q: want read, write or admin", s)
}

// String is the scope's name.
func (s Scope) String() string {
	switch s {
	case Read:
		return "read"
	case Write:
		return "write"
	case Admin:
		return "admin"
	}
	return fmt.Sprintf("scope(%d)", int(s))
}

// Allows reports whether s includes need.
func (s Scope) Allows(need Scope) bool { return s >= need && s <= Admin }

// MethodScope is the scope an HTTP method needs: Read for GET and HEAD
// (and OPTIONS), Write for the rest.
func MethodScope(method string) Scope {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return Read
	}
	return Write
}

// idLen and secretLen are the lengths of a token's parts: 8 and 32
// characters of lower-case base32, 40 and 160 random bits.
const (
	idLen     = 8
	secretLen = 32
)

var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Key is a new key's token and what a store keeps of it.
type Key struct {
	ID     string
	Token  string // shown once, at creation
	Secret string
	Hash   []byte
}

// NewKey returns a key of random id and secret.
func NewKey() Key {
	id, secret := random(5), random(20)
	return Key{ID: id, Secret: secret, Token: Prefix + id + "_" + secret, Hash: Hash(secret)}
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return encoding.EncodeToString(b)
}

// Parse splits a token lh_<id>_<secret> into its id and secret.
func Parse(token string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(token, Prefix)
	if !ok {
		return "", "", ErrMalformed
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != idLen || len(secret) != secretLen || !alphabet(id) || !alphabet(secret) {
		return "", "", ErrMalformed
	}
	return id, secret, nil
}

func alphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// Hash is what a store keeps of a secret: its SHA-256. The secret holds
// 160 random bits, so a fast hash is enough.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Verify reports, in constant time, whether secret hashes to hash.
func Verify(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(Hash(secret), hash) == 1
}

// ParseTTL reads a key's lifetime: a Go duration ("720h") or a number of
// days ("90d"). Zero or negative is refused.
func ParseTTL(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || fmt.Sprint(n) != days || n > 36500 {
			return 0, fmt.Errorf("expiry %q: want a number of days such as 90d or a duration such as 720h", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("expiry %q: want a number of days such as 90d or a duration such as 720h", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("expiry %q: must be positive", s)
	}
	return d, nil
}
