package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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
// The delivery id is "<shop>/<topic>/<X-Shopify-Event-Id>/<identity>", so
// that one merchant action's deliveries to different topics stay apart and
// its retries are recognised; without an event id it is
// "<shop>/<topic>/<X-Shopify-Webhook-Id>/<identity>", and without either
// "<shop>/<topic>/<hex SHA-256 of the body>". The headers are not signed,
// so the identity, read from the signed body, keeps a reused event id from
// hiding another object or a newer version of it: see bodyIdentity.
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
	return bounded(shop) + "/" + bounded(topic) + "/" + bounded(id) + "/" + bodyIdentity(body)
}

// bodyIdentity names what a signed body is: "<id>@<updated_at>" when it
// has both at its top level (an order, a customer, a checkout, whose id is
// its token once Shopify drops checkout ids), else the hex SHA-256 of the
// body (a refund, a consent update, a privacy request, a body that is not
// JSON). Shopify's retries carry the original body, so they keep the same
// identity, while another order, or the same order updated since, gets its
// own. The id is the JSON's digits or string as sent, never a float.
func bodyIdentity(body []byte) string {
	var b struct {
		ID        json.RawMessage `json:"id"`
		Token     json.RawMessage `json:"token"`
		UpdatedAt json.RawMessage `json:"updated_at"`
	}
	if json.Unmarshal(body, &b) != nil {
		return bodyHash(body)
	}
	id := scalar(b.ID)
	if id == "" {
		id = scalar(b.Token)
	}
	at := scalar(b.UpdatedAt)
	if id == "" || at == "" {
		return bodyHash(body)
	}
	return bounded(id + "@" + at)
}

// scalar returns a JSON string's text or a JSON integer's digits, and ""
// for anything else.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	if digits := strings.TrimSpace(string(raw)); digits != "" && strings.Trim(digits, "0123456789") == "" {
		return digits
	}
	return ""
}

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
