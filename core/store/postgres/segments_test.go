package postgres_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store/postgres"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

func TestScanProfiles(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s := postgres.New(testDSN, 2)
	require.NoError(t, s.Migrate(ctx))
	t.Cleanup(func() { _ = s.Close() })
	conn, err := pgx.Connect(ctx, testDSN)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	storetest.RunScanProfiles(t, s, func(t *testing.T, id string, p member.Profile) {
		tags, err := json.Marshal(p.Tags)
		require.NoError(t, err)
		attributes, err := json.Marshal(p.Attributes)
		require.NoError(t, err)
		_, err = conn.Exec(ctx, `UPDATE members SET source = $1, store = $2, city = $3, language = $4,
			tags = $5::jsonb, attributes = $6::jsonb WHERE id = $7`,
			p.Source, p.Store, p.City, p.Language, string(tags), string(attributes), id)
		require.NoError(t, err)
	})
}
