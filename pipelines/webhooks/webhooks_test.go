package webhooks_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/core/webhook"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/webhooks"
)

const tenant = "acme"

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// receiver is an endpoint written from the specification: it verifies
// every request's signature and answers with the status status returns.
type receiver struct {
	t      *testing.T
	key    []byte
	clock  *clock
	status atomic.Int32
	mu     sync.Mutex
	got    []string // webhook-ids received, verified
	bodies []string
}

func newReceiver(t *testing.T, secret string, c *clock) (*receiver, *httptest.Server) {
	key, err := webhook.ParseSecret(secret)
	require.NoError(t, err)
	rc := &receiver{t: t, key: key, clock: c}
	rc.status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := webhook.Verify([][]byte{rc.key}, r.Header.Get(webhook.HeaderID), r.Header.Get(webhook.HeaderTimestamp),
			r.Header.Get(webhook.HeaderSignature), body, rc.clock.Now())
		if !assert.NoError(t, err, "a signature the receiver verifies") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		rc.mu.Lock()
		rc.got = append(rc.got, r.Header.Get(webhook.HeaderID))
		rc.bodies = append(rc.bodies, string(body))
		rc.mu.Unlock()
		w.WriteHeader(int(rc.status.Load()))
		_, _ = w.Write([]byte("answer"))
	}))
	t.Cleanup(srv.Close)
	return rc, srv
}

func (rc *receiver) ids() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.got...)
}

type fixture struct {
	st      *sqlite.Store
	clock   *clock
	rc      *receiver
	runner  *webhooks.Runner
	metrics *prometheus.CounterVec
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := &clock{now: t0}
	secret := webhook.NewSecret()
	rc, srv := newReceiver(t, secret, c)
	st := sqlite.New(":memory:")
	require.NoError(t, st.Migrate(context.Background()))
	t.Cleanup(func() { _ = st.Close() })
	m := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "d"}, []string{"tenant", "endpoint", "result"})
	tenants := runtime.Snapshot{tenant: &runtime.Tenant{ID: tenant, Config: config.Tenant{Webhooks: []config.Webhook{
		{Name: "crm", URL: srv.URL, Secret: secret, Events: []string{"*"}},
	}}}}
	return &fixture{st: st, clock: c, rc: rc, metrics: m,
		runner: &webhooks.Runner{Store: st, Tenants: runtime.NewTenants(tenants), Now: c.Now, Deliveries: m}}
}

func (f *fixture) enqueue(t *testing.T, ids ...string) {
	t.Helper()
	ds := make([]store.WebhookDelivery, len(ids))
	for i, id := range ids {
		ds[i] = store.WebhookDelivery{ID: id, Tenant: tenant, Endpoint: "crm", Type: "points.earned",
			Payload: []byte(`{"type":"points.earned","data":{"n":` + string(rune('0'+i)) + `}}`), CreatedAt: f.clock.Now()}
	}
	require.NoError(t, f.st.EnqueueWebhooks(context.Background(), ds))
}

func (f *fixture) run(t *testing.T) int {
	t.Helper()
	n, err := f.runner.RunDue(context.Background())
	require.NoError(t, err)
	return n
}

func (f *fixture) delivery(t *testing.T, id string) (store.WebhookDelivery, []store.WebhookAttempt) {
	t.Helper()
	d, as, err := f.st.WebhookDelivery(context.Background(), tenant, "crm", id)
	require.NoError(t, err)
	return d, as
}

func (f *fixture) endpoint(t *testing.T) store.WebhookEndpoint {
	t.Helper()
	eps, err := f.st.WebhookEndpoints(context.Background(), tenant)
	require.NoError(t, err)
	require.Len(t, eps, 1)
	return eps[0]
}

