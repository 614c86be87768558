package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

func TestScanProfiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loyalhub.db")
	s := sqlite.New(path)
	require.NoError(t, s.Migrate(context.Background()))
	t.Cleanup(func() { _ = s.Close() })
	db, err := sql.Open("sqlite", path+"?_busy_timeout=10000")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	storetest.RunScanProfiles(t, s, func(t *testing.T, id string, p member.Profile) {
		tags, err := json.Marshal(p.Tags)
		require.NoError(t, err)
		attributes, err := json.Marshal(p.Attributes)
		require.NoError(t, err)
		_, err = db.Exec(`UPDATE members SET source = ?, store = ?, city = ?, language = ?, tags = ?, attributes = ?
			WHERE id = ?`, p.Source, p.Store, p.City, p.Language, string(tags), string(attributes), id)
		require.NoError(t, err)
	})
}
