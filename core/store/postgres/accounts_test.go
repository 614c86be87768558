package postgres_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/postgres"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

const tenant = "acme"

// t0 is in a zone other than UTC to show times come back in UTC.
var t0 = time.Date(2026, 5, 4, 10, 30, 15, 123456789, time.FixedZone("WIB", 7*60*60))

// freshStore migrates a new database and returns a store and a connection
// to inspect its tables.
func freshStore(t *testing.T) (*postgres.Store, *pgx.Conn) {
	t.Helper()
	dsn := storetest.FreshPostgres(t)
	ctx := context.Background()
	s := postgres.New(dsn, 30)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return s, conn
}

func paidEvent(t *testing.T, orderID, phone, total string, at time.Time) event.Event {
	t.Helper()
	data, err := json.Marshal(event.OrderPaid{OrderID: orderID, Phone: phone, Total: total, Currency: "IDR"})
	require.NoError(t, err)
	return event.Event{ID: event.ID(tenant, "pos", orderID), Tenant: tenant, Type: event.TypeOrderPaid, OccurredAt: at, Data: data}
}

// apply runs ev through p in one Transact, as the loyalty stage does, and
// counts the runs of p in calls.
func apply(s *postgres.Store, p *loyalty.Program, ev event.Event, ref store.AccountRef, calls *int) (store.AccountResult, error) {
	return s.Transact(context.Background(), ev.Tenant, ev.ID, ref, ev.OccurredAt, func(a *loyalty.Account) error {
		if calls != nil {
			*calls++
		}
		return p.Apply(a, ev)
	})
}

func countRows(t *testing.T, conn *pgx.Conn, table string) int {
	t.Helper()
	var n int
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n))
	return n
}

// TestMigrateKeepsAwards applies 0002 over a database with awards of one
// event under several rules, as the award key allowed before it.
func TestMigrateKeepsAwards(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	dsn := storetest.FreshPostgres(t)
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	initSQL, err := os.ReadFile("migrations/0001_init.sql")
	require.NoError(t, err)
	_, err = conn.Exec(ctx, string(initSQL))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE TABLE schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	);
	INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init.sql');
	INSERT INTO members (id, tenant, phone, balance, created_at, updated_at)
		VALUES ('mem_1', 'acme', '+6281200000009', 15, now(), now());
	INSERT INTO ledger_entries (tenant, member_id, event_id, rule, kind, points, balance_after, created_at)
		VALUES ('acme', 'mem_1', 'ev_1', 'base', 'earn', 10, 10, now()),
		       ('acme', 'mem_1', 'ev_1', 'bonus', 'earn', 5, 15, now())`)
	require.NoError(t, err)

	s := postgres.New(dsn, 4)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))

	res, err := storetest.Credit(ctx, s, tenant, "ev_2", "+6281200000009", 3)
	require.NoError(t, err, "a new event writes beside the entries made before")
	assert.Equal(t, int64(18), res.Member.Balance)
	entries, err := s.Entries(ctx, tenant, "mem_1", 0)
	require.NoError(t, err)
	assert.Len(t, entries, 3)
}
