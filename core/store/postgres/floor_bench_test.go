package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// BenchmarkSaleWrites measures what the rows of a sale cost PostgreSQL
// when nothing else is done: the processed-event and member reads and the
// five rows every awarded sale writes, 64 sales to a transaction sent as
// one pipeline, from four connections. It bounds what any arrangement of
// the loyalty transaction can reach against this server.
func BenchmarkSaleWrites(b *testing.B) {
	_ = openBench(b) // migrated
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testDSN)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	tenant := "floor_" + store.NewMemberID() // a tenant of its own each run
	const members, perCommit, conns = 1000, 64, 4
	ids := make([]string, members)
	seed := &pgx.Batch{}
	for i := range ids {
		ids[i] = store.NewMemberID()
		seed.Queue(`INSERT INTO members (id, tenant, phone, created_at, updated_at) VALUES ($1, $2, $3, now(), now())`,
			ids[i], tenant, fmt.Sprintf("+62813%08d", i))
	}
	if err := pool.SendBatch(ctx, seed).Close(); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range conns {
		wg.Go(func() {
			for {
				from := int(next.Add(perCommit)) - perCommit
				if from >= b.N {
					return
				}
				batch := &pgx.Batch{}
				for k := from; k < min(from+perCommit, b.N); k++ {
					m, order := ids[k%members], fmt.Sprintf("B-%d", k)
					ev := loyalty.LotID(tenant, order, "event")
					lot := loyalty.LotID(tenant, ev, "spend")
					batch.Queue(`SELECT EXISTS (SELECT 1 FROM processed_events WHERE tenant = $1 AND event_id = $2)`, tenant, ev)
					batch.Queue(`SELECT balance FROM members WHERE id = $1`, m)
					batch.Queue(`UPDATE members SET balance = balance + 25, updated_at = now() WHERE id = $1`, m)
					batch.Queue(`INSERT INTO orders (tenant, id, member_id, event_id, total, created_at) VALUES ($1, $2, $3, $4, '257500', now())`,
						tenant, order, m, ev)
					batch.Queue(`INSERT INTO lots (tenant, id, member_id, rule, event_id, order_id, points, remaining, status, earned_at)
						VALUES ($1, $2, $3, 'spend', $4, $5, 25, 25, 'active', now())`, tenant, lot, m, ev, order)
					batch.Queue(`INSERT INTO ledger_entries (tenant, member_id, event_id, rule, kind, points, balance_after, lot_id, order_id, reason, created_at)
						VALUES ($1, $2, $3, 'spend', 'earn', 25, 25, $4, $5, 'spend: 25 points', now())`, tenant, m, ev, lot, order)
					batch.Queue(`INSERT INTO processed_events (tenant, event_id, member_id, outcomes, created_at) VALUES ($1, $2, $3, '[]', now())`,
						tenant, ev, m)
				}
				if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, batch).Close() }); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
