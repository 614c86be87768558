package shopify

import "github.com/loyalhub/loyalhub/connectors"

// Name is the registered connector type, and the name of its bundled
// mapping.
const Name = "shopify"

// Example is the documented YAML block of one shopify connector.
const Example = `# A Shopify store: its webhooks come in at https://<host>/hooks/<tenant>/<connector>.
type: shopify
# The app's client secret, or the store's webhook signing key for webhooks
# created in the store admin. Required.
secret: ${SHOPIFY_WEBHOOK_SECRET}
# The secret before a rotation, accepted until Shopify signs with the new one.
# previous_secret: ${SHOPIFY_PREVIOUS_SECRET}
# Refuse deliveries from any other shop. Optional.
shop_domain: acme-coffee.myshopify.com
# Test orders earn nothing, and their cancellations and refunds take nothing
# back, unless set. Default false.
# include_test_orders: false
# The Admin API, to issue rewards' discount codes (scope write_discounts).
# Optional: needed only by rewards whose codes come from this connector.
admin:
  access_token: ${SHOPIFY_ADMIN_TOKEN}
  # api_version: "2026-01"
  # base_url: https://acme-coffee.myshopify.com
  # timeout: 10s
  # requests_per_second: 2
  discounts:
    coffee-voucher:            # a reward id of the loyalty program
      amount: "25000.00"       # fixed amount off, or percentage: 10
      # minimum_subtotal: "100000.00"
      # valid_days: 30
      # title: Loyalty reward Coffee voucher
      # prefix: LH-
`

// Spec describes the shopify connector type.
func Spec() connectors.Spec {
	return connectors.Spec{
		Name:         Name,
		Capabilities: []connectors.Capability{connectors.CapSource, connectors.CapCodeIssuer},
		Summary:      "Shopify store: signed webhooks (orders, refunds, customers, consent, checkouts, privacy) and reward discount codes",
		Example:      Example,
		Mapping:      Name,
		NewConfig: func() connectors.Config {
			return NewConfig()
		},
		New: connectors.Construct(New),
	}
}
