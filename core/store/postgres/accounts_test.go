package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
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

// spendProgram earns 1 point per 10 spent; change adjusts the config.
func spendProgram(t *testing.T, change func(l *config.Loyalty)) *loyalty.Program {
	t.Helper()
	l := config.Loyalty{
		Combine: config.CombineStack,
		Expiry:  config.Expiry{Policy: config.ExpiryNever},
		Refunds: config.Refunds{WaitForOrder: 10 * time.Minute},
		Rules: []config.EarnRule{{
			Name: "spend", On: event.TypeOrderPaid,
			Spend: &config.Spend{Unit: "10", Points: 1, Rounding: config.RoundFloor, MinOrder: "0"},
		}},
	}
	if change != nil {
		change(&l)
	}
	p, err := loyalty.Compile(tenant, l, time.UTC)
	require.NoError(t, err)
	return p
}

func paidEvent(t *testing.T, orderID, phone, total string, at time.Time) event.Event {
	t.Helper()
	data, err := json.Marshal(event.OrderPaid{OrderID: orderID, Phone: phone, Total: total, Currency: "IDR"})
	require.NoError(t, err)
	return event.Event{ID: event.ID(tenant, "pos", orderID), Tenant: tenant, Type: event.TypeOrderPaid, OccurredAt: at, Data: data}
}

func refundEvent(t *testing.T, orderID, refundID, amount string, at time.Time) event.Event {
	t.Helper()
	data, err := json.Marshal(event.OrderRefunded{OrderID: orderID, RefundID: refundID, Amount: amount})
	require.NoError(t, err)
	return event.Event{ID: event.ID(tenant, "pos", orderID+"/"+refundID), Tenant: tenant, Type: event.TypeOrderRefunded, OccurredAt: at, Data: data}
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

func outcomeTypes(outs []loyalty.Outcome) []string {
	out := []string{}
	for _, o := range outs {
		out = append(out, o.Type)
	}
	return out
}

func countRows(t *testing.T, conn *pgx.Conn, table string) int {
	t.Helper()
	var n int
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n))
	return n
}

