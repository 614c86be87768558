// Package ledger is the loyalty transaction as every part of the hub runs
// it: the process stage, admin adjustments and tier changes, redemptions,
// joins in the chat and the scheduler's sweeps. A transaction of a tenant
// (Ledger.Transact) commits with its effects: the notifications the
// tenant's rules make of its outcomes, rendered and written into the outbox
// as queued messages, and the member queued for every write-back
// connector, all in the same store transaction. Its follow-ups (a
// referrer's reward, say) then run as transactions of their own
// (RunFollowUps). Commands decided outside a transaction (a chat's
// replies, an admin's message) are written to the outbox on their own
// (Ledger.Enqueue).
//
// The message log is the outbox. Whatever causes a message writes it as a
// queued row with its command in its own store transaction; the sender
// takes the rows as they come due. Nothing is published after a commit, so
// nothing decided can be lost between the decision and the sender, which
// is woken once a write commits.
//
// It depends on the store's accounts, rewards and outbox, the hub's clock,
// a logger, two counters and a function that wakes the sender.
package ledger
