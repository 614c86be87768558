package twilio

import (
	"fmt"
	"log/slog"

	"github.com/loyalhub/loyalhub/connectors"
)

// TypeName is the registered connector type.
const TypeName = "whatsapp_twilio"

// Example is a documented config block for one instance.
const Example = `type: whatsapp_twilio
account_sid: ${TWILIO_ACCOUNT_SID}       # AC…
auth_token: ${TWILIO_AUTH_TOKEN}         # signs Twilio's webhooks; API calls too unless an API key is set
from: "+14155238886"                     # the WhatsApp sender, E.164
webhook_url: https://hub.example.com/webhooks/acme/wa   # exactly as Twilio calls it (the signature covers it)
templates:
  - name: points_earned
    language: id
    content_sid: HXb5b62575e6e4ff6129ad7c8efe1f983e
    variables: {"1": body.1, "2": body.2}
# api_key_sid: SK…                       # with api_key_secret, instead of the auth token for API calls
# api_key_secret: ${TWILIO_API_KEY_SECRET}
# messaging_service_sid: MG…             # send through a Messaging Service
# base_url: https://api.twilio.com
# messaging_base_url: https://messaging.twilio.com
# timeout: 10s
# throughput: {per_second: 80, pair_interval: 6s, pair_burst: 3}
# breaker: {max_failures: 5, open_for: 30s}
`

// Spec describes the whatsapp_twilio connector type.
func Spec() connectors.Spec {
	return connectors.Spec{
		Name: TypeName,
		Capabilities: []connectors.Capability{
			connectors.CapSource, connectors.CapEnricher,
			connectors.CapSender, connectors.CapReadMarker, connectors.CapDeliveryClassifier,
		},
		Summary: "Twilio's WhatsApp API: sends text, media and Content templates, receives messages and status callbacks",
		Example: Example,
		Mapping: TypeName,
		NewConfig: func() connectors.Config {
			c := DefaultConfig()
			return &c
		},
		New: connectors.Construct(newConnector),
	}
}

// newConnector builds a whatsapp_twilio instance.
func newConnector(c *Config, deps connectors.Deps) (*Connector, error) {
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s, err := newSender(*c, logger.With("tenant", deps.Tenant, "connector", deps.Name), deps.Rates)
	if err != nil {
		return nil, fmt.Errorf("building %s connector: %w", TypeName, err)
	}
	return &Connector{Sender: s, Source: NewSource(*c)}, nil
}

// Connector is a whatsapp_twilio instance: the sender and the webhook
// source of one Twilio WhatsApp sender, and the reader that turns its
// form-encoded webhooks into what the mapping reads.
type Connector struct {
	*Sender
	*Source
	Form
}

var (
	_ connectors.Sender     = (*Connector)(nil)
	_ connectors.Source     = (*Connector)(nil)
	_ connectors.Enricher   = (*Connector)(nil)
	_ connectors.ReadMarker = (*Connector)(nil)
)
