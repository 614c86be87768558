package pos_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/configtest"
	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/connectors/sourcetest"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
)

const secret = "pos-s3cret-7f2b"

var sampleSale = []byte(`{"sale_id": "S-1001", "store_id": "JKT-01", "occurred_at": "2026-11-23T10:00:00+07:00",
 "customer": {"phone": "0812-3456-7890", "name": "Sari", "email": "sari@example.com"},
 "total": "257500.00", "currency": "IDR",
 "items": [{"sku": "KOPI-SUSU-L", "name": "Es Kopi Susu (L)", "qty": 2, "price": "32500.00"}]}`)

func newSource(t *testing.T, cfg *pos.Config) *pos.Source {
	t.Helper()
	src, err := pos.NewSource(cfg)
	require.NoError(t, err)
	return src
}

func defaultConfig() *pos.Config {
	c := pos.NewConfig()
	c.Secret = secret
	return c
}

func TestConformance(t *testing.T) {
	custom := &pos.Config{Secret: secret, SignatureHeader: "X-Till-Signature", DeliveryIDHeader: "X-Till-Event"}
	noDeliveryHeader := defaultConfig()
	noDeliveryHeader.DeliveryIDHeader = ""
	tests := []struct {
		name string
		cfg  *pos.Config
		sign func(r *http.Request, body []byte)
	}{
		{
			name: "default headers",
			cfg:  defaultConfig(),
			sign: func(r *http.Request, body []byte) {
				r.Header.Set(pos.DefaultSignatureHeader, pos.Sign(secret, body))
			},
		},
		{
			name: "sha256 prefix and a delivery id per body",
			cfg:  defaultConfig(),
			sign: func(r *http.Request, body []byte) {
				sum := sha256.Sum256(append([]byte("delivery:"), body...))
				r.Header.Set(pos.DefaultSignatureHeader, "sha256="+pos.Sign(secret, body))
				r.Header.Set(pos.DefaultDeliveryIDHeader, "dlv-"+hex.EncodeToString(sum[:8]))
			},
		},
		{
			name: "custom headers",
			cfg:  custom,
			sign: func(r *http.Request, body []byte) {
				r.Header.Set("X-Till-Signature", pos.Sign(secret, body))
			},
		},
		{
			name: "delivery header disabled",
			cfg:  noDeliveryHeader,
			sign: func(r *http.Request, body []byte) {
				r.Header.Set(pos.DefaultSignatureHeader, pos.Sign(secret, body))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sourcetest.Run(t, sourcetest.Harness{
				Source: newSource(t, tt.cfg),
				Sign:   tt.sign,
				Body:   sampleSale,
			})
		})
	}
}

func TestSign(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		body   string
		want   string
	}{
		// RFC 4231, test case 2.
		{name: "rfc 4231 case 2", secret: "Jefe", body: "what do ya want for nothing?",
			want: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{name: "empty body", secret: "key", body: "",
			want: "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, pos.Sign(tt.secret, []byte(tt.body)))
		})
	}
}

func TestAccept(t *testing.T) {
	bodySum := sha256.Sum256(sampleSale)
	bodyHash := hex.EncodeToString(bodySum[:])
	good := pos.Sign(secret, sampleSale)
	long := strings.Repeat("d", 200)
	longSum := sha256.Sum256([]byte(long))
	tests := []struct {
		name    string
		cfg     *pos.Config
		headers map[string]string
		wantID  string
		wantErr string // when set, the error wraps ErrUnauthorized and contains it
	}{
		{name: "lowercase hex", headers: map[string]string{"X-Loyalhub-Signature": good}, wantID: bodyHash},
		{name: "uppercase hex", headers: map[string]string{"X-Loyalhub-Signature": strings.ToUpper(good)}, wantID: bodyHash},
		{name: "sha256 prefix", headers: map[string]string{"X-Loyalhub-Signature": "sha256=" + good}, wantID: bodyHash},
		{name: "uppercase prefix", headers: map[string]string{"X-Loyalhub-Signature": "SHA256=" + good}, wantID: bodyHash},
		{name: "surrounding spaces", headers: map[string]string{"X-Loyalhub-Signature": "  " + good + " "}, wantID: bodyHash},
		{name: "header names are case-insensitive", headers: map[string]string{"x-loyalhub-signature": good}, wantID: bodyHash},
		{
			name:    "delivery header then the body hash is the delivery id",
			headers: map[string]string{"X-Loyalhub-Signature": good, "X-Loyalhub-Delivery": " till-7/000123 "},
			wantID:  "till-7/000123/" + bodyHash,
		},
		{
			name:    "overlong delivery header is hashed",
			headers: map[string]string{"X-Loyalhub-Signature": good, "X-Loyalhub-Delivery": long},
			wantID:  "h:" + hex.EncodeToString(longSum[:]) + "/" + bodyHash,
		},
		{
			name:    "delivery header ignored when not configured",
			cfg:     &pos.Config{Secret: secret, SignatureHeader: "X-Loyalhub-Signature"},
			headers: map[string]string{"X-Loyalhub-Signature": good, "X-Loyalhub-Delivery": "till-7/000123"},
			wantID:  bodyHash,
		},
		{name: "missing signature", headers: map[string]string{}, wantErr: "missing X-Loyalhub-Signature header"},
		{name: "signature in another header", headers: map[string]string{"X-Signature": good}, wantErr: "missing X-Loyalhub-Signature header"},
		{name: "prefix only", headers: map[string]string{"X-Loyalhub-Signature": "sha256="}, wantErr: "is not a hex HMAC-SHA256"},
		{name: "not hex", headers: map[string]string{"X-Loyalhub-Signature": strings.Repeat("zz", 32)}, wantErr: "is not a hex HMAC-SHA256"},
		{name: "truncated signature", headers: map[string]string{"X-Loyalhub-Signature": good[:62]}, wantErr: "is not a hex HMAC-SHA256"},
		{name: "base64 signature", headers: map[string]string{"X-Loyalhub-Signature": "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="}, wantErr: "is not a hex HMAC-SHA256"},
		{name: "another secret", headers: map[string]string{"X-Loyalhub-Signature": pos.Sign("other", sampleSale)}, wantErr: "signature mismatch"},
		{name: "sha1 prefix", headers: map[string]string{"X-Loyalhub-Signature": "sha1=" + good}, wantErr: "is not a hex HMAC-SHA256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if cfg == nil {
				cfg = defaultConfig()
			}
			r := httptest.NewRequest(http.MethodPost, "/webhooks/acme/pos", strings.NewReader(string(sampleSale)))
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			d, err := newSource(t, cfg).Accept(r, sampleSale)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, connectors.ErrUnauthorized)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), secret)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, d.ID)
			assert.Empty(t, d.Topic)
		})
	}
}

