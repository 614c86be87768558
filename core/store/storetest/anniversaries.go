package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// testAnniversaries lists members by the UTC day they joined, in pages by
// id, leaving out those who joined too late and those celebrated this
// year, and keeps a celebration's year with the member.
func testAnniversaries(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p, err := loyalty.Compile(tenant, config.Loyalty{
		Combine: config.CombineStack, Expiry: config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: time.Minute},
		Rules:   []config.EarnRule{{Name: "anniversary", On: loyalty.TypeMemberAnniversary, Points: "25"}},
	}, time.UTC)
	require.NoError(t, err)
	var ids []string
	for i, at := range []time.Time{
		time.Date(2024, 6, 11, 0, 0, 1, 0, time.UTC),
		time.Date(2023, 6, 11, 23, 59, 0, 0, time.UTC),
		time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC),
		time.Date(2025, 6, 12, 12, 0, 0, 0, time.UTC), // not listed: the 12th
		time.Date(2026, 6, 11, 12, 0, 0, 0, time.UTC), // not listed: joined this year
	} {
		res, err := s.Transact(ctx, tenant, fmt.Sprintf("join-%d", i),
			store.AccountRef{Phone: "+62814" + randDigits(7), Create: true}, at,
			func(*loyalty.Account) error { return nil })
		require.NoError(t, err)
		assert.True(t, res.Member.CreatedAt.Equal(at), "joined at %s, stored %s", at, res.Member.CreatedAt)
		ids = append(ids, res.Member.ID)
	}
	before := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	list := func(after string, limit int) []string {
		t.Helper()
		js, err := s.AnniversaryMembers(ctx, tenant, []int{610, 611}, before, 2026, after, limit)
		require.NoError(t, err)
		var out []string
		for _, j := range js {
			out = append(out, j.ID)
		}
		return out
	}
	want := []string{ids[0], ids[1], ids[2]}
	assert.ElementsMatch(t, want, list("", 10))
	first := list("", 2)
	require.Len(t, first, 2)
	rest := list(first[1], 2)
	assert.ElementsMatch(t, want, append(first, rest...), "pages by id")

	now := time.Date(2026, 6, 11, 9, 0, 0, 0, time.UTC)
	res, err := s.Transact(ctx, tenant, "anniversary-2026", store.AccountRef{MemberID: ids[0]}, now,
		func(a *loyalty.Account) error {
			ok, err := p.CelebrateAnniversary(a, "anniversary-2026", now)
			assert.True(t, ok)
			return err
		})
	require.NoError(t, err)
	assert.EqualValues(t, 25, res.Member.Balance)
	m, err := s.Member(ctx, tenant, ids[0])
	require.NoError(t, err)
	assert.Equal(t, 2026, m.AnniversaryYear)
	assert.ElementsMatch(t, []string{ids[1], ids[2]}, list("", 10), "celebrated this year")
	js, err := s.AnniversaryMembers(ctx, tenant, []int{611}, before, 2027, "", 10)
	require.NoError(t, err)
	assert.Len(t, js, 2, "and listed again next year")
}