func TestSuccess(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, "msg_1")
	assert.Equal(t, 1, f.run(t))
	assert.Equal(t, []string{"msg_1"}, f.rc.ids())
	d, attempts := f.delivery(t, "msg_1")
	assert.Equal(t, store.WebhookDelivered, d.Status)
	require.Len(t, attempts, 1)
	assert.Equal(t, 200, attempts[0].StatusCode)
	assert.Equal(t, "answer", attempts[0].Response)
	assert.True(t, f.endpoint(t).LastSuccessAt.Equal(t0))
	assert.Equal(t, 0, f.run(t), "a delivered webhook is not sent again")
	assert.Equal(t, 1.0, count(t, f.metrics.WithLabelValues(tenant, "crm", webhooks.ResultDelivered)))
}

func TestRetrySchedule(t *testing.T) {
	f := newFixture(t)
	f.rc.status.Store(http.StatusInternalServerError)
	f.enqueue(t, "msg_1")
	at := t0
	require.Equal(t, 1, f.run(t), "the first attempt at once")
	for i, delay := range webhook.Schedule[1:] {
		f.clock.set(at.Add(delay - time.Second))
		assert.Equal(t, 0, f.run(t), "retry %d is not due a second early", i+1)
		at = at.Add(delay)
		f.clock.set(at)
		assert.Equal(t, 1, f.run(t), "retry %d after %s", i+1, delay)
	}
	d, attempts := f.delivery(t, "msg_1")
	assert.Equal(t, store.WebhookFailed, d.Status, "failed after the schedule's last attempt")
	assert.Len(t, attempts, len(webhook.Schedule))
	assert.Equal(t, 500, d.LastCode)
	assert.Equal(t, "HTTP 500", d.LastError)
	f.clock.set(at.Add(24 * time.Hour))
	assert.Equal(t, 0, f.run(t))
	assert.Len(t, f.rc.ids(), len(webhook.Schedule))
	assert.False(t, f.endpoint(t).Disabled(), "eight failures over 27h do not disable it")
	assert.Equal(t, 7.0, count(t, f.metrics.WithLabelValues(tenant, "crm", webhooks.ResultRetry)))
	assert.Equal(t, 1.0, count(t, f.metrics.WithLabelValues(tenant, "crm", webhooks.ResultFailed)))
}

func TestGoneDisables(t *testing.T) {
	f := newFixture(t)
	f.rc.status.Store(http.StatusGone)
	f.enqueue(t, "msg_1", "msg_2")
	f.run(t)
	assert.Equal(t, []string{"msg_1"}, f.rc.ids(), "nothing more after 410")
	ep := f.endpoint(t)
	assert.True(t, ep.Disabled())
	assert.Equal(t, webhooks.ReasonGone, ep.DisabledReason)
	for _, id := range []string{"msg_1", "msg_2"} {
		d, _ := f.delivery(t, id)
		assert.Equal(t, store.WebhookHeld, d.Status, id)
	}
	f.clock.set(t0.Add(time.Hour))
	assert.Equal(t, 0, f.run(t), "held while disabled")

	f.rc.status.Store(http.StatusOK)
	require.NoError(t, f.st.EnableWebhookEndpoint(context.Background(), tenant, "crm", f.clock.Now()))
	assert.Equal(t, 2, f.run(t))
	assert.Equal(t, []string{"msg_1", "msg_1", "msg_2"}, f.rc.ids(), "in order, under the same ids")
}

