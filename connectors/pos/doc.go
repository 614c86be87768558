// Package pos is the generic point-of-sale webhook source ("pos_webhook"):
// any POS, till or back-office system that can POST a signed JSON sale to
// loyalhub.
//
// # Protocol
//
// The POS sends each sale (or a batch {"sales": [...]}) as a JSON body in
// the format of the bundled pos_webhook mapping (see package mappings) to
// the connector's webhook URL, with these headers:
//
//	X-Loyalhub-Signature: <lowercase hex HMAC-SHA256 of the raw body, keyed with the secret>
//	X-Loyalhub-Delivery:  <the POS's own id for this delivery, optional>
//
// A "sha256=" prefix on the signature is accepted too. Header names are
// configurable. Sign computes the signature.
//
// The source checks the signature in constant time and never parses the
// body: a signed but malformed sale is accepted, and the mapping stage
// dead-letters it with the reason. The delivery id is the delivery header
// when the POS sends one, otherwise the hex SHA-256 of the body, so a sale
// re-sent unchanged is recognised as a duplicate. The delivery header is
// not covered by the signature; it only serves deduplication, and the
// event ids derived from sale_id keep every effect idempotent regardless.
package pos
