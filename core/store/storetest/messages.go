package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// newMessage is a message command first seen at createdAt and claimed at
// claimedAt (seconds after base).
func newMessage(tenant, key string, createdAt, claimedAt int) store.Message {
	return store.Message{
		Key: key, Tenant: tenant, MemberID: "mem_1", Sender: "cloud", Recipient: "+6281200000020",
		Kind: "template", Template: "points_earned", Category: "utility",
		CreatedAt: at(createdAt), UpdatedAt: at(claimedAt),
	}
}

func statuses(m store.Message) []string {
	var s []string
	for _, st := range m.Timeline {
		s = append(s, st.Status)
	}
	return s
}

func testClaimMessage(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	key := "msg_" + randHex(8)
	msg := newMessage(tenant, key, 0, 0)

	cur, claimed, err := s.ClaimMessage(ctx, msg)
	require.NoError(t, err)
	require.True(t, claimed)
	want := msg
	want.Status, want.Attempts, want.CreatedAt, want.UpdatedAt = store.MessageSending, 1, at(0).UTC(), at(0).UTC()
	assert.Equal(t, want, cur)

	steps := []struct {
		name         string
		do           func() error
		claim        bool
		wantClaimed  bool
		wantStatus   string
		wantAttempts int
	}{
		{name: "claim while sending", claim: true, wantStatus: store.MessageSending, wantAttempts: 1},
		{name: "release", do: func() error { return s.ReleaseMessage(ctx, key, "130429", "rate limited", at(1)) },
			wantStatus: store.MessagePending, wantAttempts: 1},
		{name: "claim pending takes it over", claim: true, wantClaimed: true, wantStatus: store.MessageSending, wantAttempts: 2},
		{name: "mark sent", do: func() error { return s.MarkSent(ctx, key, "wamid.1", at(3)) },
			wantStatus: store.MessageSent, wantAttempts: 2},
		{name: "claim sent", claim: true, wantStatus: store.MessageSent, wantAttempts: 2},
	}
	// The steps build on each other, so they run in order, not as subtests.
	for _, st := range steps {
		if st.claim {
			cur, claimed, err := s.ClaimMessage(ctx, newMessage(tenant, key, 0, 2))
			require.NoError(t, err, st.name)
			assert.Equal(t, st.wantClaimed, claimed, st.name)
			assert.Equal(t, st.wantStatus, cur.Status, st.name)
			assert.Equal(t, st.wantAttempts, cur.Attempts, st.name)
		} else {
			require.NoError(t, st.do(), st.name)
		}
		got, err := s.Message(ctx, tenant, key)
		require.NoError(t, err, st.name)
		assert.Equal(t, st.wantStatus, got.Status, st.name)
		assert.Equal(t, st.wantAttempts, got.Attempts, st.name)
	}

	got, err := s.Message(ctx, tenant, key)
	require.NoError(t, err)
	assert.Equal(t, "wamid.1", got.ProviderMessageID)
	assert.Empty(t, got.ErrorCode, "sent clears the earlier rejection")
	assert.True(t, at(0).Equal(got.CreatedAt))
	assert.True(t, at(3).Equal(got.UpdatedAt))
	require.Equal(t, []string{store.MessageSending, store.MessagePending, store.MessageSending, store.MessageSent}, statuses(got))
	assert.Equal(t, store.MessageStatus{Status: store.MessagePending, At: at(1).UTC(), ErrorCode: "130429", Error: "rate limited"}, got.Timeline[1])

	t.Run("other tenant does not see it", func(t *testing.T) {
		_, err := s.Message(ctx, newTenant(), key)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("no key", func(t *testing.T) {
		_, _, err := s.ClaimMessage(ctx, newMessage(tenant, "", 0, 0))
		require.Error(t, err)
	})
}

func testClaimConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const n = 20
	for _, tt := range []struct {
		name  string
		setup func(key string)
	}{
		{"new message", func(string) {}},
		{"pending message", func(key string) {
			_, _, err := s.ClaimMessage(ctx, newMessage(tenant, key, 0, 0))
			require.NoError(t, err)
			require.NoError(t, s.ReleaseMessage(ctx, key, "", "rejected", at(1)))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key := "msg_" + randHex(8)
			tt.setup(key)
			claimed := make([]bool, n)
			errs := make([]error, n)
			parallel(n, func(i int) {
				_, claimed[i], errs[i] = s.ClaimMessage(ctx, newMessage(tenant, key, 0, 2))
			})
			var count int
			for i := range n {
				require.NoError(t, errs[i])
				if claimed[i] {
					count++
				}
			}
			assert.Equal(t, 1, count, "exactly one caller owns the attempt")
			m, err := s.Message(ctx, tenant, key)
			require.NoError(t, err)
			assert.Equal(t, store.MessageSending, m.Status)
		})
	}
}

// reach brings a new message with key to status, returning the provider
// message id it was given ("" before sent).
func reach(t *testing.T, s store.Store, tenant, key, status string) string {
	t.Helper()
	ctx := context.Background()
	_, claimed, err := s.ClaimMessage(ctx, newMessage(tenant, key, 0, 0))
	require.NoError(t, err)
	require.True(t, claimed)
	pmid := "wamid." + key
	switch status {
	case store.MessageSending:
		return ""
	case store.MessagePending:
		require.NoError(t, s.ReleaseMessage(ctx, key, "131000", "rejected", at(1)))
		return ""
	case store.MessageUnknown:
		require.NoError(t, s.MarkUnknown(ctx, key, "timeout", at(1)))
		return ""
	case store.MessageFailed:
		require.NoError(t, s.MarkFailed(ctx, key, "131026", "undeliverable", at(1)))
		return ""
	}
	require.NoError(t, s.MarkSent(ctx, key, pmid, at(1)))
	if status != store.MessageSent {
		applied, err := s.ApplyStatus(ctx, store.StatusUpdate{Tenant: tenant, ProviderMessageID: pmid, Status: status, At: at(2)})
		require.NoError(t, err)
		require.True(t, applied)
	}
	m, err := s.Message(ctx, tenant, key)
	require.NoError(t, err)
	require.Equal(t, status, m.Status)
	return pmid
}

func testMarkTransitions(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	tests := []struct {
		from       string
		mark       string
		wantStatus string // the status after; from when nothing changes
		wantCode   string
		wantError  string
	}{
		{store.MessageSending, store.MessageSent, store.MessageSent, "", ""},
		{store.MessageUnknown, store.MessageSent, store.MessageSent, "", ""},
		{store.MessagePending, store.MessageSent, store.MessageSent, "", ""},
		{store.MessageDelivered, store.MessageSent, store.MessageDelivered, "", ""},
		{store.MessageFailed, store.MessageSent, store.MessageFailed, "131026", "undeliverable"},
		{store.MessageSending, store.MessagePending, store.MessagePending, "E1", "rejected now"},
		{store.MessageUnknown, store.MessagePending, store.MessagePending, "E1", "rejected now"},
		{store.MessageSent, store.MessagePending, store.MessageSent, "", ""},
		{store.MessageSending, store.MessageFailed, store.MessageFailed, "E1", "rejected now"},
		{store.MessageUnknown, store.MessageFailed, store.MessageFailed, "E1", "rejected now"},
		{store.MessagePending, store.MessageFailed, store.MessageFailed, "E1", "rejected now"},
		{store.MessageRead, store.MessageFailed, store.MessageRead, "", ""},
		{store.MessageSending, store.MessageUnknown, store.MessageUnknown, "", "rejected now"},
		{store.MessagePending, store.MessageUnknown, store.MessagePending, "131000", "rejected"},
		{store.MessageSent, store.MessageUnknown, store.MessageSent, "", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s on %s", tt.mark, tt.from), func(t *testing.T) {
			key := "msg_" + randHex(8)
			reach(t, s, tenant, key, tt.from)
			before, err := s.Message(ctx, tenant, key)
			require.NoError(t, err)
			when := at(10)
			switch tt.mark {
			case store.MessageSent:
				err = s.MarkSent(ctx, key, "wamid.late", when)
			case store.MessagePending:
				err = s.ReleaseMessage(ctx, key, "E1", "rejected now", when)
			case store.MessageFailed:
				err = s.MarkFailed(ctx, key, "E1", "rejected now", when)
			case store.MessageUnknown:
				err = s.MarkUnknown(ctx, key, "rejected now", when)
			}
			require.NoError(t, err)
			got, err := s.Message(ctx, tenant, key)
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, got.Status)
			assert.Equal(t, tt.wantCode, got.ErrorCode)
			assert.Equal(t, tt.wantError, got.Error)
			assert.Equal(t, before.Attempts, got.Attempts)
			if tt.wantStatus == tt.from {
				assert.Equal(t, len(before.Timeline), len(got.Timeline), "no timeline row without a change")
				if tt.mark == store.MessageSent && before.ProviderMessageID == "" {
					assert.Equal(t, "wamid.late", got.ProviderMessageID, "a missing provider id is filled")
				} else {
					assert.Equal(t, before.ProviderMessageID, got.ProviderMessageID)
				}
				return
			}
			require.Len(t, got.Timeline, len(before.Timeline)+1)
			last := got.Timeline[len(got.Timeline)-1]
			assert.Equal(t, store.MessageStatus{Status: tt.wantStatus, At: when.UTC(), ErrorCode: tt.wantCode, Error: tt.wantError}, last)
			assert.True(t, when.Equal(got.UpdatedAt))
			if tt.mark == store.MessageSent {
				assert.Equal(t, "wamid.late", got.ProviderMessageID)
			}
		})
	}

	t.Run("missing message", func(t *testing.T) {
		key := "msg_missing_" + randHex(4)
		for name, err := range map[string]error{
			"sent":    s.MarkSent(ctx, key, "wamid.x", at(0)),
			"release": s.ReleaseMessage(ctx, key, "", "x", at(0)),
			"failed":  s.MarkFailed(ctx, key, "", "x", at(0)),
			"unknown": s.MarkUnknown(ctx, key, "x", at(0)),
		} {
			assert.ErrorIs(t, err, store.ErrNotFound, name)
		}
	})
}

