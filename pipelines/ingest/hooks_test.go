package ingest

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/pipelines/queue"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// signedSource accepts a body signed with the header X-Sig: ok.
type signedSource struct{}

func (signedSource) Accept(r *http.Request, body []byte) (connectors.Delivery, error) {
	if r.Header.Get("X-Sig") != "ok" {
		return connectors.Delivery{}, connectors.ErrUnauthorized
	}
	return connectors.Delivery{ID: "d1", Topic: "orders/create", Meta: map[string]string{"shop": "s.example"}}, nil
}

type publisher struct {
	mu   sync.Mutex
	msgs map[string][]*message.Message
	err  error
}

func (p *publisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.msgs[topic] = append(p.msgs[topic], msgs...)
	return nil
}

func TestHookEnqueuesBeforeItAnswers(t *testing.T) {
	c := &runtime.Connector{Name: "shop", Spec: connectors.Spec{Name: "shopify"}, Source: signedSource{}, Topic: "inbound"}
	tenants := runtime.Snapshot{"acme": {ID: "acme", Connectors: map[string]*runtime.Connector{"shop": c}}}
	apps, err := NewApps(nil, tenants, nil)
	require.NoError(t, err)
	pub := &publisher{msgs: map[string][]*message.Message{}}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	m := Metrics{
		Requests:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests"}, []string{"tenant", "connector", "code"}),
		AcceptSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "accept"}),
		SigFailures:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sig"}, []string{"tenant", "connector"}),
		DeadLetters:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dead"}, []string{"stage"}),
	}
	mux := http.NewServeMux()
	New(Deps{Tenants: runtime.NewTenants(tenants), Apps: apps, Publisher: pub, Now: func() time.Time { return at }, Logger: slog.New(slog.DiscardHandler), Metrics: m},
		Config{MaxBodyBytes: 64, BSPTopic: "inbound_bsp"}).Routes(mux)
	post := func(path, sig, body string) int {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("X-Sig", sig)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Code
	}

	for _, tc := range []struct {
		name, path, sig, body string
		code                  int
	}{
		{"unknown connector", "/hooks/acme/crm", "ok", "{}", http.StatusNotFound},
		{"bad signature", "/hooks/acme/shop", "bad", "{}", http.StatusUnauthorized},
		{"too big", "/hooks/acme/shop", "ok", strings.Repeat("x", 65), http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.code, post(tc.path, tc.sig, tc.body))
			assert.Empty(t, pub.msgs)
		})
	}
	assert.Equal(t, 1.0, value(m.SigFailures.WithLabelValues("acme", "shop")))

	t.Run("accepted", func(t *testing.T) {
		require.Equal(t, http.StatusOK, post("/hooks/acme/shop", "ok", `{"id":1}`))
		require.Len(t, pub.msgs["inbound"], 1)
		msg := pub.msgs["inbound"][0]
		assert.Equal(t, `{"id":1}`, string(msg.Payload))
		assert.Equal(t, "acme", msg.Metadata.Get(queue.MetaTenant))
		assert.Equal(t, "shop", msg.Metadata.Get(queue.MetaConnector))
		assert.Equal(t, "shopify", msg.Metadata.Get(queue.MetaKind))
		assert.Equal(t, "d1", msg.Metadata.Get(queue.MetaDeliveryID))
		assert.Equal(t, "orders/create", msg.Metadata.Get(queue.MetaTopic))
		assert.Equal(t, "s.example", msg.Metadata.Get(queue.MetaSourcePrefix+"shop"))
		assert.Equal(t, at.Format(time.RFC3339Nano), msg.Metadata.Get(queue.MetaReceivedAt))
		assert.Equal(t, 1.0, value(m.Requests.WithLabelValues("acme", "shop", "200")))
	})
	t.Run("queue down", func(t *testing.T) {
		pub.err = errors.New("queue down")
		assert.Equal(t, http.StatusServiceUnavailable, post("/hooks/acme/shop", "ok", `{"id":2}`))
		assert.Len(t, pub.msgs["inbound"], 1)
	})
}

func value(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}
