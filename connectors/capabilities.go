package connectors

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// Capability names one thing a connector instance does, each the interface
// beside it. A Spec lists its type's capabilities; the Registry holds the
// list to the type its constructor returns, and the hub wires an instance by
// the list through Instance, never by probing it.
type Capability string

// Capabilities.
const (
	CapSource             Capability = "source"              // Source: takes webhook deliveries
	CapHandshaker         Capability = "handshaker"          // Handshaker: answers the provider's GET verification
	CapRunner             Capability = "runner"              // Runner: produces deliveries itself
	CapEnricher           Capability = "enricher"            // Enricher: completes thin deliveries before mapping
	CapMemberSyncer       Capability = "member_syncer"       // MemberSyncer: takes members' points and tier back
	CapCodeIssuer         Capability = "code_issuer"         // loyalty.CodeIssuer: issues rewards' codes
	CapSender             Capability = "sender"              // Sender: delivers outbound messages
	CapReadMarker         Capability = "read_marker"         // ReadMarker: marks a customer's message read
	CapDeliveryClassifier Capability = "delivery_classifier" // DeliveryClassifier: classifies failed status reports
	CapTemplateLister     Capability = "template_lister"     // messaging.TemplateLister: lists the account's templates
	CapCloudAccount       Capability = "cloud_account"       // CloudAccount: one number on a Meta app's shared webhook
)

// Instance is one built connector: each capability its spec declares, and
// its config does not leave off, in its field; the other fields are nil.
type Instance struct {
	Source             Source
	Handshaker         Handshaker
	Runner             Runner
	Enricher           Enricher
	MemberSyncer       MemberSyncer
	CodeIssuer         loyalty.CodeIssuer
	Sender             Sender
	ReadMarker         ReadMarker
	DeliveryClassifier DeliveryClassifier
	TemplateLister     messaging.TemplateLister
	CloudAccount       CloudAccount
}

// Capabilities lists the capabilities the instance holds, in the order of
// its fields.
func (in Instance) Capabilities() []Capability {
	var out []Capability
	for _, c := range capabilities {
		if c.has(&in) {
			out = append(out, c.name)
		}
	}
	return out
}

// capability ties a Capability to its interface and its Instance field.
// The table below is the one place a connector's value is asked what it
// implements.
type capability struct {
	name  Capability
	iface reflect.Type
	// set stores v in its field when v implements the interface.
	set func(in *Instance, v any) bool
	// has reports whether the field is set.
	has func(in *Instance) bool
}

func capabilityOf[I any](name Capability, field func(*Instance) *I) capability {
	return capability{
		name:  name,
		iface: reflect.TypeFor[I](),
		set: func(in *Instance, v any) bool {
			x, ok := v.(I)
			if ok {
				*field(in) = x
			}
			return ok
		},
		has: func(in *Instance) bool { return any(*field(in)) != nil },
	}
}

var capabilities = []capability{
	capabilityOf(CapSource, func(in *Instance) *Source { return &in.Source }),
	capabilityOf(CapHandshaker, func(in *Instance) *Handshaker { return &in.Handshaker }),
	capabilityOf(CapRunner, func(in *Instance) *Runner { return &in.Runner }),
	capabilityOf(CapEnricher, func(in *Instance) *Enricher { return &in.Enricher }),
	capabilityOf(CapMemberSyncer, func(in *Instance) *MemberSyncer { return &in.MemberSyncer }),
	capabilityOf(CapCodeIssuer, func(in *Instance) *loyalty.CodeIssuer { return &in.CodeIssuer }),
	capabilityOf(CapSender, func(in *Instance) *Sender { return &in.Sender }),
	capabilityOf(CapReadMarker, func(in *Instance) *ReadMarker { return &in.ReadMarker }),
	capabilityOf(CapDeliveryClassifier, func(in *Instance) *DeliveryClassifier { return &in.DeliveryClassifier }),
	capabilityOf(CapTemplateLister, func(in *Instance) *messaging.TemplateLister { return &in.TemplateLister }),
	capabilityOf(CapCloudAccount, func(in *Instance) *CloudAccount { return &in.CloudAccount }),
}

// AllCapabilities lists every capability, in the order of Instance's
// fields.
func AllCapabilities() []Capability {
	out := make([]Capability, len(capabilities))
	for i, c := range capabilities {
		out[i] = c.name
	}
	return out
}

// CapabilitiesOf lists the capabilities whose interfaces typ implements,
// in the order of AllCapabilities: what a spec whose constructor returns
// typ must declare.
func CapabilitiesOf(typ reflect.Type) []Capability {
	var out []Capability
	for _, c := range capabilities {
		if typ.Implements(c.iface) {
			out = append(out, c.name)
		}
	}
	return out
}

// Constructor builds a connector type's instances from its typed
// constructor; Construct makes one.
type Constructor struct {
	config reflect.Type // the config type it takes
	typ    reflect.Type // the type it returns
	build  func(cfg Config, deps Deps) (any, error)
}

