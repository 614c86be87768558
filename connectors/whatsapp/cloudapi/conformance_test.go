package cloudapi_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/sourcetest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/cloudapi"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloudtest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
)

func TestSourceConformance(t *testing.T) {
	body, err := os.ReadFile("testdata/status_webhook.json")
	require.NoError(t, err)
	cfg := cloudapi.DefaultConfig()
	cfg.PhoneNumberID, cfg.AccessToken, cfg.AppSecret = "106540352242922", "token", "app-secret"
	sourcetest.Run(t, sourcetest.Harness{
		Source: cloudapi.NewSource(cfg),
		Sign: func(r *http.Request, b []byte) {
			r.Header.Set(cloudapi.SignatureHeader, sandbox.Sign("app-secret", b))
		},
		Body:    body,
		Samples: cloudtest.Webhooks(t),
		Check:   cloudtest.CheckMapped(cloudapi.TypeName),
	})
}
