// Package pipelines runs loyalhub: it loads the configuration, opens the
// queue and the store, and wires the connectors into Watermill stages.
//
// A webhook accepted by the HTTP listener is published durably to the
// inbound or inbound_bsp topic before the provider gets its 2xx; that is
// the one queue hop. Each stage consumes one topic in its own consumer
// group and publishes to none:
//
//	inbound     → process   (jq mapping, the loyalty transaction, notifications into the outbox)
//	inbound_bsp → bsp       (mapping, delivery reports, customers' messages, the chatbot)
//
// The outbox is the message log: messages are written as queued in the
// store transaction that causes them, and the sender (woken after the
// commit, and by a relay for what a crash or another replica left) claims
// their idempotency keys and calls the BSP. BSP webhooks travel in their
// own lane so that a backlog of sales never delays the delivery report
// that proves a message went out. In both lanes an event that fails for
// good is dead-lettered alone, as a mapped event whose replay is not
// mapped again.
//
// Every stage runs under the same middleware: correlation id, a poison
// queue that moves permanently failing messages to the deadletters topic
// with the reason (a stage stores them for the admin API), retries with
// exponential backoff for retryable errors, a timeout and panic recovery.
// Every effect is idempotent, so at-least-once delivery never doubles
// points or messages.
//
// The hub's parts live in subpackages that depend on what they use, never
// on the hub: runtime (each tenant and connector instance as the hub runs
// it), ingest (the webhooks: verified, durably enqueued, then answered;
// the shared webhooks of Meta apps routed to their tenants), ledger (the
// loyalty transaction every part runs: its effects, the notifications
// rendered into the outbox and the write-backs queued, its follow-ups, and
// commands queued to the outbox on their own), process (the two event
// lanes: the process and BSP stages, their per-event dead letters, privacy
// requests and abandoned checkouts),
// admin (the admin HTTP API), account (a member's detail and
// redemptions, for the admin API and the chatbot), chat (the chatbot's
// turns for customers' messages, their effects and replies, and handoffs
// posted to tenants' inboxes), send (the sender of the outbox's messages,
// the relay of interrupted attempts, senders' pauses and the accounts'
// templates), schedule (the timed sweeps under a lease,
// the write-back of members, the sources that run themselves), config
// (loading the configuration), queue (the queue backends) and telemetry
// (OpenTelemetry spans, and their context across the queue and the
// outbox). This package wires them.
package pipelines
