package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/loyalhub/loyalhub/core/store"
)

// The queries of a program's KPIs; ?1 is the tenant, ?2 and ?3 the
// period's bounds unless said otherwise. Members merged into others are
// left out of the members' counts (their phone column starts with
// store.MergedPrefix).
const (
	// queryProgramMembers counts members by profile source: joined
	// before the end, joined in the period, and the points all of them
	// hold now. It reads the tenant's members by members_tenant_created.
	queryProgramMembers = `SELECT source, coalesce(sum(created_at < ?3), 0),
		coalesce(sum(created_at >= ?2 AND created_at < ?3), 0), coalesce(sum(balance + pending), 0)
	FROM members WHERE tenant = ?1 AND phone NOT LIKE '` + store.MergedPrefix + `%'
	GROUP BY source`

	// queryProgramActivity counts the period's active members and
	// redeemers. It reads orders by orders_tenant_created, entries by
	// ledger_entries_tenant_created and redemptions by
	// redemptions_member.
	queryProgramActivity = `WITH redeemers AS (
		SELECT DISTINCT member_id FROM redemptions
		WHERE tenant = ?1 AND created_at >= ?2 AND created_at < ?3 AND status <> 'released'
	), active AS (
		SELECT member_id FROM orders WHERE tenant = ?1 AND created_at >= ?2 AND created_at < ?3
		UNION SELECT member_id FROM ledger_entries
			WHERE tenant = ?1 AND created_at >= ?2 AND created_at < ?3 AND kind IN ('earn', 'pending')
		UNION SELECT member_id FROM redeemers
	)
	SELECT (SELECT count(*) FROM active), (SELECT count(*) FROM redeemers)`

	// queryProgramBuyers counts, of the members with an order before
	// ?3, all, those with two or more, those who ordered in the period
	// and those of them who had ordered before it: one pass over the
	// tenant's orders by orders_tenant_created, grouped by member.
	queryProgramBuyers = `SELECT count(*), coalesce(sum(n >= 2), 0), coalesce(sum(last >= ?2), 0),
		coalesce(sum(last >= ?2 AND first < ?2), 0) FROM (
		SELECT count(*) AS n, min(created_at) AS first, max(created_at) AS last FROM orders
		WHERE tenant = ?1 AND created_at < ?3 GROUP BY member_id) b`

	// queryProgramPoints sums the period's ledger entries by kind, by
	// ledger_entries_tenant_created.
	queryProgramPoints = `SELECT kind, sum(points + pending_points) FROM ledger_entries
	WHERE tenant = ?1 AND created_at >= ?2 AND created_at < ?3 AND kind IN (` + store.ProgramLedgerKinds + `)
	GROUP BY kind`
)

// queryProgramCohorts counts the members who joined in each month of
// bounds (store.CohortMonths), and how many of them ordered in each month
// since: ?2 and ?3 are the first and last bounds, and ?4 on the others,
// which a CASE compares times with to find their month. It groups the
// orders of those months by member and month first, read by
// orders_tenant_created, then finds each group's member by id (members
// who joined earlier drop out); it counts members by
// members_tenant_created.
func queryProgramCohorts(bounds int) string {
	var month strings.Builder
	month.WriteString("CASE")
	for i := 1; i < bounds-1; i++ {
		fmt.Fprintf(&month, " WHEN %%[1]s < ?%d THEN %d", i+3, i-1)
	}
	fmt.Fprintf(&month, " ELSE %d END", bounds-2)
	of := func(col string) string {
		if bounds <= 2 { // one month
			return "0"
		}
		return fmt.Sprintf(month.String(), col)
	}
	notMerged := `m.phone NOT LIKE '` + store.MergedPrefix + `%'`
	return `WITH ordered AS (
		SELECT member_id, ` + of("created_at") + ` AS month FROM orders
		WHERE tenant = ?1 AND created_at >= ?2 AND created_at < ?3 GROUP BY member_id, month
	)
	SELECT ` + of("m.created_at") + ` AS i, -1, count(*) FROM members m
	WHERE m.tenant = ?1 AND m.created_at >= ?2 AND m.created_at < ?3 AND ` + notMerged + ` GROUP BY i
	UNION ALL SELECT ` + of("m.created_at") + ` AS i, o.month, count(*) FROM ordered o JOIN members m ON m.id = o.member_id
	WHERE m.created_at >= ?2 AND m.created_at < ?3 AND ` + notMerged + ` GROUP BY i, o.month`
}

// Program reads a program's KPIs for a period; see store.Analytics.
func (s *Store) Program(ctx context.Context, q store.ProgramQuery) (store.ProgramKPIs, error) {
	var k store.ProgramKPIs
	r, err := s.reads()
	if err != nil {
		return k, err
	}
	from, to := toDB(q.From), toDB(q.To)
	if err := eachRow(ctx, r, "counting members", func(scan func(...any) error) error {
		var source string
		var members, joined, held int64
		if err := scan(&source, &members, &joined, &held); err != nil {
			return err
		}
		k.AddSource(source, members, joined)
		k.Liability += held
		return nil
	}, queryProgramMembers, q.Tenant, from, to); err != nil {
		return k, err
	}
	if err := r.QueryRowContext(ctx, queryProgramActivity, q.Tenant, from, to).Scan(
		&k.ActiveMembers, &k.Redeemers); err != nil {
		return k, fmt.Errorf("counting active members: %w", err)
	}
	if err := r.QueryRowContext(ctx, queryProgramBuyers, q.Tenant, from, to).Scan(
		&k.Buyers, &k.RepeatBuyers, &k.PeriodBuyers, &k.ReturningBuyers); err != nil {
		return k, fmt.Errorf("counting buyers: %w", err)
	}
	if err := eachRow(ctx, r, "summing points", func(scan func(...any) error) error {
		var kind string
		var points int64
		if err := scan(&kind, &points); err != nil {
			return err
		}
		k.AddPoints(kind, points)
		return nil
	}, queryProgramPoints, q.Tenant, from, to); err != nil {
		return k, err
	}
	months := store.CohortMonths(q)
	args := []any{q.Tenant, toDB(months[0]), toDB(months[len(months)-1])}
	for _, m := range months[1 : len(months)-1] {
		args = append(args, toDB(m))
	}
	var counts []store.CohortCount
	if err := eachRow(ctx, r, "counting cohorts", func(scan func(...any) error) error {
		var c store.CohortCount
		if err := scan(&c.Joined, &c.Ordered, &c.Members); err != nil {
			return err
		}
		counts = append(counts, c)
		return nil
	}, queryProgramCohorts(len(months)), args...); err != nil {
		return k, err
	}
	k.Cohorts = store.FoldCohorts(months, counts)
	return k, nil
}

// eachRow runs a query and calls fn with each row's Scan; errors are
// wrapped with what the query does.
func eachRow(ctx context.Context, r *reader, doing string, fn func(scan func(...any) error) error,
	query string, args ...any) error {
	rows, err := r.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return fmt.Errorf("%s: %w", doing, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}
