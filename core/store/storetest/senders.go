package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

func testSenderStates(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()

	st, err := s.SenderState(ctx, tenant, "wa")
	require.NoError(t, err)
	assert.Equal(t, store.SenderState{Tenant: tenant, Sender: "wa"}, st, "nothing said yet")
	none, err := s.SenderStates(ctx, tenant)
	require.NoError(t, err)
	assert.Empty(t, none)

	require.NoError(t, s.SetMessagingLimit(ctx, tenant, "wa", 2000, at(10)))
	require.NoError(t, s.SetMessagingLimit(ctx, tenant, "wa", 250, at(5)), "an older report")
	require.NoError(t, s.SetQuality(ctx, tenant, "wa", "FLAGGED", true, "number flagged", at(20)))
	require.NoError(t, s.SetQuality(ctx, tenant, "wa", "UPGRADE", false, "", at(15)), "an older report")
	require.NoError(t, s.SetMessagingLimit(ctx, tenant, "other", -1, at(30)))

	st, err = s.SenderState(ctx, tenant, "wa")
	require.NoError(t, err)
	assert.Equal(t, store.SenderState{Tenant: tenant, Sender: "wa", MessagingLimit: 2000, LimitAt: at(10).UTC(),
		Quality: "FLAGGED", QualityAt: at(20).UTC(), MarketingPaused: true, PauseReason: "number flagged"}, st)

	require.NoError(t, s.SetQuality(ctx, tenant, "wa", "UNFLAGGED", false, "", at(40)))
	require.NoError(t, s.SetMessagingLimit(ctx, tenant, "wa", 10000, at(10)), "a report as old as the one kept applies")
	all, err := s.SenderStates(ctx, tenant)
	require.NoError(t, err)
	assert.Equal(t, []store.SenderState{
		{Tenant: tenant, Sender: "other", MessagingLimit: -1, LimitAt: at(30).UTC()},
		{Tenant: tenant, Sender: "wa", MessagingLimit: 10000, LimitAt: at(10).UTC(), Quality: "UNFLAGGED", QualityAt: at(40).UTC()},
	}, all)
	other, err := s.SenderStates(ctx, newTenant())
	require.NoError(t, err)
	assert.Empty(t, other, "another tenant's senders")
}

func testSenderReach(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const day = 24 * 60 * 60

	rc, err := s.Reach(ctx, tenant, "wa", "+6281200000001", at(0))
	require.NoError(t, err)
	assert.Equal(t, store.Reach{}, rc)

	for i, r := range []string{"+6281200000001", "+6281200000002", "+6281200000003"} {
		require.NoError(t, s.RecordReach(ctx, tenant, "wa", r, at(100*(i+1))))
	}
	require.NoError(t, s.RecordReach(ctx, tenant, "wa", "+6281200000001", at(50)), "an earlier reach keeps the latest")
	require.NoError(t, s.RecordReach(ctx, tenant, "other", "+6281200000009", at(150)))
	require.NoError(t, s.RecordReach(ctx, newTenant(), "wa", "+6281200000009", at(150)))

	rc, err = s.Reach(ctx, tenant, "wa", "+6281200000001", at(0))
	require.NoError(t, err)
	assert.Equal(t, store.Reach{Reached: 3, Oldest: at(100).UTC(), Known: true}, rc)
	rc, err = s.Reach(ctx, tenant, "wa", "+6281200000004", at(0))
	require.NoError(t, err)
	assert.Equal(t, store.Reach{Reached: 3, Oldest: at(100).UTC()}, rc, "a new recipient")

	// Once the first one left the window, reaching it again counts it
	// from then.
	rc, err = s.Reach(ctx, tenant, "wa", "+6281200000001", at(100))
	require.NoError(t, err)
	assert.Equal(t, store.Reach{Reached: 2, Oldest: at(200).UTC()}, rc, "reaches at the window's start are out")
	require.NoError(t, s.RecordReach(ctx, tenant, "wa", "+6281200000001", at(day)))
	rc, err = s.Reach(ctx, tenant, "wa", "+6281200000001", at(250))
	require.NoError(t, err)
	assert.Equal(t, store.Reach{Reached: 2, Oldest: at(300).UTC(), Known: true}, rc)

	known, err := s.Reached(ctx, tenant, "wa", "+6281200000001", at(250))
	require.NoError(t, err)
	assert.True(t, known, "reached again at day")
	known, err = s.Reached(ctx, tenant, "wa", "+6281200000002", at(250))
	require.NoError(t, err)
	assert.False(t, known, "reached at 200, before the window")
	known, err = s.Reached(ctx, tenant, "other", "+6281200000003", at(0))
	require.NoError(t, err)
	assert.False(t, known, "another sender's recipient")

	// The reach times in a span, earliest first, paged: the reaches at 200,
	// 300 and day (the first recipient again); 100 left with its recipient.
	times, err := s.ReachTimes(ctx, tenant, "wa", at(0), at(day), 0, 10)
	require.NoError(t, err)
	assert.Equal(t, []time.Time{at(200).UTC(), at(300).UTC(), at(day).UTC()}, times)
	times, err = s.ReachTimes(ctx, tenant, "wa", at(200), at(day-1), 0, 10)
	require.NoError(t, err)
	assert.Equal(t, []time.Time{at(300).UTC()}, times, "after is out, until is in")
	times, err = s.ReachTimes(ctx, tenant, "wa", at(0), at(day), 1, 1)
	require.NoError(t, err)
	assert.Equal(t, []time.Time{at(300).UTC()}, times, "skip one, read one")
	times, err = s.ReachTimes(ctx, tenant, "wa", at(day), at(2*day), 0, 10)
	require.NoError(t, err)
	assert.Empty(t, times)
}

