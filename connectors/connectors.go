// Package connectors defines what an outside system's connector is: a Source
// that accepts deliveries over HTTP, a Sender that delivers messages, the
// other interfaces a connector may implement, and the Spec that describes a
// connector type to the Registry.
//
// A spec declares its type's capabilities, one per interface the type
// implements (CapSource for Source, CapEnricher for Enricher, …), and builds
// instances through Construct from the package's typed constructor.
// Register refuses a spec whose declaration and constructor's type differ
// either way; Spec.Build hands the hub an Instance whose fields hold the
// declared capabilities, so that nothing outside this package asks a
// connector what it implements.
package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"time"

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
	// Meta is what the request said besides its body that the mapping
	// needs (the shop's domain, the API version, a connector setting such
	// as whether test orders count). The mapping sees it as $meta.source.
	// Keys are snake_case; keep it small, it travels with the delivery.
	Meta map[string]string
	// Writers are the customers whose own messages or marketing
	// preferences the delivery carries, in each form it names them
	// (WhatsApp numbers in digits, business-scoped user ids), when the
	// source can tell them without mapping it: until the lanes have read
	// it, marketing to them waits. Each must be a form event.Writer gives
	// for an event the mapping makes of the delivery, or that wait lasts
	// its 5-minute bound (sourcetest.CheckWriters). It does not travel
	// with the delivery.
	Writers []string
}

// Runner (CapRunner) is implemented by sources that produce deliveries
// themselves rather than receive HTTP requests (a watched folder of CSV
// files). The hub calls Run once when it starts, in a goroutine it owns, and
// cancels ctx when it stops; Run returns once ctx is done (its error, other
// than ctx's, is logged). accept durably enqueues one delivery and returns
// only once it is stored, so that a source may then forget it; an error
// means it was not stored and the source tries again later. accept is safe
// for concurrent use.
type Runner interface {
	Run(ctx context.Context, accept func(ctx context.Context, d Delivery, body []byte) error) error
}

// Enricher (CapEnricher) is implemented by sources whose deliveries are too
// thin to map on their own (HubSpot sends object ids, not their properties).
// The mapping stage calls Enrich with an accepted delivery's body before the
// mapping runs and maps what it returns instead. It may call the provider's
// API; its errors are classified with core/fault like a Sender's (retryable
// unless marked permanent; a permanent one dead-letters the delivery with
// the reason). A redelivered delivery is enriched again. Enrich is safe for
// concurrent use and honours ctx.
type Enricher interface {
	Enrich(ctx context.Context, d Delivery, body []byte) ([]byte, error)
}

// MemberState is a member's loyalty state, as written back to a source
// system.
type MemberState struct {
	ID      string // the member id
	Phone   string // E.164
	Email   string
	Name    string
	Balance int64 // spendable points
	Pending int64 // points not yet spendable
	Tier    string
}

// MemberSyncer (CapMemberSyncer) is implemented by connectors that write
// members' loyalty state back to their system (HubSpot contact properties).
// The hub calls SyncMembers with the latest state of members whose points or
// tier changed, at most MaxSyncBatch at a time, from one goroutine per
// connector. Errors are classified like a Sender's: a retryable one makes
// the hub try the same members again later. A member the system does not
// know is skipped, not an error.
type MemberSyncer interface {
	SyncMembers(ctx context.Context, members []MemberState) error
}

// MaxSyncBatch is the most members one SyncMembers call carries.
const MaxSyncBatch = 100

// Source (CapSource) accepts a provider's webhook deliveries.
//
// Accept is called concurrently, with the complete raw body already read. It
// authenticates the request and describes the delivery; it must not reject a
// payload for being unparseable (the mapping stage dead-letters those with
// the reason), so that nothing signed is ever lost.
type Source interface {
	Accept(r *http.Request, body []byte) (Delivery, error)
}

// Handshaker (CapHandshaker) is implemented by sources whose provider
// verifies the endpoint with a GET request (Meta's hub.challenge).
type Handshaker interface {
	Handshake(w http.ResponseWriter, r *http.Request)
}

// Sender (CapSender) delivers outbound messages to a BSP.
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

// ReadMarker (CapReadMarker) is implemented by senders that can mark a
// customer's inbound message as read (WhatsApp shows the blue ticks).
// MarkRead is safe for concurrent use; its errors are classified like
// Send's.
type ReadMarker interface {
	MarkRead(ctx context.Context, providerMessageID string) error
}

// DeliveryClassifier (CapDeliveryClassifier) is implemented by senders whose
// BSP reports some refusals only after accepting a message, on a failed
// status webhook (Meta reports 131026, 131047, 131049 and 131050 that way).
// It classifies such an error code with core/fault exactly as Send
// classifies the same code answered at once, so that the hub acts on both
// alike. It is safe for concurrent use.
type DeliveryClassifier interface {
	ClassifyDeliveryError(code int, details string) error
}

