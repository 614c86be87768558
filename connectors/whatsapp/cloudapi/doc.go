// Package cloudapi connects loyalhub to Meta's WhatsApp Cloud API, registered
// as the connector type "whatsapp_cloud".
//
// As a sender it posts template and text messages to
// {base_url}/{graph_version}/{phone_number_id}/messages with the number's
// access token, always carrying the message key as biz_opaque_callback_data
// so status webhooks can be matched to the message log. Failures are
// classified into core/fault classes from Meta's error codes (errors.go);
// requests that certainly were not processed (dial errors, 502/503/504) are
// retried twice at the HTTP layer, everything else returns to the caller. A
// circuit breaker per sender, counting only retryable failures, makes an
// unhealthy number fail fast with a retry-after instead of piling requests
// on it.
//
// As a source it authenticates Meta's webhook deliveries by their
// X-Hub-Signature-256 (HMAC-SHA256 of the raw body keyed by the app secret)
// and answers the hub.challenge handshake. It does not parse the body: the
// bundled "whatsapp_cloud" mapping turns deliveries into message.received,
// message.status, contact.identity_changed and the other events, item by
// item. Its conformance test holds the source, and that mapping, to a
// recorded webhook of every documented message type, status, system
// message and field (mappings/testdata/whatsapp_cloud).
package cloudapi
