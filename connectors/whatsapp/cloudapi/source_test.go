package cloudapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
)

const statusWebhook = `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA","status":"sent","timestamp":"1750030073","recipient_id":"16505551234","biz_opaque_callback_data":"msg_1","pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"utility"}}]},"field":"messages"}]}]}`

func hubSignature(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestAccept(t *testing.T) {
	src := NewSource(testConfig(DefaultBaseURL))
	valid := hubSignature("app-secret", statusWebhook)
	tests := []struct {
		name    string
		header  string
		body    string
		wantErr bool
	}{
		{"valid", valid, statusWebhook, false},
		{"valid uppercase hex", "sha256=" + strings.ToUpper(strings.TrimPrefix(valid, "sha256=")), statusWebhook, false},
		{"signed by the sandbox", sandbox.Sign("app-secret", []byte(statusWebhook)), statusWebhook, false},
		{"missing", "", statusWebhook, true},
		{"sha1 only", "sha1=" + strings.Repeat("0", 40), statusWebhook, true},
		{"not hex", "sha256=zz", statusWebhook, true},
		{"short digest", "sha256=abcd", statusWebhook, true},
		{"wrong secret", hubSignature("other", statusWebhook), statusWebhook, true},
		{"body changed", valid, strings.Replace(statusWebhook, "sent", "read", 1), true},
		{"unparseable body still accepted when signed", hubSignature("app-secret", "not json"), "not json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/webhooks/acme/wa", strings.NewReader(tt.body))
			if tt.header != "" {
				r.Header.Set(SignatureHeader, tt.header)
			}
			d, err := src.Accept(r, []byte(tt.body))
			if tt.wantErr {
				require.ErrorIs(t, err, connectors.ErrUnauthorized)
				return
			}
			require.NoError(t, err)
			sum := sha256.Sum256([]byte(tt.body))
			assert.Equal(t, hex.EncodeToString(sum[:]), d.ID)
		})
	}
}

func TestHandshake(t *testing.T) {
	cfg := testConfig(DefaultBaseURL)
	cfg.VerifyToken = "verify-me"
	tests := []struct {
		name       string
		method     string
		query      string
		token      string
		wantStatus int
		wantBody   string
	}{
		{"valid", http.MethodGet, "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me", "verify-me", 200, "1158201444"},
		{"wrong token", http.MethodGet, "hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope", "verify-me", 403, ""},
		{"wrong mode", http.MethodGet, "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me", "verify-me", 403, ""},
		{"no token configured", http.MethodGet, "hub.mode=subscribe&hub.challenge=1&hub.verify_token=", "", 403, ""},
		{"post", http.MethodPost, "hub.mode=subscribe&hub.challenge=1&hub.verify_token=verify-me", "verify-me", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			c.VerifyToken = tt.token
			w := httptest.NewRecorder()
			NewSource(c).Handshake(w, httptest.NewRequest(tt.method, "/webhooks/acme/wa?"+tt.query, nil))
			assert.Equal(t, tt.wantStatus, w.Code)
			if tt.wantStatus == 200 {
				body, _ := io.ReadAll(w.Body)
				assert.Equal(t, tt.wantBody, string(body))
			}
		})
	}
}
