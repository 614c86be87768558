package dialog360

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
)

func TestAccept(t *testing.T) {
	cfg := testConfig(DefaultBaseURL)
	src := NewSource(cfg)
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	for _, tt := range []struct {
		name, header, value string
		ok                  bool
	}{
		{"right token", DefaultWebhookHeader, cfg.WebhookToken, true},
		{"wrong token", DefaultWebhookHeader, "a-long-enough-webhook-tokem", false},
		{"prefix of the token", DefaultWebhookHeader, cfg.WebhookToken[:10], false},
		{"missing", "", "", false},
		{"another header", "X-Other", cfg.WebhookToken, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/hooks/acme/wa", strings.NewReader(string(body)))
			if tt.header != "" {
				r.Header.Set(tt.header, tt.value)
			}
			d, err := src.Accept(r, body)
			if tt.ok {
				require.NoError(t, err)
				assert.Len(t, d.ID, 64)
				return
			}
			require.ErrorIs(t, err, connectors.ErrUnauthorized)
		})
	}
	t.Run("configured header", func(t *testing.T) {
		cfg := cfg
		cfg.WebhookHeader = "X-Hub-Token"
		r := httptest.NewRequest("POST", "/", nil)
		r.Header.Set("X-Hub-Token", cfg.WebhookToken)
		_, err := NewSource(cfg).Accept(r, body)
		require.NoError(t, err)
	})
}

func FuzzAccept(f *testing.F) {
	cfg := testConfig(DefaultBaseURL)
	src := NewSource(cfg)
	f.Add(cfg.WebhookToken, []byte(`{}`))
	f.Fuzz(func(t *testing.T, token string, body []byte) {
		r := httptest.NewRequest("POST", "/", nil)
		r.Header[DefaultWebhookHeader] = []string{token}
		d, err := src.Accept(r, body)
		if token == cfg.WebhookToken {
			if err != nil {
				t.Fatalf("the right token was refused: %v", err)
			}
			if len(d.ID) != 64 {
				t.Fatalf("delivery id %q", d.ID)
			}
			return
		}
		if err == nil {
			t.Fatalf("token %q was accepted", token)
		}
	})
}
