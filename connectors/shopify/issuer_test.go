package shopify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/loyalty"
)

const testToken = "shpat_0123456789abcdef"

var testNow = time.Date(2026, 11, 23, 3, 0, 5, 0, time.UTC)

// answer is one scripted answer of the fake Admin API.
type answer struct {
	status int
	header map[string]string
	body   string
}

// fakeAdmin speaks enough of the Admin GraphQL API to create basic code
// discounts: it checks every request and answers from a script, then with
// success.
type fakeAdmin struct {
	t       *testing.T
	version string

	mu        sync.Mutex
	script    []answer
	requests  []basicCodeDiscountInput
	rawInputs []map[string]any
	codes     map[string]bool // created codes
}

const created = `{"data":{"discountCodeBasicCreate":{"codeDiscountNode":{"id":"gid://shopify/DiscountCodeNode/1057856638"},"userErrors":[]}},
"extensions":{"cost":{"requestedQueryCost":10,"actualQueryCost":10,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1990,"restoreRate":100.0}}}}`

func (f *fakeAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/admin/api/"+f.version+"/graphql.json", r.URL.Path)
	assert.Equal(t, testToken, r.Header.Get("X-Shopify-Access-Token"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	var req struct {
		Query     string `json:"query"`
		Variables struct {
			BasicCodeDiscount json.RawMessage `json:"basicCodeDiscount"`
		} `json:"variables"`
	}
	require.NoError(t, json.Unmarshal(b, &req))
	assert.Contains(t, req.Query, "mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!)")
	assert.Contains(t, req.Query, "discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount)")
	assert.Contains(t, req.Query, "userErrors { field code message }")
	var in basicCodeDiscountInput
	dec := json.NewDecoder(strings.NewReader(string(req.Variables.BasicCodeDiscount)))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&in))
	var raw map[string]any
	require.NoError(t, json.Unmarshal(req.Variables.BasicCodeDiscount, &raw))

	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, in)
	f.rawInputs = append(f.rawInputs, raw)
	if len(f.script) > 0 {
		a := f.script[0]
		f.script = f.script[1:]
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if f.codes[in.Code] {
		_, _ = io.WriteString(w, `{"data":{"discountCodeBasicCreate":{"codeDiscountNode":null,"userErrors":[{"field":["basicCodeDiscount","code"],"code":"TAKEN","message":"Code must be unique. Please try a different code."}]}}}`)
		return
	}
	f.codes[in.Code] = true
	_, _ = io.WriteString(w, created)
}

func (f *fakeAdmin) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func newFake(t *testing.T, version string, script ...answer) (*fakeAdmin, *httptest.Server) {
	f := &fakeAdmin{t: t, version: version, script: script, codes: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func issuerConfig(baseURL string) *Config {
	c := NewConfig()
	c.Secret = "shpss_test_secret"
	c.Admin.AccessToken = testToken
	c.Admin.BaseURL = baseURL
	c.Admin.RequestsPerSecond = 1000
	c.Admin.Timeout = 2 * time.Second
	c.Admin.Discounts = map[string]Discount{
		"coffee": {Amount: "25000.00"},
		"tenoff": {Percentage: 10, MinimumSubtotal: "100000.00", ValidDays: 14, Prefix: "WA-", Title: "10% off your next order"},
	}
	return c
}

func newIssuer(t *testing.T, cfg *Config) *Connector {
	t.Helper()
	c, err := New(cfg, connectors.Deps{Tenant: "acme", Name: "shop"})
	require.NoError(t, err)
	if c.admin != nil {
		c.admin.now = func() time.Time { return testNow }
	}
	return c
}

var (
	coffee = loyalty.Reward{ID: "coffee", Name: "Free coffee", Cost: 500, Codes: loyalty.CodesIssuer, Issuer: "shop"}
	tenoff = loyalty.Reward{ID: "tenoff", Name: "10% off", Cost: 1000, Codes: loyalty.CodesIssuer, Issuer: "shop"}
)

const redemption = "rdm_0f1e2d3c4b5a69788796a5b4c3d2e1f0"

func TestDiscountCode(t *testing.T) {
	code := DiscountCode("LH-", redemption)
	assert.Regexp(t, `^LH-[A-Z2-7]{10}$`, code)
	assert.Equal(t, code, DiscountCode("LH-", redemption), "deterministic")
	assert.NotEqual(t, code, DiscountCode("LH-", redemption+"x"))
	assert.Equal(t, "WA-"+code[3:], DiscountCode("WA-", redemption))
}

func TestIssue(t *testing.T) {
	t.Run("fixed amount", func(t *testing.T) {
		f, srv := newFake(t, "2026-01")
		code, err := newIssuer(t, issuerConfig(srv.URL)).Issue(context.Background(), "acme", coffee, "mem_1", redemption)
		require.NoError(t, err)
		assert.Equal(t, DiscountCode("LH-", redemption), code)
		require.Equal(t, 1, f.calls())
		assert.JSONEq(t, `{
		  "title": "Loyalty reward Free coffee",
		  "code": "`+code+`",
		  "startsAt": "2026-11-23T03:00:05Z",
		  "endsAt": "2026-12-23T03:00:05Z",
		  "usageLimit": 1,
		  "appliesOncePerCustomer": true,
		  "context": {"all": "ALL"},
		  "customerGets": {"value": {"discountAmount": {"amount": "25000.00", "appliesOnEachItem": false}}, "items": {"all": true}}
		}`, mustJSON(t, f.rawInputs[0]))
	})

	t.Run("percentage with a minimum subtotal", func(t *testing.T) {
		f, srv := newFake(t, "2026-01")
		code, err := newIssuer(t, issuerConfig(srv.URL)).Issue(context.Background(), "acme", tenoff, "mem_1", redemption)
		require.NoError(t, err)
		assert.Equal(t, DiscountCode("WA-", redemption), code)
		assert.JSONEq(t, `{
		  "title": "10% off your next order",
		  "code": "`+code+`",
		  "startsAt": "2026-11-23T03:00:05Z",
		  "endsAt": "2026-12-07T03:00:05Z",
		  "usageLimit": 1,
		  "appliesOncePerCustomer": true,
		  "context": {"all": "ALL"},
		  "customerGets": {"value": {"percentage": 0.1}, "items": {"all": true}},
		  "minimumRequirement": {"subtotal": {"greaterThanOrEqualToSubtotal": "100000.00"}}
		}`, mustJSON(t, f.rawInputs[0]))
	})

	t.Run("versions before 2025-10 select customers the old way", func(t *testing.T) {
		f, srv := newFake(t, "2025-07")
		cfg := issuerConfig(srv.URL)
		cfg.Admin.APIVersion = "2025-07"
		_, err := newIssuer(t, cfg).Issue(context.Background(), "acme", coffee, "mem_1", redemption)
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"all": true}, f.rawInputs[0]["customerSelection"])
		assert.NotContains(t, f.rawInputs[0], "context")
	})

	t.Run("a retry gets the code created by the first attempt", func(t *testing.T) {
		f, srv := newFake(t, "2026-01")
		iss := newIssuer(t, issuerConfig(srv.URL))
		first, err := iss.Issue(context.Background(), "acme", coffee, "mem_1", redemption)
		require.NoError(t, err)
		again, err := iss.Issue(context.Background(), "acme", coffee, "mem_1", redemption)
		require.NoError(t, err)
		assert.Equal(t, first, again)
		assert.Equal(t, 2, f.calls(), "asked twice, created once")
		other, err := iss.Issue(context.Background(), "acme", coffee, "mem_1", "rdm_another")
		require.NoError(t, err)
		assert.NotEqual(t, first, other)
	})
}

