package dialog360_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/sourcetest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/dialog360"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloudtest"
)

// TestSourceConformance holds 360dialog's webhook to the suite every source
// passes, with a customer's message and a delivery report as 360dialog
// forwards them (Meta's envelope, no signature, the registered header).
func TestSourceConformance(t *testing.T) {
	message, err := os.ReadFile("testdata/message_webhook.json")
	require.NoError(t, err)
	status, err := os.ReadFile("testdata/status_webhook.json")
	require.NoError(t, err)
	cfg := dialog360.DefaultConfig()
	cfg.APIKey, cfg.WebhookToken = "d360-key", "a-long-enough-webhook-token"
	sourcetest.Run(t, sourcetest.Harness{
		Source: dialog360.NewSource(cfg),
		Sign: func(r *http.Request, _ []byte) {
			r.Header.Set(dialog360.DefaultWebhookHeader, cfg.WebhookToken)
		},
		WrongSign: func(r *http.Request, _ []byte) {
			r.Header.Set(dialog360.DefaultWebhookHeader, "another-long-enough-token")
		},
		SenderOnly: true,
		Body:       message,
		Other:      status,
		Samples:    cloudtest.Webhooks(t),
		Check:      cloudtest.CheckMapped(dialog360.TypeName),
	})
}
