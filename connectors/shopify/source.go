package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/loyalty"
)

// Headers Shopify sends with every webhook delivery. Names are matched
// case-insensitively: HTTP/2 sends them in lower case.
const (
	HeaderHMAC        = "X-Shopify-Hmac-Sha256"
	HeaderTopic       = "X-Shopify-Topic"
	HeaderShopDomain  = "X-Shopify-Shop-Domain"
	HeaderAPIVersion  = "X-Shopify-API-Version"
	HeaderWebhookID   = "X-Shopify-Webhook-Id"
	HeaderTriggeredAt = "X-Shopify-Triggered-At"
	HeaderEventID     = "X-Shopify-Event-Id"
)

// Keys of Delivery.Meta, which the mapping sees as $meta.source.
const (
	MetaShopDomain        = "shop_domain"
	MetaAPIVersion        = "api_version"
	MetaTriggeredAt       = "triggered_at"
	MetaWebhookID         = "webhook_id"
	MetaEventID           = "event_id"
	MetaIncludeTestOrders = "include_test_orders"
)

// maxHeaderValueLen bounds what a header contributes to a delivery as is:
// the headers are not covered by the signature. Longer ids are replaced by
// their hash, longer meta values are dropped.
const maxHeaderValueLen = 128

var (
	_ connectors.Source  = (*Connector)(nil)
	_ loyalty.CodeIssuer = (*Connector)(nil)
)

// Connector is one shop: it accepts the shop's signed webhooks and, when
// the Admin API is configured, issues rewards' discount codes in the shop.
// It is safe for concurrent use.
type Connector struct {
	secrets     [][]byte // the secret, then the previous secret
	shopDomain  string
	includeTest string
	admin       *adminClient // nil without an access token
	logger      *slog.Logger
}

// New returns the connector of a validated config. It does no I/O.
func New(cfg *Config, deps connectors.Deps) (*Connector, error) {
	if cfg == nil {
		return nil, errors.New("creating shopify connector: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("creating shopify connector: %w", err)
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Connector{
		secrets:     [][]byte{[]byte(cfg.Secret)},
		shopDomain:  cfg.ShopDomain,
		includeTest: strconv.FormatBool(cfg.IncludeTestOrders),
		logger:      logger,
	}
	if cfg.PreviousSecret != "" && cfg.PreviousSecret != cfg.Secret {
		c.secrets = append(c.secrets, []byte(cfg.PreviousSecret))
	}
	if cfg.Admin.AccessToken != "" {
		c.admin = newAdminClient(cfg, logger)
	}
	return c, nil
}

// Sign returns the X-Shopify-Hmac-Sha256 value of body under secret: the
// base64 HMAC-SHA256 of the raw bytes.
func Sign(secret string, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac([]byte(secret), body))
}

func mac(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}

// Accept authenticates a webhook delivery by the HMAC of its raw body,
// keyed with the secret or the previous secret, and describes it. Failed
// authentication, or a delivery from another shop than shop_domain,
// returns an error wrapping connectors.ErrUnauthorized. A signed body is
// accepted whatever it holds.
//
// The delivery id is "<shop>/<topic>/<X-Shopify-Event-Id>/<body hash>",
// so that one merchant action's deliveries to different topics stay apart
// and its retries, which carry the original body, are recognised; without
// an event id it is "<shop>/<topic>/<X-Shopify-Webhook-Id>/<body hash>",
// and without either "<shop>/<topic>/<body hash>". The body hash is the hex
// SHA-256 of the raw body. The headers are not signed: the hash of the
// signed body keeps a reused event id from hiding another order, refund or
// customer, or a newer version of one (its id and updated_at are in the
// body).
func (c *Connector) Accept(r *http.Request, body []byte) (connectors.Delivery, error) {
	sig := strings.TrimSpace(header(r, HeaderHMAC))
	if sig == "" {
		return connectors.Delivery{}, fmt.Errorf("verifying shopify webhook: %w: missing %s header",
			connectors.ErrUnauthorized, HeaderHMAC)
	}
	// Strict: an encoding whose unused trailing bits differ is another
	// signature, not the same one.
	got, err := base64.StdEncoding.Strict().DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return connectors.Delivery{}, fmt.Errorf("verifying shopify webhook: %w: %s is not a base64 HMAC-SHA256",
			connectors.ErrUnauthorized, HeaderHMAC)
	}
	if !c.verify(got, body) {
		return connectors.Delivery{}, fmt.Errorf("verifying shopify webhook: %w: %s does not match the body under the secret",
			connectors.ErrUnauthorized, HeaderHMAC)
	}
	shop := strings.ToLower(strings.TrimSpace(header(r, HeaderShopDomain)))
	if c.shopDomain != "" && shop != c.shopDomain {
		return connectors.Delivery{}, fmt.Errorf("verifying shopify webhook: %w: %s %q is not the configured shop %s",
			connectors.ErrUnauthorized, HeaderShopDomain, preview(shop), c.shopDomain)
	}
	topic := strings.TrimSpace(header(r, HeaderTopic))
	eventID := strings.TrimSpace(header(r, HeaderEventID))
	webhookID := strings.TrimSpace(header(r, HeaderWebhookID))

	meta := map[string]string{MetaIncludeTestOrders: c.includeTest}
	for k, v := range map[string]string{
		MetaShopDomain:  shop,
		MetaAPIVersion:  strings.TrimSpace(header(r, HeaderAPIVersion)),
		MetaTriggeredAt: strings.TrimSpace(header(r, HeaderTriggeredAt)),
		MetaWebhookID:   webhookID,
		MetaEventID:     eventID,
	} {
		if v != "" && len(v) <= maxHeaderValueLen {
			meta[k] = v
		}
	}
	return connectors.Delivery{
		ID:    deliveryID(shop, topic, eventID, webhookID, body),
		Topic: bounded(topic),
		Meta:  meta,
	}, nil
}

// verify reports whether sig is the body's HMAC under one of the secrets,
// comparing in constant time.
func (c *Connector) verify(sig, body []byte) bool {
	for _, s := range c.secrets {
		if hmac.Equal(sig, mac(s, body)) {
			return true
		}
	}
	return false
}

func deliveryID(shop, topic, eventID, webhookID string, body []byte) string {
	id := eventID
	if id == "" {
		id = webhookID
	}
	if id == "" {
		return bounded(shop) + "/" + bounded(topic) + "/" + bodyHash(body)
	}
	return bounded(shop) + "/" + bounded(topic) + "/" + bounded(id) + "/" + bodyHash(body)
}

// bodyHash is the hex SHA-256 of a body: the identity of what was signed.
func bodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// bounded returns s, or "h:" and its hex SHA-256 when s is too long to be
// used as is.
func bounded(s string) string {
	if len(s) <= maxHeaderValueLen {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "h:" + hex.EncodeToString(sum[:])
}

// header returns the first value of the named header, matching the name
// case-insensitively even when the request was built with a non-canonical
// name.
func header(r *http.Request, name string) string {
	if v := r.Header.Get(name); v != "" {
		return v
	}
	for k, vs := range r.Header {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}

// preview shortens an untrusted value for an error message.
func preview(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
