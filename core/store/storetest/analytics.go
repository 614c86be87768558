package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store"
)

// testFunnel follows a rule's and the chat's messages from written to
// converted: only messages of the period count, a reply counts within a
// day of the message, a click on any of its short links, and an order
// within the window, less its refunds; the cost is what was charged.
// Orders take the time the store records them at: its clock's.
func testFunnel(t *testing.T, s store.Store, c *testClock) {
	ctx := context.Background()
	tenant := newTenant()
	p := SpendProgram(t, tenant, func(l *config.Loyalty) {
		l.Rewards = []config.Reward{{ID: "coffee", Name: "Free coffee", Cost: 10, Codes: config.RewardCodes{Pattern: "KOPI-{AAAA}-{9999}"}}}
	})
	phoneA, phoneB := "+62815"+randDigits(7), "+62816"+randDigits(7)
	sale := func(order, phone, total string, sec int) store.AccountResult {
		c.set(at(sec))
		res, err := counted(s, p, orderEvent(tenant, order, phone, total, at(sec)),
			store.AccountRef{Phone: phone, OrderID: order, Create: true}, nil)
		require.NoError(t, err)
		return res
	}
	a := sale("O-0", phoneA, "1000", 0).Member // before any message: converts nothing
	b := sale("O-B", phoneB, "1000", 0).Member
	prefix := "msg_" + randHex(6) + "_"
	claim := func(key, origin, memberID, phone string, sec int) string {
		_, ok, err := s.ClaimMessage(ctx, store.Message{Key: prefix + key, Tenant: tenant, MemberID: memberID,
			Recipient: phone, Kind: "template", Category: "marketing", Origin: origin, CreatedAt: at(sec)})
		require.NoError(t, err)
		require.True(t, ok)
		return prefix + key
	}
	const rule = "rule:weekend"

	read := claim("read", rule, a.ID, phoneA, 10)
	require.NoError(t, s.MarkSent(ctx, read, "wamid."+randHex(8), at(10)))
	yes := true
	for i, st := range []string{store.MessageDelivered, store.MessageRead} {
		_, err := s.ApplyStatus(ctx, store.StatusUpdate{Tenant: tenant, Key: read, Status: st, At: at(11 + i),
			Pricing: &store.StatusPricing{Category: "marketing", Type: "regular", Billable: &yes, Country: "ID", Cost: 41_100}})
		require.NoError(t, err)
	}
	sent := claim("sent", rule, b.ID, phoneB, 20)
	require.NoError(t, s.MarkSent(ctx, sent, "wamid."+randHex(8), at(20)))
	_, err := s.ApplyStatus(ctx, store.StatusUpdate{Tenant: tenant, Key: sent, Status: store.MessageSent, At: at(21),
		Pricing: &store.StatusPricing{Category: "marketing", Type: "regular", Billable: &yes, Country: "ID", Cost: 41_100}})
	require.NoError(t, err, "a sent report prices the message but does not charge it")

	// A opens the link of the read message twice; B's link is never
	// opened, and the chat message's is only previewed (not recorded).
	code := "f" + randHex(6)
	require.NoError(t, s.SaveLinks(ctx, []store.Link{
		{Code: code, Tenant: tenant, MessageKey: read, URL: "https://shop.example/a", CreatedAt: at(10)},
		{Code: code + "b", Tenant: tenant, MessageKey: read, URL: "https://shop.example/b", CreatedAt: at(10)},
		{Code: "f" + randHex(6), Tenant: tenant, MessageKey: sent, URL: "https://shop.example/a", CreatedAt: at(20)},
	}))
	for _, c := range []string{code, code, code + "b"} {
		_, err := s.RecordClick(ctx, store.Click{Code: c, At: at(30), Agent: "mobile"})
		require.NoError(t, err)
	}
	skipped := claim("skipped", rule, b.ID, phoneB, 30)
	require.NoError(t, s.MarkSkipped(ctx, skipped, "no_consent", "the recipient has not opted in", at(30)))
	failed := claim("failed", "chat", a.ID, phoneA, 40)
	require.NoError(t, s.MarkFailed(ctx, failed, "131026", "undeliverable", at(41)))
	waiting := queued(tenant, prefix+"waiting", at(60))
	waiting.Origin, waiting.CreatedAt = rule, at(60)
	require.NoError(t, s.EnqueueMessages(ctx, []store.Message{waiting}))
	claim("before", rule, a.ID, phoneA, -100) // before the period

	// A replies and buys within the hour, then returns part of it; B
	// writes after a day and buys after the window.
	_, _, err = s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid.in" + randHex(6),
		Contact: store.ContactRef{Phone: phoneA}, Type: "text", Text: "thanks!", At: at(50)})
	require.NoError(t, err)
	_, _, err = s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid.in" + randHex(6),
		Contact: store.ContactRef{Phone: phoneB}, Type: "text", Text: "hello", At: at(20).Add(store.ReplyWindow + time.Minute)})
	require.NoError(t, err)
	sale("O-1", phoneA, "50000", 100)
	c.set(at(200))
	_, err = counted(s, p, refundEvent(tenant, "O-1", "r1", "10000", at(200)), store.AccountRef{OrderID: "O-1"}, nil)
	require.NoError(t, err)
	sale("O-2", phoneB, "70000", 20+7200)
	// A redeems within the hour; B after it, within three.
	c.set(at(300))
	_, _, err = redeem(ctx, s, p, tenant, a.ID, "tap-a", "coffee", at(300))
	require.NoError(t, err)
	c.set(at(20 + 7000))
	_, _, err = redeem(ctx, s, p, tenant, b.ID, "tap-b", "coffee", at(20+7000))
	require.NoError(t, err)

	funnel, err := s.Funnel(ctx, store.FunnelQuery{Tenant: tenant, From: at(0), To: at(3600 * 5), Window: time.Hour})
	require.NoError(t, err)
	require.Len(t, funnel, 2, "%+v", funnel)
	assert.Equal(t, store.FunnelRow{Origin: "chat", Targeted: 1, Failed: 1}, funnel[0])
	assert.Equal(t, store.FunnelRow{
		Origin: rule, Targeted: 4, Skipped: map[string]int64{"no_consent": 1}, Waiting: 1,
		Sent: 2, Delivered: 1, Read: 1, Replied: 1, Clicked: 1, Converted: 1, Redeemed: 1, Revenue: 40000, Cost: 41_100,
	}, funnel[1], "a message clicked twice, on two links, is one clicked message; only the delivered one is charged")

	wide, err := s.Funnel(ctx, store.FunnelQuery{Tenant: tenant, From: at(-1000), To: at(3600 * 5), Window: 3 * time.Hour})
	require.NoError(t, err)
	require.Len(t, wide, 2)
	assert.EqualValues(t, 5, wide[1].Targeted, "the earlier message is in the wider period")
	assert.EqualValues(t, 2, wide[1].Converted, "B's order is within the wider window")
	assert.InDelta(t, 110000, wide[1].Revenue, 0.001)
	assert.EqualValues(t, 2, wide[1].Redeemed, "B's redemption is within the wider window")
	checkFunnelStatuses(t, s, store.FunnelQuery{Tenant: tenant, From: at(-1000), To: at(3600 * 5), Window: 3 * time.Hour})
	checkFunnelStatuses(t, s, store.FunnelQuery{Tenant: tenant, From: at(0), To: at(3600 * 5), OriginPrefix: rule})

	other, err := s.Funnel(ctx, store.FunnelQuery{Tenant: newTenant(), From: at(-1000), To: at(3600 * 5), Window: time.Hour})
	require.NoError(t, err)
	assert.Empty(t, other, "tenants are apart")

	// The links by URL: /a in both sent messages, opened twice from one;
	// /b in the read message, opened once.
	links, err := s.LinkClicks(ctx, store.FunnelQuery{Tenant: tenant, From: at(0), To: at(3600 * 5)})
	require.NoError(t, err)
	assert.Equal(t, []store.LinkRow{
		{URL: "https://shop.example/a", Origin: rule, Messages: 2, Clicks: 2, Mobile: 2, Clicked: 1},
		{URL: "https://shop.example/b", Origin: rule, Messages: 1, Clicks: 1, Mobile: 1, Clicked: 1},
	}, links)
	links, err = s.LinkClicks(ctx, store.FunnelQuery{Tenant: tenant, From: at(0), To: at(3600 * 5), OriginPrefix: "campaign:"})
	require.NoError(t, err)
	assert.Empty(t, links, "another origin")
	links, err = s.LinkClicks(ctx, store.FunnelQuery{Tenant: newTenant(), From: at(0), To: at(3600 * 5)})
	require.NoError(t, err)
	assert.Empty(t, links, "tenants are apart")
}
