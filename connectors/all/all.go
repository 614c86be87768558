// Package all registers every connector type loyalhub ships into a
// registry. It is the one place that knows them all.
package all

import (
	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/csvdrop"
	"github.com/loyalhub/loyalhub/connectors/hubspot"
	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/cloudapi"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/dialog360"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/gupshup"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/twilio"
)

// Register adds every shipped connector type to reg.
func Register(reg *connectors.Registry) {
	for _, s := range []connectors.Spec{pos.Spec(), shopify.Spec(), hubspot.Spec(), csvdrop.Spec(), cloudapi.Spec(), dialog360.Spec(), twilio.Spec(), gupshup.Spec()} {
		if err := reg.Register(s); err != nil {
			panic(err) // a programming error: two shipped connectors share a name
		}
	}
}
