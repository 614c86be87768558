package dialog360

import (
	"fmt"
	"log/slog"

	"github.com/loyalhub/loyalhub/connectors"
)

// TypeName is the registered connector type.
const TypeName = "whatsapp_360dialog"

// Example is a documented config block for one instance.
const Example = `type: whatsapp_360dialog
api_key: ${D360_API_KEY}                  # the channel's D360-API-KEY
webhook_token: ${D360_WEBHOOK_TOKEN}      # secret header value registered with the webhook
# phone_number_id: "106540352242922"      # Meta's id of the number, for logs
# webhook_header: X-Loyalhub-Webhook-Token
# base_url: https://waba-v2.360dialog.io
# timeout: 10s
# throughput: {per_second: 80, pair_interval: 6s, pair_burst: 3}
# breaker: {max_failures: 5, open_for: 30s}
`

// Spec describes the whatsapp_360dialog connector type.
func Spec() connectors.Spec {
	return connectors.Spec{
		Name: TypeName,
		Capabilities: []connectors.Capability{
			connectors.CapSource,
			connectors.CapSender, connectors.CapReadMarker, connectors.CapDeliveryClassifier, connectors.CapTemplateLister,
		},
		Summary: "360dialog's WhatsApp Cloud API: sends every message kind, receives messages and delivery statuses",
		Example: Example,
		// 360dialog forwards Meta's webhook envelope unchanged.
		Mapping: "whatsapp_cloud",
		NewConfig: func() connectors.Config {
			c := DefaultConfig()
			return &c
		},
		New: connectors.Construct(newConnector),
	}
}

// newConnector builds a whatsapp_360dialog instance.
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

// Connector is a whatsapp_360dialog instance: the sender and the webhook
// source of one channel.
type Connector struct {
	*Sender
	*Source
}

var (
	_ connectors.Sender     = (*Connector)(nil)
	_ connectors.Source     = (*Connector)(nil)
	_ connectors.ReadMarker = (*Connector)(nil)
)
