package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// TransactMembers runs scheduled work on many members in one transaction;
// see store.Accounts. The members are locked, in id order, and their open
// lots read with one statement each; every op then runs as an event of a
// group does (store.RunMember over a groupTx), and the batch's writes go
// out as one pipeline: the plain ones (store.PlainWrites: points, lots,
// entries) as one statement per table, anything else as Transact writes
// it.
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
	results, err := retryDeadlocks(func() ([]store.MemberResult, error) { return transactMembers(ctx, p, tenant, ops, s.clock) })
	if err != nil {
		return nil, fmt.Errorf("loyalty batch: %w", err)
	}
	return results, nil
}

func transactMembers(ctx context.Context, p *pgxpool.Pool, tenant string, ops []store.MemberOp, clock store.Clock) ([]store.MemberResult, error) {
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

	now := clock.Now()
	var writes writeBatch
	var plain store.PlainWrites
	results := store.RunOps(ops, members, lots, func(op store.MemberOp, m member.Member, lots []*loyalty.Lot) (store.AccountResult, error) {
		// Each op runs as an event of a group: a redemption it makes is
		// written in a savepoint that its failure takes back, anything
		// else not plain joins the batch's write pipeline.
		gt := &groupTx{accountTx: accountTx{tx}, read: &groupRead{m: m, found: true}, writes: &writes, referred: map[string]int{}}
		res, err := store.RunMember(ctx, gt, tenant, op, m, lots, &plain, now)
		return gt.end(ctx, res, err)
	})
	queuePlain(&writes, tenant, &plain, now)
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

// queuePlain queues a batch's plain writes, one statement per table, and
// their effects.
func queuePlain(w *writeBatch, tenant string, p *store.PlainWrites, now time.Time) {
	queueEffects(w, tenant, p.Effects, now)
	if len(p.Members) > 0 {
		ids := make([]string, len(p.Members))
		balances := make([]int64, len(p.Members))
		pendings := make([]int64, len(p.Members))
		for i, m := range p.Members {
			ids[i], balances[i], pendings[i] = m.MemberID, m.Balance, m.Pending
		}
		w.queue("saving members", `UPDATE members AS m SET balance = u.balance, pending = u.pending, updated_at = $1
			FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS u (id, balance, pending) WHERE m.id = u.id`,
			now, ids, balances, pendings)
	}
	if n := len(p.Lots); n > 0 {
		ids, statuses := make([]string, n), make([]string, n)
		remaining, reversed := make([]int64, n), make([]int64, n)
		activates, expires := make([]*time.Time, n), make([]*time.Time, n)
		reminded := make([]bool, n)
		for i, l := range p.Lots {
			ids[i], statuses[i], remaining[i], reversed[i] = l.ID, l.Status, l.Remaining, l.Reversed
			activates[i], expires[i], reminded[i] = dbTimePtr(l.ActivatesAt), dbTimePtr(l.ExpiresAt), l.Reminded
		}
		w.queue("saving lots", `UPDATE lots AS l SET remaining = u.remaining, reversed = u.reversed, status = u.status,
				activates_at = u.activates_at, expires_at = u.expires_at, reminded = u.reminded
			FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::boolean[])
				AS u (id, remaining, reversed, status, activates_at, expires_at, reminded)
			WHERE l.id = u.id`, ids, remaining, reversed, statuses, activates, expires, reminded)
	}
	if n := len(p.Entries); n > 0 {
		text := make([][]string, 9) // member_id, event_id, rule, kind, lot_id, order_id, ref_event_id, actor, reason
		nums := make([][]int64, 4)  // points, pending_points, balance_after, pending_after
		for i := range text {
			text[i] = make([]string, n)
		}
		for i := range nums {
			nums[i] = make([]int64, n)
		}
		created := make([]time.Time, n)
		for i, e := range p.Entries {
			for j, v := range []string{e.MemberID, e.EventID, e.Rule, e.Kind, e.LotID, e.OrderID, e.RefEventID, e.Actor, e.Reason} {
				text[j][i] = v
			}
			for j, v := range []int64{e.Points, e.PendingPoints, e.BalanceAfter, e.PendingAfter} {
				nums[j][i] = v
			}
			created[i] = store.StampOr(e.At, now)
		}
		w.queue("inserting entries", `INSERT INTO ledger_entries
			(tenant, member_id, event_id, rule, kind, points, pending_points, balance_after, pending_after,
			 lot_id, order_id, ref_event_id, actor, reason, created_at)
			SELECT $1, u.member_id, u.event_id, u.rule, u.kind, u.points, u.pending_points, u.balance_after, u.pending_after,
				u.lot_id, u.order_id, u.ref_event_id, u.actor, u.reason, u.created_at
			FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
				$11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::timestamptz[]) WITH ORDINALITY
				AS u (member_id, event_id, rule, kind, lot_id, order_id, ref_event_id, actor, reason,
					points, pending_points, balance_after, pending_after, created_at, n)
			ORDER BY u.n`,
			tenant, text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7], text[8],
			nums[0], nums[1], nums[2], nums[3], created)
	}
}
