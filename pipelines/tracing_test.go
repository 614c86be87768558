package pipelines_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/core/store"
)

// tracedHarness runs a hub on a queue backend (default memory) whose spans
// an in-memory exporter keeps.
func tracedHarness(t *testing.T, backend string) (*harness, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	return newHarness(t, harnessOpts{backend: backend, tracer: tp}), exp
}

// spanNamed returns the ended spans named name.
func spansNamed(exp *tracetest.InMemoryExporter, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// onlySpan returns the one ended span named name.
func onlySpan(t *testing.T, exp *tracetest.InMemoryExporter, name string) tracetest.SpanStub {
	t.Helper()
	got := spansNamed(exp, name)
	require.Len(t, got, 1, "spans named %q", name)
	return got[0]
}

// onlyChild returns the one ended span named name whose parent is parent.
func onlyChild(t *testing.T, exp *tracetest.InMemoryExporter, parent tracetest.SpanStub, name string) tracetest.SpanStub {
	t.Helper()
	var got []tracetest.SpanStub
	for _, s := range spansNamed(exp, name) {
		if s.Parent.SpanID() == parent.SpanContext.SpanID() {
			got = append(got, s)
		}
	}
	require.Len(t, got, 1, "spans named %q under %s", name, parent.Name)
	return got[0]
}

// saleHook returns the server span of the one webhook of the POS.
func saleHook(t *testing.T, exp *tracetest.InMemoryExporter) tracetest.SpanStub {
	t.Helper()
	var got []tracetest.SpanStub
	for _, s := range spansNamed(exp, "POST /hooks/{tenant}/{connector}") {
		if attr(s, "loyalhub.connector") == "pos" {
			got = append(got, s)
		}
	}
	require.Len(t, got, 1, "the sale's webhook spans")
	return got[0]
}

// childOf asserts that child's parent is parent, in parent's trace.
func childOf(t *testing.T, child, parent tracetest.SpanStub) {
	t.Helper()
	assert.Equal(t, parent.SpanContext.TraceID(), child.SpanContext.TraceID(), "%s is in %s's trace", child.Name, parent.Name)
	assert.Equal(t, parent.SpanContext.SpanID(), child.Parent.SpanID(), "%s is a child of %s", child.Name, parent.Name)
}

func attr(s tracetest.SpanStub, key attribute.Key) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.Value.Emit()
		}
	}
	return ""
}

// postTracedSale posts a signed sale carrying traceparent, when not empty.
func (h *harness) postTracedSale(t *testing.T, body []byte, traceparent string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+"/hooks/acme/pos", strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("X-Loyalhub-Signature", pos.Sign(testPOSSecret, body))
	if traceparent != "" {
		req.Header.Set("traceparent", traceparent)
	}
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestTracesFollowASale follows a sale from its webhook through the queue,
// the process stage, the loyalty transaction and the outbox to the send
// attempt and its BSP call, in one trace; the BSP's status webhooks, in
// traces of their own, link to the send attempt. Every queue backend
// carries the trace context in the message's metadata.
func TestTracesFollowASale(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) { testTracesFollowASale(t, backend) })
	}
}

