package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// testCampaigns keeps campaigns and their states, writes a preparation's
// chunks idempotently, holds, releases and skips only a campaign's own
// waiting messages, and follows its holdout to orders in the window.
func testCampaigns(t *testing.T, s store.Store, c *testClock) {
	ctx := context.Background()
	tenant := newTenant()
	c.set(at(0))

	t.Run("create, read, list and update by state", func(t *testing.T) {
		spec := []byte(`{"name":"weekend"}`)
		require.NoError(t, s.CreateCampaign(ctx, store.Campaign{Tenant: tenant, Name: "weekend", Spec: spec, State: store.CampaignDraft}))
		require.ErrorIs(t, s.CreateCampaign(ctx, store.Campaign{Tenant: tenant, Name: "weekend", Spec: spec, State: store.CampaignDraft}), store.ErrExists)
		require.NoError(t, s.CreateCampaign(ctx, store.Campaign{Tenant: tenant, Name: "later", Spec: spec,
			State: store.CampaignScheduled, StartAt: at(3600), CreatedAt: at(5)}))
		_, err := s.Campaign(ctx, tenant, "nope")
		require.ErrorIs(t, err, store.ErrNotFound)

		got, err := s.Campaign(ctx, tenant, "weekend")
		require.NoError(t, err)
		assert.Equal(t, spec, got.Spec)
		assert.Equal(t, store.CampaignDraft, got.State)
		assert.True(t, got.StartAt.IsZero())
		assert.Nil(t, got.Prepared)

		got.State, got.StartAt = store.CampaignScheduled, at(60)
		ok, err := s.UpdateCampaign(ctx, got, store.CampaignDraft)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.UpdateCampaign(ctx, got, store.CampaignDraft)
		require.NoError(t, err)
		assert.False(t, ok, "a second start from draft finds it scheduled")

		due, err := s.DueCampaigns(ctx, at(59), 100)
		require.NoError(t, err)
		assert.Empty(t, names(due, tenant))
		due, err = s.DueCampaigns(ctx, at(60), 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"weekend"}, names(due, tenant))
		due, err = s.DueCampaigns(ctx, at(4000), 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"weekend", "later"}, names(due, tenant), "earliest start first")

		prepared, paused := at(70), at(80)
		got.State, got.Prepared, got.PausedAt, got.Reason = store.CampaignPaused, &prepared, &paused, "by ops"
		got.Audience, got.HeldOut, got.NoPhone, got.OverBudget, got.Failed, got.Cost = 100, 10, 3, 2, 1, 55000
		ok, err = s.UpdateCampaign(ctx, got, store.CampaignScheduled)
		require.NoError(t, err)
		require.True(t, ok)
		back, err := s.Campaign(ctx, tenant, "weekend")
		require.NoError(t, err)
		assert.Equal(t, store.CampaignPaused, back.State)
		assert.Equal(t, "by ops", back.Reason)
		assert.True(t, prepared.Equal(*back.Prepared))
		assert.True(t, paused.Equal(*back.PausedAt))
		assert.Equal(t, [6]int64{100, 10, 3, 2, 1, 55000},
			[6]int64{back.Audience, back.HeldOut, back.NoPhone, back.OverBudget, back.Failed, back.Cost})

		all, err := s.ListCampaigns(ctx, tenant)
		require.NoError(t, err)
		assert.Equal(t, []string{"later", "weekend"}, names(all, tenant), "newest first")
	})

	t.Run("chunks, hold, release and skip", func(t *testing.T) {
		msg := func(key, origin string, due time.Time) store.Message {
			m := queued(tenant, key, due)
			m.Origin, m.CreatedAt = origin, at(100)
			return m
		}
		pre := "msg_" + randHex(6) + "_"
		mine := []store.Message{msg(pre+"a", "campaign:sale/a", at(100)), msg(pre+"b", "campaign:sale/b", at(101))}
		other := msg(pre+"other", "campaign:sale2/a", at(100))
		for _, name := range []string{"sale", "sale2"} {
			require.NoError(t, s.CreateCampaign(ctx, store.Campaign{Tenant: tenant, Name: name, Spec: []byte(`{}`),
				State: store.CampaignScheduled}))
		}
		ch := store.CampaignChunk{Tenant: tenant, Campaign: "sale", Messages: mine, HeldOut: []string{"m-held"}, At: at(100)}
		write(t, s, ch, true)
		write(t, s, ch, true) // written again, it changes nothing
		write(t, s, store.CampaignChunk{Tenant: tenant, Campaign: "sale2", Messages: []store.Message{other}, At: at(100)}, true)
		_, err := s.WriteCampaignChunk(ctx, store.CampaignChunk{Tenant: tenant, Campaign: "nope", At: at(100)})
		require.ErrorIs(t, err, store.ErrNotFound)

		n, err := s.ShiftCampaignMessages(ctx, tenant, "campaign:sale/", 24*time.Hour)
		require.NoError(t, err)
		assert.Equal(t, int64(2), n)
		assert.Equal(t, []string{pre + "other"}, dueKeys(t, s, tenant, at(200)), "held, the campaign's messages are not due")
		n, err = s.ShiftCampaignMessages(ctx, tenant, "campaign:sale/", -24*time.Hour+time.Hour)
		require.NoError(t, err)
		assert.Equal(t, int64(2), n)
		assert.Empty(t, dueKeys(t, s, tenant, at(200)))
		assert.ElementsMatch(t, []string{pre + "a", pre + "b", pre + "other"}, dueKeys(t, s, tenant, at(3800)),
			"released an hour later")

		n, err = s.SkipCampaignMessages(ctx, tenant, "campaign:sale/", store.CodeCancelled, "cancelled by ops", at(3900))
		require.NoError(t, err)
		assert.Equal(t, int64(2), n)
		m, err := s.Message(ctx, tenant, pre+"a")
		require.NoError(t, err)
		assert.Equal(t, store.MessageSkipped, m.Status)
		assert.Equal(t, store.CodeCancelled, m.ErrorCode)
		require.NotEmpty(t, m.Timeline)
		assert.Equal(t, store.MessageSkipped, m.Timeline[len(m.Timeline)-1].Status)
		o, err := s.Message(ctx, tenant, pre+"other")
		require.NoError(t, err)
		assert.Equal(t, store.MessageQueued, o.Status, "another campaign whose name starts alike is untouched")

		funnel, err := s.Funnel(ctx, store.FunnelQuery{Tenant: tenant, From: at(0), To: at(9000), Window: time.Hour,
			OriginPrefix: "campaign:sale/"})
		require.NoError(t, err)
		require.Len(t, funnel, 2)
		assert.Equal(t, store.FunnelRow{Origin: "campaign:sale/a", Targeted: 1, Skipped: map[string]int64{store.CodeCancelled: 1}}, funnel[0])
	})

	t.Run("holdout conversions", func(t *testing.T) {
		p := SpendProgram(t, tenant, nil)
		phone := "+62817" + randDigits(7)
		c.set(at(1000))
		res, err := counted(s, p, orderEvent(tenant, "H-0", phone, "1000", at(1000)),
			store.AccountRef{Phone: phone, OrderID: "H-0", Create: true}, nil)
		require.NoError(t, err)
		require.NoError(t, s.CreateCampaign(ctx, store.Campaign{Tenant: tenant, Name: "lift", Spec: []byte(`{}`),
			State: store.CampaignScheduled}))
		write(t, s, store.CampaignChunk{Tenant: tenant, Campaign: "lift", HeldOut: []string{res.Member.ID, "m-never-buys"},
			At: at(2000)}, true)
		c.set(at(2100))
		stopped, err := s.Campaign(ctx, tenant, "lift")
		require.NoError(t, err)
		stopped.State = store.CampaignPaused
		ok, err := s.UpdateCampaign(ctx, stopped, store.CampaignScheduled)
		require.NoError(t, err)
		require.True(t, ok)
		write(t, s, store.CampaignChunk{Tenant: tenant, Campaign: "lift", HeldOut: []string{"m-after-pause"}, At: at(2100)}, false)
		c.set(at(2600))
		_, err = counted(s, p, orderEvent(tenant, "H-1", phone, "25000", at(2600)),
			store.AccountRef{Phone: phone, OrderID: "H-1"}, nil)
		require.NoError(t, err)
		c.set(at(9000))
		_, err = counted(s, p, orderEvent(tenant, "H-2", phone, "99000", at(9000)),
			store.AccountRef{Phone: phone, OrderID: "H-2"}, nil)
		require.NoError(t, err)

		h, err := s.CampaignHoldout(ctx, tenant, "lift", time.Hour)
		require.NoError(t, err)
		assert.Equal(t, store.HoldoutResult{Members: 2, Converted: 1, Revenue: 25000}, h,
			"only the order within the hour after being held out counts")
	})
}

func write(t *testing.T, s store.Store, ch store.CampaignChunk, want bool) {
	t.Helper()
	written, err := s.WriteCampaignChunk(context.Background(), ch)
	require.NoError(t, err)
	require.Equal(t, want, written, "a chunk is written only while its campaign is scheduled")
}

func names(cs []store.Campaign, tenant string) []string {
	var out []string
	for _, c := range cs {
		if c.Tenant == tenant {
			out = append(out, c.Name)
		}
	}
	return out
}