func testApplyStatus(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const (
		sent, delivered, read, failed = store.MessageSent, store.MessageDelivered, store.MessageRead, store.MessageFailed
	)
	tests := []struct {
		from, report string
		applied      bool
	}{
		{store.MessagePending, sent, true},
		{store.MessagePending, failed, true},
		{store.MessageSending, sent, true},
		{store.MessageSending, delivered, true},
		{store.MessageSending, read, true},
		{store.MessageSending, failed, true},
		{store.MessageUnknown, sent, true},
		{store.MessageUnknown, delivered, true},
		{store.MessageUnknown, failed, true},
		{sent, sent, false},
		{sent, delivered, true},
		{sent, read, true},
		{sent, failed, true},
		{delivered, sent, false},
		{delivered, delivered, false},
		{delivered, read, true},
		{delivered, failed, false},
		{read, sent, false},
		{read, delivered, false},
		{read, read, false},
		{read, failed, false},
		{failed, sent, false},
		{failed, failed, false},
		{failed, delivered, true},
		{failed, read, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s after %s", tt.report, tt.from), func(t *testing.T) {
			key := "msg_" + randHex(8)
			pmid := reach(t, s, tenant, key, tt.from)
			before, err := s.Message(ctx, tenant, key)
			require.NoError(t, err)
			u := store.StatusUpdate{Tenant: tenant, ProviderMessageID: pmid, Status: tt.report, At: at(30)}
			if pmid == "" {
				// Not yet recorded as sent: the BSP's id is new to us and
				// the message is found by the key echoed back.
				u.ProviderMessageID, u.Key = "wamid.report."+key, key
			}
			if tt.report == failed {
				u.ErrorCode, u.Error = "131049", "ecosystem engagement"
			}
			applied, err := s.ApplyStatus(ctx, u)
			require.NoError(t, err)
			assert.Equal(t, tt.applied, applied)

			got, err := s.Message(ctx, tenant, key)
			require.NoError(t, err)
			if !tt.applied {
				assert.Equal(t, before, got, "nothing changes")
				return
			}
			assert.Equal(t, tt.report, got.Status)
			assert.True(t, at(30).Equal(got.UpdatedAt))
			assert.Equal(t, u.ProviderMessageID, got.ProviderMessageID)
			if tt.report == failed {
				assert.Equal(t, "131049", got.ErrorCode)
				assert.Equal(t, "ecosystem engagement", got.Error)
			} else {
				assert.Empty(t, got.ErrorCode)
				assert.Empty(t, got.Error)
			}
			require.Len(t, got.Timeline, len(before.Timeline)+1)
			assert.Equal(t, store.MessageStatus{Status: tt.report, At: at(30).UTC(), ErrorCode: u.ErrorCode, Error: u.Error},
				got.Timeline[len(got.Timeline)-1])
		})
	}

	t.Run("unknown status", func(t *testing.T) {
		key := "msg_" + randHex(8)
		reach(t, s, tenant, key, sent)
		_, err := s.ApplyStatus(ctx, store.StatusUpdate{Tenant: tenant, Key: key, Status: "deleted", At: at(30)})
		require.Error(t, err)
		assert.NotErrorIs(t, err, store.ErrNotFound)
	})
}

