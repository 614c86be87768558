package hubspot

import "github.com/loyalhub/loyalhub/connectors"

// Name is the registered connector type.
const Name = "hubspot"

// Example is the documented YAML block of one hubspot connector.
const Example = `# A HubSpot app installed in one portal: contacts become members, a consent
# property drives WhatsApp marketing consent, won deals earn points, and
# points and tier are written back to the contacts.
type: hubspot
# The app's client secret, which signs its webhooks. Required.
client_secret: ${HUBSPOT_CLIENT_SECRET}
# The target URL registered in the app's webhook settings, exactly.
webhook_url: https://loyalty.example.com/hooks/acme/hubspot
# Signature versions accepted. Default [v3].
signature_versions: [v3]
# A private app or OAuth access token: scopes crm.objects.contacts.read,
# crm.objects.contacts.write (write-back) and crm.objects.deals.read.
access_token: ${HUBSPOT_ACCESS_TOKEN}
# API calls per interval, shared by everything this connector calls.
rate_limit:
  requests: 100
  interval: 10s
consent:
  property: whatsapp_marketing_opt_in
  category: marketing_messages
deals:
  paid_stages: [closedwon]
  currency: IDR
write_back:
  enabled: true
  points_property: loyalty_points
  tier_property: loyalty_tier
  id_property: email
`

// Spec describes the hubspot connector type. Without write_back.enabled an
// instance leaves its member syncer off, so that the hub tracks no member
// changes for a portal that does not take them.
func Spec() connectors.Spec {
	return connectors.Spec{
		Name:         Name,
		Capabilities: []connectors.Capability{connectors.CapSource, connectors.CapEnricher, connectors.CapMemberSyncer},
		Off: func(cfg connectors.Config) []connectors.Capability {
			if c, ok := cfg.(*Config); ok && c.WriteBack.Enabled {
				return nil
			}
			return []connectors.Capability{connectors.CapMemberSyncer}
		},
		Summary: "HubSpot CRM: contacts become members, consent and won deals flow in, points and tiers flow back",
		Example: Example,
		Mapping: "hubspot",
		NewConfig: func() connectors.Config {
			return NewConfig()
		},
		New: connectors.Construct(NewSource),
	}
}
