package hubspot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/mappings"
)

// A signed batch accepted by the source, enriched against the portal and
// mapped by the bundled mapping yields the loyalty events, typed.
func TestAcceptEnrichMap(t *testing.T) {
	events := acceptEnrichMap(t, "mixed_batch.json")

	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	require.Equal(t, []string{event.TypeCustomerUpserted, event.TypeConsentChanged, event.TypeOrderPaid}, types)

	var cu event.CustomerUpserted
	require.NoError(t, json.Unmarshal(events[0].Data, &cu))
	assert.Equal(t, event.CustomerUpserted{CustomerID: "847297360", Phone: "0812 1111 2222", Email: "rina@example.com", Name: "Rina Hartono",
		Profile: &member.Profile{Source: "hubspot"}}, cu)
	assert.Equal(t, event.ID("acme", "hubspot", "customer.upserted/891472211/847297360/3029365650/1795403640000"), events[0].ID)

	var cc event.ConsentChanged
	require.NoError(t, json.Unmarshal(events[1].Data, &cc))
	assert.Equal(t, event.ConsentChanged{Phone: "0812 1111 2222", Category: event.ConsentMarketingMessages, Value: "resume",
		Detail: `HubSpot property whatsapp_marketing_opt_in set to "SUBSCRIBED"`, Source: "hubspot",
		Timestamp: time.UnixMilli(1795403641000).UTC()}, cc)

	var op event.OrderPaid
	require.NoError(t, json.Unmarshal(events[2].Data, &op))
	assert.Equal(t, event.OrderPaid{OrderID: "deal-1902837465", Phone: "+6281234567890", Email: "sari@example.com",
		Name: "Sari Wulandari", Total: "1250000", Currency: "IDR", CustomerID: "847297356",
		Profile: &member.Profile{Source: "hubspot"}}, op)
	assert.Equal(t, event.ID("acme", "hubspot", "order.paid/deal-1902837465"), events[2].ID)
	assert.Equal(t, time.UnixMilli(1795403642000).UTC(), events[2].OccurredAt)
}

// HubSpot's documented example batch, which names the event type eventType
// rather than subscriptionType, signed with v3 like a delivery: the
// contact it creates becomes a customer; its lifecycle stage change is
// not a property the connector reads.
func TestAcceptEnrichMapDocumentedExample(t *testing.T) {
	events := acceptEnrichMap(t, "docs_example_event_type.json")
	require.Len(t, events, 1)
	assert.Equal(t, event.TypeCustomerUpserted, events[0].Type)
	var cu struct {
		event.CustomerUpserted
		PhoneCountry string `json:"phone_country"`
	}
	require.NoError(t, json.Unmarshal(events[0].Data, &cu))
	assert.Equal(t, event.CustomerUpserted{CustomerID: "1246978", Phone: "(617) 555-0199", Email: "sam@example.com", Name: "Sam Okafor",
		Profile: &member.Profile{Source: "hubspot"}}, cu.CustomerUpserted)
	assert.Equal(t, "US", cu.PhoneCountry)
	assert.Equal(t, time.UnixMilli(1462216307945).UTC(), events[0].OccurredAt)
}

// acceptEnrichMap delivers the recorded batch testdata/batches/<file> as
// HubSpot does, signed with v3, to a source against the fake portal of
// testdata/crm.json, enriches it and maps it with the bundled mapping.
func acceptEnrichMap(t *testing.T, file string) []event.Event {
	t.Helper()
	fake := newFake(t, loadCRM(t))
	s := newTestSource(t, testConfig(fake.server.URL))
	body, err := os.ReadFile(filepath.Join("testdata", "batches", file))
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
	return events
}
