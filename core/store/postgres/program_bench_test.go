package postgres_test

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

var programMembers = flag.Int("program.members", 100_000, "members of the tenant of BenchmarkProgram")

// BenchmarkProgram measures a program's KPIs for the last 30 days of a
// tenant of -program.members members who joined over 400 days, from 0 to
// 3 orders each (an earn entry for each), a tenth of them a redemption and
// a twentieth an expiry, beside a tenant of 1,000 members that must not
// slow it down. Seeding is not timed.
func BenchmarkProgram(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testDSN)
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tenant := "perf_" + store.NewMemberID() // a tenant of its own each run
	start := time.Now()
	for _, t := range []struct {
		name string
		n    int
	}{{tenant, *programMembers}, {tenant + "_other", 1000}} {
		for _, q := range programSeed {
			_, err := pool.Exec(ctx, q, t.name, t.n, end.AddDate(0, 0, -400), end)
			require.NoError(b, err)
		}
	}
	_, err = pool.Exec(ctx, "ANALYZE")
	require.NoError(b, err)
	b.Logf("seeded %d members in %v", *programMembers, time.Since(start).Round(time.Millisecond))

	q := store.ProgramQuery{Tenant: tenant, From: end.AddDate(0, 0, -30), To: end, Location: time.UTC}
	b.ResetTimer()
	for b.Loop() {
		k, err := s.Program(ctx, q)
		require.NoError(b, err)
		require.EqualValues(b, *programMembers, k.Members)
	}
}

// programSeed fills a tenant ($1) of $2 members who joined from $3 to $4
// with orders, earn entries, redemptions and expiries.
var programSeed = []string{
	`INSERT INTO members (id, tenant, phone, balance, created_at, updated_at, source)
	SELECT $1 || '_m' || i, $1, $1 || '+62815' || i, i % 500,
		$3::timestamptz + i * (($4::timestamptz - $3::timestamptz) / $2::int), $4,
		CASE i % 3 WHEN 0 THEN 'shop' WHEN 1 THEN 'qr' ELSE '' END
	FROM generate_series(0, $2::int - 1) i`,
	`INSERT INTO orders (tenant, id, member_id, event_id, total, created_at)
	SELECT $1, m.id || '_o' || j, m.id, m.id || '_e' || j, '100000', m.created_at + j * interval '20 days'
	FROM members m JOIN generate_series(0, 2) j ON j < substr(m.id, length($1) + 3)::int % 4
	WHERE m.tenant = $1 AND m.created_at + j * interval '20 days' < $4 AND $2::int > 0 AND $3::timestamptz IS NOT NULL`,
	`INSERT INTO ledger_entries (tenant, member_id, event_id, rule, kind, points, balance_after, order_id, created_at)
	SELECT $1, member_id, event_id, 'spend', 'earn', 100, 100, id, created_at FROM orders
	WHERE tenant = $1 AND $2::int > 0 AND $3::timestamptz IS NOT NULL AND $4::timestamptz IS NOT NULL`,
	`INSERT INTO redemptions (tenant, id, member_id, reward_id, cost, status, created_at, updated_at)
	SELECT $1, id || '_r', id, 'coffee', 50, 'confirmed', created_at + interval '1 day', created_at + interval '1 day'
	FROM members WHERE tenant = $1 AND substr(id, length($1) + 3)::int % 10 = 1
		AND $2::int > 0 AND $3::timestamptz IS NOT NULL AND $4::timestamptz IS NOT NULL`,
	`INSERT INTO ledger_entries (tenant, member_id, event_id, rule, kind, points, balance_after, created_at)
	SELECT $1, member_id, id, '', 'redeem', -50, 50, created_at FROM redemptions
	WHERE tenant = $1 AND $2::int > 0 AND $3::timestamptz IS NOT NULL AND $4::timestamptz IS NOT NULL`,
	`INSERT INTO ledger_entries (tenant, member_id, event_id, rule, kind, points, balance_after, created_at)
	SELECT $1, id, id || '_x', '', 'expire', -30, 0, created_at + interval '365 days'
	FROM members WHERE tenant = $1 AND substr(id, length($1) + 3)::int % 20 = 2
		AND created_at + interval '365 days' < $4 AND $2::int > 0 AND $3::timestamptz IS NOT NULL`,
}
