package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresAdminDSN is the server integration tests use:
// LOYALHUB_TEST_POSTGRES_DSN, by default the local server's postgres
// database.
func PostgresAdminDSN() string {
	if dsn := os.Getenv("LOYALHUB_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// FreshPostgres creates an empty database for one test and drops it when
// the test ends; it returns the database's DSN. When the server is
// unreachable the test is skipped, or failed if LOYALHUB_REQUIRE_SERVICES=1.
func FreshPostgres(tb testing.TB) string {
	tb.Helper()
	admin := PostgresAdminDSN()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		if os.Getenv("LOYALHUB_REQUIRE_SERVICES") == "1" {
			tb.Fatalf("PostgreSQL is unreachable and LOYALHUB_REQUIRE_SERVICES=1: %v", err)
		}
		tb.Skipf("skipping: PostgreSQL is unreachable at LOYALHUB_TEST_POSTGRES_DSN (set LOYALHUB_REQUIRE_SERVICES=1 to fail instead): %v", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "loyalhub_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("creating database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("dropping database %s: %v", name, err)
			return
		}
		defer func() { _ = c.Close(ctx) }()
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("dropping database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("LOYALHUB_TEST_POSTGRES_DSN must be a postgres:// URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
