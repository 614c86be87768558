package gupshup

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/sendertest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloudtest"
	"github.com/loyalhub/loyalhub/core/messaging"
)

const testToken = "s3cret-webhook-token-0123"

// testTemplates are the app's templates, mapped from those sendertest
// sends that Gupshup can carry.
var testTemplates = []fakeTemplate{
	{Template: Template{Name: "points_earned", Language: "id", ID: "00000000-0000-4000-8000-000000000001"}},
	{Template: Template{Name: "statement", Language: "id", ID: "00000000-0000-4000-8000-000000000003"}, header: messaging.HeaderDocument},
}

func testConfig(baseURL string) Config {
	cfg := DefaultConfig()
	cfg.APIKey = "gs-api-key"
	cfg.AppName = "KopiClub"
	cfg.AppID = "0a6f5e4d-1234-4c8b-9f21-7d3e5a9b1c40"
	cfg.Source = "+917834811114"
	cfg.WebhookToken = testToken
	cfg.BaseURL = baseURL
	for _, tp := range testTemplates {
		cfg.Templates = append(cfg.Templates, tp.Template)
	}
	return cfg
}

// wantCodes are the fault codes of the refusals sendertest injects by
// Meta's code, as Gupshup reports them: the hub's own code where the hub
// acts on the refusal, else Gupshup's.
var wantCodes = map[int]string{
	131026: "1002",
	130429: "130429",
	131056: "130429",
	131047: messaging.CodeReengagement,
	132001: "4003",
	131050: messaging.CodeStopped,
	131049: messaging.CodeEcosystem,
	190:    "", // HTTP 401 with no code
}

// unsupported are the sendertest cases Gupshup's API cannot carry.
var unsupported = []string{
	"named template with text header",            // a header parameter has no place in a template send
	"template with media header and buttons",     // nor have button values
	"reply buttons quoting a message", "cta url", // no quoting, no call-to-action message
	"text to a business-scoped user id", // Gupshup sends to phone numbers
}

func TestConformance(t *testing.T) {
	sendertest.Run(t, sendertest.Harness{
		NewSender: func(t *testing.T, opts sendertest.Options) (sendertest.Sender, sendertest.Fake) {
			cfg := testConfig("")
			f := newFakeGupshup(t, cfg, testTemplates...)
			cfg.BaseURL = f.Server.URL
			if opts.BadCredentials {
				cfg.APIKey = "revoked"
			}
			cloudtest.Limits(opts, &cfg.Breaker, &cfg.Throughput)
			s, err := NewSender(cfg, nil)
			require.NoError(t, err)
			return s, f
		},
		WireTo:         func(e164 string) string { return e164[1:] },
		Unsupported:    unsupported,
		NoCallbackData: true,
		Code: func(metaCode int) string {
			code, ok := wantCodes[metaCode]
			if !ok {
				t.Fatalf("no Gupshup code for Meta's %d", metaCode)
			}
			return code
		},
	})
}
