package simulate

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver for database/sql
)

// TestSmallMonth plays 300 members for 3 days and proves the hub broke no
// rule the auditor knows while doing real work: messages sent, some
// skipped for want of consent, some after a STOP.
func TestSmallMonth(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulation of three days")
	}
	checkSmallMonth(t, Options{Members: 300, Days: 3, DataDir: t.TempDir(), Settle: 1500 * time.Millisecond, PerSecond: 200})
}

// TestSmallMonthPostgresIntegration plays two days on PostgreSQL.
func TestSmallMonthPostgresIntegration(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulation of two days")
	}
	dsn := createDatabase(t)
	checkSmallMonth(t, Options{Members: 200, Days: 2, DataDir: t.TempDir(), Settle: 1500 * time.Millisecond, PerSecond: 200, PostgresDSN: dsn})
}

func checkSmallMonth(t *testing.T, o Options) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	o.Progress = &progress
	if testing.Verbose() {
		o.Progress = io.MultiWriter(os.Stderr, &progress)
	}
	rep, err := Run(ctx, o)
	require.NoError(t, err)
	for d := 1; d <= o.Days; d++ {
		assert.Regexp(t, fmt.Sprintf(`  day %d played: [1-9][0-9]* messages judged, 0 violations\n`, d), progress.String(),
			"each day's verdict so far")
	}
	t.Log("\n" + rep.Markdown())
	assert.Zero(t, rep.Audit.Total(), "%+v", rep.Audit.Violations)
	var sent, noConsent, optedOut int64
	for _, f := range rep.Funnel {
		sent += f.Sent
		noConsent += f.Skipped["no_consent"]
		optedOut += f.Skipped["opted_out"]
	}
	assert.Positive(t, sent)
	assert.Positive(t, noConsent, "members who never opted in get no campaign")
	assert.Positive(t, optedOut, "members who said STOP get no campaign")
	assert.Positive(t, rep.Audit.ByCategory["marketing"])
	assert.Positive(t, rep.Audit.ByCategory["utility"])
	assert.Positive(t, rep.Audit.ByCategory["service"])
	assert.Positive(t, rep.Cost.Actual)
	assert.InDelta(t, rep.Cost.Estimated, rep.Cost.Actual, 0.01, "what the hub charged is what the sandbox accepted, at the same card")
}

// createDatabase creates a fresh PostgreSQL database for the test on
// LOYALHUB_TEST_POSTGRES_DSN's server, or skips without one.
func createDatabase(t *testing.T) string {
	base := cmp.Or(os.Getenv("LOYALHUB_TEST_POSTGRES_DSN"), "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	admin, err := sql.Open("pgx", base)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		if os.Getenv("LOYALHUB_REQUIRE_SERVICES") != "" {
			t.Fatalf("PostgreSQL at %s: %v", base, err)
		}
		t.Skipf("PostgreSQL at %s is not reachable: %v", base, err)
	}
	name := fmt.Sprintf("lhsim_%d", time.Now().UnixNano())
	_, err = admin.Exec(`CREATE DATABASE "` + name + `"`)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`)
		assert.NoError(t, err)
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

// TestPace sends a campaign to 600 opted-in members at 100 messages a
// second: the sandbox accepts every one, never more than 100 in a second,
// and every status webhook reaches the hub. How close the pace comes to
// the number's rate depends on the machine's load; it is measured by
// `loyalhub simulate --pace-only` (docs/simulation.md), not asserted here.
func TestPace(t *testing.T) {
	if testing.Short() {
		t.Skip("a paced campaign of several seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Pace(ctx, PaceOptions{Members: 600, PerSecond: 100, DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Log("\n" + rep.String())
	assert.InDelta(t, 570, rep.Accepted, 30, "everyone but the 5 % holdout, placed by a hash")
	assert.LessOrEqual(t, rep.MaxSecond, 100)
	assert.Equal(t, 3*rep.Accepted, rep.Statuses)
}