func testApplyStatusLookup(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	keyA, keyB := "msg_a_"+randHex(6), "msg_b_"+randHex(6)
	pmidA := reach(t, s, tenant, keyA, store.MessageSent)
	reach(t, s, tenant, keyB, store.MessageSent)

	tests := []struct {
		name    string
		update  store.StatusUpdate
		wantKey string // "" : not found
	}{
		{"by provider id", store.StatusUpdate{Tenant: tenant, ProviderMessageID: pmidA, Status: store.MessageDelivered}, keyA},
		{"provider id wins over key", store.StatusUpdate{Tenant: tenant, ProviderMessageID: pmidA, Key: keyB, Status: store.MessageRead}, keyA},
		{"by key", store.StatusUpdate{Tenant: tenant, Key: keyB, Status: store.MessageDelivered}, keyB},
		{"unknown provider id falls back to key", store.StatusUpdate{Tenant: tenant, ProviderMessageID: "wamid.other", Key: keyB, Status: store.MessageRead}, keyB},
		{"unknown provider id", store.StatusUpdate{Tenant: tenant, ProviderMessageID: "wamid.none", Status: store.MessageRead}, ""},
		{"unknown key", store.StatusUpdate{Tenant: tenant, Key: "msg_none", Status: store.MessageRead}, ""},
		{"nothing to find by", store.StatusUpdate{Tenant: tenant, Status: store.MessageRead}, ""},
		{"other tenant", store.StatusUpdate{Tenant: newTenant(), ProviderMessageID: pmidA, Key: keyA, Status: store.MessageRead}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.update.At = at(40)
			applied, err := s.ApplyStatus(ctx, tt.update)
			if tt.wantKey == "" {
				require.ErrorIs(t, err, store.ErrNotFound)
				return
			}
			require.NoError(t, err)
			assert.True(t, applied)
			m, err := s.Message(ctx, tenant, tt.wantKey)
			require.NoError(t, err)
			assert.Equal(t, tt.update.Status, m.Status)
		})
	}
}

func testApplyStatusOutOfOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	tests := []struct {
		name       string
		reports    []string // in arrival order, report i happened at at(10+i)
		wantStatus string
		applied    []bool
	}{
		{"in order", []string{"sent", "delivered", "read"}, "read", []bool{true, true, true}},
		{"reversed", []string{"read", "delivered", "sent"}, "read", []bool{true, false, false}},
		{"duplicates", []string{"delivered", "delivered", "sent", "delivered"}, "delivered", []bool{true, false, false, false}},
		{"failed after sent", []string{"sent", "failed", "sent"}, "failed", []bool{true, true, false}},
		{"delivered overrides failed", []string{"failed", "delivered", "failed", "read"}, "read", []bool{true, true, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "msg_" + randHex(8)
			_, _, err := s.ClaimMessage(ctx, newMessage(tenant, key, 0, 0))
			require.NoError(t, err)
			var got []bool
			for i, st := range tt.reports {
				applied, err := s.ApplyStatus(ctx, store.StatusUpdate{
					Tenant: tenant, ProviderMessageID: "wamid." + key, Key: key, Status: st, At: at(10 + i),
				})
				require.NoError(t, err)
				got = append(got, applied)
			}
			assert.Equal(t, tt.applied, got)
			m, err := s.Message(ctx, tenant, key)
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, m.Status)
			assert.Equal(t, "wamid."+key, m.ProviderMessageID)
			want := []string{store.MessageSending}
			for i, st := range tt.reports {
				if tt.applied[i] {
					want = append(want, st)
				}
			}
			assert.Equal(t, want, statuses(m), "timeline in time order, one row per applied report")
		})
	}
}

