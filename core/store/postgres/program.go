package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/loyalhub/loyalhub/core/store"
)

// The queries of a program's KPIs; $1 is the tenant, $2 and $3 the
// period's bounds unless said otherwise. Members merged into others are
// left out of the members' counts (their phone column starts with
// store.MergedPrefix).
const (
	// queryProgramMembers counts members by profile source: joined
	// before the end, joined in the period, and the points all of them
	// hold now. It reads the tenant's members by members_tenant_created.
	queryProgramMembers = `SELECT source, count(*) FILTER (WHERE created_at < $3),
		count(*) FILTER (WHERE created_at >= $2 AND created_at < $3), coalesce(sum(balance + pending), 0)::bigint
	FROM members WHERE tenant = $1 AND NOT starts_with(phone, '` + store.MergedPrefix + `')
	GROUP BY source`

	// queryProgramActivity counts the period's active members and
	// redeemers. It reads orders by orders_tenant_created, entries by
	// ledger_entries_tenant_created and redemptions by
	// redemptions_member.
	queryProgramActivity = `WITH redeemers AS (
		SELECT DISTINCT member_id FROM redemptions
		WHERE tenant = $1 AND created_at >= $2 AND created_at < $3 AND status <> 'released'
	), active AS (
		SELECT member_id FROM orders WHERE tenant = $1 AND created_at >= $2 AND created_at < $3
		UNION SELECT member_id FROM ledger_entries
			WHERE tenant = $1 AND created_at >= $2 AND created_at < $3 AND kind IN ('earn', 'pending')
		UNION SELECT member_id FROM redeemers
	)
	SELECT (SELECT count(*) FROM active), (SELECT count(*) FROM redeemers)`

	// queryProgramBuyers counts, of the members with an order before
	// $3, all, those with two or more, those who ordered in the period
	// and those of them who had ordered before it: one pass over the
	// tenant's orders by orders_tenant_created, grouped by member.
	queryProgramBuyers = `SELECT count(*), count(*) FILTER (WHERE n >= 2), count(*) FILTER (WHERE last >= $2),
		count(*) FILTER (WHERE last >= $2 AND first < $2) FROM (
		SELECT count(*) AS n, min(created_at) AS first, max(created_at) AS last FROM orders
		WHERE tenant = $1 AND created_at < $3 GROUP BY member_id) b`

	// queryProgramPoints sums the period's ledger entries by kind, by
	// ledger_entries_tenant_created.
	queryProgramPoints = `SELECT kind, sum(points + pending_points)::bigint FROM ledger_entries
	WHERE tenant = $1 AND created_at >= $2 AND created_at < $3 AND kind IN (` + store.ProgramLedgerKinds + `)
	GROUP BY kind`

	// queryProgramCohorts counts the members who joined in each month of
	// $2 (the months' bounds, store.CohortMonths), and how many of them
	// ordered in each month since; $3 and $4 are the first and last
	// bounds. A time's month is its width_bucket among the bounds, less
	// one. It reads members by members_tenant_created and their orders by
	// orders_member.
	queryProgramCohorts = `WITH cohort AS (
		SELECT m.id, width_bucket(m.created_at, $2::timestamptz[]) - 1 AS i FROM members m
		WHERE m.tenant = $1 AND m.created_at >= $3 AND m.created_at < $4
			AND NOT starts_with(m.phone, '` + store.MergedPrefix + `')
	)
	SELECT i, -1, count(*) FROM cohort GROUP BY i
	UNION ALL SELECT i, month, count(*) FROM (
		SELECT DISTINCT c.i, width_bucket(o.created_at, $2::timestamptz[]) - 1 AS month, c.id
		FROM cohort c JOIN orders o ON o.member_id = c.id AND o.created_at >= $3 AND o.created_at < $4 AND o.tenant = $1
	) ordered GROUP BY i, month`
)

// Program reads a program's KPIs for a period; see store.Analytics.
func (s *Store) Program(ctx context.Context, q store.ProgramQuery) (store.ProgramKPIs, error) {
	var k store.ProgramKPIs
	p, err := s.db()
	if err != nil {
		return k, err
	}
	rows, _ := p.Query(ctx, queryProgramMembers, q.Tenant, q.From, q.To)
	var source string
	var members, joined, held int64
	if _, err := pgx.ForEachRow(rows, []any{&source, &members, &joined, &held}, func() error {
		k.AddSource(source, members, joined)
		k.Liability += held
		return nil
	}); err != nil {
		return k, fmt.Errorf("counting members: %w", err)
	}
	if err := p.QueryRow(ctx, queryProgramActivity, q.Tenant, q.From, q.To).Scan(
		&k.ActiveMembers, &k.Redeemers); err != nil {
		return k, fmt.Errorf("counting active members: %w", err)
	}
	if err := p.QueryRow(ctx, queryProgramBuyers, q.Tenant, q.From, q.To).Scan(
		&k.Buyers, &k.RepeatBuyers, &k.PeriodBuyers, &k.ReturningBuyers); err != nil {
		return k, fmt.Errorf("counting buyers: %w", err)
	}
	rows, _ = p.Query(ctx, queryProgramPoints, q.Tenant, q.From, q.To)
	var kind string
	var points int64
	if _, err := pgx.ForEachRow(rows, []any{&kind, &points}, func() error {
		k.AddPoints(kind, points)
		return nil
	}); err != nil {
		return k, fmt.Errorf("summing points: %w", err)
	}
	months := store.CohortMonths(q)
	rows, _ = p.Query(ctx, queryProgramCohorts, q.Tenant, months, months[0], months[len(months)-1])
	counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.CohortCount, error) {
		var c store.CohortCount
		err := r.Scan(&c.Joined, &c.Ordered, &c.Members)
		return c, err
	})
	if err != nil {
		return k, fmt.Errorf("counting cohorts: %w", err)
	}
	k.Cohorts = store.FoldCohorts(months, counts)
	return k, nil
}
