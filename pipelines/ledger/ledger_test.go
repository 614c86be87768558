package ledger

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// outbox is a store that keeps what is queued; nothing else of it is used.
type outbox struct {
	Store
	queued []store.Message
}

func (o *outbox) EnqueueMessages(_ context.Context, ms []store.Message) error {
	o.queued = append(o.queued, ms...)
	return nil
}

type syncer struct{}

func (syncer) SyncMembers(context.Context, []connectors.MemberState) error { return nil }

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}

func newLedger(st Store, now time.Time, wakes *int) (*Ledger, Metrics) {
	m := Metrics{
		Skipped:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "skipped"}, []string{"tenant", "reason"}),
		ParamsFitted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fitted"}, []string{"tenant", "rule"}),
	}
	return New(Deps{
		Store: st, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler),
		Metrics: m, Wake: func() { *wakes++ },
	}), m
}

func TestEnqueue(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	text := func(key, to, userID string) messaging.Command {
		return messaging.Command{Key: key, Tenant: "acme", Sender: "wa", To: to, UserID: userID,
			Kind: messaging.KindText, Category: "service", Text: "hello"}
	}

	t.Run("queues in order and wakes the sender", func(t *testing.T) {
		st, wakes := &outbox{}, 0
		l, _ := newLedger(st, now, &wakes)
		require.NoError(t, l.Enqueue(context.Background(), []messaging.Command{
			text("k1", "+15550100", ""), text("k2", "", "US.1234"),
		}))
		require.Len(t, st.queued, 2)
		assert.Equal(t, "+15550100", st.queued[0].Recipient)
		assert.Equal(t, "US.1234", st.queued[1].Recipient, "a user id stands in for a missing phone")
		assert.Equal(t, now, st.queued[0].CreatedAt)
		assert.Equal(t, now.Add(time.Microsecond), st.queued[1].CreatedAt)
		assert.Equal(t, st.queued[1].CreatedAt, st.queued[1].DueAt)
		assert.Equal(t, 1, wakes)
	})

	t.Run("an invalid command queues nothing", func(t *testing.T) {
		st, wakes := &outbox{}, 0
		l, _ := newLedger(st, now, &wakes)
		err := l.Enqueue(context.Background(), []messaging.Command{text("k1", "+15550100", ""), text("k2", "", "")})
		require.ErrorContains(t, err, "message k2")
		assert.Empty(t, st.queued)
		assert.Zero(t, wakes)
	})
}

func TestEffects(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tenant := &runtime.Tenant{
		ID:            "acme",
		Notifications: []runtime.Notification{{Name: "points_earned", On: loyalty.OutcomePointsEarned}},
		Connectors: map[string]*runtime.Connector{
			"crm": {Name: "crm", Syncer: syncer{}}, "shop": {Name: "shop"},
		},
	}
	res := store.AccountResult{Outcomes: []loyalty.Outcome{{Type: loyalty.OutcomePointsEarned}}}
	res.Member.ID = "m1"

	t.Run("a member without a phone gets no message, and is written back", func(t *testing.T) {
		wakes := 0
		l, m := newLedger(&outbox{}, now, &wakes)
		e, err := l.Effects(tenant, "ev1", now, "")(res)
		require.NoError(t, err)
		assert.Empty(t, e.Messages)
		assert.Equal(t, []store.SyncRef{{Connector: "crm", MemberID: "m1"}}, e.Sync)
		assert.EqualValues(t, 1, counterValue(t, m.Skipped.WithLabelValues("acme", skipNoPhone)))
	})

	t.Run("an erased member gets nothing", func(t *testing.T) {
		wakes := 0
		l, m := newLedger(&outbox{}, now, &wakes)
		erased := res
		erased.Member.Phone = store.RedactedPrefix + "x"
		e, err := l.Effects(tenant, "ev1", now, "")(erased)
		require.NoError(t, err)
		assert.Empty(t, e.Messages)
		assert.Zero(t, counterValue(t, m.Skipped.WithLabelValues("acme", skipNoPhone)))
	})
}
