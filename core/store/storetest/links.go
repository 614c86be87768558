package storetest

import (
	"context"
	"testing"
	"time"

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

// testRedactLinks erases the short links of a person's messages with the
// person (a URL may name them), keeping the clicks the funnel counts and
// other people's links.
func testRedactLinks(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	phone, otherPhone := "+62815"+randDigits(7), "+62816"+randDigits(7)
	res, err := apply(ctx, s, p, orderEvent(tenant, "A-1", phone, "100000", at(0)),
		store.AccountRef{Phone: phone, Name: "Sari", OrderID: "A-1", Create: true})
	require.NoError(t, err)
	memberID := res.Member.ID
	other, err := apply(ctx, s, p, orderEvent(tenant, "B-1", otherPhone, "50000", at(1)),
		store.AccountRef{Phone: otherPhone, Name: "Budi", OrderID: "B-1", Create: true})
	require.NoError(t, err)

	link := func(memberID, phone string) string {
		key := "msg_" + randHex(6)
		_, ok, err := s.ClaimMessage(ctx, store.Message{Key: key, Tenant: tenant, MemberID: memberID, Recipient: phone,
			Kind: "template", Origin: "rule:cart", CreatedAt: at(10)})
		require.NoError(t, err)
		require.True(t, ok)
		code := "R" + randHex(6)
		require.NoError(t, s.SaveLinks(ctx, []store.Link{{Code: code, Tenant: tenant, MessageKey: key,
			URL: "https://shop.example/cart/" + randHex(4), CreatedAt: at(10)}}))
		_, err = s.RecordClick(ctx, store.Click{Code: code, At: at(20), Agent: "mobile"})
		require.NoError(t, err)
		return code
	}
	ofMember := link(memberID, phone)
	toPhone := link("", phone) // an answer of the chat before they joined
	others := link(other.Member.ID, otherPhone)

	require.NoError(t, s.RedactMember(ctx, tenant, memberID))
	for _, code := range []string{ofMember, toPhone} {
		_, err := s.Link(ctx, code)
		require.ErrorIs(t, err, store.ErrNotFound, "the erased person's link goes")
	}
	_, err = s.Link(ctx, others)
	require.NoError(t, err, "another member's link stays")
	funnel, err := s.Funnel(ctx, store.FunnelQuery{Tenant: tenant, From: at(0), To: at(100), Window: time.Hour})
	require.NoError(t, err)
	require.Len(t, funnel, 1)
	assert.EqualValues(t, 3, funnel[0].Clicked, "the clicks stay counted")
}
