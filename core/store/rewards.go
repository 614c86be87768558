package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
)

// Rewards keeps the codes of the rewards catalog and the members'
// redemptions.
//
// Redemptions are written by loyalty transactions (Accounts.Transact) from
// Changes.Redemption: a new one is inserted and counts toward its reward's
// stock; a reserved one may be confirmed or released once, and a released
// one no longer counts. Settling a redemption that is not reserved fails
// the transaction with loyalty.ErrRedemptionSettled. Inside a transaction,
// Account.Redemptions takes a pooled code (each code goes to one
// redemption, even under concurrent transactions) and reads a reward's
// redemptions while keeping other transactions from redeeming it until the
// transaction ends, so that a stock is never oversold.
type Rewards interface {
	// ImportCodes adds codes to a reward's pool. Codes are trimmed; one
	// already in the pool, or given twice, counts as a duplicate and is
	// not added again. An empty code is an error and adds nothing.
	ImportCodes(ctx context.Context, tenant, rewardID string, codes []string) (added, duplicates int, err error)
	// RewardStock returns, by reward id, how many redemptions of each of
	// the tenant's rewards count toward its stock and how many pooled codes
	// are left. Rewards never redeemed and without codes are absent.
	RewardStock(ctx context.Context, tenant string) (map[string]RewardStock, error)
	// Redemption returns one redemption, or ErrNotFound.
	Redemption(ctx context.Context, tenant, id string) (loyalty.Redemption, error)
	// ListRedemptions lists a member's redemptions, newest first; limit
	// defaults to 100 and is capped at 1000.
	ListRedemptions(ctx context.Context, tenant, memberID string, limit int) ([]loyalty.Redemption, error)
}

// RewardStock is what is used and left of one reward.
type RewardStock struct {
	Redeemed  int64 `json:"redeemed"`   // reserved or confirmed redemptions
	CodesLeft int64 `json:"codes_left"` // pooled codes not taken yet
}

// CleanCodes trims codes for ImportCodes and drops the ones given twice,
// which it counts. It fails on an empty code.
func CleanCodes(codes []string) (unique []string, repeated int, err error) {
	seen := make(map[string]bool, len(codes))
	for i, c := range codes {
		c = strings.TrimSpace(c)
		if c == "" {
			return nil, 0, fmt.Errorf("code %d is empty", i)
		}
		if seen[c] {
			repeated++
			continue
		}
		seen[c] = true
		unique = append(unique, c)
	}
	return unique, repeated, nil
}

// RedemptionStore is what settling a redemption needs of a store.
type RedemptionStore interface {
	Accounts
	Rewards
}

// ConfirmRedemption confirms reserved redemption id with the code its
// issuer gave, in a loyalty transaction under loyalty.ConfirmEventID: the
// program emits reward.redeemed. Confirming again returns the outcomes
// recorded the first time (Replayed); confirming a redemption released in
// the meantime fails with loyalty.ErrRedemptionSettled.
func ConfirmRedemption(ctx context.Context, s RedemptionStore, p *loyalty.Program, tenant, id, code string, at time.Time) (AccountResult, error) {
	return settle(ctx, s, tenant, id, loyalty.ConfirmEventID(id), at, func(a *loyalty.Account, r loyalty.Redemption) error {
		return p.Confirm(a, r, code, at)
	})
}

// ReleaseRedemption releases reserved redemption id, giving its points
// back, in a loyalty transaction under loyalty.ReleaseEventID; reason says
// why the code could not be obtained. Releasing again returns the outcomes
// recorded the first time (Replayed); releasing a confirmed redemption
// fails with loyalty.ErrRedemptionSettled.
func ReleaseRedemption(ctx context.Context, s RedemptionStore, p *loyalty.Program, tenant, id, reason string, at time.Time) (AccountResult, error) {
	return settle(ctx, s, tenant, id, loyalty.ReleaseEventID(id), at, func(a *loyalty.Account, r loyalty.Redemption) error {
		return p.Release(a, r, reason, at)
	})
}

// settle runs fn on redemption id and its member's account. The redemption
// is read before the transaction; the store's check that a settled
// redemption is reserved makes a stale read harmless.
func settle(ctx context.Context, s RedemptionStore, tenant, id, eventID string, at time.Time,
	fn func(a *loyalty.Account, r loyalty.Redemption) error) (AccountResult, error) {
	r, err := s.Redemption(ctx, tenant, id)
	if err != nil {
		return AccountResult{}, fmt.Errorf("redemption %s: %w", id, err)
	}
	res, err := s.Transact(ctx, tenant, eventID, AccountRef{MemberID: r.MemberID}, at, func(a *loyalty.Account) error {
		return fn(a, r)
	})
	if errors.Is(err, ErrNoMember) {
		return AccountResult{}, fmt.Errorf("redemption %s: member %s: %w", id, r.MemberID, ErrNotFound)
	}
	return res, err
}
