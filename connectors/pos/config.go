package pos

import (
	"errors"
	"strings"
)

// Default header names.
const (
	DefaultSignatureHeader  = "X-Loyalhub-Signature"
	DefaultDeliveryIDHeader = "X-Loyalhub-Delivery"
)

// Config is one pos_webhook connector's settings.
type Config struct {
	// Secret keys the HMAC-SHA256 signature of each body. Required.
	Secret string `koanf:"secret"`
	// SignatureHeader carries the signature. Default "X-Loyalhub-Signature".
	SignatureHeader string `koanf:"signature_header"`
	// DeliveryIDHeader optionally carries the POS's own delivery id. Default
	// "X-Loyalhub-Delivery".
	DeliveryIDHeader string `koanf:"delivery_id_header"`
}

// NewConfig returns a config holding the defaults.
func NewConfig() *Config {
	return &Config{
		SignatureHeader:  DefaultSignatureHeader,
		DeliveryIDHeader: DefaultDeliveryIDHeader,
	}
}

// Validate checks the values; errors name the key.
func (c *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Secret) == "" {
		errs = append(errs, errors.New("secret: required"))
	}
	if !validHeaderName(c.SignatureHeader) {
		errs = append(errs, errors.New("signature_header: must be a valid HTTP header name"))
	}
	if c.DeliveryIDHeader != "" && !validHeaderName(c.DeliveryIDHeader) {
		errs = append(errs, errors.New("delivery_id_header: must be a valid HTTP header name"))
	}
	if strings.EqualFold(c.SignatureHeader, c.DeliveryIDHeader) {
		errs = append(errs, errors.New("delivery_id_header: must differ from signature_header"))
	}
	return errors.Join(errs...)
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
