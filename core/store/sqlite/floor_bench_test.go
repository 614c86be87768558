package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// BenchmarkSaleWrites measures the least a sale costs the store: the five
// rows every awarded sale writes (the member's balance, the order, the lot,
// the ledger entry and the processed event), as plain prepared statements,
// 64 sales to a commit, on one goroutine, with no reads, no rules, no
// savepoints. It bounds what any change to the loyalty transaction can
// reach on this machine; "memory" shows the share of the file's I/O.
func BenchmarkSaleWrites(b *testing.B) {
	for _, where := range []string{"file", "memory"} {
		b.Run(where, func(b *testing.B) {
			ctx := context.Background()
			path := ":memory:"
			if where == "file" {
				path = filepath.Join(b.TempDir(), "loyalhub.db")
			}
			s := New(path)
			if err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			const tenant, members, perCommit = "bench", 1000, 64
			ids := make([]string, members)
			if err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
				for i := range ids {
					ids[i] = store.NewMemberID()
					if _, err := tx.ExecContext(ctx, `INSERT INTO members (id, tenant, phone, created_at, updated_at)
						VALUES (?, ?, ?, 0, 0)`, ids[i], tenant, fmt.Sprintf("+62813%08d", i)); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n += perCommit {
				err := s.do(ctx, func(ctx context.Context, tx *wtx) error {
					for k := n; k < min(n+perCommit, b.N); k++ {
						m, order := ids[k%members], fmt.Sprintf("B-%d", k)
						ev := loyalty.LotID(tenant, order, "event") // a hash, as event ids are
						lot := loyalty.LotID(tenant, ev, "spend")
						for _, st := range []struct {
							q    string
							args []any
						}{
							{`UPDATE members SET balance = balance + 25, updated_at = ? WHERE id = ?`, []any{k, m}},
							{`INSERT INTO orders (tenant, id, member_id, event_id, total, created_at) VALUES (?, ?, ?, ?, '257500', ?)`,
								[]any{tenant, order, m, ev, k}},
							{`INSERT INTO lots (tenant, ` + lotColumns + `) VALUES (?, ?, ?, 'spend', ?, ?, 25, 25, 0, 'active', ?, NULL, NULL, 0)`,
								[]any{tenant, lot, m, ev, order, k}},
							{`INSERT INTO ledger_entries (tenant, member_id, event_id, rule, kind, points, balance_after, lot_id, order_id, reason, created_at)
								VALUES (?, ?, ?, 'spend', 'earn', 25, 25, ?, ?, 'spend: 25 points', ?)`, []any{tenant, m, ev, lot, order, k}},
							{`INSERT INTO processed_events (tenant, event_id, member_id, outcomes, created_at) VALUES (?, ?, ?, '[]', ?)`,
								[]any{tenant, ev, m, k}},
						} {
							if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
								return err
							}
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
