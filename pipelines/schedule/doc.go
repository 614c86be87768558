// Package schedule runs the hub's work that no delivery starts: the
// scheduler's timed sweeps (points that activate and expire, tier reviews,
// expiry reminders, birthdays, abandoned checkouts), the write-back of
// members to the systems that take their state (connectors.MemberSyncer),
// and the sources that produce deliveries themselves (connectors.Runner).
//
// A sweep works set-based, a batch of members per store transaction
// (SweepTenant), and writes its notifications into the outbox in that
// transaction through the hook the hub gives it. With several replicas, a
// lease in the store lets one sweep a tenant at a time; a sweep renews it
// before every batch and stops when it is lost.
//
// What belongs to other parts comes in as functions: the notifications of
// a loyalty transaction and its follow-ups, the checkouts' announcements,
// the relay of interrupted send attempts (the sender's), the refresh of
// template lists and the durable enqueue of a delivery. The package depends
// on the store's interfaces, the tenants' runtime and a clock, never on the
// hub.
package schedule
