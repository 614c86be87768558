package store

import (
	"context"
	"errors"
	"math/big"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
)

// AccountRef names the member a loyalty event is about: by MemberID (a
// merged member's id finds the member it was merged into), else by Phone,
// else by CustomerID of Connector, else by Email, else as the member of
// OrderID. With Create, a member found by none of them is created with the
// identities the ref has (a phone is not required) and Name and Email
// (which also fill empty fields of an existing member).
//
// The ref's identities are attached to the member: a customer id or email
// no member has yet, and a phone when the member has none. When they find
// two or more members, those merge into one in the same transaction (see
// PlanMerge for the rule).
type AccountRef struct {
	MemberID string
	Phone    string // canonical key (member.NormalizePhone)
	Name     string
	Email    string // also an identity, lower-cased and trimmed (member.NormalizeEmail)
	Birthday string // "MM-DD"; fills an empty birthday
	// Profile is what the source says of the member beyond identity,
	// merged into the stored profile (member.MergeProfile).
	Profile member.Profile
	OrderID string // loads the stored order (and its lots) into the account
	Create  bool
	// Unrecorded leaves the event out of the processed events: for
	// scheduled work whose every effect is idempotent by the state it
	// changes (a lot expires or activates once, an expiry is announced
	// once) and whose event id is new at each run, a record would only be
	// written and never read. Such an event is never replayed.
	Unrecorded bool

	// Connector and CustomerID are the source's id of the customer: an
	// identity of the member, unique per connector.
	Connector  string
	CustomerID string

	// Effects, when set, runs inside the transaction once fn succeeded
	// (never on a replay) with what the event decided; the messages and
	// write-backs it returns are written in the same transaction. Its
	// error fails the event like fn's.
	Effects func(AccountResult) (Effects, error)
}

// Effects are what a loyalty transaction writes beside the account: the
// messages it causes, into the outbox (as EnqueueMessages would), and the
// members to queue for write-back (as QueueSync would).
type Effects struct {
	Messages []Message
	Sync     []SyncRef
	// Journeys enter the member into journeys, and JourneyGoals end their
	// journeys; goals are written first (see Journeys).
	Journeys     []JourneyEntry
	JourneyGoals []JourneyGoal
}

// SyncRef is a member to write back to one connector.
type SyncRef struct {
	Connector string
	MemberID  string
}

// AccountResult is what one loyalty transaction decided.
type AccountResult struct {
	Member   loyalty.Member
	Outcomes []loyalty.Outcome
	// Replayed is true when the event had been processed before: nothing
	// ran and Outcomes are the ones recorded then.
	Replayed bool
	// FollowUps are transactions on other members to run now that this
	// one committed (see loyalty.FollowUp). A replayed event returns them
	// again, rebuilt from its outcomes, in case they did not run.
	FollowUps []loyalty.FollowUp
	// Merged are the ids of the members this transaction merged into
	// Member (see PlanMerge); a replay has none.
	Merged []string
}

// ErrNoMember is returned by Transact when the ref names no member and none
// may be created.
var ErrNoMember = errors.New("no such member")

