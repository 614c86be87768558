package store

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Journey states of a member.
const (
	JourneyActive    = "active"    // in the journey: its next step is due at DueAt
	JourneyCompleted = "completed" // ran every step
	JourneyExited    = "exited"    // left before the end; Reason says why
)

// Reasons a member exits a journey.
const (
	JourneyReasonGoal      = "goal"      // the journey's goal happened
	JourneyReasonCondition = "condition" // an if step was false
	JourneyReasonError     = "error"     // a step failed on the member's data
)

// JourneyState is where a member stands in a journey: one row per tenant,
// journey and member, replaced by each new entry (EntryID).
type JourneyState struct {
	Tenant   string `json:"tenant"`
	Journey  string `json:"journey"`
	MemberID string `json:"member_id"`
	// EntryID identifies one entry of the member into the journey: the
	// keys of its messages and awards derive from it.
	EntryID string `json:"entry_id"`
	// Step is the index of the next step to run.
	Step      int       `json:"step"`
	DueAt     time.Time `json:"due_at"`
	Status    string    `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	EnteredAt time.Time `json:"entered_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Data is the data of the outcome that entered the member, as JSON
	// (empty when it had none).
	Data []byte `json:"-"`
	// WaitFor is the event the member waits for at Step (a wait_for
	// step: JourneyWaitReply or JourneyWaitOrder), "" when none: it came
	// only if it happened at or after WaitSince (a whole second, as
	// WhatsApp stamps messages), at or before WaitDeadline.
	WaitFor      string    `json:"wait_for,omitempty"`
	WaitSince    time.Time `json:"wait_since,omitzero"`
	WaitDeadline time.Time `json:"wait_deadline,omitzero"`
}

// Events a journey state waits for.
const (
	JourneyWaitReply = "reply" // an inbound message from the member's phone
	JourneyWaitOrder = "order" // an order of the member
)

// JourneyEntry enters a member into a journey at At, as an effect of a
// loyalty transaction: a new state, active at step 0 and due at At. A
// member already in the journey (active) stays as they are; one who left
// it enters again only as ReEntry allows: config.ReEntryNever (0),
// config.ReEntryAlways (negative), or a positive duration since their
// last entry.
type JourneyEntry struct {
	Journey  string
	MemberID string
	EntryID  string
	ReEntry  time.Duration
	At       time.Time
	// Data is the entering outcome's data as JSON, kept with the state
	// for its steps.
	Data []byte
}

// JourneyGoal ends a member's active state in a journey: it exits with
// JourneyReasonGoal.
type JourneyGoal struct {
	Journey  string
	MemberID string
	At       time.Time
}

// JourneyCount is how many members of a journey are in one status at one
// step.
type JourneyCount struct {
	Status  string `json:"status"`
	Step    int    `json:"step"`
	Members int64  `json:"members"`
}

// Journeys keeps members' states in the tenants' journeys. Entries and
// goals are written as effects of loyalty transactions (Effects.Journeys,
// Effects.JourneyGoals: goals first, so that a journey whose goal is its
// trigger restarts) or by EnterJourneys.
type Journeys interface {
	// EnterJourneys applies goals, then entries, of tenant in one
	// transaction, as a loyalty transaction's effects would.
	EnterJourneys(ctx context.Context, tenant string, goals []JourneyGoal, entries []JourneyEntry) error
	// DueJourneyStates returns up to limit active states of every tenant
	// due at now, the earliest first, and pushes their due time on to
	// now+lease, so that no other call returns them again before they
	// were updated or the lease ran out.
	DueJourneyStates(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]JourneyState, error)
	// UpdateJourneyState writes s's step, due time, status and reason if
	// the member's state is still the entry s.EntryID and active; it
	// reports whether it was. A runner that lost its lease to a newer
	// entry thus changes nothing.
	UpdateJourneyState(ctx context.Context, s JourneyState) (bool, error)
	// JourneyState returns a member's state in a journey; ErrNotFound
	// when they never entered it.
	JourneyState(ctx context.Context, tenant, journey, memberID string) (JourneyState, error)
	// JourneyCounts counts a journey's members by status and step.
	JourneyCounts(ctx context.Context, tenant, journey string) ([]JourneyCount, error)
	// WakeJourneyStates makes due at now the active states of every
	// tenant that wait for an event (WaitFor) which came at or after their
	// WaitSince, at or before now, and are still due at their
	// WaitDeadline (not leased, not woken already); it returns how many.
	WakeJourneyStates(ctx context.Context, now time.Time) (int64, error)
	// JourneyEventCame reports whether the event s waits for (s.WaitFor)
	// came at or after s.WaitSince and at or before until: a message from the
	// phone of s's member, or an order of s's member.
	JourneyEventCame(ctx context.Context, s JourneyState, until time.Time) (bool, error)
}

// StoredData is e's Data as a store keeps it: empty rather than nil.
func (e JourneyEntry) StoredData() []byte {
	if e.Data == nil {
		return []byte{}
	}
	return e.Data
}

// ReEntryCutoff is the latest last entry from which e's member may enter
// again, and whether any may: a state entered at or before the cutoff
// (and no longer active) is replaced.
func (e JourneyEntry) ReEntryCutoff() (time.Time, bool) {
	switch {
	case e.ReEntry < 0:
		return e.At, true
	case e.ReEntry == 0:
		return time.Time{}, false
	default:
		return e.At.Add(-e.ReEntry), true
	}
}

// SortJourneyStates orders leased states as a store returns them: by
// tenant, journey and member (RETURNING has no order).
func SortJourneyStates(ss []JourneyState) {
	slices.SortFunc(ss, func(a, b JourneyState) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Journey, b.Journey), cmp.Compare(a.MemberID, b.MemberID))
	})
}
