package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
)

// AccountTx is the inside of one loyalty transaction, as a store runs it:
// RunTransact decides what happens, an AccountTx reads and writes. Its
// reads see the transaction's own writes. One goroutine uses it, for the
// length of one transaction; errors end the transaction, which the store
// then rolls back.
type AccountTx interface {
	AccountReader
	// ClaimEvent begins the record of eventID as processed, or returns
	// what was recorded when the event was processed before (done is nil
	// otherwise). A store may take a lock here that keeps a concurrent
	// transaction of the same event waiting until this one ends; now
	// stamps a record it begins.
	ClaimEvent(ctx context.Context, tenant, eventID string, now time.Time) (done *ProcessedEvent, err error)
	// Member returns a member by id, or by the id of a member merged into
	// it.
	Member(ctx context.Context, tenant, id string) (member.Member, error)
	// ResolveMember finds the member ref names (see AccountRef), merging
	// the members its identities find into one and attaching the
	// identities nobody has, or makes a new one (isNew) when ref may
	// create one; ErrNotFound otherwise. now stamps the writes.
	ResolveMember(ctx context.Context, tenant, eventID string, ref AccountRef, at, now time.Time) (
		m member.Member, isNew bool, merged []string, err error)
	// NewReferralCode draws a referral code no member of the tenant has.
	NewReferralCode(ctx context.Context, tenant string) (string, error)
	// Order returns a stored order, nil when there is none.
	Order(ctx context.Context, tenant, orderID string) (*loyalty.Order, error)
	// OrderLots returns the lots of a member made by an order, by id.
	OrderLots(ctx context.Context, tenant, orderID, memberID string) ([]*loyalty.Lot, error)
	// WriteChanges writes what the transaction changed. A store may hold
	// writes back until it commits, but a write that fails must fail the
	// transaction.
	WriteChanges(ctx context.Context, w AccountWrite) error
}

// AccountReader is what the loyalty program reads of an account while it
// runs, in the transaction (see loyalty.Account for each).
type AccountReader interface {
	// OpenLots returns a member's lots that are pending, or active with
	// points left, by id.
	OpenLots(ctx context.Context, memberID string) ([]*loyalty.Lot, error)
	Counters(ctx context.Context, tenant, memberID string, keys []string) (map[string]int64, error)
	Qualifying(ctx context.Context, tenant, memberID, basis string, since time.Time) (*big.Rat, error)
	TakeCode(ctx context.Context, tenant, rewardID, redemptionID string) (string, error)
	Redeemed(ctx context.Context, tenant, rewardID string) (int64, error)
	CodeUsed(ctx context.Context, tenant, rewardID, code string) (bool, error)
	Referrer(ctx context.Context, tenant, code string) (id, phone string, found bool, err error)
	ReferralsSince(ctx context.Context, tenant, referrerID string, since time.Time) (int, error)
}

// ProcessedEvent is what a processed event recorded: the member it ran on
// and its outcomes, as JSON.
type ProcessedEvent struct {
	MemberID string
	Outcomes []byte
}

// AccountWrite is what one loyalty transaction writes.
type AccountWrite struct {
	Tenant  string
	EventID string
	// Member is the member the program ran on; Stored the member as it
	// was read (Member without what the ref filled in).
	Member member.Member
	Stored member.Member
	// IsNew is true for a member this transaction created; NewOrder for
	// an order it created.
	IsNew    bool
	NewOrder bool
	// Record keeps the event as processed, with its outcomes.
	Record  bool
	Changes loyalty.Changes
	// Effects are what the ref's hook decided to write beside the account
	// (see AccountRef.Effects): messages into the outbox, as queued, and
	// members to queue for write-back. Their messages were checked.
	Effects Effects
	Now     time.Time
}

// ProfileChanged reports whether the member's profile is to be written:
// a new member's that says something, or one the ref changed.
func (w AccountWrite) ProfileChanged() bool {
	if w.IsNew {
		return !w.Member.Profile.IsZero()
	}
	return !w.Member.Profile.Equal(w.Stored.Profile)
}

