package storetest

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// ids lists the provider message ids of ms, in order.
func ids(ms []store.InboundMessage) []string {
	return pluck(ms, func(m store.InboundMessage) string { return m.ProviderMessageID })
}

func testInboundContent(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	phone, otherPhone := "+62817"+randDigits(7), "+62818"+randDigits(7)
	bsuid := "ID." + randHex(8)
	flow := json.RawMessage(`{"flow":{"name":"flow","body":"Sent","response_json":"{\"size\":\"L\",\"flow_token\":\"t1\"}"},"wa_id":"62817"}`)
	reaction := json.RawMessage(`{"reaction":{"message_id":"wamid.ours","emoji":"❤️"}}`)
	card := json.RawMessage(`{"contacts":[{"name":{"formatted_name":"Rina"},"phones":[{"phone":"+62 811 0000 111","type":"CELL"}]}]}`)
	record := func(id string, ref store.ContactRef, typ, text string, content json.RawMessage, sec int) {
		t.Helper()
		_, dup, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: id, Contact: ref,
			Type: typ, Text: text, At: at(sec), Content: content})
		require.NoError(t, err)
		require.False(t, dup, id)
	}
	// The user id wrote alone before WhatsApp gave the phone number with it.
	record("wamid.1", store.ContactRef{UserID: bsuid}, "interactive", "", flow, 10)
	record("wamid.2", store.ContactRef{Phone: phone, UserID: bsuid}, "reaction", "", reaction, 20)
	record("wamid.3", store.ContactRef{Phone: phone}, "contacts", "", card, 30)
	record("wamid.4", store.ContactRef{Phone: phone}, "text", "halo", nil, 40)
	record("wamid.5", store.ContactRef{Phone: otherPhone}, "text", "someone else", nil, 50)

	tests := []struct {
		name  string
		ref   store.ContactRef
		limit int
		want  []string
	}{
		{"by phone, with the messages of its user id", store.ContactRef{Phone: phone}, 0, []string{"wamid.4", "wamid.3", "wamid.2", "wamid.1"}},
		{"by user id, with the messages of its phone", store.ContactRef{UserID: bsuid}, 0, []string{"wamid.4", "wamid.3", "wamid.2", "wamid.1"}},
		{"by both", store.ContactRef{Phone: phone, UserID: bsuid}, 0, []string{"wamid.4", "wamid.3", "wamid.2", "wamid.1"}},
		{"limited to the newest", store.ContactRef{Phone: phone}, 2, []string{"wamid.4", "wamid.3"}},
		{"another contact", store.ContactRef{Phone: otherPhone}, 0, []string{"wamid.5"}},
		{"nobody who wrote", store.ContactRef{Phone: "+62819" + randDigits(7)}, 0, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListInbound(ctx, tenant, tt.ref, tt.limit)
			require.NoError(t, err)
			assert.Equal(t, tt.want, ids(got))
		})
	}

	t.Run("content comes back as written", func(t *testing.T) {
		got, err := s.ListInbound(ctx, tenant, store.ContactRef{Phone: phone}, 0)
		require.NoError(t, err)
		require.Len(t, got, 4)
		byID := map[string]store.InboundMessage{}
		for _, m := range got {
			byID[m.ProviderMessageID] = m
			assert.Equal(t, tenant, m.Tenant)
		}
		assert.JSONEq(t, string(flow), string(byID["wamid.1"].Content))
		assert.JSONEq(t, string(reaction), string(byID["wamid.2"].Content))
		assert.JSONEq(t, string(card), string(byID["wamid.3"].Content))
		assert.Nil(t, byID["wamid.4"].Content, "a text has nothing else")
		assert.Equal(t, "halo", byID["wamid.4"].Text)
		assert.Equal(t, "reaction", byID["wamid.2"].Type)
		assert.True(t, at(20).Equal(byID["wamid.2"].At))
		assert.Equal(t, store.ContactRef{Phone: phone, UserID: bsuid}, byID["wamid.2"].Contact)
		assert.Equal(t, store.ContactRef{UserID: bsuid}, byID["wamid.1"].Contact, "recorded as it came")
	})

	t.Run("a duplicate keeps the first content", func(t *testing.T) {
		_, dup, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid.2",
			Contact: store.ContactRef{Phone: phone}, Type: "reaction", At: at(20),
			Content: json.RawMessage(`{"reaction":{"message_id":"wamid.ours","emoji":"👎"}}`)})
		require.NoError(t, err)
		require.True(t, dup)
		got, err := s.ListInbound(ctx, tenant, store.ContactRef{Phone: phone}, 0)
		require.NoError(t, err)
		require.Len(t, got, 4)
		assert.JSONEq(t, string(reaction), string(got[2].Content))
	})

	t.Run("content that is not a JSON object is refused", func(t *testing.T) {
		for _, c := range []string{`not json`, `["a"]`, `"text"`, `null`, `{"open":`} {
			_, _, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid.bad." + randHex(4),
				Contact: store.ContactRef{Phone: phone}, Type: "text", At: at(60), Content: json.RawMessage(c)})
			require.ErrorIs(t, err, store.ErrContentNotJSON, c)
		}
		got, err := s.ListInbound(ctx, tenant, store.ContactRef{Phone: phone}, 0)
		require.NoError(t, err)
		assert.Len(t, got, 4, "nothing recorded")
	})

	t.Run("tenants are apart", func(t *testing.T) {
		got, err := s.ListInbound(ctx, newTenant(), store.ContactRef{Phone: phone}, 0)
		require.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("a reference naming nobody is refused", func(t *testing.T) {
		_, err := s.ListInbound(ctx, tenant, store.ContactRef{}, 0)
		require.ErrorIs(t, err, store.ErrNoContact)
	})
}

func testErasures(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()

	_, err := s.Erasure(ctx, tenant, "req-1")
	require.ErrorIs(t, err, store.ErrNotFound)

	first := store.Erasure{Tenant: tenant, RequestID: "req-1", Actor: "dpo@example.com",
		Members: []string{"mem_a", "mem_b"}, DeadLetters: 3, At: at(10)}
	kept, recorded, err := s.RecordErasure(ctx, first)
	require.NoError(t, err)
	assert.True(t, recorded)
	assert.Equal(t, first.Members, kept.Members)
	assert.True(t, at(10).Equal(kept.At))

	t.Run("the same request id keeps the first record", func(t *testing.T) {
		kept, recorded, err := s.RecordErasure(ctx, store.Erasure{Tenant: tenant, RequestID: "req-1", Actor: "someone else",
			DeadLetters: 0, At: at(20)})
		require.NoError(t, err)
		assert.False(t, recorded)
		assert.Equal(t, "dpo@example.com", kept.Actor)
		assert.Equal(t, []string{"mem_a", "mem_b"}, kept.Members)
		assert.Equal(t, 3, kept.DeadLetters)
		assert.True(t, at(10).Equal(kept.At))
		got, err := s.Erasure(ctx, tenant, "req-1")
		require.NoError(t, err)
		assert.Equal(t, kept, got)
		assert.Equal(t, time.UTC, got.At.Location())
	})

	t.Run("nobody erased is a list", func(t *testing.T) {
		kept, recorded, err := s.RecordErasure(ctx, store.Erasure{Tenant: tenant, RequestID: "req-none"})
		require.NoError(t, err)
		assert.True(t, recorded)
		assert.Equal(t, []string{}, kept.Members)
		assert.False(t, kept.At.IsZero(), "stamped now")
		got, err := s.Erasure(ctx, tenant, "req-none")
		require.NoError(t, err)
		assert.Equal(t, []string{}, got.Members)
	})

	t.Run("tenants are apart", func(t *testing.T) {
		_, err := s.Erasure(ctx, newTenant(), "req-1")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("tenant and request id are required", func(t *testing.T) {
		_, _, err := s.RecordErasure(ctx, store.Erasure{Tenant: tenant})
		require.Error(t, err)
		_, _, err = s.RecordErasure(ctx, store.Erasure{RequestID: "req-x"})
		require.Error(t, err)
	})

	t.Run("concurrent requests keep one record", func(t *testing.T) {
		const n = 6
		var wg sync.WaitGroup
		results := make(chan store.Erasure, n)
		firsts := make(chan bool, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				kept, recorded, err := s.RecordErasure(ctx, store.Erasure{Tenant: tenant, RequestID: "req-race",
					Actor: "op", Members: []string{"mem_" + string(rune('a'+i))}})
				assert.NoError(t, err)
				results <- kept
				firsts <- recorded
			}()
		}
		wg.Wait()
		close(results)
		close(firsts)
		recorded := 0
		for r := range firsts {
			if r {
				recorded++
			}
		}
		assert.Equal(t, 1, recorded, "one request recorded it")
		var seen []string
		for r := range results {
			seen = append(seen, r.Members...)
		}
		require.Len(t, seen, n)
		for _, m := range seen {
			assert.Equal(t, seen[0], m, "every caller is answered with the one record")
		}
	})
}
