package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// testLinks stores a message's short links idempotently, refuses a code
// another link holds, and records clicks only on known codes.
func testLinks(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	key := "msg_" + randHex(6)
	code := "L" + randHex(6)
	link := store.Link{Code: code, Tenant: tenant, MessageKey: key, URL: "https://shop.example/cart?id=7&t=ü", CreatedAt: at(5)}
	other := store.Link{Code: "L" + randHex(6), Tenant: tenant, MessageKey: key, URL: "https://shop.example/", CreatedAt: at(5)}

	require.NoError(t, s.SaveLinks(ctx, nil), "no links, nothing to do")
	require.NoError(t, s.SaveLinks(ctx, []store.Link{link, other}))
	again := link
	again.CreatedAt = at(900)
	require.NoError(t, s.SaveLinks(ctx, []store.Link{again, other}), "a resend saves the same links again")

	got, err := s.Link(ctx, code)
	require.NoError(t, err)
	assert.Equal(t, link.URL, got.URL)
	assert.Equal(t, tenant, got.Tenant)
	assert.Equal(t, key, got.MessageKey)
	assert.True(t, got.CreatedAt.Equal(at(5)), "the first save's time is kept: %s", got.CreatedAt)

	for name, clash := range map[string]store.Link{
		"url":     {Code: code, Tenant: tenant, MessageKey: key, URL: "https://elsewhere.example/"},
		"message": {Code: code, Tenant: tenant, MessageKey: key + "x", URL: link.URL},
		"tenant":  {Code: code, Tenant: newTenant(), MessageKey: key, URL: link.URL},
	} {
		fresh := store.Link{Code: "L" + randHex(6), Tenant: tenant, MessageKey: key, URL: "https://shop.example/new"}
		err := s.SaveLinks(ctx, []store.Link{fresh, clash})
		require.ErrorIs(t, err, store.ErrLinkTaken, name)
		_, err = s.Link(ctx, fresh.Code)
		require.ErrorIs(t, err, store.ErrNotFound, "%s: a refused save stores none of its links", name)
	}
	got, err = s.Link(ctx, code)
	require.NoError(t, err)
	assert.Equal(t, link.URL, got.URL, "the stored link is not overwritten")

	_, err = s.Link(ctx, "nope"+randHex(4))
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.RecordClick(ctx, store.Click{Code: "nope" + randHex(4), At: at(10), Agent: "mobile"})
	require.ErrorIs(t, err, store.ErrNotFound)

	clicked, err := s.RecordClick(ctx, store.Click{Code: code, At: at(10), Agent: "desktop"})
	require.NoError(t, err)
	assert.Equal(t, link.URL, clicked.URL)
	assert.Equal(t, key, clicked.MessageKey)
}
