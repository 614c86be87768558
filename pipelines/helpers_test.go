package pipelines_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/loyalhub/loyalhub/pipelines/queue/queuetest"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func counterValue(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// backends lists the queue backends the end-to-end tests run on: memory and
// embedded always, nats when a NATS server answers.
func backends(t *testing.T) []string {
	b := []string{"memory", "embedded"}
	if !testing.Short() && queuetest.NATSAvailable(t) {
		b = append(b, "nats")
	}
	return b
}

func gaugeValue(t testing.TB, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}

// syncBuffer is a log destination safe for the hub's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
