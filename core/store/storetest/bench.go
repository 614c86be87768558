package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/loyalhub/loyalhub/core/store"
)

// BenchAward measures Award from parallel goroutines, each call a new event
// for one of a few members. s must be migrated.
func BenchAward(b *testing.B, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			_, _, _, err := s.Award(ctx, store.Award{
				Tenant: tenant, EventID: fmt.Sprintf("ev_%d", n), Rule: "base",
				Phone: fmt.Sprintf("+62812000001%02d", n%10), Points: 10,
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchClaimAndMarkSent measures claiming a new message and recording its
// acceptance, from parallel goroutines. s must be migrated.
func BenchClaimAndMarkSent(b *testing.B, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("msg_%s_%d", tenant, seq.Add(1))
			m := newMessage(tenant, key, 0, 0)
			if _, claimed, err := s.ClaimMessage(ctx, m); err != nil || !claimed {
				b.Errorf("claiming: claimed=%v err=%v", claimed, err)
				return
			}
			if err := s.MarkSent(ctx, key, "wamid."+key, at(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