// Construct adapts a connector package's constructor for its Spec. It takes
// the config type C that the spec's NewConfig returns, and returns the
// package's concrete type T, whose methods the Registry holds to the spec's
// Capabilities.
func Construct[C Config, T any](build func(cfg C, deps Deps) (T, error)) Constructor {
	cfgType := reflect.TypeFor[C]()
	return Constructor{
		config: cfgType,
		typ:    reflect.TypeFor[T](),
		build: func(cfg Config, deps Deps) (any, error) {
			c, ok := cfg.(C)
			if !ok {
				return nil, fmt.Errorf("config is %T, want %s", cfg, cfgType)
			}
			v, err := build(c, deps)
			if err != nil {
				return nil, err
			}
			return v, nil
		},
	}
}

// Type is the type the constructor returns.
func (c Constructor) Type() reflect.Type { return c.typ }

// check holds the spec's declared capabilities to its constructor's type:
// every one declared is implemented, and every one implemented is
// declared, so that none is missing when the hub wires it and none is
// silently left unused.
func (s Spec) check() error {
	var errs []string
	for i, c := range s.Capabilities {
		if !slices.ContainsFunc(capabilities, func(k capability) bool { return k.name == c }) {
			errs = append(errs, fmt.Sprintf("unknown capability %q", c))
		}
		if slices.Contains(s.Capabilities[:i], c) {
			errs = append(errs, fmt.Sprintf("capability %s declared twice", c))
		}
	}
	for _, c := range capabilities {
		declared, implements := slices.Contains(s.Capabilities, c.name), s.New.typ.Implements(c.iface)
		switch {
		case declared && !implements:
			errs = append(errs, fmt.Sprintf("declares %s, but %s does not implement %s", c.name, s.New.typ, c.iface))
		case implements && !declared:
			errs = append(errs, fmt.Sprintf("%s implements %s, but the spec does not declare %s", s.New.typ, c.iface, c.name))
		}
	}
	if !s.Has(KindSource) && !s.Has(KindSender) {
		errs = append(errs, fmt.Sprintf("declares neither %s, %s nor %s", CapSource, CapRunner, CapSender))
	}
	cfg := s.NewConfig()
	if cfg == nil || reflect.TypeOf(cfg) != s.New.config {
		errs = append(errs, fmt.Sprintf("NewConfig returns %T, but New takes %s", cfg, s.New.config))
	}
	if s.Off != nil && cfg != nil {
		for _, c := range s.Off(cfg) {
			if !slices.Contains(s.Capabilities, c) {
				errs = append(errs, fmt.Sprintf("turns off %s by default, which it does not declare", c))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("registering connector %q: %s", s.Name, strings.Join(errs, "; "))
	}
	return nil
}

// Build makes an instance of the connector type from a validated config.
// It does no I/O. The instance holds the spec's capabilities but those
// that Off names for cfg; a value that lacks a declared capability, or has
// one undeclared, is an error.
func (s Spec) Build(cfg Config, deps Deps) (Instance, error) {
	if s.New.build == nil {
		return Instance{}, fmt.Errorf("creating %s connector: the spec has no constructor", s.Name)
	}
	if reflect.TypeOf(cfg) != s.New.config {
		return Instance{}, fmt.Errorf("creating %s connector: config is %T, want %s", s.Name, cfg, s.New.config)
	}
	if isNil(reflect.ValueOf(cfg)) {
		return Instance{}, fmt.Errorf("creating %s connector: nil config", s.Name)
	}
	v, err := s.New.build(cfg, deps)
	if err != nil {
		return Instance{}, err
	}
	if rv := reflect.ValueOf(v); !rv.IsValid() || isNil(rv) {
		return Instance{}, fmt.Errorf("creating %s connector: the constructor returned nil", s.Name)
	}
	var off []Capability
	if s.Off != nil {
		off = s.Off(cfg)
	}
	for _, c := range off {
		if !slices.Contains(s.Capabilities, c) {
			return Instance{}, fmt.Errorf("creating %s connector: turns off %s, which the spec does not declare", s.Name, c)
		}
	}
	var in Instance
	for _, c := range capabilities {
		var probe Instance
		implements := c.set(&probe, v)
		switch declared := slices.Contains(s.Capabilities, c.name); {
		case declared && !implements:
			return Instance{}, fmt.Errorf("creating %s connector: %T does not implement %s, which the spec declares", s.Name, v, c.name)
		case implements && !declared:
			return Instance{}, fmt.Errorf("creating %s connector: %T implements %s, which the spec does not declare", s.Name, v, c.name)
		case declared && !slices.Contains(off, c.name):
			c.set(&in, v)
		}
	}
	return in, nil
}

// isNil reports whether v is a nil pointer, interface, map, slice, func or
// channel.
func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return v.IsNil()
	}
	return false
}
