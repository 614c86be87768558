package gupshup

import (
	"context"
	"net/http"
	"net/http/httptest"
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

func withToken(token string) func(r *http.Request, _ []byte) {
	return func(r *http.Request, _ []byte) {
		q := r.URL.Query()
		q.Set(TokenParam, token)
		r.URL.RawQuery = q.Encode()
	}
}

func samples(t *testing.T) map[string][]byte {
	t.Helper()
	ss, err := mappings.Samples(TypeName)
	require.NoError(t, err)
	require.NotEmpty(t, ss)
	out := make(map[string][]byte, len(ss))
	for _, s := range ss {
		out[s.Name] = s.Body
	}
	return out
}

// mapDelivery maps a body as the hub does a delivery of the source.
func mapDelivery(t *testing.T, d connectors.Delivery, body []byte) *mappings.Result {
	t.Helper()
	src, ok := mappings.Bundled(TypeName)
	require.True(t, ok)
	p, err := mappings.Compile(TypeName, src)
	require.NoError(t, err)
	res, err := p.Map(context.Background(), event.Delivery{
		DeliveryID: d.ID, Tenant: "acme", Connector: "wa", Kind: TypeName, Topic: d.Topic, ReceivedAt: time.Now(), Meta: d.Meta,
	}, body)
	require.NoError(t, err)
	return res
}

func TestSourceConformance(t *testing.T) {
	ss := samples(t)
	sourcetest.Run(t, sourcetest.Harness{
		Source:     NewSource(testConfig(DefaultBaseURL)),
		Sign:       withToken(testToken),
		WrongSign:  withToken(strings.Replace(testToken, "token", "tokem", 1)),
		SenderOnly: true,
		Body:       ss["inbound_text"],
		Other:      ss["status_read"],
		Samples:    ss,
		Check: func(t *testing.T, name string, d connectors.Delivery, body []byte) {
			res := mapDelivery(t, d, body)
			if strings.HasPrefix(name, "malformed_") {
				require.NotEmpty(t, res.Failed, "a malformed webhook is dead-lettered")
				assert.NotEmpty(t, res.Failed[0].Reason)
				return
			}
			assert.Empty(t, res.Failed, name)
			assert.Equal(t, len(res.Ignored) == 0, len(res.Events) > 0, name)
			sourcetest.CheckWriters(t, name, d, res.Events)
		},
	})
}

func TestSourceToken(t *testing.T) {
	src := NewSource(testConfig(DefaultBaseURL))
	body := []byte(`{"app":"KopiClub","timestamp":1795921205000,"version":2,"type":"message-event","payload":{}}`)
	for name, tc := range map[string]struct {
		target string
		ok     bool
	}{
		"right token":       {"/webhooks/acme/wa?token=" + testToken, true},
		"no token":          {"/webhooks/acme/wa", false},
		"empty token":       {"/webhooks/acme/wa?token=", false},
		"wrong token":       {"/webhooks/acme/wa?token=s3cret-webhook-token-0124", false},
		"prefix of token":   {"/webhooks/acme/wa?token=" + testToken[:len(testToken)-1], false},
		"token in a header": {"/webhooks/acme/wa", false},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tc.target, nil)
			r.Header.Set(TokenParam, testToken)
			d, err := src.Accept(r, body)
			if !tc.ok {
				require.ErrorIs(t, err, connectors.ErrUnauthorized)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "message-event", d.Topic)
			assert.Len(t, d.ID, 64)
		})
	}
	t.Run("no token configured", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/acme/wa?token=", nil)
		_, err := (&Source{}).Accept(r, body)
		require.ErrorIs(t, err, connectors.ErrUnauthorized)
	})
}
