package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// TransactMembers runs scheduled work on many members in one transaction;
// see store.Accounts. The members are locked, in id order, and their open
// lots read with one statement each; every op then runs as an event of a
// group does (applyInGroup) and all their writes go out as one pipeline.
// A batch ended by a deadlock runs again.
func (s *Store) TransactMembers(ctx context.Context, tenant string, ops []store.MemberOp) ([]store.MemberResult, error) {
	if tenant == "" {
		return nil, errors.New("loyalty batch: tenant is required")
	}
	if len(ops) == 0 {
		return []store.MemberResult{}, nil
	}
	p, err := s.db()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		results, err := transactMembers(ctx, p, tenant, ops)
		var pgErr *pgconn.PgError
		if attempt < maxDeadlockAttempts && errors.As(err, &pgErr) && pgErr.Code == deadlockDetected {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("loyalty batch: %w", err)
		}
		return results, nil
	}
}

func transactMembers(ctx context.Context, p *pgxpool.Pool, tenant string, ops []store.MemberOp) ([]store.MemberResult, error) {
	tx, err := p.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	members, err := lockBatchMembers(ctx, tx, tenant, ops)
	if err != nil {
		return nil, err
	}
	open, err := queryLots(ctx, tx, `SELECT `+lotColumns+` FROM lots WHERE member_id = ANY($1)
		AND (status = 'pending' OR (status = 'active' AND remaining > 0))`, store.MemberIDsOf(members))
	if err != nil {
		return nil, err
	}
	lots := store.LotsByMember(open)

	now := store.Stamp(time.Now())
	results := make([]store.MemberResult, len(ops))
	var writes writeBatch
	referred := map[string]int{}
	taken := make(map[string]bool, len(ops))
	for i, op := range ops {
		m, err := store.TakeMember(members, taken, op.MemberID)
		if err != nil {
			results[i].Err = err
			continue
		}
		top := &txOp{ctx: ctx, tenant: tenant, eventID: op.EventID, at: now, fn: op.Fn,
			ref: store.AccountRef{MemberID: op.MemberID, Unrecorded: true}}
		r := &groupRead{op: top, m: m, found: true, openLots: lots[m.ID], preloaded: true}
		res, err := applyInGroup(ctx, tx, &writes, top, m, false, r, referred, now)
		results[i] = store.MemberResult{AccountResult: res, Err: err}
	}
	if err := writes.send(ctx, tx, "writing a batch of members"); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("committing: %w", err)
	}
	return results, nil
}

// lockBatchMembers locks the members the ops name, in id order, by the ids
// the ops use: a merged member's id maps to the member it was merged into.
func lockBatchMembers(ctx context.Context, tx pgx.Tx, tenant string, ops []store.MemberOp) (map[string]member.Member, error) {
	ids := store.OpMemberIDs(ops)
	rows, err := tx.Query(ctx, `SELECT `+memberColumns+` FROM members WHERE tenant = $1 AND id = ANY($2)
		ORDER BY id`+forUpdate, tenant, ids)
	if err != nil {
		return nil, fmt.Errorf("locking members: %w", err)
	}
	out := make(map[string]member.Member, len(ops))
	for rows.Next() {
		m, err := scanMember(rows)
		switch {
		case errors.Is(err, store.ErrNotFound): // merged: AddMerged finds it
		case err != nil:
			rows.Close()
			return nil, fmt.Errorf("locking members: %w", err)
		default:
			out[m.ID] = m
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("locking members: %w", err)
	}
	return out, store.AddMerged(out, ids, func(id string) (member.Member, error) { return lockMemberByID(ctx, tx, tenant, id) })
}
