package pos

import "github.com/loyalhub/loyalhub/connectors"

// Name is the registered connector type.
const Name = "pos_webhook"

// Example is the documented YAML block of one pos_webhook connector.
const Example = `# A point-of-sale system that POSTs each sale as JSON, signed with HMAC-SHA256.
type: pos_webhook
# The POS: plain (this sale format, default), square or loyverse. A preset sets
# the defaults of auth and the bundled mapping; see docs/connectors/pos_webhook.md.
preset: plain
# Shared secret that keys the HMAC-SHA256 signature of the raw body. Required.
# The short form of auth.secret; auth also offers api_key, basic and none.
secret: ${POS_WEBHOOK_SECRET}
# Header carrying the lowercase hex signature ("sha256=" prefix allowed).
# Default X-Loyalhub-Signature.
signature_header: X-Loyalhub-Signature
# Optional header carrying the POS's own delivery id, used to drop re-sent
# deliveries; without it a hash of the body is used. Default X-Loyalhub-Delivery.
delivery_id_header: X-Loyalhub-Delivery
`

// bundled mappings of the presets.
var presetMappings = map[string]string{
	PresetPlain:    "pos_webhook",
	PresetSquare:   "square",
	PresetLoyverse: "loyverse",
}

// MappingOf names the bundled mapping of a config's preset: "pos_webhook"
// (plain), "square" or "loyverse".
func MappingOf(cfg *Config) string {
	if cfg != nil {
		if m, ok := presetMappings[cfg.Preset]; ok {
			return m
		}
	}
	return presetMappings[PresetPlain]
}

// Spec describes the pos_webhook connector type. An instance is a source
// whose enricher, the customer lookup, is off unless the config enables it.
func Spec() connectors.Spec {
	return connectors.Spec{
		Name:         Name,
		Capabilities: []connectors.Capability{connectors.CapSource, connectors.CapEnricher},
		Off: func(cfg connectors.Config) []connectors.Capability {
			if c, ok := cfg.(*Config); ok && c.LookupEnabled() {
				return nil
			}
			return []connectors.Capability{connectors.CapEnricher}
		},
		Summary: "Generic POS webhook: sales from any point-of-sale system (plain JSON, Square, Loyverse)",
		Example: Example,
		Mapping: presetMappings[PresetPlain],
		MappingOf: func(cfg connectors.Config) string {
			c, _ := cfg.(*Config)
			return MappingOf(c)
		},
		NewConfig: func() connectors.Config {
			return NewConfig()
		},
		New: connectors.Construct(newConnector),
	}
}

// newConnector builds a pos_webhook instance: a *LookupSource when the
// config enables the customer lookup, else a plain *Source in one, whose
// enricher the spec leaves off.
func newConnector(c *Config, deps connectors.Deps) (*LookupSource, error) {
	if c != nil && c.LookupEnabled() {
		return NewLookupSource(c, deps)
	}
	s, err := NewSource(c)
	if err != nil {
		return nil, err
	}
	return &LookupSource{Source: s}, nil
}