func testListMessages(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	var keys []string
	for i := range 5 {
		key := fmt.Sprintf("msg_%d_%s", i, randHex(4))
		keys = append(keys, key)
		m := newMessage(tenant, key, i, i)
		m.MemberID = fmt.Sprintf("mem_%d", i%2)
		_, _, err := s.ClaimMessage(ctx, m)
		require.NoError(t, err)
		if i%2 == 0 {
			require.NoError(t, s.MarkSent(ctx, key, "wamid."+key, at(i+1)))
		}
	}
	_, _, err := s.ClaimMessage(ctx, newMessage(newTenant(), "msg_other_"+randHex(4), 9, 9))
	require.NoError(t, err)

	tests := []struct {
		name   string
		filter store.MessageFilter
		want   []int // indexes into keys
	}{
		{"all, newest first", store.MessageFilter{}, []int{4, 3, 2, 1, 0}},
		{"limit", store.MessageFilter{Limit: 2}, []int{4, 3}},
		{"by member", store.MessageFilter{MemberID: "mem_1"}, []int{3, 1}},
		{"by status", store.MessageFilter{Status: store.MessageSent}, []int{4, 2, 0}},
		{"by member and status", store.MessageFilter{MemberID: "mem_0", Status: store.MessageSending}, nil},
		{"over the maximum limit", store.MessageFilter{Limit: 5000}, []int{4, 3, 2, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := s.ListMessages(ctx, tenant, tt.filter)
			require.NoError(t, err)
			var want, got []string
			for _, i := range tt.want {
				want = append(want, keys[i])
			}
			for _, m := range ms {
				got = append(got, m.Key)
				assert.Empty(t, m.Timeline, "lists carry no timeline")
			}
			assert.Equal(t, want, got)
		})
	}
}

