package pos

import (
	"fmt"

	"github.com/loyalhub/loyalhub/connectors"
)

// Name is the registered connector type.
const Name = "pos_webhook"

// Example is the documented YAML block of one pos_webhook connector.
const Example = `# A point-of-sale system that POSTs each sale as JSON, signed with HMAC-SHA256.
type: pos_webhook
# Shared secret that keys the HMAC-SHA256 signature of the raw body. Required.
secret: ${POS_WEBHOOK_SECRET}
# Header carrying the lowercase hex signature ("sha256=" prefix allowed).
# Default X-Loyalhub-Signature.
signature_header: X-Loyalhub-Signature
# Optional header carrying the POS's own delivery id, used to drop re-sent
# deliveries; without it a hash of the body is used. Default X-Loyalhub-Delivery.
delivery_id_header: X-Loyalhub-Delivery
`

// Spec describes the pos_webhook connector type.
func Spec() connectors.Spec {
	return connectors.Spec{
		Name:    Name,
		Kinds:   []connectors.Kind{connectors.KindSource},
		Summary: "Generic POS webhook: signed JSON sales from any point-of-sale system",
		Example: Example,
		Mapping: "pos_webhook",
		NewConfig: func() connectors.Config {
			return NewConfig()
		},
		New: func(cfg connectors.Config, _ connectors.Deps) (any, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("creating pos_webhook source: config is %T, want *pos.Config", cfg)
			}
			return NewSource(c)
		},
	}
}
