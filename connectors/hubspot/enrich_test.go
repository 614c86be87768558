package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
)

var update = flag.Bool("update", false, "rewrite the mapping inputs in ../../mappings/testdata/hubspot")

const (
	testSecret     = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
	testWebhookURL = "https://loyalty.example.com/hooks/acme/hubspot"
)

// testConfig is a full configuration against the fake at base.
func testConfig(base string) *Config {
	c := NewConfig()
	c.ClientSecret = testSecret
	c.WebhookURL = testWebhookURL
	c.AccessToken = fakeToken
	c.APIBaseURL = base
	c.Consent.Property = "whatsapp_marketing_opt_in"
	c.Deals.PaidStages = []string{"closedwon", "contractsent"}
	c.Deals.Currency = "IDR"
	c.WriteBack.Enabled = true
	c.RateLimit = RateLimit{Requests: 1000, Interval: time.Second} // tests that need the limiter set their own
	return c
}

func newTestSource(t testing.TB, cfg *Config) *Source {
	t.Helper()
	s, err := NewSource(cfg, connectors.Deps{Tenant: "acme", Name: "hubspot"})
	require.NoError(t, err)
	return s
}

// TestEnrichGolden enriches the recorded batches of testdata/batches
// against the fake portal of testdata/crm.json; the results are the inputs
// of the bundled mapping's golden cases (-update rewrites them).
func TestEnrichGolden(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	s := newTestSource(t, testConfig(fake.server.URL))
	batches, err := filepath.Glob("testdata/batches/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, batches)
	for _, in := range batches {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(in)
			require.NoError(t, err)
			out, err := s.Enrich(context.Background(), connectors.Delivery{ID: "d1"}, body)
			require.NoError(t, err)
			var pretty bytes.Buffer
			require.NoError(t, json.Indent(&pretty, out, "", "  "))
			pretty.WriteByte('\n')
			path := filepath.Join("..", "..", "mappings", "testdata", "hubspot", name+".json")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, pretty.Bytes(), 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./connectors/hubspot -run TestEnrichGolden -update")
			assert.Equal(t, string(want), pretty.String())
		})
	}
}

func TestEnrichReadsWhatEventsName(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	s := newTestSource(t, testConfig(fake.server.URL))
	body, err := os.ReadFile("testdata/batches/mixed_batch.json")
	require.NoError(t, err)
	_, err = s.Enrich(context.Background(), connectors.Delivery{ID: "d1"}, body)
	require.NoError(t, err)

	calls := fake.calls()
	require.Len(t, calls, 3)
	assert.Equal(t, pathDealsRead, calls[0].Path)
	assert.JSONEq(t, `{"properties": ["amount", "deal_currency_code", "dealstage", "dealname"], "inputs": [{"id": "1902837465"}]}`, string(calls[0].Body))
	assert.Equal(t, pathDealContacts, calls[1].Path)
	assert.JSONEq(t, `{"inputs": [{"id": "1902837465"}]}`, string(calls[1].Body))
	assert.Equal(t, pathContactsRead, calls[2].Path)
	assert.JSONEq(t, `{"properties": ["phone", "mobilephone", "email", "firstname", "lastname", "city", "hs_language", "whatsapp_marketing_opt_in", "country"],
		"inputs": [{"id": "847297360"}, {"id": "847297358"}, {"id": "847297356"}]}`, string(calls[2].Body))
}

