package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
)

// OpMemberIDs returns the member ids ops name, in order.
func OpMemberIDs(ops []MemberOp) []string {
	ids := make([]string, len(ops))
	for i, op := range ops {
		ids[i] = op.MemberID
	}
	return ids
}

// AddMerged completes what a batch read of members found, by id: each id
// of ids it lacks is looked up with byID, which finds a merged member's id
// as the member it was merged into. An id no member has stays out.
func AddMerged(found map[string]member.Member, ids []string, byID func(id string) (member.Member, error)) error {
	for _, id := range ids {
		if _, ok := found[id]; ok {
			continue
		}
		m, err := byID(id)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return fmt.Errorf("reading member %s: %w", id, err)
		default:
			found[id] = m
		}
	}
	return nil
}

// MemberIDsOf returns the ids of the members of a batch read.
func MemberIDsOf(found map[string]member.Member) []string {
	ids := make([]string, 0, len(found))
	for _, m := range found {
		ids = append(ids, m.ID)
	}
	return ids
}

// LotsByMember groups lots by their member, keeping their order.
func LotsByMember(lots []*loyalty.Lot) map[string][]*loyalty.Lot {
	out := map[string][]*loyalty.Lot{}
	for _, l := range lots {
		out[l.MemberID] = append(out[l.MemberID], l)
	}
	return out
}

// RunOps runs a batch's ops one after another, each by run on the member
// the batch read for it (found, by the ids the ops use) with that member's
// open lots (lots, by member id). An op whose member is missing fails with
// ErrNoMember, one whose member an earlier op has with ErrMemberTwice;
// neither runs. results[i] is ops[i]'s.
func RunOps(ops []MemberOp, found map[string]member.Member, lots map[string][]*loyalty.Lot,
	run func(op MemberOp, m member.Member, lots []*loyalty.Lot) (AccountResult, error)) []MemberResult {
	results := make([]MemberResult, len(ops))
	taken := make(map[string]bool, len(ops))
	for i, op := range ops {
		m, ok := found[op.MemberID]
		switch {
		case !ok:
			results[i].Err = ErrNoMember
		case taken[m.ID]:
			results[i].Err = ErrMemberTwice
		default:
			taken[m.ID] = true
			results[i].AccountResult, results[i].Err = run(op, m, lots[m.ID])
		}
	}
	return results
}

// RunMember runs op, one op of a batch of TransactMembers, in tx as
// RunTransact runs an unrecorded transaction of op.MemberID: m is the
// member the batch read for it (TakeMember) and lots all of m's open lots,
// which stand for the account's lookups of them. Its changes join plain
// when they are plain (PlainWrites.Add); tx writes anything else.
func RunMember(ctx context.Context, tx AccountTx, tenant string, op MemberOp, m member.Member, lots []*loyalty.Lot,
	plain *PlainWrites, now time.Time) (AccountResult, error) {
	return RunTransact(ctx, batchTx{AccountTx: tx, m: m, lots: lots, plain: plain}, Transaction{
		Tenant: tenant, EventID: op.EventID, Now: now, Fn: op.Fn,
		Ref: AccountRef{MemberID: op.MemberID, Unrecorded: true, Effects: op.Effects},
	})
}

// batchTx is one op of a batch inside the batch's transaction: what the
// batch read stands for the member's lookup and its open lots, and plain
// writes wait for the batch's set statements.
type batchTx struct {
	AccountTx
	m     member.Member
	lots  []*loyalty.Lot
	plain *PlainWrites
}

// ResolveMember returns the member the batch read.
func (b batchTx) ResolveMember(context.Context, string, string, AccountRef, time.Time, time.Time) (
	member.Member, bool, []string, error) {
	return b.m, false, nil, nil
}

// OpenLots returns the open lots the batch read for the member.
func (b batchTx) OpenLots(context.Context, string) ([]*loyalty.Lot, error) {
	return b.lots, nil
}

// WriteChanges keeps plain changes, with their effects, for the batch's
// set statements and has the store write anything else.
func (b batchTx) WriteChanges(ctx context.Context, w AccountWrite) error {
	if !w.IsNew && b.plain.Add(w.Member.ID, w.Stored, b.lots, w.Changes) {
		b.plain.Effects.Messages = append(b.plain.Effects.Messages, w.Effects.Messages...)
		b.plain.Effects.Sync = append(b.plain.Effects.Sync, w.Effects.Sync...)
		b.plain.Effects.Journeys = append(b.plain.Effects.Journeys, w.Effects.Journeys...)
		b.plain.Effects.JourneyGoals = append(b.plain.Effects.JourneyGoals, w.Effects.JourneyGoals...)
		b.plain.Effects.Webhooks = append(b.plain.Effects.Webhooks, w.Effects.Webhooks...)
		return nil
	}
	return b.AccountTx.WriteChanges(ctx, w)
}

// PlainWrites gathers the changes of a batch of scheduled work that a
// store can write with one statement per table for the whole batch: the
// members' points, lots the batch had loaded, and ledger entries; and the
// effects of the ops whose changes they are (checked messages for the
// outbox, write-backs), which the store writes with them.
type PlainWrites struct {
	Members []PointsRow
	Lots    []*loyalty.Lot
	Entries []EntryRow
	Effects Effects
}

// PointsRow is a member's new points.
type PointsRow struct {
	MemberID         string
	Balance, Pending int64
}

// EntryRow is a ledger entry of a member.
type EntryRow struct {
	MemberID string
	loyalty.Entry
}

// Add takes ch's writes when they are plain: the member's points (stored
// is the member as read), changes of lots it had loaded, and ledger
// entries; nothing else. It reports false, taking nothing, otherwise: the
// store then writes ch as Transact does.
func (w *PlainWrites) Add(memberID string, stored member.Member, loaded []*loyalty.Lot, ch loyalty.Changes) bool {
	if ch.Order != nil || len(ch.Counters) > 0 || ch.Redemption != nil || len(ch.Badges) > 0 ||
		!OnlyPointsChanged(stored, ch.Member) {
		return false
	}
	for _, l := range ch.Lots {
		if !slices.ContainsFunc(loaded, func(x *loyalty.Lot) bool { return x.ID == l.ID }) {
			return false
		}
	}
	if len(ch.Lots) == 0 && len(ch.Entries) == 0 && ch.Member.Balance == stored.Balance && ch.Member.Pending == stored.Pending {
		return true // nothing changed
	}
	w.Members = append(w.Members, PointsRow{MemberID: memberID, Balance: ch.Member.Balance, Pending: ch.Member.Pending})
	w.Lots = append(w.Lots, ch.Lots...)
	for _, e := range ch.Entries {
		w.Entries = append(w.Entries, EntryRow{MemberID: memberID, Entry: e})
	}
	return true
}
