package cloudapi

import (
	"fmt"
	"log/slog"

	"github.com/loyalhub/loyalhub/connectors"
)

// TypeName is the registered connector type.
const TypeName = "whatsapp_cloud"

// Example is a documented config block for one instance.
const Example = `type: whatsapp_cloud
phone_number_id: "106540352242922"     # Meta's id of the business number
access_token: ${WHATSAPP_ACCESS_TOKEN} # system-user token
app_secret: ${WHATSAPP_APP_SECRET}     # verifies X-Hub-Signature-256 on webhooks
verify_token: ${WHATSAPP_VERIFY_TOKEN} # answers the hub.challenge handshake
# base_url: https://graph.facebook.com
# graph_version: v24.0
# timeout: 10s
# breaker:
#   max_failures: 5   # consecutive retryable failures that open it
#   open_for: 30s
`

// Spec describes the whatsapp_cloud connector type.
func Spec() connectors.Spec {
	return connectors.Spec{
		Name: TypeName,
		Capabilities: []connectors.Capability{
			connectors.CapSource, connectors.CapHandshaker,
			connectors.CapSender, connectors.CapReadMarker, connectors.CapDeliveryClassifier, connectors.CapTemplateLister,
			connectors.CapCloudAccount,
		},
		Summary: "Meta WhatsApp Cloud API: sends templates and text, receives messages and delivery statuses",
		Example: Example,
		Mapping: TypeName,
		NewConfig: func() connectors.Config {
			c := DefaultConfig()
			return &c
		},
		New: connectors.Construct(newConnector),
	}
}

// newConnector builds a whatsapp_cloud instance.
func newConnector(c *Config, deps connectors.Deps) (*Connector, error) {
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("tenant", deps.Tenant, "connector", deps.Name)
	s, err := newSender(*c, logger, deps.Rates)
	if err != nil {
		return nil, fmt.Errorf("building %s connector: %w", TypeName, err)
	}
	return &Connector{Sender: s, Source: NewSource(*c), phoneNumberID: c.PhoneNumberID, wabaID: c.WABAID}, nil
}

// Connector is a whatsapp_cloud instance: the sender and the webhook source
// of one business number.
type Connector struct {
	*Sender
	*Source
	phoneNumberID, wabaID string
}

// CloudAccount names the number and account, for a Meta app's shared
// webhook.
func (c *Connector) CloudAccount() (phoneNumberID, wabaID string) { return c.phoneNumberID, c.wabaID }

var (
	_ connectors.CloudAccount = (*Connector)(nil)
	_ connectors.Sender       = (*Connector)(nil)
	_ connectors.Source       = (*Connector)(nil)
	_ connectors.Handshaker   = (*Connector)(nil)
	_ connectors.ReadMarker   = (*Connector)(nil)
)
