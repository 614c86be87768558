package pos

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/netip"
	"strings"

	"github.com/loyalhub/loyalhub/connectors"
)

// maxDeliveryIDLen bounds a delivery id taken from a header or a body as
// is; longer values are replaced by their hash.
const maxDeliveryIDLen = 128

var _ connectors.Source = (*Source)(nil)

// Source accepts authenticated POS deliveries. It is safe for concurrent
// use.
type Source struct {
	preset string
	scheme string
	allow  []netip.Prefix

	// hmac
	secret   []byte
	header   string
	newHash  func() hash.Hash
	hashSize int
	hashName string // "HMAC-SHA256", for errors
	encoding string
	url      []byte // signed before the body; nil when only the body is
	prefix   string

	// api_key
	bearer bool // the key may follow "Bearer " (the header is Authorization)
	keySum [sha256.Size]byte

	// basic
	userSum, passSum [sha256.Size]byte

	deliveryIDHeader string
}

// NewSource returns the authenticating source of a config. It does no I/O.
// It leaves the customer lookup out: NewLookupSource, or Spec().New, adds
// it when the config enables it.
func NewSource(cfg *Config) (*Source, error) {
	if cfg == nil {
		return nil, errors.New("creating pos_webhook source: nil config")
	}
	s, errs := cfg.resolve()
	if err := errs.Err(); err != nil {
		return nil, fmt.Errorf("creating pos_webhook source: %w", err)
	}
	return newSource(s), nil
}

func newSource(s settings) *Source {
	a := s.auth
	src := &Source{
		preset:           s.preset,
		scheme:           a.scheme,
		allow:            s.allow,
		deliveryIDHeader: s.deliveryIDHeader,
	}
	switch a.scheme {
	case SchemeHMAC:
		src.secret = []byte(a.secret)
		src.header = a.header
		src.encoding = a.encoding
		src.prefix = a.prefix
		if a.algorithm == AlgorithmSHA1 {
			src.newHash, src.hashSize, src.hashName = sha1.New, sha1.Size, "HMAC-SHA1"
		} else {
			src.newHash, src.hashSize, src.hashName = sha256.New, sha256.Size, "HMAC-SHA256"
		}
		if a.signed == SignedURLBody {
			src.url = []byte(a.url)
		}
	case SchemeAPIKey:
		src.header = a.header
		src.bearer = strings.EqualFold(a.header, "Authorization")
		src.keySum = sha256.Sum256([]byte(a.key))
	case SchemeBasic:
		src.userSum = sha256.Sum256([]byte(a.username))
		src.passSum = sha256.Sum256([]byte(a.password))
	}
	return src
}

// Sign returns the signature of body under secret as the plain preset
// expects it by default: lowercase hex HMAC-SHA256.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Accept authenticates the request (sender address, then the scheme's
// signature, key or credentials, every comparison in constant time) and
// names the delivery. Only the square preset reads the body, for its
// event_id; nothing is rejected for its content. Failed authentication
// returns an error wrapping connectors.ErrUnauthorized.
func (s *Source) Accept(r *http.Request, body []byte) (connectors.Delivery, error) {
	if len(s.allow) > 0 {
		if err := s.checkAddress(r.RemoteAddr); err != nil {
			return connectors.Delivery{}, err
		}
	}
	var err error
	switch s.scheme {
	case SchemeHMAC:
		err = s.verifySignature(r, body)
	case SchemeAPIKey:
		err = s.verifyKey(r)
	case SchemeBasic:
		err = s.verifyBasic(r)
	}
	if err != nil {
		return connectors.Delivery{}, err
	}
	return connectors.Delivery{ID: s.deliveryID(r, body)}, nil
}

func (s *Source) checkAddress(remote string) error {
	addr, err := remoteAddr(remote)
	if err != nil {
		return fmt.Errorf("verifying pos_webhook sender address: %w: remote address %q is not an IP address",
			connectors.ErrUnauthorized, remote)
	}
	for _, p := range s.allow {
		if p.Contains(addr) {
			return nil
		}
	}
	return fmt.Errorf("verifying pos_webhook sender address: %w: %s is not in allow_ips",
		connectors.ErrUnauthorized, addr)
}