func TestIssueFailures(t *testing.T) {
	throttled := `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],
"extensions":{"cost":{"requestedQueryCost":10,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":9,"restoreRate":100.0}}}}`
	slowThrottled := `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],
"extensions":{"cost":{"requestedQueryCost":752,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":2,"restoreRate":50.0}}}}`
	userErrors := `{"data":{"discountCodeBasicCreate":{"codeDiscountNode":null,"userErrors":[
{"field":["basicCodeDiscount","customerGets","value","discountAmount","amount"],"code":"GREATER_THAN","message":"Value must be greater than 0"},
{"field":["basicCodeDiscount","endsAt"],"code":"END_DATE_BEFORE_START_DATE","message":"End date must be after the start date"}]}}}`

	tests := []struct {
		name      string
		script    []answer
		reward    loyalty.Reward
		noAdmin   bool
		wantCalls int
		permanent bool
		class     fault.Class
		after     time.Duration
		wantErr   string
		wantCode  bool // the call succeeds after all
	}{
		{name: "code taken by an earlier attempt", wantCalls: 1, wantCode: true, script: []answer{{200, nil,
			`{"data":{"discountCodeBasicCreate":{"codeDiscountNode":null,"userErrors":[{"field":["basicCodeDiscount","code"],"code":"TAKEN","message":"Code must be unique. Please try a different code."}]}}}`}}},
		{name: "code taken, said in words", wantCalls: 1, wantCode: true, script: []answer{{200, nil,
			`{"data":{"discountCodeBasicCreate":{"codeDiscountNode":null,"userErrors":[{"field":["basicCodeDiscount","code"],"code":null,"message":"Code must be unique. Please try a different code."}]}}}`}}},
		{name: "user errors", wantCalls: 1, permanent: true, class: fault.ClassRequest, script: []answer{{200, nil, userErrors}},
			wantErr: "basicCodeDiscount.customerGets.value.discountAmount.amount: Value must be greater than 0 (GREATER_THAN); basicCodeDiscount.endsAt: End date must be after the start date"},
		// A retryable answer goes back to the caller, who asks again after
		// its RetryAfter; the HTTP layer asks again only for what Shopify
		// certainly did not process.
		{name: "throttled", wantCalls: 1, class: fault.ClassThrottle, after: 10 * time.Millisecond,
			script: []answer{{200, nil, throttled}}, wantErr: "Throttled (THROTTLED)"},
		{name: "throttled for long", wantCalls: 1, class: fault.ClassThrottle, after: 15 * time.Second,
			script: []answer{{200, nil, slowThrottled}}},
		{name: "429 with a long Retry-After", wantCalls: 1, class: fault.ClassThrottle, after: 30 * time.Second,
			script: []answer{{429, map[string]string{"Retry-After": "30.0"}, `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`}}},
		{name: "429 with a short Retry-After", wantCalls: 1, class: fault.ClassThrottle, after: 10 * time.Millisecond,
			script: []answer{{429, map[string]string{"Retry-After": "0.01"}, `{"errors":"Throttled"}`}}},
		{name: "500", wantCalls: 1, class: fault.ClassTransient,
			script: []answer{{500, nil, `{"errors":"Internal Server Error"}`}}, wantErr: "HTTP 500"},
		{name: "503, then created", wantCalls: 2, wantCode: true, script: []answer{{503, nil, ``}}},
		{name: "502 three times", wantCalls: 3, class: fault.ClassTransient,
			script: []answer{{502, nil, ``}, {502, nil, ``}, {502, nil, ``}}, wantErr: "HTTP 502"},
		{name: "503 asking for a minute", wantCalls: 1, class: fault.ClassTransient, after: time.Minute,
			script: []answer{{503, map[string]string{"Retry-After": "60"}, ``}}},
		{name: "401", wantCalls: 1, permanent: true, class: fault.ClassAuth,
			script: []answer{{401, nil, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`}}, wantErr: "Invalid API key"},
		{name: "403 without the scope", wantCalls: 1, permanent: true, class: fault.ClassAuth,
			script: []answer{{403, nil, `{"errors":"This action requires merchant approval for write_discounts scope."}`}}},
		{name: "access denied", wantCalls: 1, permanent: true, class: fault.ClassAuth, script: []answer{{200, nil,
			`{"errors":[{"message":"Access denied for discountCodeBasicCreate field. Required access: ` + "`write_discounts`" + ` access scope.","extensions":{"code":"ACCESS_DENIED"}}]}`}}},
		{name: "query the version does not know", wantCalls: 1, permanent: true, class: fault.ClassRequest, script: []answer{{200, nil,
			`{"errors":[{"message":"InputObject 'DiscountCodeBasicInput' doesn't accept argument 'context'","extensions":{"code":"argumentNotAccepted"}}]}`}}},
		{name: "404", wantCalls: 1, permanent: true, class: fault.ClassRequest, script: []answer{{404, nil, `{"errors":"Not Found"}`}}},
		{name: "unreadable answer", wantCalls: 1, class: fault.ClassTransient,
			script: []answer{{200, nil, `<html>`}}},
		{name: "reward without a discount", reward: loyalty.Reward{ID: "tote-bag"}, wantCalls: 0, permanent: true,
			class: fault.ClassRequest, wantErr: "add admin.discounts.tote-bag"},
		{name: "no admin block", noAdmin: true, wantCalls: 0, permanent: true, class: fault.ClassRequest,
			wantErr: "no admin.access_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t, "2026-01", tt.script...)
			cfg := issuerConfig(srv.URL)
			if tt.noAdmin {
				cfg.Admin = NewConfig().Admin
			}
			reward := coffee
			if tt.reward.ID != "" {
				reward = tt.reward
			}
			code, err := newIssuer(t, cfg).Issue(context.Background(), "acme", reward, "mem_1", redemption)
			assert.Equal(t, tt.wantCalls, f.calls(), "calls")
			if tt.wantCode {
				require.NoError(t, err)
				assert.Equal(t, DiscountCode("LH-", redemption), code)
				return
			}
			require.Error(t, err)
			assert.Empty(t, code)
			assert.Equal(t, tt.permanent, fault.IsPermanent(err), "permanent: %v", err)
			assert.Equal(t, tt.class, fault.ClassOf(err), "class: %v", err)
			assert.Equal(t, tt.after, fault.RetryAfter(err), "retry after: %v", err)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
			}
		})
	}
}

func TestIssueUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := newIssuer(t, issuerConfig(url)).Issue(context.Background(), "acme", coffee, "mem_1", redemption)
	require.Error(t, err)
	assert.False(t, fault.IsPermanent(err))
	assert.Equal(t, fault.ClassTransient, fault.ClassOf(err))
}

func TestIssueHonoursContext(t *testing.T) {
	_, srv := newFake(t, "2026-01", answer{503, nil, ``})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newIssuer(t, issuerConfig(srv.URL)).Issue(ctx, "acme", coffee, "mem_1", redemption)
	require.ErrorIs(t, err, context.Canceled)
}

// Calls are paced at admin.requests_per_second.
func TestIssuePacing(t *testing.T) {
	f, srv := newFake(t, "2026-01")
	cfg := issuerConfig(srv.URL)
	cfg.Admin.RequestsPerSecond = 20
	iss := newIssuer(t, cfg)
	start := time.Now()
	for i := range 3 {
		_, err := iss.Issue(context.Background(), "acme", coffee, "mem_1", redemption+string(rune('a'+i)))
		require.NoError(t, err)
	}
	assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond, "three calls at 20/s take two intervals")
	assert.Equal(t, 3, f.calls())
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