func testPricing(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	yes, no := true, false
	send := func(key, pmid string, claimedAt int) {
		t.Helper()
		m := newMessage(tenant, key, claimedAt, claimedAt)
		_, claimed, err := s.ClaimMessage(ctx, m)
		require.NoError(t, err)
		require.True(t, claimed)
		require.NoError(t, s.MarkSent(ctx, key, pmid, at(claimedAt)))
	}
	marketing := func(cost int64) *store.StatusPricing {
		return &store.StatusPricing{Category: "marketing", Type: "regular", Billable: &yes, Country: "ID", Cost: cost}
	}
	send("m1", "wamid.m1", 10)
	send("m2", "wamid.m2", 10)
	send("m3", "wamid.m3", 10)
	send("m4", "wamid.m4", 10)
	send("m5", "wamid.m5", 10)

	report := func(pmid, status string, sec int, p *store.StatusPricing) store.StatusUpdate {
		return store.StatusUpdate{Tenant: tenant, ProviderMessageID: pmid, Status: status, At: at(sec), Pricing: p}
	}
	// Pricing on sent and delivered charges once; a read after it, or a
	// late delivered, changes nothing.
	_, err := s.ApplyStatus(ctx, report("wamid.m1", store.MessageSent, 11, marketing(41_100)))
	require.NoError(t, err)
	_, err = s.ApplyStatus(ctx, report("wamid.m1", store.MessageRead, 13, marketing(41_100)))
	require.NoError(t, err)
	_, err = s.ApplyStatus(ctx, report("wamid.m1", store.MessageDelivered, 12, marketing(99_999)))
	require.NoError(t, err)
	// In one call too, and in one group of calls.
	missing, err := s.ApplyStatuses(ctx, []store.StatusUpdate{
		report("wamid.m2", store.MessageSent, 11, marketing(41_100)),
		report("wamid.m2", store.MessageDelivered, 12, marketing(41_100)),
		report("wamid.m2", store.MessageRead, 13, marketing(41_100)),
		report("wamid.m3", store.MessageDelivered, 12, &store.StatusPricing{Category: "utility", Type: "regular", Country: "BR", Cost: 8_000}),
		report("wamid.m4", store.MessageDelivered, 12,
			&store.StatusPricing{Category: "service", Type: "free_customer_service", Billable: &no, Country: "ID"}),
		report("wamid.unknown", store.MessageDelivered, 12, marketing(41_100)),
	})
	require.NoError(t, err)
	assert.Equal(t, []bool{false, false, false, false, false, true}, missing)
	// Sent with pricing but failed: never charged.
	_, err = s.ApplyStatus(ctx, report("wamid.m5", store.MessageSent, 11, marketing(41_100)))
	require.NoError(t, err)
	_, err = s.ApplyStatus(ctx, store.StatusUpdate{Tenant: tenant, ProviderMessageID: "wamid.m5", Status: store.MessageFailed,
		At: at(12), ErrorCode: "131026", Error: "undeliverable"})
	require.NoError(t, err)

	costs, err := s.Costs(ctx, tenant, at(0), at(100))
	require.NoError(t, err)
	assert.Equal(t, []store.CostLine{
		{Category: "marketing", Country: "ID", Messages: 2, Cost: 82_200},
		{Category: "service", Country: "ID", Messages: 1, Cost: 0},
		{Category: "utility", Country: "BR", Messages: 1, Cost: 8_000},
	}, costs)
	spend, err := s.Spend(ctx, tenant, at(0))
	require.NoError(t, err)
	assert.Equal(t, int64(90_200), spend)

	later, err := s.Costs(ctx, tenant, at(13), at(100))
	require.NoError(t, err)
	assert.Equal(t, []store.CostLine{{Category: "marketing", Country: "ID", Messages: 1, Cost: 41_100}}, later,
		"charged at the first delivered or read report to arrive: m1's read at 13, the others' delivered at 12")
	spend, err = s.Spend(ctx, tenant, at(14))
	require.NoError(t, err)
	assert.Zero(t, spend)
	other, err := s.Costs(ctx, newTenant(), at(0), at(100))
	require.NoError(t, err)
	assert.Empty(t, other)

	m1, err := s.Message(ctx, tenant, "m1")
	require.NoError(t, err)
	assert.Equal(t, store.MessageRead, m1.Status, "pricing does not hold the status back")
	assert.Equal(t, &store.MessagePricing{Category: "marketing", Type: "regular", Billable: &yes, Country: "ID", Cost: 41_100,
		ChargedAt: at(13).UTC()}, m1.Pricing)
	m4, err := s.Message(ctx, tenant, "m4")
	require.NoError(t, err)
	assert.Equal(t, &store.MessagePricing{Category: "service", Type: "free_customer_service", Billable: &no, Country: "ID",
		ChargedAt: at(12).UTC()}, m4.Pricing)
	m5, err := s.Message(ctx, tenant, "m5")
	require.NoError(t, err)
	assert.Equal(t, &store.MessagePricing{Category: "marketing", Type: "regular", Billable: &yes, Country: "ID"}, m5.Pricing,
		"recorded from the sent report, never charged")
	m0 := newMessage(tenant, "m0", 10, 10)
	_, _, err = s.ClaimMessage(ctx, m0)
	require.NoError(t, err)
	got, err := s.Message(ctx, tenant, "m0")
	require.NoError(t, err)
	assert.Nil(t, got.Pricing, "no pricing reported")
}

