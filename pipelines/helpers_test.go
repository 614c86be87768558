package pipelines_test

import (
	"net"
	"os"
	"testing"
	"time"

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

// serviceUp reports whether a TCP service answers; when it does not, the
// test is skipped, or failed if LOYALHUB_REQUIRE_SERVICES=1.
func serviceUp(t *testing.T, name, addr string) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
		return true
	}
	if os.Getenv("LOYALHUB_REQUIRE_SERVICES") == "1" {
		t.Fatalf("%s is not reachable at %s and LOYALHUB_REQUIRE_SERVICES=1: %v", name, addr, err)
	}
	t.Logf("skipping the %s backend: not reachable at %s (%v)", name, addr, err)
	return false
}

// backends lists the queue backends the end-to-end tests run on: memory and
// embedded always, nats when a NATS server answers.
func backends(t *testing.T) []string {
	b := []string{"memory", "embedded"}
	if !testing.Short() && serviceUp(t, "NATS", "127.0.0.1:4222") {
		b = append(b, "nats")
	}
	return b
}
