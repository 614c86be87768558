package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

func testMigrate(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	m := award(t, s, tenant, "ev_1", "+6281200000001", "", "", 10, at(0))

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
		got, err := s.MemberByPhone(ctx, tenant, m.Phone)
		require.NoError(t, err)
		assert.Equal(t, m, got)
	})
}

func testMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant, other := newTenant(), newTenant()
	const phone = "+6281234567890"
	m := award(t, s, tenant, "ev_1", phone, "Sari", "sari@example.com", 25, at(0))
	assert.Regexp(t, `^mem_[0-9a-f]+$`, m.ID)
	assert.Equal(t, tenant, m.Tenant)
	assert.Equal(t, phone, m.Phone)
	assert.Equal(t, "Sari", m.Name)
	assert.Equal(t, "sari@example.com", m.Email)
	assert.Equal(t, int64(25), m.Balance)

	om := award(t, s, other, "ev_1", phone, "", "", 5, at(0))
	assert.NotEqual(t, m.ID, om.ID, "the same phone in another tenant is another member")

	tests := []struct {
		name   string
		get    func() (member.Member, error)
		want   member.Member
		errNot bool
	}{
		{"by phone", func() (member.Member, error) { return s.MemberByPhone(ctx, tenant, phone) }, m, false},
		{"by id", func() (member.Member, error) { return s.Member(ctx, tenant, m.ID) }, withIdentities(m), false},
		{"by email", func() (member.Member, error) {
			return s.MemberByIdentity(ctx, tenant, member.Identity{Kind: member.IdentityEmail, Value: "SARI@example.com"})
		}, withIdentities(m), false},
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

func testEntries(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const phone = "+6281200000008"
	var memberID string
	for i := range 5 {
		memberID = award(t, s, tenant, fmt.Sprintf("ev_%d", i), phone, "", "", 10, at(i)).ID
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

// award credits points to the member with phone (created when new) through
// a manual adjustment, and returns the member as stored.
func award(t *testing.T, s store.Store, tenant, eventID, phone, name, email string, points int64, when time.Time) member.Member {
	t.Helper()
	ctx := context.Background()
	p := program(t, tenant, 0, 0, false)
	_, err := s.Transact(ctx, tenant, eventID, store.AccountRef{Phone: phone, Name: name, Email: email, Create: true}, when,
		func(a *loyalty.Account) error { return p.Adjust(a, eventID, points, "test credit", when) })
	require.NoError(t, err)
	m, err := s.MemberByPhone(ctx, tenant, phone)
	require.NoError(t, err)
	return m
}

// parallel runs f(0..n-1) in n goroutines released at once, and waits.
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

// withIdentities is m, read by phone, as Member reads it: with the phone
// and email it was awarded with as identities.
func withIdentities(m member.Member) member.Member {
	m.Identities = []member.Identity{{Kind: member.IdentityPhone, Value: m.Phone}}
	if m.Email != "" {
		m.Identities = append(m.Identities, member.Identity{Kind: member.IdentityEmail, Value: m.Email})
	}
	return m
}
