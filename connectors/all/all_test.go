package all_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
)

// Every shipped connector registers, and declares exactly what its
// constructor's type implements: the capabilities the hub wires.
func TestDeclaredCapabilities(t *testing.T) {
	want := map[string][]connectors.Capability{
		"csv_drop":    {connectors.CapRunner},
		"hubspot":     {connectors.CapSource, connectors.CapEnricher, connectors.CapMemberSyncer},
		"pos_webhook": {connectors.CapSource, connectors.CapEnricher},
		"shopify":     {connectors.CapSource, connectors.CapCodeIssuer},
		"whatsapp_360dialog": {connectors.CapSource,
			connectors.CapSender, connectors.CapReadMarker, connectors.CapDeliveryClassifier, connectors.CapTemplateLister},
		"whatsapp_cloud": {connectors.CapSource, connectors.CapHandshaker,
			connectors.CapSender, connectors.CapReadMarker, connectors.CapDeliveryClassifier, connectors.CapTemplateLister,
			connectors.CapCloudAccount},
		// Twilio: no template listing (its Content API is not read), no
		// Meta handshake; its form-encoded webhooks are read into JSON
		// before mapping.
		// Gupshup: no template listing, no Meta handshake; its v2
		// webhooks are JSON and mapped as they are.
		"whatsapp_gupshup": {connectors.CapSource,
			connectors.CapSender, connectors.CapReadMarker, connectors.CapDeliveryClassifier},
		"whatsapp_twilio": {connectors.CapSource, connectors.CapEnricher,
			connectors.CapSender, connectors.CapReadMarker, connectors.CapDeliveryClassifier},
	}
	reg := connectors.NewRegistry()
	all.Register(reg)
	specs := reg.Specs()
	require.Len(t, specs, len(want), "a shipped connector is missing from this table")
	for _, s := range specs {
		t.Run(s.Name, func(t *testing.T) {
			require.Contains(t, want, s.Name)
			assert.Equal(t, want[s.Name], s.Capabilities, "declared")
			assert.ElementsMatch(t, want[s.Name], connectors.CapabilitiesOf(s.New.Type()), "implemented by %s", s.New.Type())
		})
	}
}
