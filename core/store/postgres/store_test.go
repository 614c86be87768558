package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/postgres"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

// testDSN is the database this package run created, "" when PostgreSQL is
// unreachable; skipReason then says why.
var testDSN, adminDSN, skipReason string

func TestMain(m *testing.M) {
	adminDSN = os.Getenv("LOYALHUB_TEST_POSTGRES_DSN")
	if adminDSN == "" {
		adminDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx := context.Background()
	name, dsn, err := createDatabase(ctx, adminDSN)
	if err != nil {
		skipReason = fmt.Sprintf("PostgreSQL unreachable at LOYALHUB_TEST_POSTGRES_DSN (%s): %v", redact(adminDSN), err)
		if os.Getenv("LOYALHUB_REQUIRE_SERVICES") == "1" {
			fmt.Fprintln(os.Stderr, "LOYALHUB_REQUIRE_SERVICES=1:", skipReason)
			os.Exit(1)
		}
	}
	testDSN = dsn
	code := m.Run()
	if name != "" {
		if err := dropDatabase(ctx, adminDSN, name); err != nil {
			fmt.Fprintln(os.Stderr, "dropping test database:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable dsn)"
	}
	return u.Redacted()
}

// createDatabase creates loyalhub_test_<random> and returns its name and DSN.
func createDatabase(ctx context.Context, admin string) (string, string, error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", "", err
	}
	defer func() { _ = conn.Close(ctx) }()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "loyalhub_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", "", fmt.Errorf("creating database %s: %w", name, err)
	}
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		return name, "", err
	}
	u := url.URL{Scheme: "postgres", Host: fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), Path: "/" + name, RawQuery: "sslmode=disable"}
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	} else {
		u.User = url.User(cfg.User)
	}
	return name, u.String(), nil
}

func dropDatabase(ctx context.Context, admin, name string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

func requireDB(tb testing.TB) {
	tb.Helper()
	if testDSN == "" {
		tb.Skip(skipReason)
	}
}

func TestStore(t *testing.T) {
	requireDB(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return postgres.New(testDSN, 8)
	})
}

func TestClock(t *testing.T) {
	requireDB(t)
	storetest.RunClock(t, func(t *testing.T, now func() time.Time) store.Store {
		return postgres.New(testDSN, 8).WithClock(now)
	})
}

func TestLifecycle(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, s *postgres.Store)
	}{
		{"methods before Open fail", func(t *testing.T, s *postgres.Store) {
			_, err := s.MemberByPhone(ctx, "t", "+6281200000001")
			require.Error(t, err)
			assert.NotErrorIs(t, err, store.ErrNotFound)
		}},
		{"Close without Open", func(t *testing.T, s *postgres.Store) {
			require.NoError(t, s.Close())
			require.NoError(t, s.Close())
		}},
		{"Open twice", func(t *testing.T, s *postgres.Store) {
			require.NoError(t, s.Open(ctx))
			require.NoError(t, s.Open(ctx))
			require.NoError(t, s.Ping(ctx))
		}},
		{"Open after Close", func(t *testing.T, s *postgres.Store) {
			require.NoError(t, s.Close())
			require.Error(t, s.Open(ctx))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := postgres.New(testDSN, 2)
			t.Cleanup(func() { _ = s.Close() })
			tt.run(t, s)
		})
	}
	t.Run("bad dsn", func(t *testing.T) {
		require.Error(t, postgres.New("postgres://%zz", 1).Open(ctx))
	})
	t.Run("unreachable", func(t *testing.T) {
		// Port 1 on loopback refuses connections.
		require.Error(t, postgres.New("postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", 1).Open(ctx))
	})
}

// TestMigrateSeveralReplicas runs Migrate from several stores on one new
// database at once, as replicas starting together would.
func TestMigrateSeveralReplicas(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	name, dsn, err := createDatabase(ctx, adminDSN)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, dropDatabase(ctx, adminDSN, name)) })

	const n = 4
	stores := make([]*postgres.Store, n)
	errs := make(chan error, n)
	for i := range stores {
		stores[i] = postgres.New(dsn, 2)
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	for _, s := range stores {
		go func() { errs <- s.Migrate(ctx) }()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer func() { _ = conn.Close(ctx) }()
	var versions []int
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	require.NoError(t, err)
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
	require.NoError(t, err)
	assert.Equal(t, migrationVersions(t), versions, "every migration is recorded")
}

func openBench(b *testing.B) store.Store {
	requireDB(b)
	s := postgres.New(testDSN, 16)
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
