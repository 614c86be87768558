package hubspot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
)

// A signed batch accepted by the source, enriched against the portal and
// mapped by the bundled mapping yields the loyalty events, typed.
func TestAcceptEnrichMap(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	s := newTestSource(t, testConfig(fake.server.URL))
	body, err := os.ReadFile("testdata/batches/mixed_batch.json")
	require.NoError(t, err)

	r := httptest.NewRequest(http.MethodPost, "http://10.0.0.7:8080/hooks/acme/hubspot", strings.NewReader(string(body)))
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	r.Header.Set(HeaderSignatureV3, SignV3(testSecret, http.MethodPost, testWebhookURL, body, ts))
	r.Header.Set(HeaderTimestamp, ts)
	d, err := s.Accept(r, body)
	require.NoError(t, err)

	enriched, err := s.Enrich(context.Background(), d, body)
	require.NoError(t, err)

	src, ok := mappings.Bundled(Spec().Mapping)
	require.True(t, ok)
	p, err := mappings.Compile(Spec().Mapping, src)
	require.NoError(t, err)
	events, err := p.Run(context.Background(), event.Delivery{
		Tenant: "acme", Connector: "hubspot", Kind: Name, DeliveryID: d.ID, ReceivedAt: time.Now(),
	}, enriched)
	require.NoError(t, err)

	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	require.Equal(t, []string{event.TypeCustomerUpserted, event.TypeConsentChanged, event.TypeOrderPaid}, types)

	var cu event.CustomerUpserted
	require.NoError(t, json.Unmarshal(events[0].Data, &cu))
	assert.Equal(t, event.CustomerUpserted{CustomerID: "847297360", Phone: "0812 1111 2222", Email: "rina@example.com", Name: "Rina Hartono"}, cu)
	assert.Equal(t, event.ID("acme", "hubspot", "customer.upserted/891472211/847297360/3029365650/1795403640000"), events[0].ID)

	var cc event.ConsentChanged
	require.NoError(t, json.Unmarshal(events[1].Data, &cc))
	assert.Equal(t, event.ConsentChanged{Phone: "0812 1111 2222", Category: event.ConsentMarketingMessages, Value: "resume",
		Detail: `HubSpot property whatsapp_marketing_opt_in set to "SUBSCRIBED"`, Source: "hubspot",
		Timestamp: time.UnixMilli(1795403641000).UTC()}, cc)

	var op event.OrderPaid
	require.NoError(t, json.Unmarshal(events[2].Data, &op))
	assert.Equal(t, event.OrderPaid{OrderID: "deal-1902837465", Phone: "+6281234567890", Email: "sari@example.com",
		Name: "Sari Wulandari", Total: "1250000", Currency: "IDR", CustomerID: "847297356"}, op)
	assert.Equal(t, event.ID("acme", "hubspot", "order.paid/deal-1902837465"), events[2].ID)
	assert.Equal(t, time.UnixMilli(1795403642000).UTC(), events[2].OccurredAt)
}
