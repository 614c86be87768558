package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

func testMigrate(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	m, _, _, err := s.Award(ctx, store.Award{Tenant: tenant, EventID: "ev_1", Rule: "base", Phone: "+6281200000001", Points: 10})
	require.NoError(t, err)

	t.Run("again", func(t *testing.T) {
		require.NoError(t, s.Migrate(ctx))
	})
	t.Run("concurrently", func(t *testing.T) {
		errs := make(chan error, 4)
		for range 4 {
			go func() { errs <- s.Migrate(ctx) }()
		}
		for range 4 {
			require.NoError(t, <-errs)
		}
	})
	t.Run("data kept", func(t *testing.T) {
		got, err := s.Member(ctx, tenant, m.ID)
		require.NoError(t, err)
		assert.Equal(t, m, got)
	})
}

func testMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant, other := newTenant(), newTenant()
	const phone = "+6281234567890"
	m, _, created, err := s.Award(ctx, store.Award{
		Tenant: tenant, EventID: "ev_1", Rule: "base", Phone: phone,
		Name: "Sari", Email: "sari@example.com", Points: 25, At: at(0),
	})
	require.NoError(t, err)
	require.True(t, created)
	assert.Regexp(t, `^mem_[0-9a-f]+$`, m.ID)
	assert.Equal(t, tenant, m.Tenant)
	assert.Equal(t, phone, m.Phone)
	assert.Equal(t, "Sari", m.Name)
	assert.Equal(t, "sari@example.com", m.Email)
	assert.Equal(t, int64(25), m.Balance)

	om, _, _, err := s.Award(ctx, store.Award{Tenant: other, EventID: "ev_1", Rule: "base", Phone: phone, Points: 5})
	require.NoError(t, err)
	assert.NotEqual(t, m.ID, om.ID, "the same phone in another tenant is another member")

	tests := []struct {
		name   string
		get    func() (member.Member, error)
		want   member.Member
		errNot bool
	}{
		{"by phone", func() (member.Member, error) { return s.MemberByPhone(ctx, tenant, phone) }, m, false},
		{"by id", func() (member.Member, error) { return s.Member(ctx, tenant, m.ID) }, m, false},
		{"other tenant by phone", func() (member.Member, error) { return s.MemberByPhone(ctx, other, phone) }, om, false},
		{"unknown phone", func() (member.Member, error) { return s.MemberByPhone(ctx, tenant, "+6281299999999") }, member.Member{}, true},
		{"unknown id", func() (member.Member, error) { return s.Member(ctx, tenant, "mem_missing") }, member.Member{}, true},
		{"id of another tenant", func() (member.Member, error) { return s.Member(ctx, other, m.ID) }, member.Member{}, true},
		{"unknown tenant", func() (member.Member, error) { return s.MemberByPhone(ctx, newTenant(), phone) }, member.Member{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get()
			if tt.errNot {
				require.ErrorIs(t, err, store.ErrNotFound)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func testAward(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const phone = "+6281200000002"
	first := store.Award{Tenant: tenant, EventID: "ev_order_1", Rule: "base", Phone: phone, Points: 100, Reason: "order 1", At: at(0)}
	m1, e1, created, err := s.Award(ctx, first)
	require.NoError(t, err)
	require.True(t, created)
	assert.Positive(t, e1.ID)
	assert.Equal(t, store.LedgerEntry{
		ID: e1.ID, Tenant: tenant, MemberID: m1.ID, EventID: "ev_order_1", Rule: "base", Kind: store.EntryEarn,
		Points: 100, BalanceAfter: 100, Reason: "order 1", CreatedAt: at(0).UTC(),
	}, e1)
	assert.Empty(t, m1.Name, "no name given yet")

	steps := []struct {
		name        string
		award       store.Award
		wantCreated bool
		wantEntry   *store.LedgerEntry // nil: a new entry
		wantPoints  int64
		wantBalance int64
		wantName    string
		wantEmail   string
	}{
		{
			name:        "repeat changes nothing",
			award:       first,
			wantEntry:   &e1,
			wantBalance: 100,
		},
		{
			name: "repeat with other points, name and email changes nothing",
			award: store.Award{Tenant: tenant, EventID: "ev_order_1", Rule: "base", Phone: phone, Points: 999,
				Name: "Budi", Email: "budi@example.com", At: at(5)},
			wantEntry:   &e1,
			wantBalance: 100,
		},
		{
			name:        "same event, other rule is a new entry and fills the empty name",
			award:       store.Award{Tenant: tenant, EventID: "ev_order_1", Rule: "bonus", Phone: phone, Points: 50, Name: "Budi", At: at(10)},
			wantCreated: true, wantPoints: 50, wantBalance: 150, wantName: "Budi",
		},
		{
			name: "a new event does not overwrite a name, fills the empty email",
			award: store.Award{Tenant: tenant, EventID: "ev_order_2", Rule: "base", Phone: phone, Points: 20,
				Name: "Other", Email: "budi@example.com", At: at(20)},
			wantCreated: true, wantPoints: 20, wantBalance: 170, wantName: "Budi", wantEmail: "budi@example.com",
		},
		{
			name:        "a negative award is recorded as given",
			award:       store.Award{Tenant: tenant, EventID: "ev_adjust", Rule: "manual", Phone: phone, Points: -30, At: at(30)},
			wantCreated: true, wantPoints: -30, wantBalance: 140, wantName: "Budi", wantEmail: "budi@example.com",
		},
	}
	// The steps build on each other, so they run in order, not as subtests.
	for _, st := range steps {
		m, e, created, err := s.Award(ctx, st.award)
		require.NoError(t, err, st.name)
		assert.Equal(t, st.wantCreated, created, st.name)
		assert.Equal(t, m1.ID, m.ID, st.name)
		assert.Equal(t, st.wantBalance, m.Balance, st.name)
		if st.wantEntry != nil {
			assert.Equal(t, *st.wantEntry, e, st.name)
			continue
		}
		assert.Greater(t, e.ID, e1.ID, st.name)
		assert.Equal(t, st.wantPoints, e.Points, st.name)
		assert.Equal(t, st.wantBalance, e.BalanceAfter, st.name)
		assert.Equal(t, st.wantName, m.Name, st.name)
		assert.Equal(t, st.wantEmail, m.Email, st.name)
		stored, err := s.Member(ctx, tenant, m.ID)
		require.NoError(t, err, st.name)
		assert.Equal(t, m, stored, st.name)
	}

	t.Run("a repeated event on another phone returns the original", func(t *testing.T) {
		m, e, created, err := s.Award(ctx, store.Award{Tenant: tenant, EventID: "ev_order_1", Rule: "base", Phone: "+6281200000099", Points: 1})
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, e1, e)
		assert.Equal(t, m1.ID, m.ID)
		_, err = s.MemberByPhone(ctx, tenant, "+6281200000099")
		require.ErrorIs(t, err, store.ErrNotFound, "no member is created for a repeated event")
	})
}

func testAwardValidation(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	valid := store.Award{Tenant: tenant, EventID: "ev_1", Rule: "base", Phone: "+6281200000003", Points: 1}
	tests := []struct {
		name   string
		mutate func(a *store.Award)
	}{
		{"no tenant", func(a *store.Award) { a.Tenant = "" }},
		{"no event", func(a *store.Award) { a.EventID = "" }},
		{"no rule", func(a *store.Award) { a.Rule = "" }},
		{"no phone", func(a *store.Award) { a.Phone = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := valid
			tt.mutate(&a)
			_, _, _, err := s.Award(ctx, a)
			require.Error(t, err)
		})
	}
	_, err := s.MemberByPhone(ctx, tenant, valid.Phone)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testAwardTimestamps(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	when := base.Add(123456789) // 123.456789 ms past the second
	m, e, _, err := s.Award(ctx, store.Award{Tenant: tenant, EventID: "ev_1", Rule: "base", Phone: "+6281200000004", Points: 1, At: when})
	require.NoError(t, err)
	assert.Equal(t, time.UTC, e.CreatedAt.Location())
	assert.Equal(t, time.UTC, m.CreatedAt.Location())
	assert.WithinDuration(t, when, e.CreatedAt, time.Millisecond)
	assert.False(t, m.CreatedAt.IsZero())

	es, err := s.Entries(ctx, tenant, m.ID, 0)
	require.NoError(t, err)
	require.Len(t, es, 1)
	assert.Equal(t, time.UTC, es[0].CreatedAt.Location())
	assert.WithinDuration(t, when, es[0].CreatedAt, time.Millisecond)
	assert.True(t, e.CreatedAt.Equal(es[0].CreatedAt), "returned and stored times agree")

	got, err := s.Member(ctx, tenant, m.ID)
	require.NoError(t, err)
	assert.True(t, m.CreatedAt.Equal(got.CreatedAt))
	assert.True(t, m.UpdatedAt.Equal(got.UpdatedAt))
}

// parallel runs f n times at once and returns when all have finished.
func parallel(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

func testAwardConcurrentSameEvent(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const n = 50
	type result struct {
		m       member.Member
		e       store.LedgerEntry
		created bool
		err     error
	}
	results := make([]result, n)
	parallel(n, func(i int) {
		// Half of the callers name a second phone: still one entry.
		phone := "+6281200000005"
		if i%2 == 1 {
			phone = "+6281200000006"
		}
		m, e, created, err := s.Award(ctx, store.Award{Tenant: tenant, EventID: "ev_same", Rule: "base", Phone: phone, Points: 7})
		results[i] = result{m, e, created, err}
	})
	var createdCount int
	var winner result
	for i, r := range results {
		require.NoError(t, r.err, "call %d", i)
		if r.created {
			createdCount++
			winner = r
		}
	}
	require.Equal(t, 1, createdCount, "exactly one call creates the entry")
	for _, r := range results {
		assert.Equal(t, winner.e, r.e)
		assert.Equal(t, winner.m.ID, r.m.ID)
	}
	es, err := s.Entries(ctx, tenant, winner.m.ID, 0)
	require.NoError(t, err)
	require.Len(t, es, 1)
	m, err := s.Member(ctx, tenant, winner.m.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(7), m.Balance)
}

func testAwardConcurrentNewMember(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const n = 50
	const phone = "+6281200000007"
	ids := make([]string, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		m, _, created, err := s.Award(ctx, store.Award{Tenant: tenant, EventID: fmt.Sprintf("ev_%d", i), Rule: "base",
			Phone: phone, Points: int64(i + 1)})
		if err == nil && !created {
			err = fmt.Errorf("award %d not created", i)
		}
		ids[i], errs[i] = m.ID, err
	})
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, ids[0], ids[i], "one member for one phone")
	}
	m, err := s.MemberByPhone(ctx, tenant, phone)
	require.NoError(t, err)
	es, err := s.Entries(ctx, tenant, m.ID, 1000)
	require.NoError(t, err)
	require.Len(t, es, n)
	var sum int64
	afters := make([]int64, 0, n)
	for _, e := range es {
		sum += e.Points
		afters = append(afters, e.BalanceAfter)
	}
	assert.Equal(t, int64(n*(n+1)/2), sum)
	assert.Equal(t, sum, m.Balance)
	assert.Equal(t, m.Balance, es[0].BalanceAfter, "the newest entry holds the balance")
	// Entries newest first: each balance_after is the previous one plus the entry's points.
	for i := 0; i+1 < len(es); i++ {
		assert.Equal(t, es[i+1].BalanceAfter+es[i].Points, es[i].BalanceAfter, "entry %d", es[i].ID)
	}
	assert.Equal(t, len(afters), len(slices.Compact(slices.Sorted(slices.Values(afters)))), "balances after are distinct")
}

func testAwardProperty(t *testing.T, s store.Store) {
	ctx := context.Background()
	phones := []string{"+6281200000010", "+6281200000011", "+6281200000012"}
	rules := []string{"base", "bonus"}
	rapid.Check(t, func(rt *rapid.T) {
		tenant := newTenant()
		type key struct{ event, rule string }
		type first struct {
			phone  string
			points int64
		}
		seen := map[key]first{}
		want := map[string]int64{} // phone → sum of its distinct awards
		n := rapid.IntRange(1, 25).Draw(rt, "awards")
		for range n {
			k := key{
				event: fmt.Sprintf("ev_%d", rapid.IntRange(0, 6).Draw(rt, "event")),
				rule:  rapid.SampledFrom(rules).Draw(rt, "rule"),
			}
			phone := rapid.SampledFrom(phones).Draw(rt, "phone")
			points := rapid.Int64Range(0, 500).Draw(rt, "points")
			m, e, created, err := s.Award(ctx, store.Award{Tenant: tenant, EventID: k.event, Rule: k.rule, Phone: phone, Points: points})
			require.NoError(rt, err)
			if f, dup := seen[k]; dup {
				require.False(rt, created, "repeat of %v", k)
				require.Equal(rt, f.phone, m.Phone)
				require.Equal(rt, f.points, e.Points)
				continue
			}
			require.True(rt, created, "first award of %v", k)
			seen[k] = first{phone, points}
			want[phone] += points
		}
		for phone, sum := range want {
			m, err := s.MemberByPhone(ctx, tenant, phone)
			require.NoError(rt, err)
			es, err := s.Entries(ctx, tenant, m.ID, 1000)
			require.NoError(rt, err)
			var entries int64
			for _, e := range es {
				entries += e.Points
			}
			require.Equal(rt, sum, m.Balance, "balance of %s", phone)
			require.Equal(rt, sum, entries, "entries of %s", phone)
			require.Equal(rt, m.Balance, es[0].BalanceAfter)
		}
	})
}

func testEntries(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const phone = "+6281200000008"
	var memberID string
	for i := range 5 {
		m, _, _, err := s.Award(ctx, store.Award{Tenant: tenant, EventID: fmt.Sprintf("ev_%d", i), Rule: "base", Phone: phone, Points: 10, At: at(i)})
		require.NoError(t, err)
		memberID = m.ID
	}
	tests := []struct {
		name     string
		tenant   string
		memberID string
		limit    int
		want     []string // event ids
	}{
		{"default limit, newest first", tenant, memberID, 0, []string{"ev_4", "ev_3", "ev_2", "ev_1", "ev_0"}},
		{"limit", tenant, memberID, 2, []string{"ev_4", "ev_3"}},
		{"unknown member", tenant, "mem_missing", 0, nil},
		{"other tenant", newTenant(), memberID, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := s.Entries(ctx, tt.tenant, tt.memberID, tt.limit)
			require.NoError(t, err)
			var got []string
			for _, e := range es {
				got = append(got, e.EventID)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