// testMessageCommand checks that a claim keeps the command it is given, a
// take-over without one keeps the earlier one, and a message claimed
// without one has none.
func testMessageCommand(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	withCmd := newMessage(tenant, "msg_"+randHex(8), 0, 0)
	withCmd.Kind, withCmd.Template = "text", ""
	withCmd.Command = []byte(`{"key":"k","kind":"text","text":"Halo","fallback":{"name":"reminder","language":"id"}}`)
	_, claimed, err := s.ClaimMessage(ctx, withCmd)
	require.NoError(t, err)
	require.True(t, claimed)
	require.NoError(t, s.ReleaseMessage(ctx, withCmd.Key, "131000", "try later", at(1)))
	again := withCmd
	again.Command = nil
	_, claimed, err = s.ClaimMessage(ctx, again)
	require.NoError(t, err)
	require.True(t, claimed)
	m, err := s.Message(ctx, tenant, withCmd.Key)
	require.NoError(t, err)
	assert.JSONEq(t, string(withCmd.Command), string(m.Command))

	without := newMessage(tenant, "msg_"+randHex(8), 0, 0)
	_, _, err = s.ClaimMessage(ctx, without)
	require.NoError(t, err)
	m, err = s.Message(ctx, tenant, without.Key)
	require.NoError(t, err)
	assert.Empty(t, m.Command)
}

func testMessageFallback(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	text := func() store.Message {
		m := newMessage(tenant, "msg_"+randHex(8), 0, 0)
		m.Kind, m.Template = "text", ""
		return m
	}

	t.Run("a text sent as its fallback template", func(t *testing.T) {
		m := text()
		_, claimed, err := s.ClaimMessage(ctx, m)
		require.NoError(t, err)
		require.True(t, claimed)
		require.NoError(t, s.MarkFallback(ctx, m.Key, "we_miss_you", at(1)))
		require.NoError(t, s.MarkSent(ctx, m.Key, "wamid.fb", at(2)))
		got, err := s.Message(ctx, tenant, m.Key)
		require.NoError(t, err)
		assert.Equal(t, store.SentAsFallback, got.SentAs)
		assert.Equal(t, "we_miss_you", got.Template)
		assert.Equal(t, "text", got.Kind, "the kind stays what was asked")
		assert.Equal(t, store.MessageSent, got.Status)
		listed, err := s.ListMessages(ctx, tenant, store.MessageFilter{})
		require.NoError(t, err)
		require.NotEmpty(t, listed)
		assert.Equal(t, store.SentAsFallback, listed[0].SentAs)
		assert.Equal(t, "we_miss_you", listed[0].Template)
	})
	t.Run("a text sent as written", func(t *testing.T) {
		m := text()
		_, _, err := s.ClaimMessage(ctx, m)
		require.NoError(t, err)
		require.NoError(t, s.MarkSent(ctx, m.Key, "wamid.text", at(2)))
		got, err := s.Message(ctx, tenant, m.Key)
		require.NoError(t, err)
		assert.Empty(t, got.SentAs)
		assert.Empty(t, got.Template)
	})
	t.Run("claimed as the fallback of another message", func(t *testing.T) {
		m := newMessage(tenant, "msg_"+randHex(8)+"~fallback", 0, 0)
		m.SentAs = store.SentAsFallback
		cur, claimed, err := s.ClaimMessage(ctx, m)
		require.NoError(t, err)
		require.True(t, claimed)
		assert.Equal(t, store.SentAsFallback, cur.SentAs)
	})
	t.Run("a later claim decides again", func(t *testing.T) {
		m := text()
		_, _, err := s.ClaimMessage(ctx, m)
		require.NoError(t, err)
		require.NoError(t, s.MarkFallback(ctx, m.Key, "we_miss_you", at(1)))
		require.NoError(t, s.ReleaseMessage(ctx, m.Key, "131000", "try later", at(2)))
		cur, claimed, err := s.ClaimMessage(ctx, m)
		require.NoError(t, err)
		require.True(t, claimed)
		assert.Empty(t, cur.SentAs, "the window may have opened since")
		assert.Empty(t, cur.Template)
	})
	t.Run("unknown key", func(t *testing.T) {
		err := s.MarkFallback(ctx, "msg_"+randHex(8), "we_miss_you", at(1))
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