// TestTransactOrder pays an order, replays the payment, refunds part of the
// order and refunds orders the store does not know, each step building on
// the one before.
func TestTransactOrder(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s, conn := freshStore(t)
	p := spendProgram(t, nil)
	const phone = "+6281200000001"
	paid := paidEvent(t, "O-1", phone, "250.00", t0)
	var calls int

	res, err := apply(s, p, paid, store.AccountRef{Phone: phone, Name: "Sari", Email: "sari@example.com", OrderID: "O-1", Create: true}, &calls)
	require.NoError(t, err)
	assert.False(t, res.Replayed)
	assert.Equal(t, []string{loyalty.OutcomeMemberJoined, loyalty.OutcomePointsEarned}, outcomeTypes(res.Outcomes))
	m := res.Member
	assert.Regexp(t, `^mem_[0-9a-f]+$`, m.ID)
	assert.Regexp(t, `^[A-Z2-9]{8}$`, m.Referral.Code, "every member gets a referral code")
	assert.Equal(t, loyalty.Member{
		ID: m.ID, Tenant: tenant, Phone: phone, Name: "Sari", Email: "sari@example.com",
		Balance: 25, CreatedAt: store.Stamp(t0), Referral: member.Referral{Code: m.Referral.Code},
	}, m)
	stored, err := s.Member(ctx, tenant, m.ID)
	require.NoError(t, err)
	assert.Equal(t, int64(25), stored.Balance)
	assert.Equal(t, time.UTC, stored.CreatedAt.Location())
	assert.True(t, stored.CreatedAt.Equal(store.Stamp(t0)), "a new member's time is the event's")

	var outcomes string
	require.NoError(t, conn.QueryRow(ctx, `SELECT outcomes::text FROM processed_events WHERE tenant = $1 AND event_id = $2`,
		tenant, paid.ID).Scan(&outcomes))
	assert.JSONEq(t, `[{"type": "member.joined", "data": {"event_id": "`+paid.ID+`"}},
		{"type": "points.earned", "data": {"points": 25, "rules": ["spend"], "order_id": "O-1"}}]`, outcomes)

	t.Run("replay", func(t *testing.T) {
		before := calls
		again, err := apply(s, p, paid, store.AccountRef{Phone: phone, OrderID: "O-1", Create: true}, &calls)
		require.NoError(t, err)
		assert.True(t, again.Replayed)
		assert.Equal(t, before, calls, "a processed event does not run again")
		assert.Equal(t, outcomeTypes(res.Outcomes), outcomeTypes(again.Outcomes))
		assert.Equal(t, float64(25), again.Outcomes[1].Data["points"], "the recorded outcomes come back")
		assert.Equal(t, int64(25), again.Member.Balance)
		assert.Equal(t, m.ID, again.Member.ID)
		assert.Equal(t, 1, countRows(t, conn, "ledger_entries"))
	})

	t.Run("partial refund", func(t *testing.T) {
		refund := refundEvent(t, "O-1", "r1", "100", t0.Add(time.Hour))
		res, err := apply(s, p, refund, store.AccountRef{OrderID: "O-1"}, nil)
		require.NoError(t, err)
		assert.Equal(t, int64(15), res.Member.Balance, "40% of the order refunded takes back 10 of 25 points")
		assert.Equal(t, []string{loyalty.OutcomePointsReversed}, outcomeTypes(res.Outcomes))

		var refunded string
		require.NoError(t, conn.QueryRow(ctx, `SELECT refunded FROM orders WHERE tenant = $1 AND id = 'O-1'`, tenant).Scan(&refunded))
		assert.Equal(t, "100", refunded)

		lots, err := s.Lots(ctx, tenant, m.ID)
		require.NoError(t, err)
		require.Len(t, lots, 1)
		assert.Equal(t, loyalty.Lot{
			ID: loyalty.LotID(tenant, paid.ID, "spend"), MemberID: m.ID, Rule: "spend", EventID: paid.ID, OrderID: "O-1",
			Points: 25, Remaining: 15, Reversed: 10, Status: loyalty.LotActive, EarnedAt: store.Stamp(t0),
		}, lots[0])

		entries, err := s.Entries(ctx, tenant, m.ID, 0)
		require.NoError(t, err)
		require.Len(t, entries, 2)
		rev := entries[0]
		assert.Equal(t, loyalty.EntryReverse, rev.Kind)
		assert.Equal(t, int64(-10), rev.Points)
		assert.Equal(t, int64(15), rev.BalanceAfter)
		assert.Equal(t, lots[0].ID, rev.LotID)
		assert.Equal(t, "O-1", rev.OrderID)
		assert.Equal(t, paid.ID, rev.RefEventID)
		assert.Equal(t, refund.ID, rev.EventID)
		assert.True(t, rev.CreatedAt.Equal(store.Stamp(refund.OccurredAt)))
	})

	t.Run("refund of an unknown order", func(t *testing.T) {
		entriesBefore := countRows(t, conn, "ledger_entries")
		refund := refundEvent(t, "O-404", "r1", "5", t0.Add(2*time.Hour))
		_, err := apply(s, p, refund, store.AccountRef{MemberID: m.ID, OrderID: "O-404"}, nil)
		require.ErrorIs(t, err, loyalty.ErrOrderNotFound)

		got, err := s.Member(ctx, tenant, m.ID)
		require.NoError(t, err)
		assert.Equal(t, int64(15), got.Balance)
		assert.Equal(t, entriesBefore, countRows(t, conn, "ledger_entries"))
		var n int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE event_id = $1`, refund.ID).Scan(&n))
		assert.Zero(t, n, "a failed event is not recorded as processed")

		// Named by the order alone, the refund finds no member.
		var runs int
		_, err = apply(s, p, refund, store.AccountRef{OrderID: "O-404"}, &runs)
		require.ErrorIs(t, err, store.ErrNoMember)
		assert.Zero(t, runs)
	})
}

func TestTransactRefs(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s, _ := freshStore(t)
	noop := func(*loyalty.Account) error { return nil }
	first, err := s.Transact(ctx, tenant, "ev_create", store.AccountRef{Phone: "+6281200000002", Create: true}, t0, noop)
	require.NoError(t, err)
	id := first.Member.ID

	tests := []struct {
		name    string
		ref     store.AccountRef
		wantErr error
		wantNew bool
		check   func(t *testing.T, a *loyalty.Account)
	}{
		{name: "by member id", ref: store.AccountRef{MemberID: id}},
		{name: "by phone", ref: store.AccountRef{Phone: "+6281200000002"}},
		{name: "member id wins over phone", ref: store.AccountRef{MemberID: id, Phone: "+6281200000099", Create: true}},
		{
			name: "empty name and email are filled", ref: store.AccountRef{Phone: "+6281200000002", Name: "Budi", Email: "b@example.com"},
			check: func(t *testing.T, a *loyalty.Account) {
				assert.Equal(t, "Budi", a.Member.Name)
				assert.Equal(t, "b@example.com", a.Member.Email)
			},
		},
		{
			name: "a name is not overwritten", ref: store.AccountRef{MemberID: id, Name: "Other"},
			check: func(t *testing.T, a *loyalty.Account) { assert.Equal(t, "Budi", a.Member.Name) },
		},
		{name: "unknown member id", ref: store.AccountRef{MemberID: "mem_missing"}, wantErr: store.ErrNoMember},
		{name: "unknown phone without create", ref: store.AccountRef{Phone: "+6281200000003"}, wantErr: store.ErrNoMember},
		{name: "nothing named", ref: store.AccountRef{}, wantErr: store.ErrNoMember},
		{name: "unknown phone with create", ref: store.AccountRef{Phone: "+6281200000004", Create: true}, wantNew: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ran bool
			res, err := s.Transact(ctx, tenant, fmt.Sprintf("ev_ref_%d", i), tt.ref, t0, func(a *loyalty.Account) error {
				ran = true
				assert.Equal(t, tt.wantNew, a.New)
				if tt.check != nil {
					tt.check(t, a)
				}
				return nil
			})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.False(t, ran)
				return
			}
			require.NoError(t, err)
			if !tt.wantNew {
				assert.Equal(t, id, res.Member.ID)
			}
			stored, err := s.Member(ctx, tenant, res.Member.ID)
			require.NoError(t, err)
			assert.Equal(t, res.Member.Name, stored.Name)
			assert.Equal(t, res.Member.Email, stored.Email)
		})
	}

	t.Run("other tenant", func(t *testing.T) {
		_, err := s.Transact(ctx, "other", "ev_other", store.AccountRef{MemberID: id}, t0, noop)
		require.ErrorIs(t, err, store.ErrNoMember)
	})
	t.Run("tenant and event id are required", func(t *testing.T) {
		_, err := s.Transact(ctx, "", "ev", store.AccountRef{MemberID: id}, t0, noop)
		require.Error(t, err)
		_, err = s.Transact(ctx, tenant, "", store.AccountRef{MemberID: id}, t0, noop)
		require.Error(t, err)
	})
}

func TestTransactFailureWritesNothing(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s, conn := freshStore(t)
	p := spendProgram(t, nil)
	const phone = "+6281200000005"
	boom := errors.New("boom")
	ev := paidEvent(t, "O-1", phone, "100", t0)
	_, err := s.Transact(ctx, tenant, ev.ID, store.AccountRef{Phone: phone, OrderID: "O-1", Create: true}, t0,
		func(a *loyalty.Account) error {
			if err := p.Apply(a, ev); err != nil {
				return err
			}
			return fmt.Errorf("after applying: %w", boom)
		})
	require.ErrorIs(t, err, boom)
	for _, table := range []string{"members", "ledger_entries", "lots", "orders", "loyalty_counters", "processed_events"} {
		assert.Zero(t, countRows(t, conn, table), table)
	}

	res, err := apply(s, p, ev, store.AccountRef{Phone: phone, OrderID: "O-1", Create: true}, nil)
	require.NoError(t, err)
	assert.False(t, res.Replayed, "the failed event runs again")
	assert.Equal(t, int64(10), res.Member.Balance)
}

// TestTransactConcurrentNewPhone sends the first orders of one phone at
// once: one member is created and every order counts once.
func TestTransactConcurrentNewPhone(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s, conn := freshStore(t)
	p := spendProgram(t, nil)
	const phone = "+6281200000006"
	const n = 20
	results := make([]store.AccountResult, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	var want int64
	for i := range n {
		want += int64(i + 1)
		id := fmt.Sprintf("C-%d", i)
		ev := paidEvent(t, id, phone, fmt.Sprintf("%d0", i+1), t0.Add(time.Duration(i)*time.Second))
		wg.Go(func() {
			<-start
			results[i], errs[i] = apply(s, p, ev, store.AccountRef{Phone: phone, OrderID: id, Create: true}, nil)
		})
	}
	close(start)
	wg.Wait()

	joined := 0
	for i := range n {
		require.NoError(t, errs[i])
		for _, o := range results[i].Outcomes {
			if o.Type == loyalty.OutcomeMemberJoined {
				joined++
			}
		}
	}
	assert.Equal(t, 1, joined, "one transaction created the member")
	assert.Equal(t, 1, countRows(t, conn, "members"))
	m, err := s.MemberByPhone(ctx, tenant, phone)
	require.NoError(t, err)
	assert.Equal(t, want, m.Balance)
	lots, err := s.Lots(ctx, tenant, m.ID)
	require.NoError(t, err)
	assert.Len(t, lots, n)
	entries, err := s.Entries(ctx, tenant, m.ID, 0)
	require.NoError(t, err)
	assert.Len(t, entries, n)
}

// TestTransactConcurrentSameEvent delivers one event several times at once:
// it runs once and the others replay it.
func TestTransactConcurrentSameEvent(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s, _ := freshStore(t)
	p := spendProgram(t, nil)
	const phone = "+6281200000007"
	ev := paidEvent(t, "O-1", phone, "500", t0)
	const n = 10
	results := make([]store.AccountResult, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			results[i], errs[i] = apply(s, p, ev, store.AccountRef{Phone: phone, OrderID: "O-1", Create: true}, nil)
		})
	}
	close(start)
	wg.Wait()
	ran := 0
	for i := range n {
		require.NoError(t, errs[i])
		if !results[i].Replayed {
			ran++
		}
		assert.Equal(t, []string{loyalty.OutcomeMemberJoined, loyalty.OutcomePointsEarned}, outcomeTypes(results[i].Outcomes))
		assert.Equal(t, int64(50), results[i].Member.Balance)
	}
	assert.Equal(t, 1, ran)
	m, err := s.MemberByPhone(ctx, tenant, phone)
	require.NoError(t, err)
	assert.Equal(t, int64(50), m.Balance)
}

// TestTransactConcurrentRefunds refunds one order in parts at once: each
// refund reads the order as the one before left it.
func TestTransactConcurrentRefunds(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s, conn := freshStore(t)
	p := spendProgram(t, nil)
	const phone = "+6281200000010"
	res, err := apply(s, p, paidEvent(t, "R-1", phone, "1000", t0), store.AccountRef{Phone: phone, OrderID: "R-1", Create: true}, nil)
	require.NoError(t, err)
	require.Equal(t, int64(100), res.Member.Balance)

	const n = 10
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		ev := refundEvent(t, "R-1", fmt.Sprint(i), "100", t0.Add(time.Hour))
		wg.Go(func() {
			<-start
			_, errs[i] = apply(s, p, ev, store.AccountRef{OrderID: "R-1"}, nil)
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var refunded string
	require.NoError(t, conn.QueryRow(ctx, `SELECT refunded FROM orders WHERE tenant = $1 AND id = 'R-1'`, tenant).Scan(&refunded))
	assert.Equal(t, "1000", refunded)
	m, err := s.Member(ctx, tenant, res.Member.ID)
	require.NoError(t, err)
	assert.Zero(t, m.Balance, "every point of the order was taken back once")
	lots, err := s.Lots(ctx, tenant, m.ID)
	require.NoError(t, err)
	require.Len(t, lots, 1)
	assert.Equal(t, int64(100), lots[0].Reversed)
}

// TestPendingCapsAndExpiry holds points for a returns window under a daily
// cap, then activates and expires them through DueMembers.
func TestPendingCapsAndExpiry(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s, conn := freshStore(t)
	p := spendProgram(t, func(l *config.Loyalty) {
		l.Rules[0].PendingDays = 7
		l.Rules[0].Caps.PerMemberDay = 30
		l.Expiry = config.Expiry{Policy: config.ExpiryAfterDays, Days: 30}
	})
	const phone = "+6281200000008"
	wantPoints := []int64{25, 5, 0} // the third order is past the daily cap
	var memberID string
	for i, want := range wantPoints {
		id := fmt.Sprintf("P-%d", i)
		res, err := apply(s, p, paidEvent(t, id, phone, "250", t0.Add(time.Duration(i)*time.Minute)),
			store.AccountRef{Phone: phone, OrderID: id, Create: true}, nil)
		require.NoError(t, err)
		memberID = res.Member.ID
		assert.Zero(t, res.Member.Balance)
		var pendingNow int64
		for _, w := range wantPoints[:i+1] {
			pendingNow += w
		}
		assert.Equal(t, pendingNow, res.Member.Pending, "order %d earns %d", i, want)
	}
	var counted int64
	require.NoError(t, conn.QueryRow(ctx, `SELECT value FROM loyalty_counters WHERE tenant = $1 AND member_id = $2 AND key = $3`,
		tenant, memberID, "spend:d:"+t0.UTC().Format("2006-01-02")).Scan(&counted))
	assert.Equal(t, int64(30), counted)

	lots, err := s.Lots(ctx, tenant, memberID)
	require.NoError(t, err)
	require.Len(t, lots, 2)
	activates := time.Date(2026, 5, 12, 0, 0, 0, 0, time.UTC) // the day after 7 days from May 4 (UTC)
	expires := time.Date(2026, 6, 4, 0, 0, 0, 0, time.UTC)
	for _, l := range lots {
		assert.Equal(t, loyalty.LotPending, l.Status)
		require.NotNil(t, l.ActivatesAt)
		require.NotNil(t, l.ExpiresAt)
		assert.Equal(t, activates, *l.ActivatesAt)
		assert.Equal(t, expires, *l.ExpiresAt)
		assert.Equal(t, time.UTC, l.EarnedAt.Location())
	}

	sweep := func(t *testing.T, id string, now time.Time) store.AccountResult {
		t.Helper()
		res, err := s.Transact(ctx, tenant, id, store.AccountRef{MemberID: memberID}, now, func(a *loyalty.Account) error {
			p.ActivateDue(a, id, now)
			p.ExpireDue(a, id, now)
			return nil
		})
		require.NoError(t, err)
		return res
	}
	steps := []struct {
		name        string
		at          time.Time
		wantDue     bool
		wantBalance int64
		wantPending int64
		wantStatus  string
	}{
		{"within the returns window", activates.Add(-time.Second), false, 0, 30, loyalty.LotPending},
		{"the window ends", activates, true, 30, 0, loyalty.LotActive},
		{"before expiry", expires.Add(-time.Microsecond), false, 30, 0, loyalty.LotActive},
		{"expiry", expires, true, 0, 0, loyalty.LotExpired},
		{"after expiry", expires.Add(time.Hour), false, 0, 0, loyalty.LotExpired},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			due, err := s.DueMembers(ctx, tenant, st.at, 10)
			require.NoError(t, err)
			if st.wantDue {
				assert.Equal(t, []string{memberID}, due)
			} else {
				assert.Empty(t, due)
			}
			res := sweep(t, fmt.Sprintf("sweep_%d", i), st.at)
			assert.Equal(t, st.wantBalance, res.Member.Balance)
			assert.Equal(t, st.wantPending, res.Member.Pending)
			lots, err := s.Lots(ctx, tenant, memberID)
			require.NoError(t, err)
			for _, l := range lots {
				assert.Equal(t, st.wantStatus, l.Status, l.ID)
			}
		})
	}
}

func TestDueMembersLimit(t *testing.T) {
	requireDB(t)
	ctx := context.Background()
	s, _ := freshStore(t)
	p := spendProgram(t, func(l *config.Loyalty) { l.Expiry = config.Expiry{Policy: config.ExpiryAfterDays, Days: 1} })
	var ids []string
	for i := range 3 {
		id := fmt.Sprintf("L-%d", i)
		res, err := apply(s, p, paidEvent(t, id, fmt.Sprintf("+628120000010%d", i), "100", t0),
			store.AccountRef{Phone: fmt.Sprintf("+628120000010%d", i), OrderID: id, Create: true}, nil)
		require.NoError(t, err)
		ids = append(ids, res.Member.ID)
	}
	later := t0.Add(72 * time.Hour)
	all, err := s.DueMembers(ctx, tenant, later, 0)
	require.NoError(t, err)
	assert.ElementsMatch(t, ids, all)
	two, err := s.DueMembers(ctx, tenant, later, 2)
	require.NoError(t, err)
	assert.Len(t, two, 2)
	none, err := s.DueMembers(ctx, "other", later, 0)
	require.NoError(t, err)
	assert.Empty(t, none)
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
