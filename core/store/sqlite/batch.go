package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// Batch reads of TransactMembers (queryLots orders the lots by id). The ids go in as one JSON array, so
// that every batch size runs the same prepared statement; the lots query
// repeats the condition of the partial index lots_member_open.
const (
	queryBatchMembers = `SELECT ` + memberColumns + ` FROM members
		WHERE tenant = ? AND id IN (SELECT value FROM json_each(?))`
	queryBatchOpenLots = `SELECT ` + lotColumns + ` FROM lots
		WHERE member_id IN (SELECT value FROM json_each(?))
			AND (status = 'pending' OR (status = 'active' AND remaining > 0))`
)

// TransactMembers runs scheduled work on many members in one transaction;
// see store.Accounts. The members and their open lots are read with one
// query each; every op then runs and writes in a savepoint of its own.
func (s *Store) TransactMembers(ctx context.Context, tenant string, ops []store.MemberOp) ([]store.MemberResult, error) {
	if tenant == "" {
		return nil, errors.New("loyalty batch: tenant is required")
	}
	results := make([]store.MemberResult, len(ops))
	if len(ops) == 0 {
		return results, nil
	}
	err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
		return transactMembers(ctx, tx, tenant, ops, results)
	})
	if err != nil {
		return nil, fmt.Errorf("loyalty batch: %w", err)
	}
	return results, nil
}

func transactMembers(ctx context.Context, tx *wtx, tenant string, ops []store.MemberOp, results []store.MemberResult) error {
	members, err := batchMembers(ctx, tx, tenant, ops)
	if err != nil {
		return err
	}
	list, err := json.Marshal(store.MemberIDsOf(members))
	if err != nil {
		return fmt.Errorf("encoding member ids: %w", err)
	}
	open, err := queryLots(ctx, tx, queryBatchOpenLots, string(list))
	if err != nil {
		return err
	}
	lots := store.LotsByMember(open)
	now := store.Stamp(time.Now())
	taken := make(map[string]bool, len(ops))
	for i, op := range ops {
		m, err := store.TakeMember(members, taken, op.MemberID)
		if err != nil {
			results[i].Err = err
			continue
		}
		var res store.AccountResult
		opErr, txErr := tx.savepoint(ctx, func(ctx context.Context, tx *wtx) error {
			var err error
			res, err = runMember(ctx, tx, tenant, op, m, lots[m.ID], now)
			return err
		})
		if txErr != nil {
			return txErr
		}
		results[i] = store.MemberResult{AccountResult: res, Err: opErr}
	}
	return nil
}

// batchMembers reads the members the ops name, by the ids the ops use: a
// merged member's id maps to the member it was merged into.
func batchMembers(ctx context.Context, tx *wtx, tenant string, ops []store.MemberOp) (map[string]member.Member, error) {
	ids := store.OpMemberIDs(ops)
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("encoding member ids: %w", err)
	}
	rows, err := tx.QueryContext(ctx, queryBatchMembers, tenant, string(list))
	if err != nil {
		return nil, fmt.Errorf("reading members: %w", err)
	}
	defer rows.Close()
	out := make(map[string]member.Member, len(ops))
	for rows.Next() {
		m, err := scanMember(rows)
		switch {
		case errors.Is(err, store.ErrNotFound): // merged: AddMerged finds it
		case err != nil:
			return nil, fmt.Errorf("reading members: %w", err)
		default:
			out[m.ID] = m
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading members: %w", err)
	}
	return out, store.AddMerged(out, ids, func(id string) (member.Member, error) { return memberByID(ctx, tx, tenant, id) })
}

// runMember runs one op of a batch on member m, whose open lots are lots,
// and writes what it changed.
func runMember(ctx context.Context, tx *wtx, tenant string, op store.MemberOp, m member.Member, lots []*loyalty.Lot,
	now time.Time) (store.AccountResult, error) {
	stored := m
	if m.Referral.Code == "" {
		var err error
		if m.Referral.Code, err = newReferralCode(ctx, tx, tenant); err != nil {
			return store.AccountResult{}, err
		}
	}
	a := newAccount(ctx, tx, tenant, m, false, nil, lots)
	a.LoadLots = nil // lots are all of its open lots
	if err := op.Fn(a); err != nil {
		return store.AccountResult{}, err
	}
	if err := a.Err(); err != nil {
		return store.AccountResult{}, err
	}
	ch := a.Changes()
	if err := writeChanges(ctx, tx, tenant, op.EventID, m, stored, false, a.NewOrder, false, ch, now); err != nil {
		return store.AccountResult{}, err
	}
	return store.AccountResult{Member: ch.Member, Outcomes: ch.Outcomes, FollowUps: ch.FollowUps}, nil
}
