package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

func TestStore(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			return sqlite.New(filepath.Join(t.TempDir(), "loyalhub.db"))
		})
	})
	t.Run("memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			return sqlite.New(":memory:")
		})
	})
}

func TestClock(t *testing.T) {
	storetest.RunClock(t, func(t *testing.T, now func() time.Time) store.Store {
		return sqlite.New(filepath.Join(t.TempDir(), "loyalhub.db")).WithClock(now)
	})
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, s *sqlite.Store)
	}{
		{"methods before Open fail", func(t *testing.T, s *sqlite.Store) {
			_, err := s.MemberByPhone(ctx, "t", "+6281200000001")
			require.Error(t, err)
			assert.NotErrorIs(t, err, store.ErrNotFound)
		}},
		{"Close without Open", func(t *testing.T, s *sqlite.Store) {
			require.NoError(t, s.Close())
			require.NoError(t, s.Close())
		}},
		{"Open twice", func(t *testing.T, s *sqlite.Store) {
			require.NoError(t, s.Open(ctx))
			require.NoError(t, s.Open(ctx))
			require.NoError(t, s.Ping(ctx))
		}},
		{"Open after Close", func(t *testing.T, s *sqlite.Store) {
			require.NoError(t, s.Close())
			require.Error(t, s.Open(ctx))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sqlite.New(filepath.Join(t.TempDir(), "loyalhub.db"))
			t.Cleanup(func() { _ = s.Close() })
			tt.run(t, s)
		})
	}
	t.Run("empty path", func(t *testing.T) {
		require.Error(t, sqlite.New("").Open(ctx))
	})
	t.Run("missing directory is created", func(t *testing.T) {
		s := sqlite.New(filepath.Join(t.TempDir(), "no", "such", "dir.db"))
		t.Cleanup(func() { _ = s.Close() })
		require.NoError(t, s.Open(ctx))
		require.NoError(t, s.Ping(ctx))
	})
}

// TestSettings checks the connection settings the package promises.
func TestSettings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "loyalhub.db")
	s := sqlite.New(path)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))

	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	var mode string
	require.NoError(t, db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, "wal", mode)
	var versions []int
	rows, err := db.QueryContext(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	require.NoError(t, err)
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		versions = append(versions, v)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, migrationVersions(t), versions, "every migration is recorded")
}

// TestMigrateSeveralProcesses runs Migrate from several stores on one new
// file at once, as replicas starting together would.
func TestMigrateSeveralProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "loyalhub.db")
	const n = 4
	stores := make([]*sqlite.Store, n)
	errs := make(chan error, n)
	for i := range stores {
		stores[i] = sqlite.New(path)
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	for _, s := range stores {
		go func() { errs <- s.Migrate(ctx) }()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	res, err := storetest.Credit(ctx, stores[0], "t", "ev", "+6281200000001", 1)
	require.NoError(t, err)
	require.False(t, res.Replayed)
	res, err = storetest.Credit(ctx, stores[n-1], "t", "ev", "+6281200000001", 1)
	require.NoError(t, err)
	require.True(t, res.Replayed, "the other store sees the event processed")
}

// TestConcurrentWritersAcrossStores writes through several stores on one
// file at once: the busy timeout and IMMEDIATE transactions must keep every
// write from failing with SQLITE_BUSY.
func TestConcurrentWritersAcrossStores(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "loyalhub.db")
	const stores, perStore = 4, 50
	ss := make([]*sqlite.Store, stores)
	for i := range ss {
		ss[i] = sqlite.New(path)
		t.Cleanup(func() { _ = ss[i].Close() })
		require.NoError(t, ss[i].Migrate(ctx))
	}
	errs := make(chan error, stores*perStore)
	for i, s := range ss {
		go func() {
			for j := range perStore {
				_, err := storetest.Credit(ctx, s, "t", "ev_"+string(rune('a'+i))+"_"+string(rune('a'+j%26))+string(rune('a'+j/26)),
					"+6281200000001", 1)
				errs <- err
			}
		}()
	}
	for range stores * perStore {
		require.NoError(t, <-errs)
	}
	m, err := ss[0].MemberByPhone(ctx, "t", "+6281200000001")
	require.NoError(t, err)
	assert.Equal(t, int64(stores*perStore), m.Balance)
}

func openBench(b *testing.B) store.Store {
	s := sqlite.New(filepath.Join(b.TempDir(), "loyalhub.db"))
	b.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkTransact(b *testing.B) { storetest.BenchTransact(b, openBench(b)) }

func BenchmarkTransactShop(b *testing.B) { storetest.BenchTransactShop(b, openBench(b)) }

func BenchmarkClaimAndMarkSent(b *testing.B) { storetest.BenchClaimAndMarkSent(b, openBench(b)) }

// migrationVersions lists the versions of the migration files beside the
// adapter.
func migrationVersions(t *testing.T) []int {
	t.Helper()
	ms, err := store.LoadMigrations(os.DirFS("."), "migrations")
	require.NoError(t, err)
	var out []int
	for _, m := range ms {
		out = append(out, m.Version)
	}
	return out
}
