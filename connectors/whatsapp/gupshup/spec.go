package gupshup

import (
	"fmt"
	"log/slog"

	"github.com/loyalhub/loyalhub/connectors"
)

// TypeName is the registered connector type.
const TypeName = "whatsapp_gupshup"

// Example is a documented config block for one instance.
const Example = `type: whatsapp_gupshup
api_key: ${GUPSHUP_API_KEY}
app_name: KopiClub                       # the Gupshup app (src.name)
source: "+917834811114"                  # the app's WhatsApp number, E.164
webhook_token: ${GUPSHUP_WEBHOOK_TOKEN}  # callback URL at Gupshup: https://hub.example.com/hooks/acme/whatsapp?token=…
templates:
  - name: points_earned
    language: id
    id: 5f9a3c1e-2b7d-4e8a-9c61-0d3b2a4f5e67
# app_id: ${GUPSHUP_APP_ID}              # marks messages read
# base_url: https://api.gupshup.io
# timeout: 10s
# throughput: {per_second: 80, pair_interval: 6s, pair_burst: 3}
# breaker: {max_failures: 5, open_for: 30s}
`

// Spec describes the whatsapp_gupshup connector type.
func Spec() connectors.Spec {
	return connectors.Spec{
		Name: TypeName,
		Capabilities: []connectors.Capability{
			connectors.CapSource,
			connectors.CapSender, connectors.CapReadMarker, connectors.CapDeliveryClassifier,
		},
		Summary: "Gupshup's WhatsApp API: sends text, media, quick replies, lists and templates, receives messages and message events",
		Example: Example,
		Mapping: TypeName,
		NewConfig: func() connectors.Config {
			c := DefaultConfig()
			return &c
		},
		New: connectors.Construct(newConnector),
	}
}

// newConnector builds a whatsapp_gupshup instance.
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

// Connector is a whatsapp_gupshup instance: the sender and the webhook
// source of one Gupshup app.
type Connector struct {
	*Sender
	*Source
}

var (
	_ connectors.Sender     = (*Connector)(nil)
	_ connectors.Source     = (*Connector)(nil)
	_ connectors.ReadMarker = (*Connector)(nil)
)
