// Package programtest runs test cases against a tenant's loyalty program:
// loyalty as code. A test file names a loyalhub config and a tenant, and
// lists cases; each case is a sequence of steps (events, scheduler sweeps,
// manual adjustments) followed by what the member should have. Every case
// runs on a fresh private in-memory SQLite store, and every step goes
// through the same store transaction and engine calls as the hub's loyalty
// stage and scheduler, so a case that passes here behaves the same in
// production. Nothing external is needed: no queue, no network, no secrets.
//
// The file format:
//
//	config: coffee-chain.yaml   # the loyalhub config, relative to this file
//	tenant: kopi-kita           # the tenant whose program is tested; optional
//	                            # when the config has one tenant
//	env:                        # optional values for ${VAR} references
//	  CURRENCY: IDR
//	cases:
//	  - name: a breakfast sale, its reminder a year later, and a redemption
//	    steps:
//	      - event:
//	          type: order.paid
//	          at: "2026-11-23T08:00:00+07:00"
//	          data: {order_id: A1, phone: "0812-3456-7890", total: "257500", currency: IDR}
//	      - sweep: "2027-11-24T00:00:00+07:00"
//	      - adjust: {phone: "0812-3456-7890", points: -10, reason: a free latte, at: "2027-11-25T09:00:00+07:00"}
//	    expect:
//	      phone: "0812-3456-7890"
//	      balance: 40
//	      pending: 0
//	      outcomes: [points.earned, member.joined, points.earned, points.expiring, points.adjusted]
//	      entries: 4
//
// A step is exactly one of:
//
//   - event: a normalized event as a connector's mapping produces it:
//     type (required), data (the event's data: quote amounts and phone
//     numbers, which are strings), at (when it occurred) and id. The member
//     is found as the hub finds it (process.AccountRef): order.refunded
//     and order.cancelled by data.order_id, other events by data.member_id
//     or data.phone, which creates the member. An event type the program
//     has no rule for is ignored, as the hub ignores it.
//   - sweep: a time; the scheduler's sweep at that instant: pending points
//     that are due are activated and points past their date expire, then
//     points.expiring is announced for the expiry dates within the
//     program's expiry.remind_days_before. Every sweep runs, as the
//     scheduler's do: a second sweep at one instant does only what fell
//     due since. Points earned with an expiry date that was announced
//     already are not announced again.
//   - adjust: a manual correction of an existing member's points: phone or
//     member_id, points (positive or negative), reason, at and id.
//
// A step may also give error: text, the step must then fail with an error
// containing text (such as "not enough points"); otherwise a step that
// fails fails its case, and the remaining steps still run.
//
// Times are RFC 3339 ("2026-11-23T08:00:00+07:00"), or a local date or
// date-time in the tenant's time zone ("2026-12-01", "2026-12-01T10:00").
// A step without at occurs at DefaultStart plus one minute per step before
// it: the first step at DefaultStart, the second a minute later, and so on.
//
// Event ids derive from the case name and the step's position. A step that
// gives an id uses it as the event id: give a later step the same id to
// test idempotency, the second one is a replay and changes nothing.
//
// expect checks one member, by phone (default: the phone of the first
// step that names one):
//
//   - balance and pending: the member's spendable and pending points;
//   - outcomes: the types of the outcomes the steps emitted for the
//     member, in order (a replay emits nothing new); an empty list checks
//     that there were none, and leaving it out checks nothing;
//   - entries: the number of the member's ledger entries.
//
// Every case also checks the member's lots against its balance and
// pending points with the engine's invariants (loyalty.Account.Check).
//
// The config is loaded as loyalhub validate loads it, except that the
// environment is not read: every ${VAR} reference without a default gets
// Placeholder, unless env gives the variable a value, so a config with
// secrets can be tested without them.
package programtest