type otherConfig struct{}

func (otherConfig) Validate() error { return nil }

func TestSpec(t *testing.T) {
	s := pos.Spec()
	assert.Equal(t, "pos_webhook", s.Name)
	assert.True(t, s.Has(connectors.KindSource))
	assert.False(t, s.Has(connectors.KindSender))
	assert.NotEmpty(t, s.Summary)
	_, ok := mappings.Bundled(s.Mapping)
	assert.True(t, ok, "mapping %q is bundled", s.Mapping)
	require.NoError(t, connectors.NewRegistry().Register(s))

	t.Run("example decodes strictly and validates", func(t *testing.T) {
		cfg := s.NewConfig()
		configtest.DecodeBlock(t, "pos_webhook", s.Example, cfg)
		require.NoError(t, cfg.Validate())
		want := pos.NewConfig()
		want.Secret, want.SignatureHeader = "${POS_WEBHOOK_SECRET}", pos.DefaultSignatureHeader
		assert.Equal(t, want, cfg)
	})

	t.Run("defaults", func(t *testing.T) {
		assert.Equal(t, pos.NewConfig(), s.NewConfig())
	})

	t.Run("build makes a source", func(t *testing.T) {
		c := s.NewConfig().(*pos.Config)
		c.Secret = secret
		in, err := s.Build(c, connectors.Deps{Tenant: "acme", Name: "pos"})
		require.NoError(t, err)
		assert.Equal(t, []connectors.Capability{connectors.CapSource}, in.Capabilities())
	})

	t.Run("build rejects another config type", func(t *testing.T) {
		_, err := s.Build(otherConfig{}, connectors.Deps{})
		require.ErrorContains(t, err, "want *pos.Config")
	})

	t.Run("build rejects an invalid config", func(t *testing.T) {
		_, err := s.Build(s.NewConfig(), connectors.Deps{})
		require.ErrorContains(t, err, "secret: required")
	})
}

// A sale accepted by the source is mapped by the bundled mapping.
func TestAcceptedSaleMaps(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/acme/pos", strings.NewReader(string(sampleSale)))
	r.Header.Set(pos.DefaultSignatureHeader, pos.Sign(secret, sampleSale))
	d, err := newSource(t, defaultConfig()).Accept(r, sampleSale)
	require.NoError(t, err)

	src, ok := mappings.Bundled(pos.Spec().Mapping)
	require.True(t, ok)
	p, err := mappings.Compile(pos.Spec().Mapping, src)
	require.NoError(t, err)
	events, err := p.Run(context.Background(), event.Delivery{
		Tenant: "acme", Connector: "pos", Kind: pos.Name, DeliveryID: d.ID, ReceivedAt: time.Now(),
	}, sampleSale)
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, event.TypeOrderPaid, events[0].Type)
	assert.Equal(t, event.ID("acme", "pos", "order.paid/S-1001"), events[0].ID)
}

func ExampleSign() {
	body := []byte(`{"sale_id":"S-1001","customer":{"phone":"0812-3456-7890"},"total":"257500.00"}`)
	fmt.Println(pos.Sign("Jefe", []byte("what do ya want for nothing?")))
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/webhooks/acme/pos", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(pos.DefaultSignatureHeader, pos.Sign("pos-s3cret", body))
	fmt.Println(len(req.Header.Get(pos.DefaultSignatureHeader)))
	// Output:
	// 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843
	// 64
}
