// Package pipelines runs loyalhub: it loads the configuration, opens the
// queue and the store, and wires the connectors into Watermill stages.
//
// A webhook accepted by the HTTP listener is published durably to the
// inbound topic before the provider gets its 2xx. From there each stage
// consumes one topic in its own consumer group and publishes to the next:
//
//	inbound     → mapping     → events      (jq mapping per tenant connector)
//	inbound_bsp → bsp                       (mapping, delivery reports, customers' messages)
//	events      → loyalty     → outcomes    (points, one store transaction per event)
//	outcomes    → notify      → outbound    (notification rules render templates)
//	outbound    → send                      (claim the idempotency key, call the BSP)
//
// BSP webhooks travel in their own lane so that a backlog of sales never
// delays the delivery report that proves a message went out, and in one
// hop: the BSP stage maps a webhook and handles all its events, an event
// that fails for good dead-lettered alone.
//
// Every stage runs under the same middleware: correlation id, a poison
// queue that moves permanently failing messages to the deadletters topic
// with the reason (a stage stores them for the admin API), retries with
// exponential backoff for retryable errors, a timeout and panic recovery.
// Every effect is idempotent, so at-least-once delivery never doubles
// points or messages.
package pipelines
