package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

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

	// queryProgramActivity counts the period's active members, buyers,
	// returning buyers and redeemers. It reads the period's orders by
	// orders_tenant_created, earlier ones by orders_member, entries by
	// ledger_entries_tenant_created and redemptions by
	// redemptions_member.
	queryProgramActivity = `WITH buyers AS (
		SELECT member_id FROM orders WHERE tenant = ?1 AND created_at >= ?2 AND created_at < ?3 GROUP BY member_id
	), redeemers AS (
		SELECT DISTINCT member_id FROM redemptions
		WHERE tenant = ?1 AND created_at >= ?2 AND created_at < ?3 AND status <> 'released'
	), active AS (
		SELECT member_id FROM buyers
		UNION SELECT member_id FROM ledger_entries
			WHERE tenant = ?1 AND created_at >= ?2 AND created_at < ?3 AND kind IN ('earn', 'pending')
		UNION SELECT member_id FROM redeemers
	)
	SELECT (SELECT count(*) FROM active), (SELECT count(*) FROM buyers),
		(SELECT count(*) FROM buyers b WHERE EXISTS (SELECT 1 FROM orders o
			WHERE o.member_id = b.member_id AND o.created_at < ?2 AND o.tenant = ?1)),
		(SELECT count(*) FROM redeemers)`

	// queryProgramBuyers counts the members with an order before ?2, and
	// those with two or more, by orders_tenant_created.
	queryProgramBuyers = `SELECT count(*), coalesce(sum(n >= 2), 0) FROM (
		SELECT count(*) AS n FROM orders WHERE tenant = ?1 AND created_at < ?2 GROUP BY member_id)`

	// queryProgramPoints sums the period's ledger entries by kind, by
	// ledger_entries_tenant_created.
	queryProgramPoints = `SELECT kind, sum(points + pending_points) FROM ledger_entries
	WHERE tenant = ?1 AND created_at >= ?2 AND created_at < ?3 AND kind IN (` + store.ProgramLedgerKinds + `)
	GROUP BY kind`

	// queryProgramCohorts counts the members who joined in each month of
	// ?2 (a JSON array of the months' bounds, store.CohortMonths), and
	// how many of them ordered in each month since; ?3 and ?4 are the
	// first and last bounds. It reads members by members_tenant_created
	// and their orders by orders_member.
	queryProgramCohorts = `WITH months AS (
		SELECT a.key AS i, a.value AS start, b.value AS end FROM json_each(?2) a JOIN json_each(?2) b ON b.key = a.key + 1
	), cohort AS (
		SELECT m.id, mo.i FROM members m JOIN months mo ON m.created_at >= mo.start AND m.created_at < mo.end
		WHERE m.tenant = ?1 AND m.created_at >= ?3 AND m.created_at < ?4
			AND m.phone NOT LIKE '` + store.MergedPrefix + `%'
	), ordered AS (
		SELECT DISTINCT c.i AS joined, mo.i AS month, c.id FROM cohort c
		JOIN orders o ON o.member_id = c.id AND o.created_at >= ?3 AND o.created_at < ?4 AND o.tenant = ?1
		JOIN months mo ON o.created_at >= mo.start AND o.created_at < mo.end
	)
	SELECT i, -1, count(*) FROM cohort GROUP BY i
	UNION ALL SELECT joined, month, count(*) FROM ordered GROUP BY joined, month`
)

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
		&k.ActiveMembers, &k.PeriodBuyers, &k.ReturningBuyers, &k.Redeemers); err != nil {
		return k, fmt.Errorf("counting active members: %w", err)
	}
	if err := r.QueryRowContext(ctx, queryProgramBuyers, q.Tenant, to).Scan(&k.Buyers, &k.RepeatBuyers); err != nil {
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
	bounds := make([]int64, len(months))
	for i, m := range months {
		bounds[i] = toDB(m)
	}
	js, _ := json.Marshal(bounds)
	var counts []store.CohortCount
	if err := eachRow(ctx, r, "counting cohorts", func(scan func(...any) error) error {
		var c store.CohortCount
		if err := scan(&c.Joined, &c.Ordered, &c.Members); err != nil {
			return err
		}
		counts = append(counts, c)
		return nil
	}, queryProgramCohorts, q.Tenant, string(js), bounds[0], bounds[len(bounds)-1]); err != nil {
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
