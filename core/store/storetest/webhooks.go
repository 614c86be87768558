package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

// webhookDelivery is a delivery of tenant's outcome id to endpoint.
func webhookDelivery(tenant, endpoint, id string, created time.Time) store.WebhookDelivery {
	return store.WebhookDelivery{ID: id, Tenant: tenant, Endpoint: endpoint, Type: "points.earned",
		Payload: []byte(`{"type":"points.earned"}`), CreatedAt: created}
}

// testWebhookEffects writes an outcome's deliveries with its loyalty
// transaction, one per endpoint and message id: the event replayed or the
// same deliveries written again add none.
func testWebhookEffects(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	phone := "+6281300000042"
	effects := func(res store.AccountResult) (store.Effects, error) {
		var e store.Effects
		for i, oc := range res.Outcomes {
			for _, ep := range []string{"crm", "zap"} {
				d := webhookDelivery(tenant, ep, fmt.Sprintf("msg_%s_%d", oc.Type, i), at(0))
				e.Webhooks = append(e.Webhooks, d)
			}
		}
		return e, nil
	}
	ev := orderEvent(tenant, "W-1", phone, "100", at(0))
	ref := store.AccountRef{Phone: phone, OrderID: "W-1", Create: true, Effects: effects}
	res, err := apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	require.NotEmpty(t, res.Outcomes)
	_, err = apply(ctx, s, p, ev, ref)
	require.NoError(t, err)
	for _, ep := range []string{"crm", "zap"} {
		ds, err := s.ListWebhookDeliveries(ctx, tenant, ep, store.WebhookFilter{})
		require.NoError(t, err)
		assert.Len(t, ds, len(res.Outcomes), "one delivery per outcome to %s, written with the event", ep)
	}
	again := webhookDelivery(tenant, "crm", fmt.Sprintf("msg_%s_0", res.Outcomes[0].Type), at(5))
	again.Payload = []byte(`{"changed":true}`)
	require.NoError(t, s.EnqueueWebhooks(ctx, []store.WebhookDelivery{again}))
	d, _, err := s.WebhookDelivery(ctx, tenant, "crm", again.ID)
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"points.earned"}`, string(d.Payload), "the delivery written first stays")
	assert.Equal(t, store.WebhookPending, d.Status)
	assert.True(t, d.NextAt.Equal(at(0)), "due at its creation")

	due, err := s.DueWebhooks(ctx, at(1), 100, time.Minute)
	require.NoError(t, err)
	n := 0
	for _, d := range due {
		if d.Tenant == tenant {
			n++
		}
	}
	assert.Equal(t, 2*len(res.Outcomes), n)
}

// testWebhookDeliveries leases due deliveries, records attempts with the
// endpoint's health, holds deliveries while the endpoint is disabled, and
// replays one.
func testWebhookDeliveries(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	mine := func(ds []store.WebhookDelivery) []store.WebhookDelivery {
		var out []store.WebhookDelivery
		for _, d := range ds {
			if d.Tenant == tenant {
				out = append(out, d)
			}
		}
		return out
	}
	later := webhookDelivery(tenant, "crm", "msg_b", at(0))
	later.NextAt = at(100)
	require.NoError(t, s.EnqueueWebhooks(ctx, []store.WebhookDelivery{
		webhookDelivery(tenant, "crm", "msg_a", at(0)), later, webhookDelivery(tenant, "zap", "msg_a", at(1)),
	}))

	due, err := s.DueWebhooks(ctx, at(10), 100, time.Minute)
	require.NoError(t, err)
	due = mine(due)
	require.Len(t, due, 2, "the two due now, not the one due later")
	assert.Equal(t, []string{"crm", "zap"}, []string{due[0].Endpoint, due[1].Endpoint}, "the earliest first")
	again, err := s.DueWebhooks(ctx, at(20), 100, time.Minute)
	require.NoError(t, err)
	assert.Empty(t, mine(again), "leased")

	crm, zap := due[0], due[1]
	ep, applied, err := s.RecordWebhookAttempt(ctx, crm, store.WebhookResult{
		Attempt: store.WebhookAttempt{At: at(11), StatusCode: 200, LatencyMS: 12, Response: "ok"},
		Status:  store.WebhookDelivered, NextAt: at(11), Success: true})
	require.NoError(t, err)
	assert.True(t, applied)
	assert.True(t, ep.LastSuccessAt.Equal(at(11)))
	assert.Zero(t, ep.Failures)
	_, applied, err = s.RecordWebhookAttempt(ctx, crm, store.WebhookResult{
		Attempt: store.WebhookAttempt{At: at(12), StatusCode: 500}, Status: store.WebhookPending, NextAt: at(20)})
	require.NoError(t, err)
	assert.False(t, applied, "a second record of the same lease changes nothing")
	d, attempts, err := s.WebhookDelivery(ctx, tenant, "crm", "msg_a")
	require.NoError(t, err)
	assert.Equal(t, store.WebhookDelivered, d.Status)
	assert.Equal(t, 1, d.Attempts)
	assert.Equal(t, 200, d.LastCode)
	require.Len(t, attempts, 2, "both attempts are logged")
	assert.Equal(t, 200, attempts[0].StatusCode)
	assert.EqualValues(t, 12, attempts[0].LatencyMS)
	assert.Equal(t, "ok", attempts[0].Response)
	assert.True(t, attempts[0].At.Equal(at(11)))

	for i, code := range []int{500, 502} {
		ep, applied, err = s.RecordWebhookAttempt(ctx, zap, store.WebhookResult{
			Attempt: store.WebhookAttempt{At: at(30 + i), StatusCode: code, Error: "server error"},
			Status:  store.WebhookPending, NextAt: at(40 + i)})
		require.NoError(t, err)
		assert.Equal(t, i == 0, applied)
		zap.Attempts = 0 // the second is recorded against a stale lease
	}
	assert.Equal(t, 2, ep.Failures)
	assert.True(t, ep.FailingSince.Equal(at(30)), "failing since the first failure")
	assert.True(t, ep.LastFailureAt.Equal(at(31)))
	d, _, err = s.WebhookDelivery(ctx, tenant, "zap", "msg_a")
	require.NoError(t, err)
	assert.Equal(t, store.WebhookPending, d.Status)
	assert.True(t, d.NextAt.Equal(at(40)))
	assert.Equal(t, "server error", d.LastError)

	require.NoError(t, s.DisableWebhookEndpoint(ctx, tenant, "zap", "gone", at(50)))
	require.NoError(t, s.DisableWebhookEndpoint(ctx, tenant, "zap", "again", at(51)))
	require.NoError(t, s.EnqueueWebhooks(ctx, []store.WebhookDelivery{webhookDelivery(tenant, "zap", "msg_c", at(52))}))
	eps, err := s.WebhookEndpoints(ctx, tenant)
	require.NoError(t, err)
	require.Len(t, eps, 2)
	assert.Equal(t, "zap", eps[1].Name)
	assert.True(t, eps[1].Disabled())
	assert.Equal(t, "gone", eps[1].DisabledReason, "a second disable changes nothing")
	assert.False(t, eps[0].Disabled())
	held, err := s.ListWebhookDeliveries(ctx, tenant, "zap", store.WebhookFilter{Status: store.WebhookHeld})
	require.NoError(t, err)
	require.Len(t, held, 1)
	assert.Equal(t, "msg_a", held[0].ID)
	due, err = s.DueWebhooks(ctx, at(200), 100, time.Hour)
	require.NoError(t, err)
	due = mine(due)
	require.Len(t, due, 1, "nothing of a disabled endpoint is due")
	assert.Equal(t, "msg_b", due[0].ID)

	require.NoError(t, s.EnableWebhookEndpoint(ctx, tenant, "zap", at(300)))
	eps, err = s.WebhookEndpoints(ctx, tenant)
	require.NoError(t, err)
	assert.False(t, eps[1].Disabled())
	assert.Zero(t, eps[1].Failures)
	due, err = s.DueWebhooks(ctx, at(300), 100, time.Minute)
	require.NoError(t, err)
	due = mine(due)
	require.Len(t, due, 2, "the held one and the one written while disabled")
	assert.Equal(t, []string{"msg_a", "msg_c"}, []string{due[0].ID, due[1].ID})

	require.NoError(t, s.ReplayWebhook(ctx, tenant, "crm", "msg_a", at(400)))
	d, _, err = s.WebhookDelivery(ctx, tenant, "crm", "msg_a")
	require.NoError(t, err)
	assert.Equal(t, store.WebhookPending, d.Status)
	assert.Zero(t, d.Attempts, "its schedule starts again")
	assert.ErrorIs(t, s.ReplayWebhook(ctx, tenant, "crm", "msg_none", at(400)), store.ErrNotFound)
	_, _, err = s.WebhookDelivery(ctx, tenant, "crm", "msg_none")
	assert.ErrorIs(t, err, store.ErrNotFound)
	all, err := s.ListWebhookDeliveries(ctx, tenant, "crm", store.WebhookFilter{})
	require.NoError(t, err)
	assert.Equal(t, []string{"msg_b", "msg_a"}, []string{all[0].ID, all[1].ID}, "newest first")
}

// testWebhooksConcurrentDue leases each due delivery to one caller of
// several at once.
func testWebhooksConcurrentDue(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	const n = 60
	ds := make([]store.WebhookDelivery, n)
	for i := range ds {
		ds[i] = webhookDelivery(tenant, "crm", fmt.Sprintf("msg_%03d", i), at(i))
	}
	require.NoError(t, s.EnqueueWebhooks(ctx, ds))
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				got, err := s.DueWebhooks(ctx, at(n), 7, time.Hour)
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				for _, d := range got {
					if d.Tenant == tenant {
						seen[d.ID]++
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for id, k := range seen {
		assert.Equal(t, 1, k, "%s leased once", id)
	}
}

// testRedactWebhooks empties the payloads of an erased member's
// deliveries, failing those not delivered, and leaves others' alone.
func testRedactWebhooks(t *testing.T, s store.Store) {
	ctx := context.Background()
	tenant := newTenant()
	p := program(t, tenant, 0, 0, false)
	var memberIDs []string
	for i, phone := range []string{"+6281300000061", "+6281300000062"} {
		id := fmt.Sprintf("R-%d", i)
		res, err := apply(ctx, s, p, orderEvent(tenant, id, phone, "100", at(i)),
			store.AccountRef{Phone: phone, OrderID: id, Create: true})
		require.NoError(t, err)
		memberIDs = append(memberIDs, res.Member.ID)
	}
	var ds []store.WebhookDelivery
	for i, id := range []string{"msg_sent", "msg_due", "msg_other"} {
		d := webhookDelivery(tenant, "crm", id, at(i))
		d.MemberID = memberIDs[min(i/2, 1)]
		ds = append(ds, d)
	}
	require.NoError(t, s.EnqueueWebhooks(ctx, ds))
	due, err := s.DueWebhooks(ctx, at(0), 1, time.Minute)
	require.NoError(t, err)
	require.Len(t, due, 1)
	_, _, err = s.RecordWebhookAttempt(ctx, due[0], store.WebhookResult{
		Attempt: store.WebhookAttempt{At: at(1), StatusCode: 200}, Status: store.WebhookDelivered, Success: true, NextAt: at(1)})
	require.NoError(t, err)

	require.NoError(t, s.RedactMember(ctx, tenant, memberIDs[0]))
	for _, tt := range []struct{ id, status, payload, lastError string }{
		{"msg_sent", store.WebhookDelivered, `{}`, ""},
		{"msg_due", store.WebhookFailed, `{}`, store.WebhookErased},
		{"msg_other", store.WebhookPending, `{"type":"points.earned"}`, ""},
	} {
		d, _, err := s.WebhookDelivery(ctx, tenant, "crm", tt.id)
		require.NoError(t, err)
		assert.Equal(t, tt.status, d.Status, tt.id)
		assert.JSONEq(t, tt.payload, string(d.Payload), tt.id)
		assert.Equal(t, tt.lastError, d.LastError, tt.id)
	}
	require.NoError(t, s.RedactMember(ctx, tenant, memberIDs[0]), "twice changes nothing")
}