func TestEnrichDropsEvents(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	tests := []struct {
		name  string
		event string
		kept  bool
		reads int
	}{
		{name: "contact creation", event: `{"subscriptionType":"contact.creation","objectId":847297356}`, kept: true, reads: 1},
		{name: "read property", event: `{"subscriptionType":"contact.propertyChange","objectId":847297356,"propertyName":"email"}`, kept: true, reads: 1},
		{name: "consent property", event: `{"subscriptionType":"contact.propertyChange","objectId":847297356,"propertyName":"whatsapp_marketing_opt_in"}`, kept: true, reads: 1},
		{name: "own points property", event: `{"subscriptionType":"contact.propertyChange","objectId":847297356,"propertyName":"loyalty_points"}`},
		{name: "own tier property", event: `{"subscriptionType":"object.propertyChange","objectTypeId":"0-1","objectId":847297356,"propertyName":"loyalty_tier"}`},
		{name: "property not read", event: `{"subscriptionType":"contact.propertyChange","objectId":847297356,"propertyName":"hs_lead_status"}`},
		{name: "deal in a paid stage", event: `{"subscriptionType":"deal.propertyChange","objectId":1902837465,"propertyName":"dealstage","propertyValue":"closedwon"}`, kept: true, reads: 3},
		{name: "generic deal in a paid stage", event: `{"subscriptionType":"object.propertyChange","objectTypeId":"0-3","objectId":1902837465,"propertyName":"dealstage","propertyValue":"contractsent"}`, kept: true, reads: 3},
		{name: "deal in another stage", event: `{"subscriptionType":"deal.propertyChange","objectId":1902837468,"propertyName":"dealstage","propertyValue":"appointmentscheduled"}`},
		{name: "other deal property", event: `{"subscriptionType":"deal.propertyChange","objectId":1902837465,"propertyName":"amount","propertyValue":"1"}`},
		{name: "deal creation", event: `{"subscriptionType":"deal.creation","objectId":1902837465}`},
		{name: "privacy deletion is kept without a read", event: `{"subscriptionType":"contact.privacyDeletion","objectId":847297399}`, kept: true},
		{name: "contact deletion is kept without a read", event: `{"subscriptionType":"contact.deletion","objectId":847297359}`, kept: true},
		{name: "id that is not a record id", event: `{"subscriptionType":"contact.creation","objectId":"84729x"}`, kept: true},
		{name: "missing id", event: `{"subscriptionType":"contact.creation"}`, kept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSource(t, testConfig(fake.server.URL))
			before := len(fake.calls())
			out, err := s.Enrich(context.Background(), connectors.Delivery{ID: "d1"}, []byte("["+tt.event+"]"))
			require.NoError(t, err)
			var got enrichedBody
			require.NoError(t, json.Unmarshal(out, &got))
			if tt.kept {
				require.Len(t, got.Events, 1)
				assert.JSONEq(t, tt.event, string(got.Events[0]), "kept as received")
			} else {
				assert.Empty(t, got.Events)
			}
			assert.Equal(t, tt.reads, len(fake.calls())-before, "API calls")
		})
	}
}

