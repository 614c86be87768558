// Package process runs the hub's two event lanes, the stages that consume
// the queue's one hop:
//
//   - the process stage (Lanes.Process) maps a delivery from a shop, CRM
//     or POS system to events (jq) and runs them in waves, each event's
//     commerce handling (consent, checkouts, privacy requests) or loyalty
//     transaction, whose notifications go to the outbox in the same store
//     transaction;
//   - the BSP stage (Lanes.BSP) maps a BSP's webhook, applies its delivery
//     reports to the message log in one write, then acts on its other
//     events: customers' messages (the chatbot answers them), consent and
//     identity changes, templates' statuses, failed deliveries.
//
// In both lanes an item the mapping failed, and an event that fails for
// good, is dead-lettered alone, as a mapped event whose replay is not
// mapped again; the rest of the delivery goes on. The package also finds
// the member an event names (AccountRef), erases a person on a privacy
// request (for the admin API too), and announces abandoned checkouts (for
// the scheduler).
//
// It depends on the store's sub-interfaces it uses, the tenants' runtime,
// the hub's clock, the chatbot, and functions for what the hub does
// around it: running a loyalty transaction with its effects, rendering
// notifications, queueing messages in the outbox, storing dead letters.
// The hub's table of topics names the topics it is given.
package process
