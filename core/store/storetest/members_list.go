package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// testListMembers: the filters of ListMembers each select what they say,
// pages follow one another by the cursor without overlap, merged members
// are never listed, and each member comes with its contact's consent.
func testListMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	type seed struct {
		phone, customer, name, email string
		p                            member.Profile
		sec                          int
	}
	seeds := []seed{
		{phone: "+6281200000801", name: "Sari Wulandari", email: "sari@example.com", sec: 0,
			p: member.Profile{Source: "shopify", Store: "jkt-01", City: "Jakarta", Tags: []string{"vip", "staff"}}},
		{phone: "+6281200000802", name: "Budi Santoso", email: "budi@example.com", sec: 10,
			p: member.Profile{Source: "pos", Store: "bdg-02", City: "Bandung", Tags: []string{"new"}}},
		{phone: "+6281200000803", name: "Dewi", sec: 20,
			p: member.Profile{Source: "import", City: "jakarta", Tags: []string{"vipx"}}},
		{customer: "c-9", name: "Rina", email: "rina@shop.example", sec: 30,
			p: member.Profile{Source: "shopify"}},
	}
	ids := map[string]string{}
	for i, sd := range seeds {
		ref := store.AccountRef{Phone: sd.phone, Name: sd.name, Email: sd.email, Connector: "shop", CustomerID: sd.customer,
			Create: true, Unrecorded: true, Profile: sd.p}
		res, err := s.Transact(ctx, tenant, "ev_list_"+sd.name, ref, at(sd.sec), func(*loyalty.Account) error { return nil })
		require.NoError(t, err, "seed %d", i)
		ids[sd.name] = res.Member.ID
	}
	_, err := s.UpdateContact(ctx, tenant, store.ContactRef{Phone: "+6281200000801"},
		member.SetConsent(member.ConsentOptedIn, "import: store signup form", at(5)))
	require.NoError(t, err)
	// Another tenant's member is never listed.
	_, err = s.Transact(ctx, newTenant(), "ev_other", store.AccountRef{Phone: "+6281200000801", Create: true, Unrecorded: true},
		at(0), func(*loyalty.Account) error { return nil })
	require.NoError(t, err)

	names := func(f store.MemberFilter) []string {
		t.Helper()
		ms, err := s.ListMembers(ctx, tenant, f)
		require.NoError(t, err)
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	tests := []struct {
		name string
		f    store.MemberFilter
		want []string
	}{
		{"all", store.MemberFilter{}, []string{"Sari Wulandari", "Budi Santoso", "Dewi", "Rina"}},
		{"name, any case", store.MemberFilter{Query: "SANTO"}, []string{"Budi Santoso"}},
		{"email", store.MemberFilter{Query: "shop.example"}, []string{"Rina"}},
		{"phone digits", store.MemberFilter{Query: "0812-0000-0803"[5:]}, []string{"Dewi"}},
		{"phone in another notation", store.MemberFilter{Query: "+62 812 0000 0802"}, []string{"Budi Santoso"}},
		{"tag, exactly", store.MemberFilter{Tag: "vip"}, []string{"Sari Wulandari"}},
		{"store", store.MemberFilter{Store: "bdg-02"}, []string{"Budi Santoso"}},
		{"city, any case", store.MemberFilter{City: "JAKARTA"}, []string{"Sari Wulandari", "Dewi"}},
		{"source", store.MemberFilter{Source: "shopify"}, []string{"Sari Wulandari", "Rina"}},
		{"joined after", store.MemberFilter{JoinedAfter: at(20)}, []string{"Dewi", "Rina"}},
		{"joined before", store.MemberFilter{JoinedBefore: at(10)}, []string{"Sari Wulandari"}},
		{"both", store.MemberFilter{JoinedAfter: at(10), JoinedBefore: at(30), City: "jakarta"}, []string{"Dewi"}},
		{"tier", store.MemberFilter{Tier: "gold"}, nil},
		{"nothing matches", store.MemberFilter{Query: "zzz"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ElementsMatch(t, tt.want, names(tt.f))
		})
	}

	t.Run("pages", func(t *testing.T) {
		var seen []string
		f := store.MemberFilter{Limit: 3}
		for range 5 {
			page, err := s.ListMembers(ctx, tenant, f)
			require.NoError(t, err)
			for _, m := range page {
				seen = append(seen, m.ID)
			}
			if len(page) < f.Limit {
				break
			}
			f.After = page[len(page)-1].ID
		}
		assert.Len(t, seen, 4)
		assert.IsIncreasing(t, seen, "by id, no member twice")
	})

	t.Run("consent and profile", func(t *testing.T) {
		ms, err := s.ListMembers(ctx, tenant, store.MemberFilter{Query: "sari"})
		require.NoError(t, err)
		require.Len(t, ms, 1)
		assert.Equal(t, member.ConsentOptedIn, ms[0].Consent)
		assert.Equal(t, seeds[0].p, ms[0].Profile)
		assert.Equal(t, "+6281200000801", ms[0].Phone)
		ms, err = s.ListMembers(ctx, tenant, store.MemberFilter{Query: "rina"})
		require.NoError(t, err)
		require.Len(t, ms, 1)
		assert.Empty(t, ms[0].Consent)
		assert.Empty(t, ms[0].Phone, "a member without a phone")
	})

	t.Run("merged members are not listed", func(t *testing.T) {
		// Rina's customer id and Budi's phone in one event merge them.
		ref := store.AccountRef{Phone: "+6281200000802", Connector: "shop", CustomerID: "c-9", Create: true, Unrecorded: true}
		_, err := s.Transact(ctx, tenant, "ev_list_merge", ref, at(40), func(*loyalty.Account) error { return nil })
		require.NoError(t, err)
		got, err := s.ListMembers(ctx, tenant, store.MemberFilter{})
		require.NoError(t, err)
		assert.Len(t, got, 3)
	})
}
