package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

func testDeadLetters(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant, other := newTenant(), newTenant()
	newDL := func(id string, created int) store.DeadLetter {
		return store.DeadLetter{
			ID: id, Tenant: tenant, Topic: "events", Handler: "loyalty", Reason: "no phone on order",
			Payload:   []byte{'{', '}', 0, 0xff},
			Metadata:  map[string]string{"connector": "shop", "delivery_id": id},
			CreatedAt: at(created),
		}
	}
	ids := []string{"dl_" + randHex(6), "dl_" + randHex(6), "dl_" + randHex(6)}
	for i, id := range ids {
		require.NoError(t, s.AddDeadLetter(ctx, newDL(id, i)))
	}
	require.NoError(t, s.AddDeadLetter(ctx, store.DeadLetter{ID: "dl_" + randHex(6), Tenant: other, Payload: []byte("x")}))

	t.Run("get", func(t *testing.T) {
		got, err := s.DeadLetter(ctx, tenant, ids[0])
		require.NoError(t, err)
		want := newDL(ids[0], 0)
		want.CreatedAt = want.CreatedAt.UTC()
		assert.Equal(t, want, got)
	})
	t.Run("adding again changes nothing", func(t *testing.T) {
		again := newDL(ids[0], 50)
		again.Reason = "another reason"
		require.NoError(t, s.AddDeadLetter(ctx, again))
		got, err := s.DeadLetter(ctx, tenant, ids[0])
		require.NoError(t, err)
		assert.Equal(t, "no phone on order", got.Reason)
		assert.True(t, at(0).Equal(got.CreatedAt))
	})
	t.Run("list", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			limit int
			want  []string
		}{
			{"newest first", 0, []string{ids[2], ids[1], ids[0]}},
			{"limit", 2, []string{ids[2], ids[1]}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				ds, err := s.ListDeadLetters(ctx, tenant, tt.limit)
				require.NoError(t, err)
				var got []string
				for _, d := range ds {
					got = append(got, d.ID)
				}
				assert.Equal(t, tt.want, got)
			})
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := s.DeadLetter(ctx, tenant, "dl_missing")
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.DeadLetter(ctx, other, ids[0])
		require.ErrorIs(t, err, store.ErrNotFound, "another tenant's dead letter")
		require.ErrorIs(t, s.MarkReplayed(ctx, tenant, "dl_missing", at(9)), store.ErrNotFound)
		require.ErrorIs(t, s.MarkReplayed(ctx, other, ids[0], at(9)), store.ErrNotFound)
	})
	t.Run("mark replayed", func(t *testing.T) {
		require.NoError(t, s.MarkReplayed(ctx, tenant, ids[1], at(60)))
		got, err := s.DeadLetter(ctx, tenant, ids[1])
		require.NoError(t, err)
		require.NotNil(t, got.ReplayedAt)
		assert.True(t, at(60).Equal(*got.ReplayedAt))
		assert.Equal(t, time.UTC, got.ReplayedAt.Location())
		untouched, err := s.DeadLetter(ctx, tenant, ids[2])
		require.NoError(t, err)
		assert.Nil(t, untouched.ReplayedAt)
	})
	t.Run("empty metadata and payload", func(t *testing.T) {
		id := "dl_" + randHex(6)
		require.NoError(t, s.AddDeadLetter(ctx, store.DeadLetter{ID: id, Tenant: tenant}))
		got, err := s.DeadLetter(ctx, tenant, id)
		require.NoError(t, err)
		assert.Empty(t, got.Payload)
		assert.Empty(t, got.Metadata)
		assert.False(t, got.CreatedAt.IsZero(), "created now")
	})
}
