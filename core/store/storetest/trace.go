package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// testMessageTrace checks that a message keeps the trace context of what
// queued it until a claim brings its own, and that its delivery reports
// find the claim's.
func testMessageTrace(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	now := time.Now()
	const (
		queuedBy  = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
		claimedBy = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"
	)
	m := queued(tenant, tenant+"_traced", now.Add(-time.Second))
	m.Trace = queuedBy
	plain := queued(tenant, tenant+"_plain", now.Add(-time.Second))
	require.NoError(t, s.EnqueueMessages(ctx, []store.Message{m, plain}))

	due, err := s.DueMessages(ctx, now, store.MaxLimit, time.Minute)
	require.NoError(t, err)
	traces := map[string]string{}
	for _, d := range due {
		if d.Tenant == tenant {
			traces[d.Key] = d.Trace
		}
	}
	assert.Equal(t, map[string]string{m.Key: queuedBy, plain.Key: ""}, traces, "the outbox hands out what queued each message")

	claim := m
	claim.Trace, claim.UpdatedAt = claimedBy, now
	_, claimed, err := s.ClaimMessage(ctx, claim)
	require.NoError(t, err)
	require.True(t, claimed)
	require.NoError(t, s.MarkSent(ctx, m.Key, "wamid."+tenant, now))
	got, err := s.MessageTrace(ctx, store.StatusUpdate{Tenant: tenant, ProviderMessageID: "wamid." + tenant})
	require.NoError(t, err)
	assert.Equal(t, claimedBy, got, "a report finds the trace of the attempt that sent the message")
	got, err = s.MessageTrace(ctx, store.StatusUpdate{Tenant: tenant, Key: m.Key})
	require.NoError(t, err)
	assert.Equal(t, claimedBy, got, "a report that echoes the key finds it too")

	untraced := plain
	untraced.UpdatedAt = now
	_, claimed, err = s.ClaimMessage(ctx, untraced)
	require.NoError(t, err)
	require.True(t, claimed)
	got, err = s.MessageTrace(ctx, store.StatusUpdate{Tenant: tenant, Key: plain.Key})
	require.NoError(t, err)
	assert.Empty(t, got, "an untraced attempt leaves no trace")

	fresh := store.Message{Key: tenant + "_direct", Tenant: tenant, Sender: "wa", Recipient: "+6281300000002",
		Kind: "text", Category: "utility", UpdatedAt: now, Trace: claimedBy}
	_, claimed, err = s.ClaimMessage(ctx, fresh)
	require.NoError(t, err)
	require.True(t, claimed)
	got, err = s.MessageTrace(ctx, store.StatusUpdate{Tenant: tenant, Key: fresh.Key})
	require.NoError(t, err)
	assert.Equal(t, claimedBy, got, "a message claimed without the outbox keeps its attempt's trace")

	_, err = s.MessageTrace(ctx, store.StatusUpdate{Tenant: tenant, ProviderMessageID: "wamid.nobody"})
	assert.ErrorIs(t, err, store.ErrNotFound)
}
