// Package runtime holds what the hub runs for each tenant, as the
// configuration built it: the tenant's program, notifications, chatbot and
// messaging policy, and each connector instance with the capabilities its
// spec declares, the pause of a sender whose credentials were refused, the
// account's templates and the traffic the instance saw since the process
// started. The hub's parts look tenants and connectors up
// here (Tenants) without depending on the hub.
package runtime

import (
	"slices"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/journey"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/mappings"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// Tenant is one tenant as the hub runs it.
type Tenant struct {
	ID            string
	Config        config.Tenant
	Program       *loyalty.Program
	Notifications []Notification
	// Journeys are the tenant's compiled journeys.
	Journeys   []*journey.Journey
	Connectors map[string]*Connector
	// Bot is the chatbot's catalog and keywords; Chat is the chatbot as
	// its turns read it.
	Bot      hubconfig.BotLanguage
	Chat     *conversation.Bot
	Location *time.Location
	// Policy is the messaging policy the send stage decides by.
	Policy messaging.Policy
	// Rates is the tenant's rate card: the cost of what WhatsApp reports
	// charged, and the estimate of a message before it is sent.
	Rates messaging.RateCard
}

// Notification is one of a tenant's notification rules: the outcome type it
// is on and its compiled renderer.
type Notification struct {
	Name     string
	On       string
	Renderer *messaging.Renderer
}

// Connector is one connector instance, wired by the capabilities its spec
// declares: a field is nil when the instance does not have it.
type Connector struct {
	Name  string
	Topic string // inbound topic of its deliveries
	Spec  connectors.Spec
	// Source accepts the provider's webhooks; Handshaker answers the
	// provider's GET verification of the webhook.
	Source     connectors.Source
	Handshaker connectors.Handshaker
	Sender     connectors.Sender
	// Classifier classifies failures the BSP reports after accepting a
	// message, when the sender can.
	Classifier connectors.DeliveryClassifier
	// Runner produces deliveries itself (a watched folder); Enricher
	// completes thin deliveries before mapping; Syncer takes members'
	// points and tier back to the source system; Issuer issues rewards'
	// codes.
	Runner   connectors.Runner
	Enricher connectors.Enricher
	Syncer   connectors.MemberSyncer
	Issuer   loyalty.CodeIssuer
	// Mapping maps its deliveries to events.
	Mapping *mappings.Program
	// Pause stops a sender whose credentials the BSP refused.
	Pause *Pause
	// Templates lists the account's templates, when the sender can.
	Templates *Templates
	// Deliveries counts the webhooks the source accepted and refused;
	// Sends the messages the sender had accepted and those that failed.
	// Nil records nothing.
	Deliveries *Activity
	Sends      *Activity
}

// Tenants are the tenants the hub runs, by id. It is built before the hub
// starts and only read after.
type Tenants map[string]*Tenant

// Tenant returns the tenant with id.
func (ts Tenants) Tenant(id string) (*Tenant, bool) {
	t, ok := ts[id]
	return t, ok
}

// Connector returns the tenant's connector instance named name.
func (ts Tenants) Connector(tenant, name string) (*Connector, bool) {
	t, ok := ts[tenant]
	if !ok {
		return nil, false
	}
	c, ok := t.Connectors[name]
	return c, ok
}

// IDs returns the tenants' ids in order.
func (ts Tenants) IDs() []string {
	ids := make([]string, 0, len(ts))
	for id := range ts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
