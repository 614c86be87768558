// Package connectors defines what an outside system's connector is: a Source
// that accepts deliveries over HTTP, a Sender that delivers messages, and the
// Spec that describes a connector type to the Registry.
package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"

	"github.com/loyalhub/loyalhub/core/messaging"
)

// ErrUnauthorized is returned (wrapped) by Source.Accept when a request fails
// authentication: the caller answers 401 and stores nothing.
var ErrUnauthorized = errors.New("unauthorized")

// Delivery is what a Source tells about an accepted request.
type Delivery struct {
	// ID identifies the delivery at the provider (a delivery or event id
	// header), or is a hash of the body when the provider sends none. The
	// queue deduplicates on it.
	ID string
	// Topic is the provider's topic for the payload, when it names one.
	Topic string
}

// Source accepts a provider's webhook deliveries.
//
// Accept is called concurrently, with the complete raw body already read. It
// authenticates the request and describes the delivery; it must not reject a
// payload for being unparseable (the mapping stage dead-letters those with
// the reason), so that nothing signed is ever lost.
type Source interface {
	Accept(r *http.Request, body []byte) (Delivery, error)
}

// Handshaker is implemented by sources whose provider verifies the endpoint
// with a GET request (Meta's hub.challenge).
type Handshaker interface {
	Handshake(w http.ResponseWriter, r *http.Request)
}

// Sender delivers outbound messages to a BSP.
//
// Send is called concurrently and honours ctx cancellation. Its errors are
// classified with core/fault: permanent ones are dead-lettered with the
// reason, unmarked or retryable ones are retried with backoff. An error
// returned for a request that may have reached the BSP (a timeout after
// sending) must be marked fault.ClassTransient with code "ambiguous" so the
// caller does not resend blindly.
type Sender interface {
	Send(ctx context.Context, cmd messaging.Command) (messaging.Result, error)
}

// ReadMarker is implemented by senders that can mark a customer's inbound
// message as read (WhatsApp shows the blue ticks). MarkRead is safe for
// concurrent use; its errors are classified like Send's.
type ReadMarker interface {
	MarkRead(ctx context.Context, providerMessageID string) error
}

// DeliveryClassifier is implemented by senders whose BSP reports some
// refusals only after accepting a message, on a failed status webhook
// (Meta reports 131026, 131047, 131049 and 131050 that way). It classifies
// such an error code with core/fault exactly as Send classifies the same
// code answered at once, so that the hub acts on both alike. It is safe for
// concurrent use.
type DeliveryClassifier interface {
	ClassifyDeliveryError(code int, details string) error
}

// CloudAccount is implemented by connectors that serve one business number
// on Meta's Cloud API webhooks, so that a Meta app's shared webhook can
// route each change to them: by the number's phone_number_id, and by the
// WhatsApp Business Account id for account-wide changes (either may be
// empty when not configured).
type CloudAccount interface {
	CloudAccount() (phoneNumberID, wabaID string)
}

// Fault codes shared by every sender, beside the vendors' own codes.
const (
	// AmbiguousCode marks a send error whose request may have been
	// processed.
	AmbiguousCode = "ambiguous"
	// BreakerOpenCode marks a send refused without a call because the
	// account's circuit breaker is open; it is retryable after RetryAfter.
	BreakerOpenCode = "breaker_open"
)

// Config is a connector's decoded configuration.
type Config interface {
	// Validate checks the values; errors name the offending key relative to
	// the connector's block (see core/config.FieldError).
	Validate() error
}

// Deps are the services a connector may use.
type Deps struct {
	Tenant string // tenant id
	Name   string // connector instance name
	Logger *slog.Logger
}

// Kind says what a connector type can do.
type Kind string

// Kinds.
const (
	KindSource Kind = "source"
	KindSender Kind = "sender"
)

// Spec describes a connector type.
type Spec struct {
	Name    string // registered type name, snake_case: "pos_webhook"
	Kinds   []Kind
	Summary string
	// Example is a documented YAML block for one instance.
	Example string
	// Mapping names the bundled default mapping in package mappings, for
	// sources; a tenant may override it.
	Mapping string
	// NewConfig returns a config holding the defaults, ready to be decoded
	// into.
	NewConfig func() Config
	// New builds the connector from a validated config. It does no I/O. The
	// value implements Source, Sender or both, as Kinds says.
	New func(cfg Config, deps Deps) (any, error)
}

// Has reports whether the spec declares kind k.
func (s Spec) Has(k Kind) bool {
	for _, x := range s.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Registry holds the connector types a binary knows. cmd creates one and
// connectors/all fills it.
type Registry struct {
	specs map[string]Spec
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{specs: map[string]Spec{}} }

// Register adds a spec; a duplicate or incomplete spec is an error.
func (r *Registry) Register(s Spec) error {
	if s.Name == "" || s.NewConfig == nil || s.New == nil || len(s.Kinds) == 0 {
		return fmt.Errorf("registering connector %q: spec needs a name, kinds, NewConfig and New", s.Name)
	}
	if _, dup := r.specs[s.Name]; dup {
		return fmt.Errorf("registering connector %q: already registered", s.Name)
	}
	r.specs[s.Name] = s
	return nil
}

// Lookup returns the spec registered under name.
func (r *Registry) Lookup(name string) (Spec, bool) {
	s, ok := r.specs[name]
	return s, ok
}

// Specs returns every spec, sorted by name.
func (r *Registry) Specs() []Spec {
	out := make([]Spec, 0, len(r.specs))
	for _, s := range r.specs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