// Outcomes is the record of the changes' outcomes: a JSON array, empty
// when there are none.
func (w AccountWrite) Outcomes() ([]byte, error) {
	if w.Changes.Outcomes == nil {
		return []byte("[]"), nil
	}
	b, err := json.Marshal(w.Changes.Outcomes)
	if err != nil {
		return nil, fmt.Errorf("encoding outcomes: %w", err)
	}
	return b, nil
}

// Transaction is one call of Accounts.Transact.
type Transaction struct {
	Tenant  string
	EventID string
	Ref     AccountRef
	At      time.Time // recorded for a new member
	Now     time.Time // stamps the writes
	Fn      func(a *loyalty.Account) error
}

// ErrTransactionArgs is returned for a transaction without a tenant or an
// event id.
var ErrTransactionArgs = errors.New("loyalty transaction: tenant and event id are required")

// Check returns ErrTransactionArgs when t lacks its tenant or event id.
func (t Transaction) Check() error {
	if t.Tenant == "" || t.EventID == "" {
		return ErrTransactionArgs
	}
	return nil
}

// RunTransact runs one loyalty transaction in tx (see Accounts.Transact):
// a processed event replays; otherwise the member is resolved, its account
// loaded, t.Fn run on it, and what it changed written. Errors of t.Fn are
// returned unchanged, and ErrNoMember when the ref names nobody who may be
// created.
func RunTransact(ctx context.Context, tx AccountTx, t Transaction) (AccountResult, error) {
	if !t.Ref.Unrecorded {
		done, err := tx.ClaimEvent(ctx, t.Tenant, t.EventID, t.Now)
		if err != nil {
			return AccountResult{}, fmt.Errorf("claiming event %s: %w", t.EventID, err)
		}
		if done != nil {
			return replay(ctx, tx, t.Tenant, t.EventID, *done)
		}
	}

	m, isNew, merged, err := tx.ResolveMember(ctx, t.Tenant, t.EventID, t.Ref, t.At, t.Now)
	if errors.Is(err, ErrNotFound) {
		return AccountResult{}, ErrNoMember
	}
	if err != nil {
		return AccountResult{}, fmt.Errorf("looking up the member: %w", err)
	}
	stored := m
	fillMember(&m, t.Ref)
	if m.Referral.Code == "" {
		// Members created before referrals get their code at their next
		// event.
		if m.Referral.Code, err = tx.NewReferralCode(ctx, t.Tenant); err != nil {
			return AccountResult{}, err
		}
	}

	// The order is read once the member is: a merge has moved its orders,
	// and a store that locks the member reads the order current.
	var order *loyalty.Order
	var lots []*loyalty.Lot
	if t.Ref.OrderID != "" {
		if order, err = tx.Order(ctx, t.Tenant, t.Ref.OrderID); err != nil {
			return AccountResult{}, fmt.Errorf("looking up order %s: %w", t.Ref.OrderID, err)
		}
	}
	if order != nil {
		if lots, err = tx.OrderLots(ctx, t.Tenant, order.ID, m.ID); err != nil {
			return AccountResult{}, err
		}
	}

	a := newAccount(ctx, tx, t.Tenant, m, isNew, order, lots)
	if err := t.Fn(a); err != nil {
		return AccountResult{}, err
	}
	if err := a.Err(); err != nil {
		return AccountResult{}, err
	}
	ch := a.Changes()
	res := AccountResult{Member: ch.Member, Outcomes: ch.Outcomes, FollowUps: ch.FollowUps, Merged: merged}
	// What else the transaction writes on the event's behalf is decided
	// here, after the program and before its changes are written, and is
	// written with them.
	e, err := effectsOf(t.Ref, res)
	if err != nil {
		return AccountResult{}, err
	}
	if err := tx.WriteChanges(ctx, AccountWrite{
		Tenant: t.Tenant, EventID: t.EventID, Member: m, Stored: stored, IsNew: isNew, NewOrder: a.NewOrder,
		Record: !t.Ref.Unrecorded, Changes: ch, Effects: e, Now: t.Now,
	}); err != nil {
		return AccountResult{}, err
	}
	return res, nil
}

