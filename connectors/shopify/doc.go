// Package shopify is the Shopify store connector ("shopify"): it receives a
// store's webhooks and issues rewards' discount codes in the store.
//
// # Webhooks
//
// Shopify POSTs each event as JSON to the connector's URL,
// https://<host>/hooks/<tenant>/<connector>, with these headers (names are
// matched case-insensitively, as HTTP/2 sends them in lower case):
//
//	X-Shopify-Hmac-Sha256:  base64 HMAC-SHA256 of the raw body, keyed with the
//	                        app's client secret (or the store's webhook
//	                        signing key for webhooks created in the admin)
//	X-Shopify-Topic:        orders/paid, refunds/create, customers/update…
//	X-Shopify-Shop-Domain:  acme-coffee.myshopify.com
//	X-Shopify-API-Version:  the version the payload is serialized in
//	X-Shopify-Event-Id:     shared by the deliveries of one merchant action
//	X-Shopify-Webhook-Id:   unique per delivery
//	X-Shopify-Triggered-At: when the event happened
//
// Accept checks the signature in constant time against the secret and,
// during a rotation, the previous secret; Sign computes it. A signed but
// malformed payload is accepted, and the mapping stage dead-letters it with
// the reason. A missing or wrong signature, or a delivery from another shop
// than the configured shop_domain, is unauthorized (the hub answers 401, as
// Shopify's compliance review requires). Only the body is signed, not the
// headers.
//
// # Duplicates
//
// Shopify delivers at least once and in no particular order, and one
// merchant action can fire several topics with the same event id. The
// delivery id, on which the queue drops duplicates, is
// "<shop>/<topic>/<event id>/<body hash>" (the webhook id stands in for a
// missing event id; without either it is "<shop>/<topic>/<body hash>"),
// where the body hash is the hex SHA-256 of the raw body. Because
// X-Shopify-Event-Id is not signed, the hash of the signed body is part of
// the id: a retry, which carries the original body, is dropped as a
// duplicate, while a reused event id with another order, or with the same
// order updated since (its id and updated_at are in the body), is
// processed. The events' own ids (the order's id for order.paid) still keep
// an order from earning twice.
//
// The delivery's topic is X-Shopify-Topic, and its meta (the mapping's
// $meta.source) holds shop_domain, api_version, triggered_at, webhook_id,
// event_id and include_test_orders ("true" or "false"). The bundled
// mapping "shopify" turns the payloads into events; include_test_orders
// decides whether test orders ("test": true) earn, and with them their
// cancellations and refunds.
//
// # Discount codes
//
// With an admin block, the connector is also a loyalty.CodeIssuer: a
// reward whose codes come from this connector gets a single-use code
// created with the Admin GraphQL API's discountCodeBasicCreate mutation,
// worth the amount or percentage configured for the reward under
// admin.discounts. The code is derived from the redemption id
// (DiscountCode), so a retry asks for the same code, and Shopify's answer
// that the code exists counts as success. Calls are paced with a token
// bucket at admin.requests_per_second; Shopify's throttling (HTTP 429 or a
// THROTTLED GraphQL error) comes back as a retryable error whose
// RetryAfter is derived from the throttle status.
package shopify
