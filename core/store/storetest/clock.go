package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// RunClock runs the tests of the store's clock. open returns a new store that
// takes the time of what it records by itself from now (WithClock); the
// suite runs Migrate on it and closes it at the end of the test.
func RunClock(t *testing.T, open func(t *testing.T, now func() time.Time) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store, c *testClock)
	}{
		{"StampsFollowTheClock", testStampsFollowTheClock},
		{"LeasesFollowTheClock", testLeasesFollowTheClock},
		{"Funnel", testFunnel},
		{"Program", testProgram},
		{"Campaigns", testCampaigns},
		{"Journeys", testJourneys},
		{"ScanMembers", testScanMembers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &testClock{now: clockTime}
			s := open(t, c.Now)
			t.Cleanup(func() { assert.NoError(t, s.Close()) })
			require.NoError(t, s.Migrate(context.Background()))
			tt.run(t, s, c)
		})
	}
}

// clockTime is where a test's clock stands: years away from the machine's.
var clockTime = time.Date(2031, 5, 4, 3, 2, 1, 0, time.UTC)

// testClock is a clock a test sets.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// onClock asserts that got is the clock's time.
func onClock(t *testing.T, got time.Time, what string) {
	t.Helper()
	assert.True(t, clockTime.Equal(got), "%s: got %v, want the store's clock %v", what, got, clockTime)
}

