package loyalty

import (
	"errors"
	"time"
)

// EntryMerge records that another member's account was merged into this
// one. Its points are 0: the merged member's entries move with their
// points, so the ledger still adds up to the balance.
const EntryMerge = "merge"

// ErrMergeOverflow is returned when two accounts' points together do not
// fit a balance.
var ErrMergeOverflow = errors.New("merged points overflow")

// Merge folds the account of absorbed into survivor and returns the
// merged member, the lots whose points changed and the merge entry.
// lots are the open lots of both members (pending, or active with points
// left), their owner already changed to the survivor by the store.
//
// Balances and pending points add up. Active points pay off a debt (a
// negative balance the program allowed) of either, first to expire first,
// as a new lot would. The survivor keeps its own name, email, birthday,
// tier and referral code; each that is empty takes the absorbed member's
// (a referrer that is the survivor itself is dropped). The member's start
// is the earlier of the two.
func Merge(survivor, absorbed Member, lots []*Lot, eventID string, at time.Time) (Member, []*Lot, Entry, error) {
	m := survivor
	balance, ok1 := addInt64(m.Balance, absorbed.Balance)
	pending, ok2 := addInt64(m.Pending, absorbed.Pending)
	if !ok1 || !ok2 {
		return Member{}, nil, Entry{}, ErrMergeOverflow
	}
	m.Balance, m.Pending = balance, pending
	if m.Name == "" {
		m.Name = absorbed.Name
	}
	if m.Email == "" {
		m.Email = absorbed.Email
	}
	if m.Birthday == "" {
		m.Birthday, m.BirthdayYear = absorbed.Birthday, absorbed.BirthdayYear
	}
	// The membership takes the older start (below); its anniversary is
	// celebrated at most once a year whichever date it had.
	m.AnniversaryYear = max(m.AnniversaryYear, absorbed.AnniversaryYear)
	if m.Tier.Name == "" {
		m.Tier = absorbed.Tier
	}
	if m.Referral.ReferredBy == "" && absorbed.Referral.ReferredBy != m.ID {
		code := m.Referral.Code
		m.Referral = absorbed.Referral
		m.Referral.Code = code
	}
	if m.Referral.Code == "" {
		m.Referral.Code = absorbed.Referral.Code
	}
	if absorbed.CreatedAt.Before(m.CreatedAt) {
		m.CreatedAt = absorbed.CreatedAt
	}

	a := &Account{Member: m, Lots: lots}
	var active int64
	for _, l := range lots {
		if l.Status == LotActive {
			active += l.Remaining
		}
	}
	if debt := active - max(m.Balance, 0); debt > 0 {
		a.consume(debt)
	}
	changed := a.Changes().Lots
	e := Entry{
		Kind: EntryMerge, BalanceAfter: m.Balance, PendingAfter: m.Pending,
		EventID: eventID, Rule: absorbed.ID, Reason: "merged member " + absorbed.ID, At: at,
	}
	return m, changed, e, nil
}