// CloudAccount (CapCloudAccount) is implemented by connectors that serve one
// business number on Meta's Cloud API webhooks, so that a Meta app's shared
// webhook can route each change to them: by the number's phone_number_id,
// and by the WhatsApp Business Account id for account-wide changes (either
// may be empty when not configured).
type CloudAccount interface {
	CloudAccount() (phoneNumberID, wabaID string)
}

// BreakerReporter is implemented by senders that guard their account with
// a circuit breaker: Breaker reports its state ("closed", "half-open" or
// "open") and when it last opened (zero when it never did). It is safe for
// concurrent use.
type BreakerReporter interface {
	Breaker() (state string, openedAt time.Time)
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
	// Rates, when set, are rate limits shared by every process of the hub:
	// a sender paces its account's throughput with them. Nil: each
	// process limits itself in memory.
	Rates RateLimits
}

// RateLimits hands out rate limiters whose budget every process of the hub
// shares, so that replicas sending from one account keep the account's
// rate together instead of each keeping it. It is safe for concurrent use.
type RateLimits interface {
	// Limiter returns the limiter named key, letting perSecond events go
	// each second on average and burst at once after a pause. Every
	// limiter of one key, in any process, draws on one budget; callers
	// of one key pass the same rate.
	Limiter(key string, perSecond float64, burst int) RateLimiter
	// TakeTurn reserves the next turn of the schedule named key (burst
	// turns at once after a pause, then one every interval) if it comes
	// due within maxWait, and returns how long from now it does. A turn
	// further off is not taken: ok is false and wait says when the next
	// one comes. Every process shares key's schedule; callers of one key
	// pass the same interval and burst. Keys may name a person (a
	// recipient's number): they are kept only hashed. An error means
	// nothing was taken.
	TakeTurn(ctx context.Context, key string, interval time.Duration, burst int, maxWait time.Duration) (wait time.Duration, ok bool, err error)
	// GiveTurnBack returns one turn of key that TakeTurn handed out and
	// the caller did not use (the message never left), as a token bucket
	// takes a token back. An error means the turn stays spent.
	GiveTurnBack(ctx context.Context, key string, interval time.Duration) error
}

// RateLimiter paces events; *rate.Limiter is one, for a single process.
type RateLimiter interface {
	// Wait blocks until one event may go. It is safe for concurrent use.
	// It returns ctx's error when ctx ends first, and another error,
	// without waiting, when the event's turn would come after ctx's
	// deadline or cannot be had now (the shared budget is unreachable):
	// the caller tries again later, nothing was spent.
	Wait(ctx context.Context) error
}

// Kind says what role a connector type plays: a source of deliveries, a
// sender of messages, or both. It follows from the spec's capabilities.
type Kind string

// Kinds.
const (
	KindSource Kind = "source" // declares CapSource or CapRunner
	KindSender Kind = "sender" // declares CapSender
)

// Spec describes a connector type.
type Spec struct {
	Name    string // registered type name, snake_case: "pos_webhook"
	Summary string
	// Capabilities lists what the type's instances do: exactly the
	// interfaces, among those AllCapabilities names, that the type New
	// returns implements. Register refuses a spec whose list and type
	// differ, and the hub wires an instance by this list alone.
	Capabilities []Capability
	// Off, when set, names the declared capabilities that an instance
	// built from a validated config leaves off, for a type whose config
	// turns one on (HubSpot's write-back, a POS's customer lookup).
	Off func(cfg Config) []Capability
	// Example is a documented YAML block for one instance.
	Example string
	// Mapping names the bundled default mapping in package mappings, for
	// sources; a tenant may override it.
	Mapping string
	// MappingOf, when set, names the bundled mapping for a validated config
	// instead of Mapping, for types whose payload format depends on a
	// setting (a POS preset).
	MappingOf func(cfg Config) string
	// NewConfig returns a config holding the defaults, ready to be decoded
	// into.
	NewConfig func() Config
	// New builds the connector from a validated config, doing no I/O; make
	// it with Construct from the package's typed constructor. Build calls
	// it.
	New Constructor
}

// Has reports whether the spec's capabilities make it of kind k.
func (s Spec) Has(k Kind) bool {
	switch k {
	case KindSource:
		return s.Declares(CapSource) || s.Declares(CapRunner)
	case KindSender:
		return s.Declares(CapSender)
	}
	return false
}

// Declares reports whether the spec lists capability c.
func (s Spec) Declares(c Capability) bool { return slices.Contains(s.Capabilities, c) }

// Registry holds the connector types a binary knows. cmd creates one and
// connectors/all fills it.
type Registry struct {
	specs map[string]Spec
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{specs: map[string]Spec{}} }

// Register adds a spec. A duplicate or incomplete spec is an error, and
// so is one whose declared capabilities are not exactly those its
// constructor's type implements.
func (r *Registry) Register(s Spec) error {
	if s.Name == "" || s.NewConfig == nil || s.New.build == nil {
		return fmt.Errorf("registering connector %q: spec needs a name, NewConfig and New", s.Name)
	}
	if err := s.check(); err != nil {
		return err
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
