package account

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/loyalty"
)

// The shop's connector hands a retryable answer back at once; asking again
// after its RetryAfter is the redemption's one retry loop.
func TestIssueCodeRetriesTheShop(t *testing.T) {
	const (
		throttled = `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],
"extensions":{"cost":{"requestedQueryCost":10,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":0,"restoreRate":40.0}}}}`
		created = `{"data":{"discountCodeBasicCreate":{"codeDiscountNode":{"id":"gid://shopify/DiscountCodeNode/1"},"userErrors":[]}}}`
	)
	shop := func(t *testing.T, answers ...func(w http.ResponseWriter)) (*shopify.Connector, *atomic.Int32) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			n := int(calls.Add(1))
			w.Header().Set("Content-Type", "application/json")
			if n <= len(answers) {
				answers[n-1](w)
				return
			}
			_, _ = io.WriteString(w, created)
		}))
		t.Cleanup(srv.Close)
		cfg := shopify.NewConfig()
		cfg.Secret = "shpss_test_secret"
		cfg.Admin.AccessToken = "shpat_0123456789abcdef"
		cfg.Admin.BaseURL = srv.URL
		cfg.Admin.RequestsPerSecond = 1000
		cfg.Admin.Discounts = map[string]shopify.Discount{"coffee": {Amount: "25000.00"}}
		c, err := shopify.New(cfg, connectors.Deps{Tenant: "acme", Name: "shop"})
		require.NoError(t, err)
		return c, &calls
	}
	reward := loyalty.Reward{ID: "coffee", Name: "Free coffee", Cost: 500, Codes: loyalty.CodesIssuer, Issuer: "shop"}
	redemption := loyalty.Redemption{ID: "rdm_1", MemberID: "mem_1"}
	body := func(status int, s string) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, s)
		}
	}

	t.Run("throttled twice, then issued", func(t *testing.T) {
		c, calls := shop(t, body(200, throttled), body(200, throttled))
		start := time.Now()
		code, err := issueCode(context.Background(), c, "acme", reward, redemption)
		require.NoError(t, err)
		assert.Equal(t, shopify.DiscountCode(shopify.DefaultCodePrefix, redemption.ID), code)
		assert.Equal(t, int32(3), calls.Load())
		assert.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond, "each retry waits at least the throttle's 250 ms")
	})

	t.Run("a refused token is asked once", func(t *testing.T) {
		c, calls := shop(t, body(401, `{"errors":"[API] Invalid API key or access token"}`))
		_, err := issueCode(context.Background(), c, "acme", reward, redemption)
		require.Error(t, err)
		assert.True(t, fault.IsPermanent(err))
		assert.Equal(t, int32(1), calls.Load())
	})

	t.Run("a shop that keeps failing is asked four times", func(t *testing.T) {
		fail := body(500, `{"errors":"Internal Server Error"}`)
		c, calls := shop(t, fail, fail, fail, fail, fail)
		_, err := issueCode(context.Background(), c, "acme", reward, redemption)
		require.Error(t, err)
		assert.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		assert.Equal(t, int32(issueAttempts), calls.Load(), "no retries stacked below the redemption's")
	})
}
