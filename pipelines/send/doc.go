// Package send is the sender: it takes the messages the outbox (the
// message log) holds as they come due and sends each through its tenant's
// BSP connector. For every message it claims the idempotency key in the
// message log first, so that no key is ever sent twice, applies the
// tenant's messaging policy and the account's templates, calls the BSP and
// records what the BSP answered: sent, deferred, skipped, held for a
// replay or dead-lettered.
//
// It also resolves the attempts whose outcome was lost (a crash, a BSP
// call that ended without an answer): it waits for their status webhooks
// and, past a deadline, sends them again under the same key or holds them,
// as pipeline.send.unknown_policy says (the relay of interrupted
// attempts). A sender whose credentials the BSP refused is paused
// (NewPause), and the accounts' template listings, which the send decision
// checks, are loaded and kept fresh (Templates).
//
// It depends on the store's message log and contacts, the tenants'
// runtime, the hub's clock and a function that stores dead letters; the
// transactions that write the outbox wake it (Sender.Wake).
package send
