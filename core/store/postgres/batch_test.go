package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
)

// TestGroupKeepsEventsApart sends events that share groups at once: new
// members, second orders of one member, a refund of an order that does not
// exist, an unknown member and an event whose program fails. Each succeeds
// or fails as it would alone, and a failing one writes nothing.
func TestGroupKeepsEventsApart(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s, conn := freshStore(t)
	p := spendProgram(t, nil)
	boom := errors.New("the program refused")

	type call struct {
		name    string
		ref     store.AccountRef
		eventID string
		fn      func(a *loyalty.Account) error
		wantErr error
	}
	var calls []call
	for i := range 24 {
		phone := fmt.Sprintf("+62812000100%02d", i%12) // two orders per member
		id := fmt.Sprintf("G-%d", i)
		ev := paidEvent(t, id, phone, "1000", t0.Add(time.Duration(i)*time.Second))
		calls = append(calls, call{name: id, ref: store.AccountRef{Phone: phone, OrderID: id, Create: true}, eventID: ev.ID,
			fn: func(a *loyalty.Account) error { return p.Apply(a, ev) }})
	}
	missing := refundEvent(t, "NO-SUCH-ORDER", "R-1", "100", t0)
	calls = append(calls,
		call{name: "refund of a missing order", ref: store.AccountRef{OrderID: "NO-SUCH-ORDER"}, eventID: missing.ID,
			fn: func(a *loyalty.Account) error { return p.Apply(a, missing) }, wantErr: store.ErrNoMember},
		call{name: "unknown member", ref: store.AccountRef{MemberID: "mem_nobody"}, eventID: "ev-unknown",
			fn: func(*loyalty.Account) error { return nil }, wantErr: store.ErrNoMember},
		call{name: "failing program", ref: store.AccountRef{Phone: "+6281200010099", Create: true}, eventID: "ev-fails",
			fn: func(*loyalty.Account) error { return boom }, wantErr: boom},
	)

	for round := range 3 { // later rounds replay every event
		errs := make([]error, len(calls))
		replayed := make([]bool, len(calls))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, c := range calls {
			wg.Go(func() {
				<-start
				res, err := s.Transact(ctx, tenant, c.eventID, c.ref, t0, c.fn)
				errs[i], replayed[i] = err, res.Replayed
			})
		}
		close(start)
		wg.Wait()
		for i, c := range calls {
			if c.wantErr != nil {
				assert.ErrorIs(t, errs[i], c.wantErr, "round %d: %s", round, c.name)
				continue
			}
			require.NoError(t, errs[i], "round %d: %s", round, c.name)
			assert.Equal(t, round > 0, replayed[i], "round %d: %s", round, c.name)
		}
	}

	assert.Equal(t, 12, countRows(t, conn, "members"), "the failing program's new member is not kept")
	assert.Equal(t, 24, countRows(t, conn, "ledger_entries"))
	assert.Equal(t, 24, countRows(t, conn, "processed_events"))
	for i := range 12 {
		m, err := s.MemberByPhone(ctx, tenant, fmt.Sprintf("+62812000100%02d", i))
		require.NoError(t, err)
		assert.Equal(t, int64(200), m.Balance, "both orders of %s count once", m.Phone)
	}
}

// TestGroupFallsBackWhenAWriteFails holds a new member's phone in another
// transaction while a sale of that phone is grouped: the group's insert of
// the member waits, fails once the other transaction commits, and the group
// rolls back. Its sale then runs alone, finds the member the other
// transaction made, and earns once.
func TestGroupFallsBackWhenAWriteFails(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s, conn := freshStore(t)
	p := spendProgram(t, nil)
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