func testResumeDeferred(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant, other := newTenant(), newTenant()
	now := time.Now()
	deferred := func(tenant, sender, reason string) string {
		t.Helper()
		key := "msg_" + randHex(8)
		_, ok, err := s.ClaimMessage(ctx, store.Message{Key: key, Tenant: tenant, Sender: sender, Recipient: "+6281100000002",
			Kind: "template", Category: "marketing"})
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, s.DeferMessage(ctx, key, now.Add(time.Hour), []byte(`{"key":"`+key+`"}`), reason, now))
		return key
	}
	paused := deferred(tenant, "wa", "quality_paused: the sender's marketing messages are paused")
	limited := deferred(tenant, "wa", "messaging_limit: the sender reached 250 of 250")
	otherSender := deferred(tenant, "wa2", "quality_paused: the sender's marketing messages are paused")
	otherTenant := deferred(other, "wa", "quality_paused: the sender's marketing messages are paused")
	quiet := deferred(tenant, "wa", "quiet hours until 08:00")

	n, err := s.ResumeDeferred(ctx, tenant, "wa", "quality_paused", now)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	due, err := s.DueMessages(ctx, now, 1000, time.Minute)
	require.NoError(t, err)
	keys := keysOf(due)
	assert.Contains(t, keys, paused)
	for _, k := range []string{limited, otherSender, otherTenant, quiet} {
		assert.NotContains(t, keys, k)
	}
	n, err = s.ResumeDeferred(ctx, tenant, "wa", "messaging_limit", now.Add(2*time.Hour))
	require.NoError(t, err)
	assert.Zero(t, n, "due before then: nothing to resume")
}