func TestEnrichRefusesWhatIsNotABatch(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	s := newTestSource(t, testConfig(fake.server.URL))
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", "  ", "empty body"},
		{"object", `{"eventId": 1}`, "body is a JSON object, want an array of HubSpot events"},
		{"string", `"x"`, "body is a JSON string"},
		{"not json", `[{"eventId": `, "body is not a JSON array of HubSpot events"},
		{"garbage", "not json", "body is not JSON"},
		{"trailing data", `[] []`, "body is not a JSON array of HubSpot events"},
		{"number element", `[{"eventId": 1}, 42]`, "event 1 is a JSON number, want an object"},
		{"null element", `[null]`, "event 0 is a JSON null, want an object"},
		{"array element", `[[]]`, "event 0 is a JSON array, want an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Enrich(context.Background(), connectors.Delivery{ID: "d1"}, []byte(tt.body))
			require.Error(t, err)
			assert.True(t, fault.IsPermanent(err), "permanent")
			assert.Equal(t, fault.ClassRequest, fault.ClassOf(err))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	assert.Empty(t, fake.calls(), "nothing read")
}

func TestEnrichEmptyBatch(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	s := newTestSource(t, testConfig(fake.server.URL))
	out, err := s.Enrich(context.Background(), connectors.Delivery{ID: "d1"}, []byte(`[]`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"events": [], "contacts": {}, "deals": {}, "settings": {"consent_property": "whatsapp_marketing_opt_in",
		"opt_in_values": ["true", "yes", "opted_in", "subscribed"], "consent_category": "marketing_messages", "currency": "IDR"}}`, string(out))
	assert.Empty(t, fake.calls())
}

func TestEnrichDisabled(t *testing.T) {
	cfg := testConfig("https://api.hubapi.invalid")
	cfg.Enrich = false
	cfg.AccessToken = ""
	cfg.WriteBack.Enabled = false
	cfg.Deals.PaidStages = nil
	s := newTestSource(t, cfg)
	out, err := s.Enrich(context.Background(), connectors.Delivery{ID: "d1"}, []byte(`[
		{"subscriptionType":"contact.creation","objectId":847297356},
		{"subscriptionType":"contact.propertyChange","objectId":847297356,"propertyName":"hs_lead_status"},
		{"subscriptionType":"contact.privacyDeletion","objectId":847297399}]`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"events": [{"subscriptionType":"contact.creation","objectId":847297356},
		{"subscriptionType":"contact.privacyDeletion","objectId":847297399}]}`, string(out))
}

// A batch naming more records than one call takes is read in several.
func TestEnrichChunksReads(t *testing.T) {
	data := crm{Contacts: map[string]map[string]string{}}
	var events []string
	for i := range 250 {
		id := fmt.Sprint(900000000 + i)
		data.Contacts[id] = map[string]string{"phone": fmt.Sprintf("+62812000%05d", i)}
		events = append(events, fmt.Sprintf(`{"subscriptionType":"contact.creation","objectId":%s}`, id))
	}
	fake := newFake(t, data)
	s := newTestSource(t, testConfig(fake.server.URL))
	out, err := s.Enrich(context.Background(), connectors.Delivery{ID: "d1"}, []byte("["+strings.Join(events, ",")+"]"))
	require.NoError(t, err)
	var got enrichedBody
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Len(t, got.Contacts, 250)
	var sizes []int
	for _, c := range fake.calls() {
		var in batchReadRequest
		require.NoError(t, json.Unmarshal(c.Body, &in))
		sizes = append(sizes, len(in.Inputs))
	}
	assert.Equal(t, []int{100, 100, 50}, sizes)
}

func TestEnrichErrors(t *testing.T) {
	body := []byte(`[{"subscriptionType":"contact.creation","objectId":847297356}]`)
	tests := []struct {
		name      string
		answers   []fakeAnswer
		token     string
		permanent bool
		class     fault.Class
		after     time.Duration
		contains  string
	}{
		{
			name: "429 with Retry-After",
			answers: []fakeAnswer{{status: 429, header: map[string]string{"Retry-After": "7"},
				body: `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"3b7c1e9d-0000-4000-8000-000000000429","policyName":"TEN_SECONDLY_ROLLING","groupName":"publicapi:private-app-burst:7906213"}`}},
			class: fault.ClassThrottle, after: 7 * time.Second, contains: "HTTP 429",
		},
		{
			name:    "429 without Retry-After waits the rate limit's window",
			answers: []fakeAnswer{{status: 429, body: `{"status":"error","message":"You have reached your secondly limit.","policyName":"SECONDLY"}`}},
			class:   fault.ClassThrottle, after: time.Second, // testConfig's rate_limit.interval
		},
		{
			name:    "500",
			answers: []fakeAnswer{{status: 500, body: `{"status":"error","message":"internal error","correlationId":"c-500","category":"INTERNAL_ERROR"}`}},
			class:   fault.ClassTransient, contains: "INTERNAL_ERROR: internal error (correlation id c-500)",
		},
		{
			name: "503 three times, after the HTTP layer's retries",
			answers: []fakeAnswer{
				{status: 503, body: `<html>unavailable</html>`}, {status: 503, body: `<html>unavailable</html>`}, {status: 503, body: `<html>unavailable</html>`},
			},
			class: fault.ClassTransient, contains: "HTTP 503",
		},
		{
			name:      "401 wrong token",
			token:     "pat-na1-wrong",
			permanent: true, class: fault.ClassAuth, contains: "INVALID_AUTHENTICATION",
		},
		{
			name:      "403 missing scope",
			answers:   []fakeAnswer{{status: 403, body: `{"status":"error","message":"This app hasn't been granted all required scopes to make this call.","correlationId":"c-403","category":"MISSING_SCOPES","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredGranularScopes":["crm.objects.contacts.read"]}}]}`}},
			permanent: true, class: fault.ClassAuth, contains: "MISSING_SCOPES",
		},
		{
			name:      "400",
			answers:   []fakeAnswer{{status: 400, body: `{"status":"error","message":"Invalid input JSON","category":"VALIDATION_ERROR"}`}},
			permanent: true, class: fault.ClassRequest, contains: "VALIDATION_ERROR",
		},
		{
			name:    "2xx that is not JSON",
			answers: []fakeAnswer{{status: 200, body: `<html>captive portal</html>`}},
			class:   fault.ClassTransient, contains: "reading HTTP 200 answer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, loadCRM(t))
			for _, a := range tt.answers {
				fake.queue(pathContactsRead, a)
			}
			cfg := testConfig(fake.server.URL)
			if tt.token != "" {
				cfg.AccessToken = tt.token
			}
			_, err := newTestSource(t, cfg).Enrich(context.Background(), connectors.Delivery{ID: "d1"}, body)
			require.Error(t, err)
			assert.Equal(t, tt.permanent, fault.IsPermanent(err), "permanent: %v", err)
			assert.Equal(t, tt.class, fault.ClassOf(err))
			assert.Equal(t, tt.after, fault.RetryAfter(err))
			assert.Contains(t, err.Error(), tt.contains)
			assert.NotContains(t, err.Error(), fakeToken)
		})
	}
}

