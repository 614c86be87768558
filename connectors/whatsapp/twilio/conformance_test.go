package twilio

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/sendertest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloudtest"
	"github.com/loyalhub/loyalhub/core/messaging"
)

const (
	testAccount = "AC0123456789abcdef0123456789abcdef"
	testToken   = "0123456789abcdef0123456789abcdef"
	testWebhook = "https://hub.example.com/webhooks/acme/wa"
)

// testContents are the Content templates of the test account, mapped from
// the templates sendertest sends.
var testContents = []content{
	{Template: Template{Name: "points_earned", Language: "id", ContentSID: "HX00000000000000000000000000000001"}},
	{
		Template: Template{Name: "tier_changed", Language: "en_US", ContentSID: "HX00000000000000000000000000000002",
			Variables: map[string]string{"1": "header", "2": "body.first_name", "3": "body.points"}},
		header: &messaging.Header{Type: messaging.HeaderText, Name: "tier"},
		named:  []string{"first_name", "points"},
	},
	{
		Template: Template{Name: "reward_ready", Language: "id", ContentSID: "HX00000000000000000000000000000003",
			Variables: map[string]string{"1": "body.1", "2": "body.2", "3": "header", "4": "button.0", "5": "button.1", "6": "button.2"}},
		header: &messaging.Header{Type: messaging.HeaderImage},
		buttons: []messaging.Button{
			{Index: 0, SubType: messaging.ButtonQuickReply}, {Index: 1, SubType: messaging.ButtonURL}, {Index: 2, SubType: messaging.ButtonCopyCode},
		},
	},
	{
		Template: Template{Name: "statement", Language: "id", ContentSID: "HX00000000000000000000000000000004",
			Variables: map[string]string{"1": "header"}},
		header: &messaging.Header{Type: messaging.HeaderDocument},
	},
}

func testConfig(baseURL string) Config {
	cfg := DefaultConfig()
	cfg.AccountSID, cfg.AuthToken = testAccount, testToken
	cfg.From = "+14155238886"
	cfg.WebhookURL = testWebhook
	cfg.BaseURL, cfg.MessagingBaseURL = baseURL, baseURL
	for _, c := range testContents {
		cfg.Templates = append(cfg.Templates, c.Template)
	}
	return cfg
}

func harnessConfig(baseURL string, opts sendertest.Options) Config {
	cfg := testConfig(baseURL)
	if opts.BadCredentials {
		cfg.AuthToken = "revoked"
	}
	cloudtest.Limits(opts, &cfg.Breaker, &cfg.Throughput)
	return cfg
}

// wantCodes are the fault codes of the refusals sendertest injects by
// Meta's code, as Twilio reports them: the hub's own code where the hub
// acts on the refusal, else Twilio's.
var wantCodes = map[int]string{
	131026: "63024",
	130429: "130429",
	131056: "130429",
	131047: messaging.CodeReengagement,
	132001: "63027",
	131050: messaging.CodeStopped,
	131049: messaging.CodeEcosystem,
	190:    "20003",
}

// unsupported are the sendertest cases Twilio cannot carry.
var unsupported = []string{
	"reply buttons quoting a message", "list", "cta url", // interactive messages need Content templates
	"template with document header",     // its filename is not the last segment of its URL
	"text to a business-scoped user id", // Twilio sends to phone numbers
}

func TestConformance(t *testing.T) {
	sendertest.Run(t, sendertest.Harness{
		NewSender: func(t *testing.T, opts sendertest.Options) (sendertest.Sender, sendertest.Fake) {
			f := newFakeTwilio(t, testAccount, testAccount, testToken, testContents...)
			s, err := NewSender(harnessConfig(f.Server.URL, opts), nil)
			require.NoError(t, err)
			return s, f
		},
		WireTo:      func(e164 string) string { return "whatsapp:" + e164 },
		Unsupported: unsupported,
		Code:        wantCode(t),
	})
}

func wantCode(t *testing.T) func(int) string {
	return func(metaCode int) string {
		code, ok := wantCodes[metaCode]
		if !ok {
			t.Fatalf("no Twilio code for Meta's %d", metaCode)
		}
		return code
	}
}

func TestConformanceWithAPIKey(t *testing.T) {
	const keySID = "SK0123456789abcdef0123456789abcdef"
	sendertest.Run(t, sendertest.Harness{
		NewSender: func(t *testing.T, opts sendertest.Options) (sendertest.Sender, sendertest.Fake) {
			f := newFakeTwilio(t, testAccount, keySID, "key-secret", testContents...)
			cfg := harnessConfig(f.Server.URL, opts)
			cfg.AuthToken = testToken
			cfg.APIKeySID, cfg.APIKeySecret = keySID, "key-secret"
			if opts.BadCredentials {
				cfg.APIKeySecret = "revoked"
			}
			s, err := NewSender(cfg, nil)
			require.NoError(t, err)
			return s, f
		},
		WireTo:      func(e164 string) string { return "whatsapp:" + e164 },
		Unsupported: unsupported,
		Code:        wantCode(t),
	})
}
