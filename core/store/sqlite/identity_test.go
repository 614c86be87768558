package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
)

// TestMigrationFillsWAID: contacts that wrote before wa_ids were kept get
// their number's digits, the form the hub answered them at; contacts known
// from a shop only get none.
func TestMigrationFillsWAID(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "loyalhub.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
	require.NoError(t, err)
	ms, err := store.LoadMigrations(os.DirFS("."), "migrations")
	require.NoError(t, err)
	for _, m := range ms {
		if m.Version >= 14 {
			break
		}
		_, err = db.Exec(m.SQL)
		require.NoError(t, err, m.Name)
		_, err = db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.Version, m.Name)
		require.NoError(t, err)
	}
	_, err = db.Exec(`INSERT INTO contacts (tenant, phone, user_id, last_inbound_at, updated_at) VALUES
		('acme', '+6281200000001', '', 1700000000000000, 1700000000000000),
		('acme', '+6281200000002', '', 0, 1700000000000000),
		('acme', '', 'ID.abc', 1700000000000000, 1700000000000000)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s := sqlite.New(path)
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