// A 502 that the HTTP layer retries succeeds without the caller noticing.
func TestEnrichRetriesBadGateway(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	fake.queue(pathContactsRead, fakeAnswer{status: http.StatusBadGateway, body: "bad gateway"})
	s := newTestSource(t, testConfig(fake.server.URL))
	out, err := s.Enrich(context.Background(), connectors.Delivery{ID: "d1"}, []byte(`[{"subscriptionType":"contact.creation","objectId":847297356}]`))
	require.NoError(t, err)
	assert.Contains(t, string(out), "sari@example.com")
	assert.Len(t, fake.calls(), 2)
}

func TestEnrichHonoursContext(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	s := newTestSource(t, testConfig(fake.server.URL))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Enrich(ctx, connectors.Delivery{ID: "d1"}, []byte(`[{"subscriptionType":"contact.creation","objectId":847297356}]`))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, fault.IsPermanent(err))
}

// Every API call waits for the portal's limiter: with 2 calls per 150ms,
// no 150ms window sees more than 2.
func TestRateLimit(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	cfg := testConfig(fake.server.URL)
	cfg.RateLimit = RateLimit{Requests: 2, Interval: 150 * time.Millisecond}
	s := newTestSource(t, cfg)
	body := []byte(`[{"subscriptionType":"contact.creation","objectId":847297356}]`)
	start := time.Now()
	for range 5 {
		_, err := s.Enrich(context.Background(), connectors.Delivery{ID: "d1"}, body)
		require.NoError(t, err)
	}
	// One call at once, then one every 75ms at most.
	assert.GreaterOrEqual(t, time.Since(start), 4*75*time.Millisecond-10*time.Millisecond)
	calls := fake.calls()
	require.Len(t, calls, 5)
	for i := 2; i < len(calls); i++ {
		assert.GreaterOrEqual(t, calls[i].At.Sub(calls[i-2].At), 140*time.Millisecond, "calls %d to %d", i-2, i)
	}
}

// A caller whose deadline ends before its turn gets a retryable throttle
// error at once.
func TestRateLimitDeadline(t *testing.T) {
	fake := newFake(t, loadCRM(t))
	cfg := testConfig(fake.server.URL)
	cfg.RateLimit = RateLimit{Requests: 1, Interval: time.Hour}
	s := newTestSource(t, cfg)
	body := []byte(`[{"subscriptionType":"contact.creation","objectId":847297356}]`)
	_, err := s.Enrich(context.Background(), connectors.Delivery{ID: "d1"}, body)
	require.NoError(t, err)
	// The next turn is an hour away, beyond the caller's minute: the call
	// must not wait for either (a wait would take the whole minute).
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err = s.Enrich(ctx, connectors.Delivery{ID: "d1"}, body)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 30*time.Second)
	assert.NoError(t, ctx.Err(), "returned before the caller's deadline")
	assert.False(t, fault.IsPermanent(err))
	assert.Equal(t, fault.ClassThrottle, fault.ClassOf(err))
	assert.Len(t, fake.calls(), 1)
}

func TestNewLimiter(t *testing.T) {
	tests := []struct {
		requests int
		interval time.Duration
		burst    int
		perSec   float64
	}{
		{100, 10 * time.Second, 10, 9},
		{190, 10 * time.Second, 19, 17.1},
		{2, time.Second, 1, 1},
		{1, time.Second, 1, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d per %s", tt.requests, tt.interval), func(t *testing.T) {
			l := newLimiter(tt.requests, tt.interval)
			assert.Equal(t, tt.burst, l.Burst())
			assert.InDelta(t, tt.perSec, float64(l.Limit()), 1e-9)
		})
	}
}
