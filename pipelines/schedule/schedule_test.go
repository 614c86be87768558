package schedule_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/schedule"
)

// TestSweepHoldsTheTenantsLease sweeps a tenant as one holder, then as
// another while the first one's lease runs: the second is skipped, and the
// abandoned checkouts are announced only after the sweep that held it.
func TestSweepHoldsTheTenantsLease(t *testing.T) {
	ctx := context.Background()
	s, prog := sweepStore(t, "acme")
	seed(t, s, prog, "acme", 3, seededAt)
	now := seededAt.Add(72 * time.Hour)
	checkouts := 0
	sch := &schedule.Scheduler{
		Store: s, Tenants: runtime.NewTenants(runtime.Snapshot{"acme": {ID: "acme", Program: prog}}),
		Config: config.Scheduler{Lease: time.Minute}, Now: func() time.Time { return now },
		Logger: slog.New(slog.DiscardHandler),
		Checkouts: func(_ context.Context, tt *runtime.Tenant, at time.Time) (int, error) {
			assert.Equal(t, "acme", tt.ID)
			assert.Equal(t, now, at)
			checkouts++
			return 2, nil
		},
	}
	assert.Equal(t, []schedule.SweepReport{{Tenant: "acme", Swept: 3, Abandoned: 2}}, sch.Sweep(ctx, "a", now))
	assert.Equal(t, []schedule.SweepReport{{Tenant: "acme", Skipped: true}}, sch.Sweep(ctx, "b", now))
	assert.Equal(t, 1, checkouts)
}

// syncRecorder is a write-back connector that records what it was given
// and fails with err.
type syncRecorder struct {
	got [][]connectors.MemberState
	err error
}

func (r *syncRecorder) SyncMembers(_ context.Context, ms []connectors.MemberState) error {
	r.got = append(r.got, ms)
	return r.err
}

// TestWriteBackKeepsWhatFailed writes queued members back: a retryable
// failure keeps them queued for the next run, a success or a permanent
// refusal takes them off the queue, and each result is counted.
func TestWriteBackKeepsWhatFailed(t *testing.T) {
	ctx := context.Background()
	s, prog := sweepStore(t, "acme")
	seed(t, s, prog, "acme", 3, seededAt)
	ids, err := s.MemberIDs(ctx, "acme", "", 10)
	require.NoError(t, err)
	require.NoError(t, s.QueueSync(ctx, "acme", "crm", ids))
	crm := &syncRecorder{err: errors.New("connection reset")}
	synced := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "synced_total"}, []string{"tenant", "connector", "result"})
	wb := &schedule.WriteBack{
		Store: s, Synced: synced, Logger: slog.New(slog.DiscardHandler),
		Tenants: runtime.NewTenants(runtime.Snapshot{"acme": {ID: "acme", Connectors: map[string]*runtime.Connector{
			"crm": {Name: "crm", Syncer: crm}, "shop": {Name: "shop"},
		}}}),
	}
	pending := func() int {
		items, err := s.PendingSync(ctx, "acme", "crm", 10)
		require.NoError(t, err)
		return len(items)
	}

	require.Error(t, wb.SyncOnce(ctx, "acme", "crm"))
	assert.Equal(t, 3, pending(), "a retryable failure leaves the members queued")

	crm.err = nil
	require.NoError(t, wb.SyncOnce(ctx, "acme", "crm"))
	assert.Zero(t, pending())
	require.Len(t, crm.got, 2)
	require.Len(t, crm.got[1], 3)
	assert.ElementsMatch(t, ids, []string{crm.got[1][0].ID, crm.got[1][1].ID, crm.got[1][2].ID})

	require.NoError(t, s.QueueSync(ctx, "acme", "crm", ids[:1]))
	crm.err = fault.Permanent(fault.ClassRequest, errors.New("unknown property"))
	require.NoError(t, wb.SyncOnce(ctx, "acme", "crm"), "a refusal is not retried")
	assert.Zero(t, pending())

	assert.Equal(t, 3.0, counted(t, synced, "acme", "crm", "ok"))
	assert.Equal(t, 4.0, counted(t, synced, "acme", "crm", "failed"))
	assert.Error(t, wb.SyncOnce(ctx, "acme", "shop"), "a connector that does not write back")
}

// dropFolder is a source that runs itself: it offers its deliveries once,
// and then waits to be stopped.
type dropFolder struct{ ids []string }

func (f dropFolder) Run(ctx context.Context, accept func(context.Context, connectors.Delivery, []byte) error) error {
	for _, id := range f.ids {
		_ = accept(ctx, connectors.Delivery{ID: id}, []byte(id))
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestSourcesEnqueueTheirDeliveries runs a self-running source: each
// delivery it offers is enqueued and counted as a webhook's would be, one
// that cannot be enqueued is refused with 503, and closing the workers
// stops it. The connector's Deliveries show both.
func TestSourcesEnqueueTheirDeliveries(t *testing.T) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests_total"}, []string{"tenant", "connector", "code"})
	enqueued := make(chan string, 2)
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	drop := &runtime.Connector{Name: "drop", Runner: dropFolder{ids: []string{"a.csv", "b.csv"}}, Deliveries: &runtime.Activity{}}
	src := &schedule.Sources{
		Tenants: runtime.NewTenants(runtime.Snapshot{"acme": {ID: "acme", Connectors: map[string]*runtime.Connector{
			"drop": drop, "shop": {Name: "shop"},
		}}}),
		Now: func() time.Time { return now },
		Enqueue: func(_ context.Context, tenant string, c *runtime.Connector, body []byte, d connectors.Delivery) error {
			if d.ID == "b.csv" {
				return errors.New("queue unavailable")
			}
			enqueued <- tenant + "/" + c.Name + "/" + string(body)
			return nil
		},
		Requests: requests, Logger: slog.New(slog.DiscardHandler),
	}
	w := src.Start(context.Background())
	assert.Equal(t, "acme/drop/a.csv", <-enqueued)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, w.Close(ctx))
	assert.Equal(t, 1.0, counted(t, requests, "acme", "drop", "200"))
	assert.Equal(t, 1.0, counted(t, requests, "acme", "drop", "503"))
	assert.Equal(t, runtime.ActivityStats{OK: 1, Failed: 1, LastOK: now, LastFailed: now,
		LastError: "enqueueing: queue unavailable"}, drop.Deliveries.Stats())
}

// counted is the value of the counter of v with labels.
func counted(t *testing.T, v *prometheus.CounterVec, labels ...string) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, v.WithLabelValues(labels...).Write(&m))
	return m.GetCounter().GetValue()
}