// testStampsFollowTheClock: whatever a store stamps by itself, because the
// caller gave no time, carries the store's clock's time.
func testStampsFollowTheClock(t *testing.T, s store.Store, _ *testClock) {
	ctx := context.Background()
	tenant := newTenant()
	var none time.Time

	t.Run("a loyalty transaction", func(t *testing.T) {
		eventID := "ev_" + randHex(8)
		res, err := s.Transact(ctx, tenant, eventID, store.AccountRef{Phone: "+62812" + randDigits(7), Create: true}, none,
			func(a *loyalty.Account) error { return creditProgram.Adjust(a, eventID, 10, "credit", none) })
		require.NoError(t, err)
		m, err := s.Member(ctx, tenant, res.Member.ID)
		require.NoError(t, err)
		onClock(t, m.CreatedAt, "the new member's creation")
		onClock(t, m.UpdatedAt, "the member's update")
		entries, err := s.Entries(ctx, tenant, m.ID, 0)
		require.NoError(t, err)
		require.Len(t, entries, 1)
		onClock(t, entries[0].CreatedAt, "the ledger entry")
	})

	t.Run("a sweep of members", func(t *testing.T) {
		m := memberWith(t, s, tenant, "+62812"+randDigits(7))
		eventID := "sweep_" + randHex(8)
		rs, err := s.TransactMembers(ctx, tenant, []store.MemberOp{{MemberID: m.ID, EventID: eventID,
			Fn: func(a *loyalty.Account) error { return creditProgram.Adjust(a, eventID, 5, "sweep", none) }}})
		require.NoError(t, err)
		require.Len(t, rs, 1)
		require.NoError(t, rs[0].Err)
		swept, err := s.Member(ctx, tenant, m.ID)
		require.NoError(t, err)
		onClock(t, swept.UpdatedAt, "the swept member's update")
		entries, err := s.Entries(ctx, tenant, m.ID, 0)
		require.NoError(t, err)
		require.NotEmpty(t, entries)
		assert.Equal(t, "sweep", entries[0].Reason)
		onClock(t, entries[0].CreatedAt, "the sweep's ledger entry")
	})

	t.Run("a redemption", func(t *testing.T) {
		p := rewardsProgram(t, tenant)
		id := fund(t, s, p, 7, "clock-fund-"+randHex(4), 100)
		_, _, err := s.ImportCodes(ctx, tenant, "tumbler", []string{"T-" + randHex(4)})
		require.NoError(t, err)
		_, d, err := redeem(ctx, s, p, tenant, id, "req-clock", "tumbler", none)
		require.NoError(t, err)
		onClock(t, d.CreatedAt, "the redemption's creation")
		onClock(t, d.UpdatedAt, "the redemption's update")
	})

	t.Run("an inbound message and a contact update", func(t *testing.T) {
		waID := "62812" + randDigits(7)
		ref := store.ContactRef{Phone: key(t, waID)}
		c, _, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8),
			Contact: ref, WAID: waID, Name: "Sari", Type: "text"})
		require.NoError(t, err)
		onClock(t, c.UpdatedAt, "the contact's update by a message")
		onClock(t, c.LastInboundAt, "the last message")
		c, err = s.UpdateContact(ctx, tenant, ref, member.SetConsent(member.ConsentOptedOut, "whatsapp", at(11)))
		require.NoError(t, err)
		onClock(t, c.UpdatedAt, "the contact's update")
		stored, err := s.Contact(ctx, tenant, ref)
		require.NoError(t, err)
		onClock(t, stored.UpdatedAt, "the stored contact's update")

		require.NoError(t, s.SaveConversation(ctx, store.Conversation{Tenant: tenant, Phone: ref.Phone, Lang: "id"}))
		conv, err := s.Conversation(ctx, tenant, ref)
		require.NoError(t, err)
		onClock(t, conv.UpdatedAt, "the conversation's save")
	})

	t.Run("an identity change", func(t *testing.T) {
		oldWAID, newWAID := "62812"+randDigits(7), "62813"+randDigits(7)
		_, _, err := s.RecordInbound(ctx, store.InboundMessage{Tenant: tenant, ProviderMessageID: "wamid." + randHex(8),
			Contact: store.ContactRef{Phone: key(t, oldWAID)}, WAID: oldWAID, Type: "text", At: at(10)})
		require.NoError(t, err)
		ch := numberChange(t, tenant, oldWAID, newWAID)
		ch.At = none
		res, err := s.ChangeIdentity(ctx, ch)
		require.NoError(t, err)
		require.NotNil(t, res.Contact)
		onClock(t, res.Contact.UpdatedAt, "the moved contact's update")
	})

	t.Run("an erasure", func(t *testing.T) {
		kept, recorded, err := s.RecordErasure(ctx, store.Erasure{Tenant: tenant, RequestID: "req-" + randHex(4), Actor: "dpo"})
		require.NoError(t, err)
		require.True(t, recorded)
		onClock(t, kept.At, "the erasure")
	})

	t.Run("messages", func(t *testing.T) {
		q := queued(tenant, "msg_"+randHex(6), none)
		require.NoError(t, s.EnqueueMessages(ctx, []store.Message{q}))
		got, err := s.Message(ctx, tenant, q.Key)
		require.NoError(t, err)
		onClock(t, got.CreatedAt, "the queued message's creation")

		m := newMessage(tenant, "msg_"+randHex(6), 0, 0)
		m.CreatedAt, m.UpdatedAt = none, none
		cur, claimed, err := s.ClaimMessage(ctx, m)
		require.NoError(t, err)
		require.True(t, claimed)
		onClock(t, cur.CreatedAt, "the claimed message's creation")
		applied, err := s.ApplyStatus(ctx, store.StatusUpdate{Tenant: tenant, Key: m.Key, Status: store.MessageSent})
		require.NoError(t, err)
		require.True(t, applied)
		got, err = s.Message(ctx, tenant, m.Key)
		require.NoError(t, err)
		require.NotEmpty(t, got.Timeline)
		last := got.Timeline[len(got.Timeline)-1]
		assert.Equal(t, store.MessageSent, last.Status)
		onClock(t, last.At, "the delivery report")
	})

	t.Run("a dead letter", func(t *testing.T) {
		d := store.DeadLetter{ID: "dl_" + randHex(6), Tenant: tenant, Topic: "events", Handler: "ledger", Reason: "boom",
			Payload: []byte(`{}`)}
		require.NoError(t, s.AddDeadLetter(ctx, d))
		got, err := s.DeadLetter(ctx, tenant, d.ID)
		require.NoError(t, err)
		onClock(t, got.CreatedAt, "the dead letter")
	})
}

// testLeasesFollowTheClock: a lease lasts its time on the store's clock,
// whatever the machine's clock says.
func testLeasesFollowTheClock(t *testing.T, s store.Store, c *testClock) {
	ctx := context.Background()
	name := "lease_" + randHex(6)
	for _, step := range []struct {
		holder string
		after  time.Duration // on the store's clock, since the step before
		want   bool
		why    string
	}{
		{"a", 0, true, "a free lease is taken"},
		{"b", 0, false, "a's lease holds for its hour"},
		{"b", 2 * time.Hour, true, "two hours later by the store's clock, a's lease has run out"},
	} {
		c.add(step.after)
		got, err := s.AcquireLease(ctx, name, step.holder, time.Hour)
		require.NoError(t, err)
		assert.Equal(t, step.want, got, step.why)
	}
}
