package sqlite_test

import (
	"context"
	"database/sql"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
)

var programMembers = flag.Int("program.members", 100_000, "members of the tenant of BenchmarkProgram")

// programEnd is where BenchmarkProgram's period ends.
var programEnd = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkProgram measures a program's KPIs for the last 30 days of a
// tenant of -program.members members who joined over 400 days, from 0 to
// 3 orders each (an earn entry for each), a tenth of them a redemption and
// a twentieth an expiry, beside a tenant of 1,000 members that must not
// slow it down. Seeding is not timed.
func BenchmarkProgram(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "loyalhub.db")
	s := sqlite.New(path)
	require.NoError(b, s.Migrate(ctx))
	require.NoError(b, s.Close())
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	require.NoError(b, err)
	start := time.Now()
	for _, tenant := range []struct {
		name string
		n    int
	}{{"perf", *programMembers}, {"other", 1000}} {
		for _, q := range programSeed {
			_, err := db.Exec(q, tenant.name, tenant.n, programEnd.AddDate(0, 0, -400).UnixMicro(), programEnd.UnixMicro())
			require.NoError(b, err)
		}
	}
	_, err = db.Exec("ANALYZE")
	require.NoError(b, err)
	require.NoError(b, db.Close())
	b.Logf("seeded %d members in %v", *programMembers, time.Since(start).Round(time.Millisecond))

	s = sqlite.New(path)
	require.NoError(b, s.Open(ctx))
	b.Cleanup(func() { _ = s.Close() })
	q := store.ProgramQuery{Tenant: "perf", From: programEnd.AddDate(0, 0, -30), To: programEnd, Location: time.UTC}
	b.ResetTimer()
	for b.Loop() {
		k, err := s.Program(ctx, q)
		require.NoError(b, err)
		require.EqualValues(b, *programMembers, k.Members)
	}
}

// programSeed fills a tenant (?1) of ?2 members who joined from ?3 to ?4
// (microseconds) with orders, earn entries, redemptions and expiries.
var programSeed = []string{
	`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?2 - 1)
	INSERT INTO members (id, tenant, phone, balance, created_at, updated_at, source)
	SELECT ?1 || '_m' || i, ?1, ?1 || '+62815' || i, i % 500, ?3 + i * ((?4 - ?3) / ?2), ?4,
		CASE i % 3 WHEN 0 THEN 'shop' WHEN 1 THEN 'qr' ELSE '' END FROM n`,
	`INSERT INTO orders (tenant, id, member_id, event_id, total, created_at)
	SELECT ?1, m.id || '_o' || j.j, m.id, m.id || '_e' || j.j, '100000', m.created_at + j.j * 20 * 86400000000
	FROM members m JOIN (SELECT 0 AS j UNION ALL SELECT 1 UNION ALL SELECT 2) j
		ON j.j < CAST(substr(m.id, length(?1) + 3) AS INTEGER) % 4
	WHERE m.tenant = ?1 AND m.created_at + j.j * 20 * 86400000000 < ?4`,
	`INSERT INTO ledger_entries (tenant, member_id, event_id, rule, kind, points, balance_after, order_id, created_at)
	SELECT ?1, member_id, event_id, 'spend', 'earn', 100, 100, id, created_at FROM orders WHERE tenant = ?1`,
	`INSERT INTO redemptions (tenant, id, member_id, reward_id, cost, status, created_at, updated_at)
	SELECT ?1, id || '_r', id, 'coffee', 50, 'confirmed', created_at + 86400000000, created_at + 86400000000
	FROM members WHERE tenant = ?1 AND CAST(substr(id, length(?1) + 3) AS INTEGER) % 10 = 1`,
	`INSERT INTO ledger_entries (tenant, member_id, event_id, rule, kind, points, balance_after, created_at)
	SELECT ?1, member_id, id, '', 'redeem', -50, 50, created_at FROM redemptions WHERE tenant = ?1`,
	`INSERT INTO ledger_entries (tenant, member_id, event_id, rule, kind, points, balance_after, created_at)
	SELECT ?1, id, id || '_x', '', 'expire', -30, 0, created_at + 365 * 86400000000
	FROM members WHERE tenant = ?1 AND CAST(substr(id, length(?1) + 3) AS INTEGER) % 20 = 2
		AND created_at + 365 * 86400000000 < ?4`,
}
