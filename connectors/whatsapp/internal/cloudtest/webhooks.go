package cloudtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/sourcetest"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
)

// Webhooks returns the recorded Cloud API webhooks, by case name: a
// payload of every documented message type, status, system message and
// webhook field, as the bundled whatsapp_cloud mapping is tested with
// (mappings/testdata/whatsapp_cloud). Cases named malformed_* carry items
// that cannot be read.
func Webhooks(t testing.TB) map[string][]byte {
	t.Helper()
	samples, err := mappings.Samples("whatsapp_cloud")
	require.NoError(t, err)
	require.NotEmpty(t, samples)
	out := make(map[string][]byte, len(samples))
	for _, s := range samples {
		out[s.Name] = s.Body
	}
	return out
}

// CheckMapped maps an accepted webhook with the bundled whatsapp_cloud
// mapping, as the hub does, for sourcetest.Harness.Check: a signed webhook
// never fails as a whole, a malformed_* case fails its bad items alone, and
// every other case yields events or parts counted as ignored, no failure.
func CheckMapped(kind string) func(t *testing.T, name string, d connectors.Delivery, body []byte) {
	src, _ := mappings.Bundled("whatsapp_cloud")
	p, err := mappings.Compile("whatsapp_cloud", src)
	return func(t *testing.T, name string, d connectors.Delivery, body []byte) {
		require.NoError(t, err)
		res, err := p.Map(context.Background(), event.Delivery{
			Tenant: "acme", Connector: "whatsapp", Kind: kind, DeliveryID: d.ID, Topic: d.Topic, Meta: d.Meta,
			ReceivedAt: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC),
		}, body)
		require.NoError(t, err, "a signed webhook never fails as a whole")
		if strings.HasPrefix(name, "malformed_") {
			assert.NotEmpty(t, res.Failed, "a malformed case has an item that cannot be read")
			return
		}
		assert.Empty(t, res.Failed)
		assert.NotZero(t, len(res.Events)+len(res.Ignored), "a webhook yields events or is counted as ignored")
		sourcetest.CheckWriters(t, name, d, res.Events)
	}
}
