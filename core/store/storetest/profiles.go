package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// testMemberProfiles: the profile an event's ref carries is merged into
// the member's in the transaction that upserts the member, whether the
// member is new (by phone or by customer id) or known, and read back.
func testMemberProfiles(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)

	ev, ref := shopOrder(tenant, "P-1", "+6281200000701", "", "", "1000", at(0))
	ref.Profile = member.Profile{Source: "shopify", Store: "jkt-01", City: "Jakarta", Language: "id",
		Tags: []string{"vip", "staff"}, Attributes: map[string]any{"size": "M", "kids": float64(2)}}
	res, err := apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	m, err := s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Equal(t, ref.Profile, m.Profile, "a new member's profile")

	ev, ref = shopOrder(tenant, "P-2", "+6281200000701", "", "", "1000", at(1))
	ref.Profile = member.Profile{Source: "pos", City: "Bandung", Tags: []string{"new", "vip"},
		Attributes: map[string]any{"size": "L", "pet": true}}
	_, err = apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	m, err = s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Equal(t, member.Profile{Source: "shopify", Store: "jkt-01", City: "Bandung", Language: "id",
		Tags: []string{"vip", "staff", "new"}, Attributes: map[string]any{"size": "L", "kids": float64(2), "pet": true}},
		m.Profile, "merged: scalars overwrite, tags union, attributes by key, source kept")

	byPhone, err := s.MemberByPhone(ctx, tenant, "+6281200000701")
	require.NoError(t, err)
	assert.Equal(t, m.Profile, byPhone.Profile)

	// A member first known by a customer id alone.
	ev, ref = shopOrder(tenant, "P-3", "", "9001", "", "1000", at(2))
	ref.Profile = member.Profile{Source: "shopify", City: "Medan"}
	res, err = apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	m, err = s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Equal(t, member.Profile{Source: "shopify", City: "Medan"}, m.Profile)

	// An event without a profile leaves it as it is.
	ev, ref = shopOrder(tenant, "P-4", "", "9001", "", "1000", at(3))
	_, err = apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	m, err = s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Equal(t, member.Profile{Source: "shopify", City: "Medan"}, m.Profile)

	// Two members merged into one keep what both profiles said.
	ev, ref = shopOrder(tenant, "PM-1", "+6281200000990", "", "", "1000", at(5))
	ref.Profile = member.Profile{Source: "pos", City: "Medan", Tags: []string{"a"}, Attributes: map[string]any{"x": "1"}}
	_, err = apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	ev, ref = shopOrder(tenant, "PM-2", "", "9090", "", "1000", at(6))
	ref.Profile = member.Profile{Source: "shopify", Store: "s-9", Tags: []string{"b", "a"}, Attributes: map[string]any{"y": "2"}}
	res, err = apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	m, err = s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	require.Equal(t, "s-9", m.Profile.Store, "before the merge")
	ev, ref = shopOrder(tenant, "PM-3", "+6281200000990", "9090", "", "1000", at(7))
	res, err = apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	require.Len(t, res.Merged, 1, "the two members merged")
	m, err = s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Equal(t, "Medan", m.Profile.City)
	assert.Equal(t, "s-9", m.Profile.Store)
	assert.ElementsMatch(t, []string{"a", "b"}, m.Profile.Tags)
	assert.Equal(t, map[string]any{"x": "1", "y": "2"}, m.Profile.Attributes)
	assert.Contains(t, []string{"pos", "shopify"}, m.Profile.Source)

	// Concurrent transactions, which a store may commit together, each
	// keep their member's profile.
	var wg sync.WaitGroup
	results := make([]store.AccountResult, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Go(func() {
			ev, ref := shopOrder(tenant, fmt.Sprintf("PC-%d", i), fmt.Sprintf("+62812000009%02d", i), "", "", "1000", at(10+i))
			ref.Profile = member.Profile{Source: "pos", Store: fmt.Sprintf("s-%d", i), Tags: []string{"t", fmt.Sprint(i)}}
			results[i], errs[i] = apply(ctx, s, p, ev, ref)
		})
	}
	wg.Wait()
	for i, res := range results {
		require.NoError(t, errs[i])
		m, err := s.Member(ctx, tenant, res.Member.ID)
		require.NoError(t, err)
		assert.Equal(t, member.Profile{Source: "pos", Store: fmt.Sprintf("s-%d", i), Tags: []string{"t", fmt.Sprint(i)}}, m.Profile)
	}
}

// testTagMember: tags are added after the member's own and removed, in
// one write that keeps the rest of the profile; the same change again
// changes nothing; an unknown member is ErrNotFound.
func testTagMember(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	ev, ref := shopOrder(tenant, "T-1", "+6281200000711", "", "", "1000", at(0))
	ref.Profile = member.Profile{City: "Jakarta", Tags: []string{"lapsed", "staff"}}
	res, err := apply(ctx, s, p, ev, ref)
	require.NoError(t, err)

	for range 2 {
		tags, err := s.TagMember(ctx, tenant, res.Member.ID, []string{"vip-candidate", " staff "}, []string{"lapsed", "never-had"})
		require.NoError(t, err)
		assert.Equal(t, []string{"staff", "vip-candidate"}, tags)
		m, err := s.Member(ctx, tenant, res.Member.ID)
		require.NoError(t, err)
		assert.Equal(t, member.Profile{City: "Jakarta", Tags: []string{"staff", "vip-candidate"}}, m.Profile, "the rest of the profile stays")
	}

	tags, err := s.TagMember(ctx, tenant, res.Member.ID, nil, []string{"staff", "vip-candidate"})
	require.NoError(t, err)
	assert.Empty(t, tags)
	m, err := s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Empty(t, m.Profile.Tags, "every tag removed")

	_, err = s.TagMember(ctx, tenant, "mem_nobody", []string{"vip"}, nil)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.TagMember(ctx, newTenant(), res.Member.ID, []string{"vip"}, nil)
	require.ErrorIs(t, err, store.ErrNotFound, "another tenant's member")
}