// effectsOf runs the effects hook of ref, if any, on what the event decided,
// and checks the messages it returns.
func effectsOf(ref AccountRef, res AccountResult) (Effects, error) {
	if ref.Effects == nil {
		return Effects{}, nil
	}
	e, err := ref.Effects(res)
	if err != nil {
		return Effects{}, err
	}
	if err := CheckQueued(e.Messages); err != nil {
		return Effects{}, err
	}
	return e, nil
}

// replay returns what a processed event recorded.
func replay(ctx context.Context, tx AccountTx, tenant, eventID string, done ProcessedEvent) (AccountResult, error) {
	m, err := tx.Member(ctx, tenant, done.MemberID)
	if err != nil {
		return AccountResult{}, fmt.Errorf("reading the member of processed event %s: %w", eventID, err)
	}
	res := AccountResult{Member: LoyaltyMember(m), Replayed: true}
	if err := json.Unmarshal(done.Outcomes, &res.Outcomes); err != nil {
		return AccountResult{}, fmt.Errorf("decoding the outcomes of processed event %s: %w", eventID, err)
	}
	res.FollowUps = loyalty.FollowUpsOf(tenant, m.ID, res.Outcomes)
	return res, nil
}

// fillMember fills a member's empty name, email and birthday from ref and
// merges the ref's profile into the member's.
func fillMember(m *member.Member, ref AccountRef) {
	if !ref.Profile.IsZero() {
		m.Profile = member.MergeProfile(m.Profile, ref.Profile)
	}
	if m.Name == "" {
		m.Name = ref.Name
	}
	if m.Email == "" {
		m.Email = ref.Email
	}
	if m.Birthday == "" {
		m.Birthday = ref.Birthday
	}
}

// newAccount is the account of member m, its store abilities reading
// through r.
func newAccount(ctx context.Context, r AccountReader, tenant string, m member.Member, isNew bool,
	order *loyalty.Order, lots []*loyalty.Lot) *loyalty.Account {
	return &loyalty.Account{
		Member: LoyaltyMember(m), New: isNew, Lots: lots, Order: order,
		LoadLots: func() ([]*loyalty.Lot, error) { return r.OpenLots(ctx, m.ID) },
		Counters: func(keys []string) (map[string]int64, error) {
			return r.Counters(ctx, tenant, m.ID, keys)
		},
		Qualifying: func(basis string, since time.Time) (*big.Rat, error) {
			return r.Qualifying(ctx, tenant, m.ID, basis, since)
		},
		Redemptions: loyalty.Redemptions{
			TakeCode: func(rewardID, redemptionID string) (string, error) {
				return r.TakeCode(ctx, tenant, rewardID, redemptionID)
			},
			Redeemed: func(rewardID string) (int64, error) { return r.Redeemed(ctx, tenant, rewardID) },
			CodeUsed: func(rewardID, code string) (bool, error) { return r.CodeUsed(ctx, tenant, rewardID, code) },
		},
		Referrer: func(code string) (string, string, bool, error) { return r.Referrer(ctx, tenant, code) },
		ReferralsThisMonth: func(referrerID string, since time.Time) (int, error) {
			return r.ReferralsSince(ctx, tenant, referrerID, since)
		},
	}
}

