package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

func testSurveyInvitations(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant, phone := newTenant(), "+62817"+randDigits(7)
	inv := store.SurveyInvitation{ID: "svy_" + randHex(8), SurveySubject: store.SurveySubject{Tenant: tenant, Survey: "after_order",
		Kind: "nps", MemberID: "m1", Phone: phone, OrderID: "o1", StoreID: "jkt"}, EventID: "ev1", Lang: "id", DueAt: at(7200), CreatedAt: at(0)}
	require.NoError(t, s.AddSurveyInvitation(ctx, inv))
	again := inv
	again.Survey, again.DueAt = "changed", at(1)
	require.NoError(t, s.AddSurveyInvitation(ctx, again), "adding the same id again is harmless")

	got, err := s.SurveyInvitation(ctx, tenant, inv.ID)
	require.NoError(t, err)
	assert.True(t, inv.DueAt.Equal(got.DueAt) && inv.CreatedAt.Equal(got.CreatedAt), "times: %v %v", got.DueAt, got.CreatedAt)
	want := inv
	want.DueAt, want.CreatedAt = got.DueAt, got.CreatedAt
	assert.Equal(t, want, got, "kept as first added")
	assert.Equal(t, time.UTC, got.DueAt.Location())

	_, err = s.SurveyInvitation(ctx, newTenant(), inv.ID)
	assert.True(t, errors.Is(err, store.ErrNotFound), "tenants are apart: %v", err)

	t.Run("latest due", func(t *testing.T) {
		_, err := s.LatestSurveyInvitation(ctx, tenant, phone, at(0), at(3600))
		assert.True(t, errors.Is(err, store.ErrNotFound), "not due yet: %v", err)
		later := inv
		later.ID, later.Survey, later.DueAt = "svy_"+randHex(8), "support", at(9000)
		require.NoError(t, s.AddSurveyInvitation(ctx, later))
		got, err := s.LatestSurveyInvitation(ctx, tenant, phone, at(0), at(8000))
		require.NoError(t, err)
		assert.Equal(t, inv.ID, got.ID, "only the one due")
		got, err = s.LatestSurveyInvitation(ctx, tenant, phone, at(0), at(10000))
		require.NoError(t, err)
		assert.Equal(t, later.ID, got.ID, "the latest due")
		_, err = s.LatestSurveyInvitation(ctx, tenant, phone, at(9500), at(10000))
		assert.True(t, errors.Is(err, store.ErrNotFound), "older than since: %v", err)
		_, err = s.LatestSurveyInvitation(ctx, tenant, "+62817"+randDigits(7), at(0), at(10000))
		assert.True(t, errors.Is(err, store.ErrNotFound), "another phone: %v", err)
	})
}

func testSurveyResponses(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant, phone := newTenant(), "+39347"+randDigits(7)
	inv := store.SurveyInvitation{ID: "svy_" + randHex(8), SurveySubject: store.SurveySubject{Tenant: tenant, Survey: "after_order",
		Kind: "nps", MemberID: "m1", Phone: phone, OrderID: "o1", StoreID: "milano"}, DueAt: at(0)}
	require.NoError(t, s.AddSurveyInvitation(ctx, inv))
	r := store.SurveyResponse{Invitation: inv.ID, SurveySubject: inv.SurveySubject, Score: 4, FollowUp: true, AnsweredAt: at(60)}

	set, err := s.SetSurveyComment(ctx, tenant, inv.ID, "early", at(61))
	require.NoError(t, err)
	assert.False(t, set, "no response, no comment")

	created, err := s.RecordSurveyResponse(ctx, r)
	require.NoError(t, err)
	assert.True(t, created)
	second := r
	second.Score = 10
	created, err = s.RecordSurveyResponse(ctx, second)
	require.NoError(t, err)
	assert.False(t, created, "one response per invitation")

	got, err := s.SurveyInvitation(ctx, tenant, inv.ID)
	require.NoError(t, err)
	assert.True(t, got.Answered)
	assert.True(t, got.AwaitingComment)

	set, err = s.SetSurveyComment(ctx, tenant, inv.ID, "Il corriere era in ritardo", at(120))
	require.NoError(t, err)
	assert.True(t, set)
	set, err = s.SetSurveyComment(ctx, tenant, inv.ID, "again", at(130))
	require.NoError(t, err)
	assert.False(t, set, "one comment")
	got, err = s.LatestSurveyInvitation(ctx, tenant, phone, at(-10), at(200))
	require.NoError(t, err)
	assert.True(t, got.Answered)
	assert.False(t, got.AwaitingComment)

	rs, err := s.SurveyResponses(ctx, tenant, "after_order", store.SurveyFilter{})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	want := r
	want.Comment, want.CommentedAt = "Il corriere era in ritardo", at(120)
	assert.True(t, want.AnsweredAt.Equal(rs[0].AnsweredAt))
	assert.True(t, want.CommentedAt.Equal(rs[0].CommentedAt))
	want.AnsweredAt, want.CommentedAt = rs[0].AnsweredAt, rs[0].CommentedAt
	assert.Equal(t, want, rs[0])

	t.Run("without follow-up", func(t *testing.T) {
		inv2 := inv
		inv2.ID, inv2.StoreID = "svy_"+randHex(8), "roma"
		require.NoError(t, s.AddSurveyInvitation(ctx, inv2))
		r2 := r
		r2.Invitation, r2.StoreID, r2.FollowUp, r2.Score, r2.AnsweredAt = inv2.ID, "roma", false, 9, at(86400*40)
		created, err := s.RecordSurveyResponse(ctx, r2)
		require.NoError(t, err)
		assert.True(t, created)
		got, err := s.SurveyInvitation(ctx, tenant, inv2.ID)
		require.NoError(t, err)
		assert.True(t, got.Answered)
		assert.False(t, got.AwaitingComment)
		set, err := s.SetSurveyComment(ctx, tenant, inv2.ID, "x", at(86400*40+1))
		require.NoError(t, err)
		assert.False(t, set, "no follow-up asked")
	})

	t.Run("filters", func(t *testing.T) {
		scores := func(f store.SurveyFilter) []int {
			rs, err := s.SurveyResponses(ctx, tenant, "after_order", f)
			require.NoError(t, err)
			var out []int
			for _, r := range rs {
				out = append(out, r.Score)
			}
			return out
		}
		assert.Equal(t, []int{4, 9}, scores(store.SurveyFilter{}), "oldest first")
		assert.Equal(t, []int{9}, scores(store.SurveyFilter{From: at(61)}))
		assert.Equal(t, []int{4}, scores(store.SurveyFilter{To: at(86400 * 40)}), "to is exclusive")
		assert.Equal(t, []int{9}, scores(store.SurveyFilter{Store: "roma"}))
		assert.Equal(t, []int{4}, scores(store.SurveyFilter{Limit: 1}))
		assert.Empty(t, scores(store.SurveyFilter{Store: "napoli"}))
		other, err := s.SurveyResponses(ctx, tenant, "support", store.SurveyFilter{})
		require.NoError(t, err)
		assert.Empty(t, other, "surveys are apart")
	})

	t.Run("concurrent answers record one", func(t *testing.T) {
		inv3 := inv
		inv3.ID = "svy_" + randHex(8)
		require.NoError(t, s.AddSurveyInvitation(ctx, inv3))
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r3 := r
				r3.Invitation, r3.Score = inv3.ID, i
				ok, err := s.RecordSurveyResponse(ctx, r3)
				assert.NoError(t, err)
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, 1, wins)
	})
}