func testTracesFollowASale(t *testing.T, backend string) {
	h, exp := tracedHarness(t, backend)
	h.postTracedSale(t, sale("T-1", "0812-3456-7890", "Sari", "257500.00"), "")
	msgs := h.settled(t, 1)
	eventually(t, "the spans to end", func() bool {
		for _, name := range []string{"process inbound", "process outbox", "send whatsapp_cloud", "message read"} {
			if len(spansNamed(exp, name)) == 0 {
				return false
			}
		}
		return true
	})

	hook := saleHook(t, exp)
	assert.Equal(t, trace.SpanKindServer, hook.SpanKind)
	assert.False(t, hook.Parent.IsValid(), "a webhook without traceparent starts a trace")
	assert.Equal(t, "acme", attr(hook, "loyalhub.tenant"))
	assert.Equal(t, "pos", attr(hook, "loyalhub.connector"))
	assert.Equal(t, "200", attr(hook, "http.response.status_code"))
	assert.Equal(t, "/hooks/{tenant}/{connector}", attr(hook, "http.route"))

	publish := onlySpan(t, exp, "send inbound")
	assert.Equal(t, trace.SpanKindProducer, publish.SpanKind)
	childOf(t, publish, hook)
	process := onlySpan(t, exp, "process inbound")
	assert.Equal(t, trace.SpanKindConsumer, process.SpanKind)
	childOf(t, process, publish)
	assert.Equal(t, "inbound", attr(process, "messaging.destination.name"))
	assert.Equal(t, attr(publish, "messaging.message.id"), attr(process, "messaging.message.id"))
	onlyChild(t, exp, process, "map delivery")
	event := onlyChild(t, exp, process, "process event")
	assert.Equal(t, "order.paid", attr(event, "loyalhub.event.type"))
	transact := onlyChild(t, exp, event, "loyalty transact")
	assert.Equal(t, "1", attr(transact, "loyalhub.messages"), "the transaction queued the notification")

	// The outbox carries the transaction's span to the send attempt.
	attempt := onlySpan(t, exp, "process outbox")
	childOf(t, attempt, transact)
	assert.Equal(t, msgs[0].Key, attr(attempt, "loyalhub.message.key"))
	call := onlySpan(t, exp, "send whatsapp_cloud")
	assert.Equal(t, trace.SpanKindClient, call.SpanKind)
	childOf(t, call, attempt)
	assert.Equal(t, msgs[0].ProviderMessageID, attr(call, "messaging.message.id"))

	// Each report the BSP sent later links to the send attempt.
	var reports []tracetest.SpanStub
	for _, status := range []string{"sent", "delivered", "read"} {
		reports = append(reports, spansNamed(exp, "message "+status)...)
	}
	require.NotEmpty(t, reports)
	for _, r := range reports {
		assert.NotEqual(t, hook.SpanContext.TraceID(), r.SpanContext.TraceID(), "%s comes in a webhook of its own", r.Name)
		require.Len(t, r.Links, 1, "%s links to the send", r.Name)
		assert.Equal(t, attempt.SpanContext.TraceID(), r.Links[0].SpanContext.TraceID())
		assert.Equal(t, attempt.SpanContext.SpanID(), r.Links[0].SpanContext.SpanID())
		assert.Equal(t, msgs[0].ProviderMessageID, attr(r, "messaging.message.id"))
	}

	// No span says whom the message was for or what it said.
	for _, s := range exp.GetSpans() {
		for _, a := range s.Attributes {
			v := a.Value.Emit()
			assert.NotContains(t, v, "81234567890", "%s's %s", s.Name, a.Key)
			assert.NotContains(t, v, "Sari", "%s's %s", s.Name, a.Key)
		}
	}
}

// TestTraceparentIsTheParent checks that a webhook's traceparent header
// makes the caller's span the parent of the hub's, down to the BSP call.
func TestTraceparentIsTheParent(t *testing.T) {
	const (
		traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		spanID  = "00f067aa0ba902b7"
	)
	h, exp := tracedHarness(t, "")
	h.postTracedSale(t, sale("T-2", "0812-3456-7891", "Budi", "100000.00"), "00-"+traceID+"-"+spanID+"-01")
	h.settled(t, 1)
	eventually(t, "the BSP call's span", func() bool { return len(spansNamed(exp, "send whatsapp_cloud")) > 0 })

	hook := saleHook(t, exp)
	assert.Equal(t, traceID, hook.SpanContext.TraceID().String())
	assert.Equal(t, spanID, hook.Parent.SpanID().String())
	assert.True(t, hook.Parent.IsRemote())
	assert.Equal(t, traceID, onlySpan(t, exp, "send whatsapp_cloud").SpanContext.TraceID().String(),
		"the caller's trace goes on through the outbox")
}

// otlpCollector is an OTLP/HTTP receiver of traces: it keeps the names of
// the spans posted to /v1/traces and the service they came from.
type otlpCollector struct {
	mu       sync.Mutex
	names    []string
	services []string
	headers  []string
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want protobuf on /v1/traces", http.StatusBadRequest)
		return
	}
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.headers = append(c.headers, r.Header.Get("X-Api-Key"))
	for _, rs := range req.GetResourceSpans() {
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				c.services = append(c.services, a.GetValue().GetStringValue())
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.names = append(c.names, s.GetName())
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

func (c *otlpCollector) got() (names, services, headers []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.names), slices.Clone(c.services), slices.Clone(c.headers)
}

// TestOTLPExport runs a hub configured by the standard OTEL_EXPORTER_OTLP_*
// variables against an OTLP/HTTP receiver: closing the hub flushes the
// spans of a sale to it.
func TestOTLPExport(t *testing.T) {
	collector := &otlpCollector{}
	srv := httptest.NewServer(collector)
	defer srv.Close()
	h := newHarness(t, harnessOpts{env: []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + srv.URL,
		"OTEL_EXPORTER_OTLP_HEADERS=X-Api-Key=k%201",
	}})
	require.Equal(t, http.StatusOK, h.postSale(sale("T-3", "0812-3456-7892", "Wati", "50000.00")))
	msgs := h.settled(t, 1)
	require.NotEqual(t, store.MessageFailed, msgs[0].Status)
	require.NoError(t, h.hub.Close(t.Context()))

	names, services, headers := collector.got()
	assert.Contains(t, names, "POST /hooks/{tenant}/{connector}")
	assert.Contains(t, names, "process inbound")
	assert.Contains(t, names, "send whatsapp_cloud")
	assert.Contains(t, services, "loyalhub")
	assert.Contains(t, headers, "k 1", "the variable's headers go with the export")
}
