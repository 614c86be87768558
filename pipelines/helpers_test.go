package pipelines_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func counterValue(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// serviceUp reports whether a TCP service answers; when it does not, the
// test is skipped, or failed if LOYALHUB_REQUIRE_SERVICES=1.
func serviceUp(t *testing.T, name, addr string) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
		return true
	}
	if os.Getenv("LOYALHUB_REQUIRE_SERVICES") == "1" {
		t.Fatalf("%s is not reachable at %s and LOYALHUB_REQUIRE_SERVICES=1: %v", name, addr, err)
	}
	t.Logf("skipping the %s backend: not reachable at %s (%v)", name, addr, err)
	return false
}

// backends lists the queue backends the end-to-end tests run on: memory and
// embedded always, nats when a NATS server answers.
func backends(t *testing.T) []string {
	b := []string{"memory", "embedded"}
	if !testing.Short() && serviceUp(t, "NATS", "127.0.0.1:4222") {
		b = append(b, "nats")
	}
	return b
}

// freshDatabase creates an empty PostgreSQL database for one test and drops
// it afterwards; it returns its DSN.
func freshDatabase(t *testing.T) string {
	t.Helper()
	admin := envOr("LOYALHUB_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		if os.Getenv("LOYALHUB_REQUIRE_SERVICES") == "1" {
			t.Fatalf("PostgreSQL is not reachable and LOYALHUB_REQUIRE_SERVICES=1: %v", err)
		}
		t.Skipf("skipping: PostgreSQL not reachable at %s: %v", admin, err)
	}
	name := fmt.Sprintf("loyalhub_e2e_%d", rand.Uint64()%1e12)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
	conn.Close(ctx)
	if err != nil {
		t.Fatalf("creating database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

// natsPrefix returns a stream prefix unique to one test and deletes that
// test's streams from the NATS server when it ends.
func natsPrefix(t testing.TB) string {
	t.Helper()
	prefix := fmt.Sprintf("t%d", rand.Uint64()%1e12)
	t.Cleanup(func() {
		nc, err := nats.Connect(envOr("LOYALHUB_TEST_NATS_URL", nats.DefaultURL))
		if err != nil {
			return
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		names := js.StreamNames(ctx)
		var doomed []string
		for n := range names.Name() {
			if len(n) > len(prefix) && n[:len(prefix)+1] == prefix+"_" {
				doomed = append(doomed, n)
			}
		}
		for _, n := range doomed {
			_ = js.DeleteStream(ctx, n)
		}
	})
	return prefix
}
