package sandbox

import (
	"net/http"
	"time"

	"github.com/loyalhub/loyalhub/core/messaging"
)

// Number is a business phone number the sandbox serves.
type Number struct {
	// DisplayPhoneNumber is the number as shown to users, digits only
	// ("15550783881"); it appears in webhook metadata.
	DisplayPhoneNumber string
	// WABAID is the WhatsApp Business Account id, the entry id of webhooks.
	WABAID string
	// DialogAPIKey, when set, serves the number on 360dialog's send
	// endpoint (POST /messages) for requests carrying this D360-API-KEY.
	DialogAPIKey string
	// PerSecond is the number's throughput: sends beyond it in one second
	// fail with 130429, as Meta's do. Default 0: unlimited.
	PerSecond int
	// WebhookURL, when set, receives this number's webhooks (statuses,
	// customers' messages) instead of Config.WebhookURL: each number of a
	// multi-tenant rehearsal posts to its own tenant's hook.
	WebhookURL string
	// AppSecret, when set, signs this number's webhooks instead of
	// Config.AppSecret: the app secret of the app the number belongs to.
	AppSecret string
}

// Default statuses emitted for each accepted message.
var defaultStatuses = []string{"sent", "delivered", "read"}

// Config configures a Server.
type Config struct {
	// AccessToken is the bearer token senders must present. Empty accepts
	// any non-empty token.
	AccessToken string
	// Numbers maps phone number ids to their numbers. Sends to an id that is
	// not listed fail with Graph error 100. Empty accepts every id (with the
	// id as display number and "0" as WABA id).
	Numbers map[string]Number
	// WebhookURL receives the webhooks of numbers without a WebhookURL of
	// their own. Empty disables them.
	WebhookURL string
	// AppSecret signs webhooks (X-Hub-Signature-256) of numbers without an
	// AppSecret of their own.
	AppSecret string
	// Statuses are emitted, in order, for every accepted message. Default
	// sent, delivered, read.
	Statuses []string
	// StatusDelay separates a message's acceptance and each of its statuses
	// from the previous one. Default 0: statuses are due at once.
	StatusDelay time.Duration
	// WebhookBatch is the most statuses one webhook POST carries. Default 10.
	WebhookBatch int
	// WebhookWorkers is the number of concurrent webhook deliveries.
	// Default 4.
	WebhookWorkers int
	// WebhookRetryMin is the first delay before redelivering a webhook the
	// receiver did not answer with 2xx; it doubles up to WebhookRetryMax.
	// Defaults 100ms and 30s.
	WebhookRetryMin time.Duration
	WebhookRetryMax time.Duration
	// WebhookTimeout bounds one webhook POST. Default 10s.
	WebhookTimeout time.Duration
	// TemplateCategory is the pricing category reported for template
	// messages. Default "utility".
	TemplateCategory string
	// HTTPClient posts webhooks. Default: a client with WebhookTimeout.
	HTTPClient *http.Client
	// Templates is the accounts' template registry. When it is not empty,
	// a template send must name an approved template in that language
	// with exactly the parameters it takes (else 132001, 132000, 132012,
	// 132015 or 132016, as Meta answers), and status webhooks report its
	// category. Empty accepts any template. The registry is served at
	// GET /{version}/{waba_id}/message_templates and 360dialog's
	// GET /v1/configs/templates.
	Templates []messaging.TemplateInfo
	// AccountTemplates gives accounts, by WABA id, template registries of
	// their own: the numbers of such an account are checked against it
	// and its listing shows it, as each WhatsApp Business Account has its
	// own templates. Accounts not listed use Templates.
	AccountTemplates map[string][]messaging.TemplateInfo
	// EnforceWindow refuses free-form messages to customers who have not
	// written within 24 hours (131047), as Meta does. Default false: tests
	// that do not care about the window send freely. The demo enforces it.
	EnforceWindow bool
	// PairLimit is how many messages one customer may get within
	// PairWindow before further ones fail with 131056. Default 0: no
	// limit.
	PairLimit  int
	PairWindow time.Duration
	// OptedOut are customers (digits, as wa_id) who stopped marketing
	// messages: marketing templates to them fail with 131050.
	OptedOut []string
	// RefuseByWebhook reports the refusals Meta makes after accepting a
	// message (131047 window closed, 131050 stopped marketing) as Meta
	// does: the send is answered 200 with a message id, then a failed
	// status webhook carries the error. Default false answers them at
	// once, as an error of the send. The demo reports them by webhook.
	RefuseByWebhook bool
	// Clock is the sandbox's clock for what it records and decides by:
	// the times of accepted and inbound messages, customers' windows,
	// webhook timestamps, opt-outs and messaging limits. A simulation
	// gives it the simulated clock. The per-second throughput of a number
	// (Number.PerSecond) and the delays of webhooks are measured on the
	// machine's clock whatever it is. Default time.Now.
	Clock func() time.Time
	// MessagingLimit is the business portfolio's messaging limit when the
	// sandbox starts (250, 2000, 10000, 100000; -1 or 0: unlimited), as
	// the record reports it; SetMessagingLimit and SetQuality change it.
	// The sandbox does not refuse sends over it: whether a business kept
	// to it is for whoever reads the record to judge.
	MessagingLimit int
}

func (c Config) withDefaults() Config {
	if len(c.Statuses) == 0 {
		c.Statuses = defaultStatuses
	}
	if c.WebhookBatch <= 0 {
		c.WebhookBatch = 10
	}
	if c.WebhookWorkers <= 0 {
		c.WebhookWorkers = 4
	}
	if c.WebhookRetryMin <= 0 {
		c.WebhookRetryMin = 100 * time.Millisecond
	}
	if c.WebhookRetryMax <= 0 {
		c.WebhookRetryMax = 30 * time.Second
	}
	if c.WebhookRetryMax < c.WebhookRetryMin {
		c.WebhookRetryMax = c.WebhookRetryMin
	}
	if c.WebhookTimeout <= 0 {
		c.WebhookTimeout = 10 * time.Second
	}
	if c.TemplateCategory == "" {
		c.TemplateCategory = "utility"
	}
	if c.PairLimit > 0 && c.PairWindow <= 0 {
		c.PairWindow = 6 * time.Second
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: c.WebhookTimeout}
	}
	return c
}
