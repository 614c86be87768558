package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// attemptCommand is the command a claimed test message keeps.
var attemptCommand = []byte(`{"key":"k","kind":"template","template":{"name":"points_earned","language":"en"}}`)

// leftBehind claims a new message with a command at claimedAt and brings it
// to status (sending or unknown, at claimedAt+1), as a crash or a lost
// answer leaves it; it returns the message as a reader sees it.
func leftBehind(t *testing.T, s store.Store, tenant, key, status string, claimedAt int) store.Message {
	t.Helper()
	ctx := context.Background()
	m := newMessage(tenant, key, claimedAt, claimedAt)
	m.Command = attemptCommand
	_, claimed, err := s.ClaimMessage(ctx, m)
	require.NoError(t, err)
	require.True(t, claimed)
	if status == store.MessageUnknown {
		require.NoError(t, s.MarkUnknown(ctx, key, "timeout", at(claimedAt+1)))
	}
	got, err := s.Message(ctx, tenant, key)
	require.NoError(t, err)
	require.Equal(t, status, got.Status)
	return got
}

func testRetakeMessage(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, status := range []string{store.MessageSending, store.MessageUnknown} {
		t.Run("from "+status, func(t *testing.T) {
			tenant := newTenant()
			key := "msg_" + randHex(8)
			seen := leftBehind(t, s, tenant, key, status, 0)

			claimed, err := s.RetakeMessage(ctx, seen, "ambiguous", "no status webhook: sending again", at(40))
			require.NoError(t, err)
			require.True(t, claimed, "the caller that saw the attempt takes it over")
			got, err := s.Message(ctx, tenant, key)
			require.NoError(t, err)
			assert.Equal(t, store.MessageSending, got.Status)
			assert.Equal(t, 2, got.Attempts)
			assert.True(t, at(40).Equal(got.UpdatedAt))
			want := []string{store.MessageSending}
			if status == store.MessageUnknown {
				want = append(want, store.MessageUnknown)
			}
			want = append(want, store.MessagePending, store.MessageSending)
			require.Equal(t, want, statuses(got))
			retake := got.Timeline[len(got.Timeline)-2]
			assert.Equal(t, "ambiguous", retake.ErrorCode)
			assert.Equal(t, "no status webhook: sending again", retake.Error)

			claimed, err = s.RetakeMessage(ctx, seen, "ambiguous", "again", at(41))
			require.NoError(t, err)
			assert.False(t, claimed, "an attempt already taken over is not taken again")

			claimed, err = s.RetakeMessage(ctx, got, "ambiguous", "again", at(42))
			require.NoError(t, err)
			assert.True(t, claimed, "the new attempt, seen as it is now, can be taken over in turn")
		})
	}

	t.Run("not after a status report", func(t *testing.T) {
		tenant := newTenant()
		key := "msg_" + randHex(8)
		seen := leftBehind(t, s, tenant, key, store.MessageUnknown, 0)
		_, err := s.ApplyStatus(ctx, store.StatusUpdate{Tenant: tenant, Key: key, Status: store.MessageDelivered, At: at(5)})
		require.NoError(t, err)
		claimed, err := s.RetakeMessage(ctx, seen, "ambiguous", "late", at(40))
		require.NoError(t, err)
		assert.False(t, claimed, "WhatsApp said it delivered the message")
		got, err := s.Message(ctx, tenant, key)
		require.NoError(t, err)
		assert.Equal(t, store.MessageDelivered, got.Status)
		assert.Equal(t, 1, got.Attempts)
	})

	t.Run("not from other statuses", func(t *testing.T) {
		tenant := newTenant()
		for _, status := range []string{store.MessagePending, store.MessageSent, store.MessageFailed} {
			key := "msg_" + randHex(8)
			reach(t, s, tenant, key, status)
			seen, err := s.Message(ctx, tenant, key)
			require.NoError(t, err)
			claimed, err := s.RetakeMessage(ctx, seen, "ambiguous", "no", at(40))
			require.NoError(t, err)
			assert.False(t, claimed, status)
			got, err := s.Message(ctx, tenant, key)
			require.NoError(t, err)
			assert.Equal(t, status, got.Status)
		}
	})
}

func testRetakeConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	key := "msg_" + randHex(8)
	seen := leftBehind(t, s, tenant, key, store.MessageUnknown, 0)
	const n = 20
	claimed := make([]bool, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		claimed[i], errs[i] = s.RetakeMessage(ctx, seen, "ambiguous", "sending again", at(40+i))
	})
	count := 0
	for i := range n {
		require.NoError(t, errs[i])
		if claimed[i] {
			count++
		}
	}
	assert.Equal(t, 1, count, "exactly one caller owns the new attempt")
	got, err := s.Message(ctx, tenant, key)
	require.NoError(t, err)
	assert.Equal(t, 2, got.Attempts)
}

// An interrupted attempt claimed without its command (by an earlier
// version) keeps the command of the next claim, so that the relay can send
// it again; a kept command is not replaced.
func testClaimKeepsTheCommandOfAnInterruptedAttempt(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	bare := newMessage(tenant, "msg_"+randHex(8), 0, 0)
	_, claimed, err := s.ClaimMessage(ctx, bare)
	require.NoError(t, err)
	require.True(t, claimed)
	again := bare
	again.Command = attemptCommand
	_, claimed, err = s.ClaimMessage(ctx, again)
	require.NoError(t, err)
	require.False(t, claimed)
	got, err := s.StaleAttempts(ctx, tenant, at(5), at(20), 100, time.Minute)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.JSONEq(t, string(attemptCommand), string(got[0].Command))

	other := again
	other.Command = []byte(`{"key":"other"}`)
	_, _, err = s.ClaimMessage(ctx, other)
	require.NoError(t, err)
	got, err = s.StaleAttempts(ctx, tenant, at(5), at(20).Add(time.Hour), 100, time.Minute)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.JSONEq(t, string(attemptCommand), string(got[0].Command), "the first kept command stays")
}

func testStaleAttempts(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	key := func(name string) string { return name + "_" + randHex(6) }
	sending := leftBehind(t, s, tenant, key("sending"), store.MessageSending, 0)
	unknown := leftBehind(t, s, tenant, key("unknown"), store.MessageUnknown, 1)
	recent := leftBehind(t, s, tenant, key("recent"), store.MessageSending, 10)
	noCommand := newMessage(tenant, key("nocommand"), 0, 0)
	_, _, err := s.ClaimMessage(ctx, noCommand)
	require.NoError(t, err)
	sent := key("sent")
	reach(t, s, tenant, sent, store.MessageSent)
	leftBehind(t, s, newTenant(), key("other"), store.MessageSending, 0)

	keys := func(ds []store.DeferredMessage) []string {
		var out []string
		for _, d := range ds {
			assert.Equal(t, tenant, d.Tenant)
			assert.JSONEq(t, string(attemptCommand), string(d.Command))
			out = append(out, d.Key)
		}
		return out
	}
	now := at(20)
	got, err := s.StaleAttempts(ctx, tenant, at(5), now, 100, time.Minute)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{sending.Key, unknown.Key}, keys(got),
		"attempts unchanged since the cutoff that keep their command")

	got, err = s.StaleAttempts(ctx, tenant, at(5), now, 100, time.Minute)
	require.NoError(t, err)
	assert.Empty(t, got, "handed out once per lease")

	later := now.Add(2 * time.Minute)
	got, err = s.StaleAttempts(ctx, tenant, at(15), later, 1, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []string{sending.Key}, keys(got), "the limit holds, oldest first")
	got, err = s.StaleAttempts(ctx, tenant, at(15), later, 100, time.Minute)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{unknown.Key, recent.Key}, keys(got))

	// A new attempt of one of them starts its clock again.
	claimed, err := s.RetakeMessage(ctx, unknown, "ambiguous", "sending again", later)
	require.NoError(t, err)
	require.True(t, claimed)
	got, err = s.StaleAttempts(ctx, tenant, at(15), later.Add(2*time.Minute), 100, time.Minute)
	require.NoError(t, err)
	assert.False(t, slices.Contains(keys(got), unknown.Key), "retaken at %s, after the cutoff", later)
	assert.ElementsMatch(t, []string{sending.Key, recent.Key}, keys(got))
}
