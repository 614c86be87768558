// Package runtime holds what the hub runs for each tenant, as the
// configuration built it: the tenant's program, notifications, chatbot and
// messaging policy, and each connector instance with the capabilities its
// spec declares, the pause of a sender whose credentials were refused, the
// account's templates and the traffic the instance saw since the process
// started. The hub's parts look tenants and connectors up here (Tenants)
// without depending on the hub; a reload of the configuration replaces
// them at once.
package runtime

import (
	"slices"
	"sync/atomic"
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

// Snapshot is one set of tenants the hub runs, by id, as one configuration
// built it. It is never changed once published in Tenants: a reload
// publishes a new one.
type Snapshot map[string]*Tenant

// Tenant returns the tenant with id.
func (s Snapshot) Tenant(id string) (*Tenant, bool) {
	t, ok := s[id]
	return t, ok
}

// Connector returns the tenant's connector instance named name.
func (s Snapshot) Connector(tenant, name string) (*Connector, bool) {
	t, ok := s[tenant]
	if !ok {
		return nil, false
	}
	c, ok := t.Connectors[name]
	return c, ok
}

// IDs returns the tenants' ids in order.
func (s Snapshot) IDs() []string {
	ids := make([]string, 0, len(s))
	for id := range s {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Tenants are the tenants the hub runs: the current Snapshot, which a
// reload of the configuration replaces at once. A caller that reads a
// tenant and then its connectors sees one configuration; one that needs
// several tenants at one configuration reads Current once. It is safe for
// concurrent use; a nil *Tenants holds no tenant.
type Tenants struct {
	current atomic.Pointer[Snapshot]
}

// NewTenants returns the tenants of s.
func NewTenants(s Snapshot) *Tenants {
	ts := &Tenants{}
	ts.Store(s)
	return ts
}

// Current returns the tenants as they are now.
func (ts *Tenants) Current() Snapshot {
	if ts == nil {
		return nil
	}
	if s := ts.current.Load(); s != nil {
		return *s
	}
	return nil
}

// Store publishes s, which must not change afterwards, in place of the
// current tenants.
func (ts *Tenants) Store(s Snapshot) {
	if s == nil {
		s = Snapshot{}
	}
	ts.current.Store(&s)
}

// Tenant returns the tenant with id.
func (ts *Tenants) Tenant(id string) (*Tenant, bool) { return ts.Current().Tenant(id) }

// Connector returns the tenant's connector instance named name.
func (ts *Tenants) Connector(tenant, name string) (*Connector, bool) {
	return ts.Current().Connector(tenant, name)
}

// IDs returns the tenants' ids in order.
func (ts *Tenants) IDs() []string { return ts.Current().IDs() }