// Accounts is the loyalty ledger: members' lots, orders, cap counters and
// the events already processed.
type Accounts interface {
	// Transact loads the account of the member ref names, runs fn on it and
	// writes what fn changed (entries, lots, order, counters, balances),
	// together with eventID as processed and fn's outcomes, in one
	// transaction. When fn fails nothing is written. An event processed
	// before does not run again; Transact returns its recorded outcomes with
	// Replayed set. at is the time recorded for a new member.
	Transact(ctx context.Context, tenant, eventID string, ref AccountRef, at time.Time,
		fn func(a *loyalty.Account) error) (AccountResult, error)
	// TransactMembers runs scheduled work on many members' accounts in one
	// transaction: for each op, the account of op.MemberID (a merged
	// member's id finds the member it was merged into) with its open lots
	// loaded, op.Fn run on it, and what it changed written, as Transact
	// would with AccountRef{MemberID: op.MemberID, Unrecorded: true}: the
	// events are not recorded as processed, so every effect of op.Fn must be
	// idempotent by the state it changes (a lot expires once, a date is
	// announced once, a birthday is celebrated once a year). An op whose Fn
	// fails, whose member is missing (ErrNoMember) or whose member an
	// earlier op of the call already has, writes nothing and reports its
	// error in its result; the others still commit. results[i] is ops[i]'s;
	// err is a failure of the whole call, when no result is valid.
	TransactMembers(ctx context.Context, tenant string, ops []MemberOp) (results []MemberResult, err error)
	// Lots returns a member's lots, open or not, in consumption order.
	Lots(ctx context.Context, tenant, memberID string) ([]loyalty.Lot, error)
	// DueMembers lists up to limit members of the tenant with a pending lot
	// to activate, or an active lot with points left to expire, at or
	// before due.
	DueMembers(ctx context.Context, tenant string, due time.Time, limit int) ([]string, error)
	// Expiring lists up to limit (member, expiry date) pairs of the tenant's
	// active lots with points left that expire after from and at or before
	// to and whose expiry was not announced yet, soonest first.
	Expiring(ctx context.Context, tenant string, from, to time.Time, limit int) ([]Expiring, error)
	// Qualifying sums a member's tier qualification since a time (see
	// loyalty.Account.Qualifying).
	Qualifying(ctx context.Context, tenant, memberID, basis string, since time.Time) (*big.Rat, error)
	// BirthdayMembers lists up to limit members of the tenant whose
	// birthday ("MM-DD") is one of birthdays and was last celebrated
	// before year.
	BirthdayMembers(ctx context.Context, tenant string, birthdays []string, year, limit int) ([]string, error)
	// AnniversaryMembers lists, by id after after, up to limit members of
	// the tenant who joined before joinedBefore on one of days (month ×
	// 100 + day of their joining in UTC) and whose anniversary was last
	// celebrated before year, with when they joined. The caller keeps
	// those whose anniversary falls on its local date.
	AnniversaryMembers(ctx context.Context, tenant string, days []int, joinedBefore time.Time, year int,
		after string, limit int) ([]Joined, error)
	// Badges lists a member's badges, first earned first.
	Badges(ctx context.Context, tenant, memberID string) ([]Badge, error)
	// CounterValues reads a member's counters (cap usage, challenge
	// progress) by key; a key never counted is absent.
	CounterValues(ctx context.Context, tenant, memberID string, keys []string) (map[string]int64, error)
}

// MemberOp is one member's part of TransactMembers: Fn runs on the
// member's account as event EventID.
type MemberOp struct {
	MemberID string
	EventID  string
	Fn       func(a *loyalty.Account) error
	// Effects, when set, is the op's hook, run as AccountRef.Effects is
	// once Fn succeeded: what it returns is written in the batch's
	// transaction, with the op's changes, and not at all when the op fails.
	Effects func(AccountResult) (Effects, error)
}

// MemberResult is what TransactMembers did for one op: Err, when set,
// says why nothing was written for it.
type MemberResult struct {
	AccountResult
	Err error
}

// ErrMemberTwice is the error of an op of TransactMembers whose member an
// earlier op of the same call already has.
var ErrMemberTwice = errors.New("member already in this batch")

// Badge is a badge a member earned.
type Badge struct {
	Name      string    `json:"name"`
	AwardedAt time.Time `json:"awarded_at"`
}

// Expiring is a member's points that expire at one instant.
type Expiring struct {
	MemberID  string
	ExpiresAt time.Time
}

// Leases let one replica at a time do a piece of scheduled work.
type Leases interface {
	// AcquireLease takes the lease name for holder until now + ttl, or
	// renews it when holder has it already. It returns false while another
	// holder's lease runs. Replicas' clocks are assumed to agree to well
	// within ttl.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if holder has it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Joined is a member and when they joined (AnniversaryMembers).
type Joined struct {
	ID       string
	JoinedAt time.Time
}