// remoteAddr reads the IP of an http.Request's RemoteAddr ("ip:port", or
// a bare IP), without its zone and IPv4-mapped IPv6 form.
func remoteAddr(remote string) (netip.Addr, error) {
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(remote); err != nil {
		return netip.Addr{}, err
	}
	return a.WithZone("").Unmap(), nil
}

func (s *Source) verifySignature(r *http.Request, body []byte) error {
	sig := strings.TrimSpace(r.Header.Get(s.header))
	if sig == "" {
		return fmt.Errorf("verifying pos_webhook signature: %w: missing %s header",
			connectors.ErrUnauthorized, s.header)
	}
	if p := s.prefix; p != "" && len(sig) >= len(p) && strings.EqualFold(sig[:len(p)], p) {
		sig = sig[len(p):]
	}
	got, ok := decodeSignature(sig, s.encoding)
	if !ok || len(got) != s.hashSize {
		return fmt.Errorf("verifying pos_webhook signature: %w: %s is not a %s %s",
			connectors.ErrUnauthorized, s.header, s.encoding, s.hashName)
	}
	m := hmac.New(s.newHash, s.secret)
	m.Write(s.url)
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return fmt.Errorf("verifying pos_webhook signature: %w: signature mismatch", connectors.ErrUnauthorized)
	}
	return nil
}

// decodeSignature decodes hex (either case) or base64 (standard or URL
// alphabet, padded or not).
func decodeSignature(sig, encoding string) ([]byte, bool) {
	if encoding == EncodingHex {
		b, err := hex.DecodeString(sig)
		return b, err == nil
	}
	sig = strings.TrimRight(sig, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(sig, "-_") {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(sig)
	return b, err == nil
}

func (s *Source) verifyKey(r *http.Request) error {
	v := strings.TrimSpace(r.Header.Get(s.header))
	if s.bearer && len(v) > len("Bearer ") && strings.EqualFold(v[:len("Bearer ")], "Bearer ") {
		v = strings.TrimSpace(v[len("Bearer "):])
	}
	if v == "" {
		return fmt.Errorf("verifying pos_webhook api key: %w: missing %s header", connectors.ErrUnauthorized, s.header)
	}
	// Comparing hashes takes the same time whatever the lengths.
	got := sha256.Sum256([]byte(v))
	if subtle.ConstantTimeCompare(got[:], s.keySum[:]) != 1 {
		return fmt.Errorf("verifying pos_webhook api key: %w: key mismatch", connectors.ErrUnauthorized)
	}
	return nil
}

func (s *Source) verifyBasic(r *http.Request) error {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return fmt.Errorf("verifying pos_webhook basic credentials: %w: missing basic Authorization header",
			connectors.ErrUnauthorized)
	}
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	if subtle.ConstantTimeCompare(u[:], s.userSum[:])&subtle.ConstantTimeCompare(p[:], s.passSum[:]) != 1 {
		return fmt.Errorf("verifying pos_webhook basic credentials: %w: credentials mismatch", connectors.ErrUnauthorized)
	}
	return nil
}

// deliveryID is, in this order: the event_id of a Square notification (the
// key Square documents for deduplication, covered by its signature); the
// POS's delivery header, then "/" and the hex SHA-256 of the body (the
// header is not signed: a reused one must not hide another sale); the hex
// SHA-256 of the body.
func (s *Source) deliveryID(r *http.Request, body []byte) string {
	if s.preset == PresetSquare {
		if id := squareEventID(body); id != "" {
			return boundedID(id)
		}
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if s.deliveryIDHeader != "" {
		if id := strings.TrimSpace(r.Header.Get(s.deliveryIDHeader)); id != "" {
			return boundedID(id) + "/" + hash
		}
	}
	return hash
}

func boundedID(id string) string {
	if len(id) <= maxDeliveryIDLen {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "h:" + hex.EncodeToString(sum[:])
}

// squareEventID returns the top-level event_id of a Square notification,
// or "" when the body is not a JSON object with a string event_id.
func squareEventID(body []byte) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return ""
	}
	return jsonString(top["event_id"])
}

// jsonString returns the value of a JSON string, or "" for anything else.
func jsonString(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