func TestSustainedFailureDisables(t *testing.T) {
	t.Run("failures in a row", func(t *testing.T) {
		f := newFixture(t)
		f.runner.DisableFailures = 3
		f.rc.status.Store(http.StatusServiceUnavailable)
		f.enqueue(t, "msg_1", "msg_2", "msg_3", "msg_4")
		f.run(t)
		assert.Equal(t, []string{"msg_1", "msg_2", "msg_3"}, f.rc.ids())
		ep := f.endpoint(t)
		assert.True(t, ep.Disabled())
		assert.Equal(t, webhooks.ReasonFailing, ep.DisabledReason)
		held, err := f.st.ListWebhookDeliveries(context.Background(), tenant, "crm", store.WebhookFilter{Status: store.WebhookHeld})
		require.NoError(t, err)
		assert.Len(t, held, 4)
	})
	t.Run("failing for days", func(t *testing.T) {
		f := newFixture(t)
		f.rc.status.Store(http.StatusServiceUnavailable)
		f.enqueue(t, "msg_1")
		f.run(t)
		f.clock.set(t0.Add(5 * 24 * time.Hour))
		f.enqueue(t, "msg_2")
		f.run(t)
		ep := f.endpoint(t)
		assert.True(t, ep.Disabled(), "every attempt failed for five days")
		assert.Equal(t, 2, ep.Failures)
	})
	t.Run("a success in between", func(t *testing.T) {
		f := newFixture(t)
		f.runner.DisableFailures = 3
		for i, code := range []int{500, 500, 200, 500, 500} {
			f.rc.status.Store(int32(code))
			f.enqueue(t, "msg_"+string(rune('a'+i)))
			f.run(t)
		}
		assert.False(t, f.endpoint(t).Disabled())
		assert.Equal(t, 2, f.endpoint(t).Failures)
	})
}

func TestReplaySameID(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, "msg_1")
	f.run(t)
	f.clock.set(t0.Add(time.Hour))
	require.NoError(t, f.st.ReplayWebhook(context.Background(), tenant, "crm", "msg_1", f.clock.Now()))
	assert.Equal(t, 1, f.run(t))
	assert.Equal(t, []string{"msg_1", "msg_1"}, f.rc.ids(), "a replay resends the same webhook-id")
	assert.Equal(t, f.rc.bodies[0], f.rc.bodies[1], "and the same payload")
	d, attempts := f.delivery(t, "msg_1")
	assert.Equal(t, store.WebhookDelivered, d.Status)
	assert.Len(t, attempts, 2)
}

// TestDeliveredOnce runs two runners over the same deliveries at once, and
// again: each is received once.
func TestDeliveredOnce(t *testing.T) {
	f := newFixture(t)
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = "msg_" + string(rune('A'+i))
	}
	f.enqueue(t, ids...)
	other := &webhooks.Runner{Store: f.st, Tenants: f.runner.Tenants, Now: f.clock.Now, Batch: 7}
	f.runner.Batch = 5
	var wg sync.WaitGroup
	for _, r := range []*webhooks.Runner{f.runner, other, f.runner, other} {
		wg.Go(func() {
			_, err := r.RunDue(context.Background())
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	f.clock.set(t0.Add(time.Hour))
	f.run(t)
	assert.ElementsMatch(t, ids, f.rc.ids())
}

// TestCrashAfterLease sends again, under the same id, a delivery whose
// run leased it and died before recording its attempt, once the lease
// passed.
func TestCrashAfterLease(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, "msg_1")
	leased, err := f.st.DueWebhooks(context.Background(), t0, 10, webhooks.DefaultLease)
	require.NoError(t, err)
	require.Len(t, leased, 1)
	assert.Equal(t, 0, f.run(t), "leased by the run that died")
	f.clock.set(t0.Add(webhooks.DefaultLease))
	assert.Equal(t, 1, f.run(t))
	assert.Equal(t, []string{"msg_1"}, f.rc.ids())
}

func TestEndpointRemoved(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.st.EnqueueWebhooks(context.Background(), []store.WebhookDelivery{{ID: "msg_1", Tenant: tenant,
		Endpoint: "old", Type: "points.earned", Payload: []byte(`{}`), CreatedAt: t0}}))
	assert.Equal(t, 1, f.run(t))
	d, _, err := f.st.WebhookDelivery(context.Background(), tenant, "old", "msg_1")
	require.NoError(t, err)
	assert.Equal(t, store.WebhookHeld, d.Status)
	assert.Empty(t, f.rc.ids())
}

func count(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}
