package pos_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/core/fault"
)

// customerAPI is a fake of Square's RetrieveCustomer (GET
// /v2/customers/{id}) and Loyverse's GET /v1.0/customers/{id}: it checks
// the request as the vendor would and answers from its tables.
type customerAPI struct {
	t       *testing.T
	token   string
	square  bool
	mu      sync.Mutex
	calls   []string          // customer ids requested, in order
	bodies  map[string]string // id → 200 response body
	refuse  map[string]int    // id → status to answer instead
	times   map[string]int    // id → how many times refuse applies; always when absent
	headers map[string]string // extra response headers with refuse
}

func newCustomerAPI(t *testing.T, square bool) (*customerAPI, *httptest.Server) {
	api := &customerAPI{t: t, token: "lookup-token-1", square: square, bodies: map[string]string{},
		refuse: map[string]int{}, times: map[string]int{}, headers: map[string]string{}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return api, srv
}

func (a *customerAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix := "/v1.0/customers/"
	if a.square {
		prefix = "/v2/customers/"
	}
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, prefix) {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+a.token {
		w.WriteHeader(http.StatusUnauthorized)
		if a.square {
			_, _ = w.Write([]byte(`{"errors":[{"category":"AUTHENTICATION_ERROR","code":"UNAUTHORIZED","detail":"This request could not be authorized."}]}`))
		} else {
			_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","details":"The access token is invalid"}]}`))
		}
		return
	}
	if a.square && r.Header.Get("Square-Version") == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, prefix)
	a.mu.Lock()
	a.calls = append(a.calls, id)
	status, refused := a.refuse[id]
	if n, limited := a.times[id]; limited && refused {
		refused = n > 0
		a.times[id] = n - 1
	}
	body, ok := a.bodies[id]
	a.mu.Unlock()
	switch {
	case refused:
		for k, v := range a.headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"errors":[{"category":"API_ERROR","code":"INTERNAL_SERVER_ERROR","detail":"try again"}]}`))
	case !ok:
		w.WriteHeader(http.StatusNotFound)
		if a.square {
			_, _ = w.Write([]byte(`{"errors":[{"category":"INVALID_REQUEST_ERROR","code":"NOT_FOUND","detail":"Customer not found"}]}`))
		}
	default:
		_, _ = w.Write([]byte(body))
	}
}

func (a *customerAPI) requested() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.calls...)
}

func squareLookupConfig(baseURL string) *pos.Config {
	c := squareConfig()
	c.Lookup.AccessToken = "lookup-token-1"
	c.Lookup.BaseURL = baseURL
	c.Lookup.RequestsPerSecond = 1000
	return c
}

func loyverseLookupConfig(baseURL string) *pos.Config {
	c := loyverseConfig()
	c.Lookup.AccessToken = "lookup-token-1"
	c.Lookup.BaseURL = baseURL
	c.Lookup.RequestsPerSecond = 1000
	return c
}

func newLookupSource(t *testing.T, cfg *pos.Config) *pos.LookupSource {
	t.Helper()
	s, err := pos.NewLookupSource(cfg, connectors.Deps{Tenant: "acme", Name: "pos"})
	require.NoError(t, err)
	return s
}

// A Square customer as RetrieveCustomer returns it.
const squareCustomer = `{"customer":{"id":"JDKYHBWT1D4F8MFH63DBMEN8Y4","created_at":"2026-01-14T08:03:41.272Z",
 "updated_at":"2026-11-02T10:11:09Z","given_name":"Mia","family_name":"Nguyen","email_address":"mia.nguyen@example.com",
 "phone_number":"0412 345 678","preferences":{"email_unsubscribed":false},"creation_source":"DIRECTORY",
 "address":{"address_line_1":"12 George Street","locality":"Sydney","administrative_district_level_1":"NSW",
 "postal_code":"2000","country":"AU"},
 "birthday":"0000-09-21","version":3}}`

func squarePayment(status, customerID string) []byte {
	cust := ""
	if customerID != "" {
		cust = `"customer_id":"` + customerID + `",`
	}
	return []byte(`{"merchant_id":"ML4TQ3V8JNHXA","type":"payment.updated","event_id":"2f3b7c1e-8d4a-4b1f-9e62-5c0d7a9e3b41",` +
		`"created_at":"2026-11-23T02:41:07.614Z","data":{"type":"payment","id":"bP9mAsEMYPUGjjGNaNO5ZDVyLhSZY","object":{"payment":{` +
		`"amount_money":{"amount":1250,"currency":"AUD"},"total_money":{"amount":1450,"currency":"AUD"},` +
		`"created_at":"2026-11-23T02:41:05.774Z",` + cust + `"id":"bP9mAsEMYPUGjjGNaNO5ZDVyLhSZY","location_id":"LH2XR7AMG5KN8",` +
		`"note":"<b>extra shot</b> & oat","source_type":"CARD","status":"` + status + `"}}}}`)
}

func TestEnrichSquare(t *testing.T) {
	api, srv := newCustomerAPI(t, true)
	api.bodies["JDKYHBWT1D4F8MFH63DBMEN8Y4"] = squareCustomer
	src := newLookupSource(t, squareLookupConfig(srv.URL))

	t.Run("a completed payment gets its customer", func(t *testing.T) {
		body := squarePayment("COMPLETED", "JDKYHBWT1D4F8MFH63DBMEN8Y4")
		got, err := src.Enrich(context.Background(), connectors.Delivery{ID: "d1"}, body)
		require.NoError(t, err)
		assert.Equal(t, `{"payload":`+string(body)+`,"customers":{"JDKYHBWT1D4F8MFH63DBMEN8Y4":`+
			`{"phone":"0412 345 678","email":"mia.nguyen@example.com","name":"Mia Nguyen","country":"AU"}}}`, string(got),
			"the body is kept byte for byte, HTML characters unescaped")
	})

	t.Run("an unknown customer is null", func(t *testing.T) {
		got, err := src.Enrich(context.Background(), connectors.Delivery{}, squarePayment("COMPLETED", "UNKNOWN0CUSTOMER0ID0000000"))
		require.NoError(t, err)
		var w struct {
			Customers map[string]*struct{ Phone string } `json:"customers"`
		}
		require.NoError(t, json.Unmarshal(got, &w))
		v, ok := w.Customers["UNKNOWN0CUSTOMER0ID0000000"]
		assert.True(t, ok)
		assert.Nil(t, v)
	})

	for _, tt := range []struct {
		name string
		body []byte
	}{
		{"an approved payment is not looked up", squarePayment("APPROVED", "JDKYHBWT1D4F8MFH63DBMEN8Y4")},
		{"a payment without customer", squarePayment("COMPLETED", "")},
		{"a refund", []byte(`{"type":"refund.updated","data":{"object":{"refund":{"id":"r1","status":"COMPLETED","payment_id":"p1"}}}}`)},
		{"the test notification", []byte(squareBody)},
		{"not json", []byte(`{"type": "payment.updated", `)},
		{"data of the wrong type", []byte(`{"type":"payment.updated","data":"payment"}`)},
		{"customer_id of the wrong type", []byte(`{"type":"payment.updated","data":{"object":{"payment":{"status":"COMPLETED","customer_id":7}}}}`)},
	} {
		t.Run(tt.name+" is unchanged", func(t *testing.T) {
			before := len(api.requested())
			got, err := src.Enrich(context.Background(), connectors.Delivery{}, tt.body)
			require.NoError(t, err)
			assert.Equal(t, string(tt.body), string(got))
			assert.Len(t, api.requested(), before, "no lookup")
		})
	}
}

func TestEnrichLoyverse(t *testing.T) {
	api, srv := newCustomerAPI(t, false)
	api.bodies["c-1"] = `{"id":"c-1","name":"Somchai Jaidee","email":"somchai@example.co.th","phone_number":"+66 81 234 5678",
	  "address":null,"city":"Bangkok","country_code":"th","customer_code":"C-0042","total_visits":3,"total_spent":412.5,"total_points":41.25,
	  "created_at":"2026-10-01T04:00:00.000Z","updated_at":"2026-11-23T09:15:44.000Z","deleted_at":null}`
	api.bodies["c-2"] = `{"id":"c-2","name":"Ploy","email":null,"phone_number":null,"country_code":null}`
	src := newLookupSource(t, loyverseLookupConfig(srv.URL))

	body := []byte(`{"merchant_id":"m","type":"receipts.update","created_at":"2026-11-25T12:30:02.000Z","receipts":[
	 {"receipt_number":"3-0412","receipt_type":"SALE","cancelled_at":null,"customer_id":"c-1","total_money":250},
	 {"receipt_number":"3-0413","receipt_type":"REFUND","refund_for":"3-0398","cancelled_at":null,"customer_id":"c-3","total_money":10},
	 {"receipt_number":"3-0409","receipt_type":"SALE","cancelled_at":"2026-11-25T12:30:00.000Z","customer_id":"c-4","total_money":120},
	 {"receipt_number":"3-0414","receipt_type":"SALE","cancelled_at":null,"customer_id":"c-2","total_money":80},
	 {"receipt_number":"3-0415","receipt_type":"SALE","customer_id":"c-1","total_money":45},
	 {"receipt_number":"3-0416","receipt_type":"SALE","customer_id":null,"total_money":45},
	 {"receipt_number":"3-0417","receipt_type":"SALE","customer_id":"c-5","total_money":45}]}`)
	got, err := src.Enrich(context.Background(), connectors.Delivery{}, body)
	require.NoError(t, err)
	assert.Equal(t, []string{"c-1", "c-2", "c-5"}, api.requested(), "each customer of an uncancelled sale, once")
	assert.Equal(t, `{"payload":`+string(body)+`,"customers":{"c-1":{"phone":"+66 81 234 5678","email":"somchai@example.co.th",`+
		`"name":"Somchai Jaidee","country":"TH"},"c-2":{"name":"Ploy"},"c-5":null}}`, string(got))

	t.Run("other webhooks are unchanged", func(t *testing.T) {
		b := []byte(`{"merchant_id":"m","type":"customers.update","customers":[{"id":"c-1"}]}`)
		got, err := src.Enrich(context.Background(), connectors.Delivery{}, b)
		require.NoError(t, err)
		assert.Equal(t, string(b), string(got))
	})
}

func TestEnrichErrors(t *testing.T) {
	body := squarePayment("COMPLETED", "JDKYHBWT1D4F8MFH63DBMEN8Y4")
	tests := []struct {
		name       string
		status     int
		headers    map[string]string
		token      string
		loyverse   bool
		permanent  bool
		class      fault.Class
		retryAfter time.Duration
		contains   string
	}{
		{name: "wrong token", token: "stale-token", permanent: true, class: fault.ClassAuth,
			contains: "Square customer API answered HTTP 401: UNAUTHORIZED: This request could not be authorized."},
		{name: "wrong loyverse token", token: "stale-token", loyverse: true, permanent: true, class: fault.ClassAuth,
			contains: "Loyverse customer API answered HTTP 401: UNAUTHORIZED: The access token is invalid"},
		{name: "forbidden", status: 403, permanent: true, class: fault.ClassAuth, contains: "HTTP 403"},
		{name: "rate limited", status: 429, headers: map[string]string{"Retry-After": "7"}, class: fault.ClassThrottle,
			retryAfter: 7 * time.Second, contains: "HTTP 429"},
		{name: "server error", status: 503, headers: map[string]string{"Retry-After": "2"}, class: fault.ClassTransient,
			retryAfter: 2 * time.Second, contains: "HTTP 503: INTERNAL_SERVER_ERROR: try again"},
		{name: "bad gateway", status: 502, class: fault.ClassTransient, contains: "HTTP 502"},
		{name: "bad request", status: 400, permanent: true, class: fault.ClassRequest, contains: "HTTP 400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, srv := newCustomerAPI(t, !tt.loyverse)
			api.bodies["JDKYHBWT1D4F8MFH63DBMEN8Y4"] = squareCustomer
			api.bodies["c-1"] = `{"id":"c-1","phone_number":"+66 81 234 5678"}`
			if tt.status != 0 {
				api.refuse["JDKYHBWT1D4F8MFH63DBMEN8Y4"] = tt.status
				api.refuse["c-1"] = tt.status
				api.headers = tt.headers
			}
			cfg, b := squareLookupConfig(srv.URL), body
			if tt.loyverse {
				cfg = loyverseLookupConfig(srv.URL)
				b = []byte(`{"type":"receipts.update","receipts":[{"receipt_number":"1","receipt_type":"SALE","customer_id":"c-1"}]}`)
			}
			if tt.token != "" {
				cfg.Lookup.AccessToken = tt.token
			}
			got, err := newLookupSource(t, cfg).Enrich(context.Background(), connectors.Delivery{}, b)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Equal(t, tt.permanent, fault.IsPermanent(err), "%v", err)
			assert.Equal(t, tt.class, fault.ClassOf(err))
			assert.Equal(t, tt.retryAfter, fault.RetryAfter(err))
			assert.Contains(t, err.Error(), tt.contains)
			assert.NotContains(t, err.Error(), "lookup-token-1")
			assert.NotContains(t, err.Error(), "stale-token")
		})
	}

	t.Run("transport failure is retryable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		_, err := newLookupSource(t, squareLookupConfig(srv.URL)).Enrich(context.Background(), connectors.Delivery{}, body)
		require.Error(t, err)
		assert.False(t, fault.IsPermanent(err))
		assert.Equal(t, fault.ClassTransient, fault.ClassOf(err))
	})

	t.Run("garbled customer is retryable", func(t *testing.T) {
		api, srv := newCustomerAPI(t, true)
		api.bodies["JDKYHBWT1D4F8MFH63DBMEN8Y4"] = `<html>maintenance</html>`
		_, err := newLookupSource(t, squareLookupConfig(srv.URL)).Enrich(context.Background(), connectors.Delivery{}, body)
		require.Error(t, err)
		assert.False(t, fault.IsPermanent(err))
	})

	t.Run("cancelled context", func(t *testing.T) {
		block := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(block) })
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := newLookupSource(t, squareLookupConfig(srv.URL)).Enrich(ctx, connectors.Delivery{}, body)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.False(t, fault.IsPermanent(err))
	})
}

// The HTTP layer asks again, at once, only what the POS certainly did not
// answer (502, 503 and 504 without a long Retry-After, twice at most); the
// rest comes back classified, for the pipeline's retries.
func TestEnrichRetries(t *testing.T) {
	body := squarePayment("COMPLETED", "JDKYHBWT1D4F8MFH63DBMEN8Y4")
	tests := []struct {
		name      string
		status    int
		times     int
		header    map[string]string
		wantCalls int
		ok        bool
	}{
		{name: "502 once", status: 502, times: 1, wantCalls: 2, ok: true},
		{name: "504 twice", status: 504, times: 2, wantCalls: 3, ok: true},
		{name: "503 three times", status: 503, times: 3, wantCalls: 3},
		{name: "503 asking for a minute", status: 503, times: 1, header: map[string]string{"Retry-After": "60"}, wantCalls: 1},
		{name: "500: the POS may have done something", status: 500, times: 1, wantCalls: 1},
		{name: "429", status: 429, times: 1, wantCalls: 1},
		{name: "401", status: 401, times: 1, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, srv := newCustomerAPI(t, true)
			const id = "JDKYHBWT1D4F8MFH63DBMEN8Y4"
			api.bodies[id] = squareCustomer
			api.refuse[id], api.times[id], api.headers = tt.status, tt.times, tt.header
			got, err := newLookupSource(t, squareLookupConfig(srv.URL)).Enrich(context.Background(), connectors.Delivery{}, body)
			assert.Len(t, api.requested(), tt.wantCalls)
			if tt.ok {
				require.NoError(t, err)
				assert.Contains(t, string(got), "mia.nguyen@example.com")
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.status == 401, fault.IsPermanent(err), "%v", err)
		})
	}
}

func TestEnrichRateLimit(t *testing.T) {
	api, srv := newCustomerAPI(t, false)
	for _, id := range []string{"c-1", "c-2", "c-3", "c-4"} {
		api.bodies[id] = `{"id":"` + id + `","phone_number":"+66 81 234 5678"}`
	}
	cfg := loyverseLookupConfig(srv.URL)
	cfg.Lookup.RequestsPerSecond = 50 // one every 20 ms
	src := newLookupSource(t, cfg)
	body := []byte(`{"type":"receipts.update","receipts":[
	 {"receipt_number":"1","receipt_type":"SALE","customer_id":"c-1"},{"receipt_number":"2","receipt_type":"SALE","customer_id":"c-2"},
	 {"receipt_number":"3","receipt_type":"SALE","customer_id":"c-3"},{"receipt_number":"4","receipt_type":"SALE","customer_id":"c-4"}]}`)
	start := time.Now()
	_, err := src.Enrich(context.Background(), connectors.Delivery{}, body)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 55*time.Millisecond, "4 lookups at 50/s take 3 intervals of 20 ms")
	assert.Len(t, api.requested(), 4)

	t.Run("a deadline before the next turn is a throttle", func(t *testing.T) {
		cfg := loyverseLookupConfig(srv.URL)
		cfg.Lookup.RequestsPerSecond = 0.1
		src := newLookupSource(t, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := src.Enrich(ctx, connectors.Delivery{}, body)
		require.Error(t, err)
		assert.Equal(t, fault.ClassThrottle, fault.ClassOf(err))
		assert.False(t, fault.IsPermanent(err))
	})
}

func TestNewLookupSource(t *testing.T) {
	_, err := pos.NewLookupSource(squareConfig(), connectors.Deps{})
	require.ErrorContains(t, err, "needs preset square or loyverse and lookup.access_token")
	_, err = pos.NewLookupSource(nil, connectors.Deps{})
	require.Error(t, err)
	bad := squareLookupConfig("ftp://x")
	_, err = pos.NewLookupSource(bad, connectors.Deps{})
	require.ErrorContains(t, err, "lookup.base_url")
}

func TestSpecNewEnricher(t *testing.T) {
	spec := pos.Spec()
	tests := []struct {
		name     string
		cfg      *pos.Config
		enricher bool
	}{
		{"plain", defaultConfig(), false},
		{"square without a token", squareConfig(), false},
		{"square with a token", squareLookupConfig("https://connect.squareupsandbox.com"), true},
		{"loyverse with a token", loyverseLookupConfig(""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := spec.Build(tt.cfg, connectors.Deps{Tenant: "acme", Name: "pos"})
			require.NoError(t, err)
			assert.NotNil(t, in.Source)
			assert.Equal(t, tt.enricher, in.Enricher != nil)
		})
	}

	t.Run("an invalid lookup config fails", func(t *testing.T) {
		c := squareLookupConfig("ftp://x")
		in, err := spec.Build(c, connectors.Deps{})
		require.Error(t, err)
		assert.Empty(t, in.Capabilities())
	})
}
