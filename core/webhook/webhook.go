// Package webhook is the hub's side of the Standard Webhooks specification
// (standardwebhooks.com): the secrets, the signature of a message and its
// verification, the payload of an outcome, which outcome types an
// endpoint subscribes to, and the schedule of delivery attempts. It does
// no I/O; pipelines/webhooks delivers.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The headers of a signed message.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every secret: the rest is the key, base64.
const SecretPrefix = "whsec_"

// Key sizes a secret may decode to, as the specification recommends.
const (
	MinKeyBytes = 24
	MaxKeyBytes = 64
)

// Tolerance is how far a message's timestamp may be from a verifier's
// clock, either way.
const Tolerance = 5 * time.Minute

// Errors of ParseSecret and Verify.
var (
	ErrSecret    = errors.New("invalid webhook secret")
	ErrSignature = errors.New("no matching webhook signature")
	ErrTimestamp = errors.New("webhook timestamp out of tolerance")
	ErrHeaders   = errors.New("missing webhook headers")
)

// ParseSecret decodes a secret, whsec_ followed by the base64 of 24 to 64
// random bytes, into its key.
func ParseSecret(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: must start with %s", ErrSecret, SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: the part after %s is not base64", ErrSecret, SecretPrefix)
	}
	if len(key) < MinKeyBytes || len(key) > MaxKeyBytes {
		return nil, fmt.Errorf("%w: the key is %d bytes, want %d to %d", ErrSecret, len(key), MinKeyBytes, MaxKeyBytes)
	}
	return key, nil
}

// NewSecret returns a fresh secret of 32 random bytes.
func NewSecret() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return SecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// Sign returns the signature of a message, v1,<base64 HMAC-SHA256 of
// "{id}.{timestamp}.{body}"> under key, as the webhook-signature header
// carries it.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(key []byte, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a received message as a receiver should: its timestamp
// within Tolerance of now, and one of the space-separated v1 signatures
// of header signature matching one of keys (several while a secret is
// rotated).
func Verify(keys [][]byte, id, timestamp, signature string, body []byte, now time.Time) error {
	if id == "" || timestamp == "" || signature == "" {
		return ErrHeaders
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds", ErrTimestamp, timestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return ErrTimestamp
	}
	for _, key := range keys {
		want := mac(key, id, timestamp, body)
		for _, s := range strings.Fields(signature) {
			version, sig, ok := strings.Cut(s, ",")
			if !ok || version != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(sig)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrSignature
}
