package store

import (
	"errors"
	"fmt"
	"slices"

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

// TakeMember returns the member a batch op on id runs on, from what the
// batch read found: ErrNoMember when there is none, ErrMemberTwice when an
// earlier op took it. taken records the members taken.
func TakeMember(found map[string]member.Member, taken map[string]bool, id string) (member.Member, error) {
	m, ok := found[id]
	switch {
	case !ok:
		return member.Member{}, ErrNoMember
	case taken[m.ID]:
		return member.Member{}, ErrMemberTwice
	}
	taken[m.ID] = true
	return m, nil
}

// PlainWrites gathers the changes of a batch of scheduled work that a
// store can write with one statement per table for the whole batch: the
// members' points, lots the batch had loaded, and ledger entries.
type PlainWrites struct {
	Members []PointsRow
	Lots    []*loyalty.Lot
	Entries []EntryRow
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
