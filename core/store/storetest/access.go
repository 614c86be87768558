package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// testAPIKeys creates keys once per id, lists them by tenant, revokes
// them once and records their use at most once a minute.
func testAPIKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	id := randHex(4)
	k := store.APIKey{ID: id, Name: "ops laptop", Tenant: tenant, Scope: "write", Hash: []byte{1, 2, 3, 0xff},
		CreatedAt: at(0), ExpiresAt: at(90 * 86400)}
	require.NoError(t, s.CreateAPIKey(ctx, k))
	taken := k
	taken.Name = "other"
	require.ErrorIs(t, s.CreateAPIKey(ctx, taken), store.ErrKeyTaken)
	integrator := store.APIKey{ID: randHex(4), Name: "integrator", Tenant: "*", Scope: "read", Hash: []byte{9}, CreatedAt: at(5)}
	require.NoError(t, s.CreateAPIKey(ctx, integrator))

	got, err := s.APIKey(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "ops laptop", got.Name, "the first key is kept")
	assert.Equal(t, tenant, got.Tenant)
	assert.Equal(t, "write", got.Scope)
	assert.Equal(t, []byte{1, 2, 3, 0xff}, got.Hash)
	assert.True(t, got.CreatedAt.Equal(at(0)), "created %s", got.CreatedAt)
	assert.Equal(t, time.UTC, got.CreatedAt.Location())
	assert.True(t, got.ExpiresAt.Equal(at(90*86400)), "expires %s", got.ExpiresAt)
	assert.True(t, got.LastUsedAt.IsZero())
	assert.True(t, got.RevokedAt.IsZero())

	_, err = s.APIKey(ctx, "nope"+randHex(4))
	require.ErrorIs(t, err, store.ErrNotFound)

	got, err = s.APIKey(ctx, integrator.ID)
	require.NoError(t, err)
	assert.True(t, got.ExpiresAt.IsZero(), "no expiry")

	list, err := s.ListAPIKeys(ctx, tenant)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, id, list[0].ID)
	all, err := s.ListAPIKeys(ctx, "")
	require.NoError(t, err)
	var ids []string
	for _, k := range all {
		ids = append(ids, k.ID)
	}
	assert.Contains(t, ids, id)
	assert.Contains(t, ids, integrator.ID)
	none, err := s.ListAPIKeys(ctx, newTenant())
	require.NoError(t, err)
	assert.Empty(t, none)

	require.NoError(t, s.TouchAPIKey(ctx, id, at(100)))
	require.NoError(t, s.TouchAPIKey(ctx, id, at(130)), "within the minute: not recorded")
	got, err = s.APIKey(ctx, id)
	require.NoError(t, err)
	assert.True(t, got.LastUsedAt.Equal(at(100)), "last used %s", got.LastUsedAt)
	require.NoError(t, s.TouchAPIKey(ctx, id, at(160)))
	got, err = s.APIKey(ctx, id)
	require.NoError(t, err)
	assert.True(t, got.LastUsedAt.Equal(at(160)), "a minute later: recorded, %s", got.LastUsedAt)
	require.NoError(t, s.TouchAPIKey(ctx, "nope"+randHex(4), at(160)), "an unknown key changes nothing")

	revoked, err := s.RevokeAPIKey(ctx, id, at(200))
	require.NoError(t, err)
	assert.True(t, revoked.RevokedAt.Equal(at(200)), "revoked %s", revoked.RevokedAt)
	assert.Equal(t, "ops laptop", revoked.Name)
	again, err := s.RevokeAPIKey(ctx, id, at(300))
	require.NoError(t, err)
	assert.True(t, again.RevokedAt.Equal(at(200)), "the first revocation is kept: %s", again.RevokedAt)
	_, err = s.RevokeAPIKey(ctx, "nope"+randHex(4), at(300))
	require.ErrorIs(t, err, store.ErrNotFound)
}

// testAudit appends entries and reads them back per tenant, newest first,
// filtered by time and key, a page at a time.
func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant, other := newTenant(), newTenant()
	entry := func(tn, key string, sec, status int) store.AuditEntry {
		return store.AuditEntry{Tenant: tn, KeyID: key, KeyName: "name of " + key, Method: "PUT",
			Route: "PUT /api/v1/tenants/{tenant}/segments/{name}", Path: "/api/v1/tenants/" + tn + "/segments/vip",
			Status: status, At: at(sec)}
	}
	first := entry(tenant, "k1", 10, 200)
	first.Request = json.RawMessage(`{"condition":"points > 100","secret":"[redacted]"}`)
	first.Before = json.RawMessage(`{"name":"vip","condition":"points > 50"}`)
	first.After = json.RawMessage(`{"name":"vip","condition":"points > 100"}`)
	var ids []int64
	for _, e := range []store.AuditEntry{first, entry(tenant, "admin_token", 20, 400), entry(other, "k1", 25, 200),
		entry(tenant, "k1", 30, 500), entry(tenant, "k2", 40, 204)} {
		id, err := s.RecordAudit(ctx, e)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	for i := 1; i < len(ids); i++ {
		assert.Greater(t, ids[i], ids[i-1], "ids grow")
	}

	list := func(q store.AuditQuery) []store.AuditEntry {
		t.Helper()
		q.Tenant = tenant
		if q.Limit == 0 {
			q.Limit = 100
		}
		got, err := s.ListAudit(ctx, q)
		require.NoError(t, err)
		return got
	}
	statuses := func(es []store.AuditEntry) []int {
		out := []int{}
		for _, e := range es {
			out = append(out, e.Status)
		}
		return out
	}
	all := list(store.AuditQuery{})
	assert.Equal(t, []int{204, 500, 400, 200}, statuses(all), "the tenant's entries, newest first")
	old := all[3]
	assert.Equal(t, ids[0], old.ID)
	assert.Equal(t, "k1", old.KeyID)
	assert.Equal(t, "name of k1", old.KeyName)
	assert.Equal(t, "PUT", old.Method)
	assert.Equal(t, "PUT /api/v1/tenants/{tenant}/segments/{name}", old.Route)
	assert.Equal(t, "/api/v1/tenants/"+tenant+"/segments/vip", old.Path)
	assert.True(t, old.At.Equal(at(10)), "at %s", old.At)
	assert.Equal(t, time.UTC, old.At.Location())
	assert.JSONEq(t, string(first.Request), string(old.Request))
	assert.JSONEq(t, string(first.Before), string(old.Before))
	assert.JSONEq(t, string(first.After), string(old.After))
	assert.Empty(t, all[0].Request, "no body, none stored")
	assert.Empty(t, all[0].Before)

	assert.Equal(t, []int{500, 400}, statuses(list(store.AuditQuery{From: at(20), To: at(40)})), "from is inclusive, to exclusive")
	assert.Equal(t, []int{500, 200}, statuses(list(store.AuditQuery{KeyID: "k1"})))

	page1 := list(store.AuditQuery{Limit: 3})
	assert.Equal(t, []int{204, 500, 400}, statuses(page1))
	page2 := list(store.AuditQuery{Limit: 3, Before: page1[2].ID})
	assert.Equal(t, []int{200}, statuses(page2))
	assert.Empty(t, list(store.AuditQuery{Limit: 3, Before: page2[0].ID}))
}