// MemberResolver is what ResolveMember needs of a store inside a loyalty
// transaction. A store that locks rows locks each member it returns until
// the transaction ends.
type MemberResolver interface {
	// LockCandidates prepares the lookups of a ref that names its member
	// by a customer id or an email, and so may merge members: a store
	// that locks them locks them here, in an order every transaction
	// keeps. It may do nothing.
	LockCandidates(ctx context.Context, tenant string, ref AccountRef) error
	// MemberByID returns a member by id, or by the id of a member merged
	// into it; ErrNotFound when there is none.
	MemberByID(ctx context.Context, tenant, id string) (member.Member, error)
	// MemberByIdentity returns the member an identity finds; ErrNotFound
	// when none does.
	MemberByIdentity(ctx context.Context, tenant string, id member.Identity) (member.Member, error)
	// OrderMember returns the member of a stored order; ErrNotFound when
	// the order is not stored.
	OrderMember(ctx context.Context, tenant, orderID string) (member.Member, error)
	// CreateMember makes a new member for ref, holding first, the first of
	// the ref's identities nobody has. created is false when a concurrent
	// transaction made the member first and m is that one.
	CreateMember(ctx context.Context, tenant string, ref AccountRef, first member.Identity, at, now time.Time) (
		m member.Member, created bool, err error)
	// MergeMember absorbs member x into member s (see PlanMerge and
	// loyalty.Merge) and returns s as merged.
	MergeMember(ctx context.Context, tenant, eventID string, s, x member.Member, at, now time.Time) (member.Member, error)
	// AttachIdentity gives a member a customer id or an email.
	AttachIdentity(ctx context.Context, tenant string, id member.Identity, memberID string, now time.Time) error
	// SetPhone gives a member without a phone one.
	SetPhone(ctx context.Context, memberID, phone string, now time.Time) error
}

// ResolveMember finds the member ref names (see AccountRef), merging the
// members its identities find into one and attaching the identities nobody
// has, or makes a new member (isNew) when ref may create one; ErrNotFound
// otherwise.
func ResolveMember(ctx context.Context, r MemberResolver, tenant, eventID string, ref AccountRef, at, now time.Time) (
	m member.Member, isNew bool, merged []string, err error) {
	if ref.HasIdentities() {
		if err := r.LockCandidates(ctx, tenant, ref); err != nil {
			return member.Member{}, false, nil, err
		}
	}
	found, unheld, err := FindMembers(ref,
		func(id string) (member.Member, error) { return r.MemberByID(ctx, tenant, id) },
		func(id member.Identity) (member.Member, error) { return r.MemberByIdentity(ctx, tenant, id) })
	if err != nil {
		return member.Member{}, false, nil, err
	}
	if len(found) == 0 && len(ref.Identities()) == 0 && ref.OrderID != "" {
		m, err := r.OrderMember(ctx, tenant, ref.OrderID)
		return m, false, nil, err
	}
	if len(found) == 0 {
		if !ref.Create || len(unheld) == 0 {
			return member.Member{}, false, nil, ErrNotFound
		}
		if m, isNew, err = r.CreateMember(ctx, tenant, ref, unheld[0], at, now); err != nil {
			return member.Member{}, false, nil, err
		}
		unheld = unheld[1:]
	} else {
		var absorbed []member.Member
		m, absorbed, _ = PlanMerge(found)
		for _, x := range absorbed {
			if m, err = r.MergeMember(ctx, tenant, eventID, m, x, at, now); err != nil {
				return member.Member{}, false, nil, err
			}
			merged = append(merged, x.ID)
		}
	}
	for _, id := range unheld {
		switch {
		case id.Kind != member.IdentityPhone:
			if err := r.AttachIdentity(ctx, tenant, id, m.ID, now); err != nil {
				return member.Member{}, false, nil, fmt.Errorf("saving the member's %s: %w", id.Kind, err)
			}
		case m.Phone == "":
			// In a store that runs transactions at once, a concurrent one
			// that gave the number to another member makes this fail, and
			// the event is retried.
			m.Phone = id.Value
			if err := r.SetPhone(ctx, m.ID, m.Phone, now); err != nil {
				return member.Member{}, false, nil, fmt.Errorf("saving the member's phone: %w", err)
			}
		}
	}
	return m, isNew, merged, nil
}
