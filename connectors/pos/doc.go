// Package pos is the point-of-sale webhook source ("pos_webhook"): any POS,
// till or back-office system that can POST its sales to loyalhub, in
// loyalhub's plain JSON sale format or in the format of a POS it knows
// (a preset). docs/connectors/pos_webhook.md is the reference.
//
// # Presets
//
// A preset names the POS; it sets the defaults of the authentication and
// the bundled mapping (Spec().MappingOf):
//
//	plain     the plain JSON sale format (mapping pos_webhook), hex
//	          HMAC-SHA256 of the body in X-Loyalhub-Signature
//	square    Square webhook notifications (mapping square), base64
//	          HMAC-SHA256 of the notification URL followed by the body in
//	          x-square-hmacsha256-signature, keyed with the subscription's
//	          signature key
//	loyverse  Loyverse webhooks (mapping loyverse), base64 HMAC-SHA1 of the
//	          body in X-Loyverse-Signature, keyed with the OAuth app's
//	          client secret
//
// # Authentication
//
// auth.scheme is hmac (the default: every part of the signature is
// configurable), api_key (a static key in a header), basic, or none, which
// is allowed only with allow_ips. allow_ips applies with any scheme and
// compares the connection's remote address, so a reverse proxy in front of
// loyalhub must preserve it. Every secret is compared in constant time; a
// refused request gets an error wrapping connectors.ErrUnauthorized that
// says why, and nothing is stored. The top-level secret and
// signature_header keys are the short form of auth.secret and auth.header.
//
// Accept never rejects a payload for its content: a signed but malformed
// sale is accepted and the mapping stage dead-letters it with the reason.
//
// # Delivery ids
//
// A delivery is named, in this order, by the event_id of a Square
// notification (Square's documented deduplication key, covered by its
// signature: Accept decodes the body for that one field and falls back
// when it is absent), by the POS's delivery header (X-Loyalhub-Delivery;
// not covered by a signature, it only serves deduplication), or by the hex
// SHA-256 of the body, so that a sale re-sent unchanged is recognised as a
// duplicate. Event ids derived from the sale's own id keep every effect
// idempotent regardless.
//
// # Customer lookup
//
// Square payments and Loyverse receipts name a customer_id, not the
// customer's phone. With lookup.access_token set, the square and loyverse
// presets build a LookupSource, a connectors.Enricher: before mapping, the
// hub calls Enrich, which fetches each customer of a sale from the POS's
// API (rate-limited) and hands the mapping
//
//	{"payload": <the body>, "customers": {"<customer_id>": {"phone", "email", "name"} or null}}
//
// Without a token nothing is looked up, and sales without a phone are
// dead-lettered by the loyalty stage with the reason.
package pos
