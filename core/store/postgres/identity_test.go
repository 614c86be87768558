package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/postgres"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

// TestMigrationFillsWAID: contacts that wrote before wa_ids were kept get
// their number's digits, the form the hub answered them at; contacts known
// from a shop only get none.
func TestMigrationFillsWAID(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	dsn := storetest.FreshPostgres(t)
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	_, err = conn.Exec(ctx, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`)
	require.NoError(t, err)
	ms, err := store.LoadMigrations(os.DirFS("."), "migrations")
	require.NoError(t, err)
	for _, m := range ms {
		if m.Version >= 14 {
			break
		}
		_, err = conn.Exec(ctx, m.SQL)
		require.NoError(t, err, m.Name)
		_, err = conn.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
		require.NoError(t, err)
	}
	_, err = conn.Exec(ctx, `INSERT INTO contacts (tenant, phone, user_id, last_inbound_at, updated_at) VALUES
		('acme', '+6281200000001', '', now(), now()),
		('acme', '+6281200000002', '', NULL, now()),
		('acme', '', 'ID.abc', now(), now())`)
	require.NoError(t, err)

	s := postgres.New(dsn, 4)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))
	for ref, want := range map[store.ContactRef]string{
		{Phone: "+6281200000001"}: "6281200000001",
		{Phone: "+6281200000002"}: "",
		{UserID: "ID.abc"}:        "",
	} {
		c, err := s.Contact(ctx, "acme", ref)
		require.NoError(t, err)
		assert.Equal(t, want, c.WAID, ref)
	}
}
