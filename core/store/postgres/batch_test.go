package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

// TestGroupFallsBackWhenAWriteFails holds a new member's phone in another
// transaction while a sale of that phone is grouped: the group's insert of
// the member waits, fails once the other transaction commits, and the group
// rolls back. Its sale then runs alone, finds the member the other
// transaction made, and earns once.
func TestGroupFallsBackWhenAWriteFails(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s, conn := freshStore(t)
	p := storetest.SpendProgram(t, tenant, nil)
	const phone = "+6281200020001"

	held, err := conn.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = held.Rollback(ctx) }()
	_, err = held.Exec(ctx, `INSERT INTO members (id, tenant, phone, created_at, updated_at, referral_code)
		VALUES ('mem_held', $1, $2, now(), now(), 'HELD0001')`, tenant, phone)
	require.NoError(t, err)

	ev := paidEvent(t, "F-1", phone, "500", t0)
	type outcome struct {
		res store.AccountResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := apply(s, p, ev, store.AccountRef{Phone: phone, OrderID: "F-1", Create: true}, nil)
		done <- outcome{res, err}
	}()

	// The group's insert of the member waits on the held row.
	admin, err := pgx.Connect(ctx, testDSN)
	require.NoError(t, err)
	defer func() { _ = admin.Close(ctx) }()
	require.Eventually(t, func() bool {
		var waiting int
		err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO members%'`).Scan(&waiting)
		return err == nil && waiting > 0
	}, 10*time.Second, 10*time.Millisecond, "the grouped sale waits for the held member")
	require.NoError(t, held.Commit(ctx))

	got := <-done
	require.NoError(t, got.err)
	assert.Equal(t, "mem_held", got.res.Member.ID, "run alone, the sale finds the committed member")
	assert.Equal(t, int64(50), got.res.Member.Balance)
	assert.Equal(t, 1, countRows(t, conn, "members"))
	assert.Equal(t, 1, countRows(t, conn, "ledger_entries"))
	assert.Equal(t, 1, countRows(t, conn, "processed_events"))
}
