package connectors_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// webhookConfig is a test connector type's config; Off turns the
// enricher off unless Lookup.
type webhookConfig struct{ Lookup bool }

func (*webhookConfig) Validate() error { return nil }

// webhook takes deliveries, and enriches them.
type webhook struct{}

func (webhook) Accept(*http.Request, []byte) (connectors.Delivery, error) {
	return connectors.Delivery{ID: "d1"}, nil
}

func (webhook) Enrich(_ context.Context, _ connectors.Delivery, body []byte) ([]byte, error) {
	return body, nil
}

// sms sends and nothing else.
type sms struct{}

func (sms) Send(context.Context, messaging.Command) (messaging.Result, error) {
	return messaging.Result{}, nil
}

// bsp sends and takes webhooks.
type bsp struct {
	webhook
	sms
}

// buildAs is a constructor returning v as T.
func buildAs[T any](v T) func(*webhookConfig, connectors.Deps) (T, error) {
	return func(*webhookConfig, connectors.Deps) (T, error) { return v, nil }
}

func spec[T any](v T, caps ...connectors.Capability) connectors.Spec {
	return connectors.Spec{
		Name:         "test_hook",
		Capabilities: caps,
		NewConfig:    func() connectors.Config { return &webhookConfig{} },
		New:          connectors.Construct(buildAs(v)),
	}
}

func TestRegisterChecksCapabilities(t *testing.T) {
	tests := []struct {
		name string
		spec connectors.Spec
		err  string // "" registers
	}{
		{"declared as implemented", spec(webhook{}, connectors.CapSource, connectors.CapEnricher), ""},
		{"a sender and a source", spec(bsp{}, connectors.CapSource, connectors.CapEnricher, connectors.CapSender), ""},
		{"a capability the instance lacks", spec(webhook{}, connectors.CapSource, connectors.CapEnricher, connectors.CapMemberSyncer),
			`registering connector "test_hook": declares member_syncer, but connectors_test.webhook does not implement connectors.MemberSyncer`},
		{"a capability left undeclared", spec(webhook{}, connectors.CapSource),
			`registering connector "test_hook": connectors_test.webhook implements connectors.Enricher, but the spec does not declare enricher`},
		{"an interface type holds to its methods", spec[connectors.Source](webhook{}, connectors.CapSource), ""},
		{"an unknown capability", spec(webhook{}, connectors.CapSource, connectors.CapEnricher, "teleport"),
			`unknown capability "teleport"`},
		{"a capability twice", spec(webhook{}, connectors.CapSource, connectors.CapEnricher, connectors.CapSource),
			`capability source declared twice`},
		{"neither a source nor a sender", spec[connectors.Enricher](webhook{}, connectors.CapEnricher),
			`declares neither source, runner nor sender`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := connectors.NewRegistry().Register(tt.spec)
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.err)
		})
	}

	t.Run("a config New does not take", func(t *testing.T) {
		s := spec(webhook{}, connectors.CapSource, connectors.CapEnricher)
		s.NewConfig = func() connectors.Config { return otherConfig{} }
		require.ErrorContains(t, connectors.NewRegistry().Register(s),
			"NewConfig returns connectors_test.otherConfig, but New takes *connectors_test.webhookConfig")
	})

	t.Run("turning off an undeclared capability", func(t *testing.T) {
		s := spec(webhook{}, connectors.CapSource, connectors.CapEnricher)
		s.Off = func(connectors.Config) []connectors.Capability {
			return []connectors.Capability{connectors.CapMemberSyncer}
		}
		require.ErrorContains(t, connectors.NewRegistry().Register(s),
			"turns off member_syncer by default, which it does not declare")
	})

	t.Run("an incomplete spec", func(t *testing.T) {
		require.ErrorContains(t, connectors.NewRegistry().Register(connectors.Spec{Name: "x"}), "spec needs a name, NewConfig and New")
	})

	t.Run("a name twice", func(t *testing.T) {
		reg := connectors.NewRegistry()
		require.NoError(t, reg.Register(spec(webhook{}, connectors.CapSource, connectors.CapEnricher)))
		require.ErrorContains(t, reg.Register(spec(sms{}, connectors.CapSender)), "already registered")
	})
}

type otherConfig struct{}

func (otherConfig) Validate() error { return nil }

func TestKindsFollowCapabilities(t *testing.T) {
	tests := []struct {
		name           string
		caps           []connectors.Capability
		source, sender bool
	}{
		{"webhook source", []connectors.Capability{connectors.CapSource}, true, false},
		{"runner", []connectors.Capability{connectors.CapRunner}, true, false},
		{"sender", []connectors.Capability{connectors.CapSender, connectors.CapTemplateLister}, false, true},
		{"both", []connectors.Capability{connectors.CapSource, connectors.CapSender}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := connectors.Spec{Capabilities: tt.caps}
			assert.Equal(t, tt.source, s.Has(connectors.KindSource))
			assert.Equal(t, tt.sender, s.Has(connectors.KindSender))
		})
	}
}

func TestBuild(t *testing.T) {
	lookupOff := func(cfg connectors.Config) []connectors.Capability {
		if c, ok := cfg.(*webhookConfig); ok && c.Lookup {
			return nil
		}
		return []connectors.Capability{connectors.CapEnricher}
	}

	t.Run("every declared capability in its field", func(t *testing.T) {
		in, err := spec(bsp{}, connectors.CapSource, connectors.CapEnricher, connectors.CapSender).
			Build(&webhookConfig{}, connectors.Deps{})
		require.NoError(t, err)
		assert.Equal(t, []connectors.Capability{connectors.CapSource, connectors.CapEnricher, connectors.CapSender}, in.Capabilities())
		d, err := in.Source.Accept(nil, nil)
		require.NoError(t, err)
		assert.Equal(t, "d1", d.ID)
		assert.Nil(t, in.Runner)
		assert.Nil(t, in.CloudAccount)
	})

	t.Run("what the config turns off is left out", func(t *testing.T) {
		s := spec(webhook{}, connectors.CapSource, connectors.CapEnricher)
		s.Off = lookupOff
		in, err := s.Build(&webhookConfig{}, connectors.Deps{})
		require.NoError(t, err)
		assert.Equal(t, []connectors.Capability{connectors.CapSource}, in.Capabilities())
		assert.Nil(t, in.Enricher)

		in, err = s.Build(&webhookConfig{Lookup: true}, connectors.Deps{})
		require.NoError(t, err)
		assert.Equal(t, []connectors.Capability{connectors.CapSource, connectors.CapEnricher}, in.Capabilities())
	})

	t.Run("turning off an undeclared capability", func(t *testing.T) {
		s := spec(webhook{}, connectors.CapSource, connectors.CapEnricher)
		s.Off = func(connectors.Config) []connectors.Capability {
			return []connectors.Capability{connectors.CapMemberSyncer}
		}
		_, err := s.Build(&webhookConfig{}, connectors.Deps{})
		require.EqualError(t, err, "creating test_hook connector: turns off member_syncer, which the spec does not declare")
	})

	t.Run("a value behind an interface type with an undeclared capability", func(t *testing.T) {
		s := spec[connectors.Source](webhook{}, connectors.CapSource)
		require.NoError(t, connectors.NewRegistry().Register(s))
		_, err := s.Build(&webhookConfig{}, connectors.Deps{})
		require.EqualError(t, err, "creating test_hook connector: connectors_test.webhook implements enricher, which the spec does not declare")
	})

	t.Run("an unregistered spec declaring a capability the value lacks", func(t *testing.T) {
		s := spec(webhook{}, connectors.CapSource, connectors.CapEnricher, connectors.CapMemberSyncer)
		_, err := s.Build(&webhookConfig{}, connectors.Deps{})
		require.EqualError(t, err, "creating test_hook connector: connectors_test.webhook does not implement member_syncer, which the spec declares")
	})

	t.Run("a nil instance", func(t *testing.T) {
		s := spec[connectors.Sender](nil, connectors.CapSender)
		require.NoError(t, connectors.NewRegistry().Register(s))
		_, err := s.Build(&webhookConfig{}, connectors.Deps{})
		require.EqualError(t, err, "creating test_hook connector: the constructor returned nil")
		_, err = spec[*sms](nil, connectors.CapSender).Build(&webhookConfig{}, connectors.Deps{})
		require.EqualError(t, err, "creating test_hook connector: the constructor returned nil")
	})

	t.Run("another config type", func(t *testing.T) {
		_, err := spec(sms{}, connectors.CapSender).Build(otherConfig{}, connectors.Deps{})
		require.EqualError(t, err, "creating test_hook connector: config is connectors_test.otherConfig, want *connectors_test.webhookConfig")
		_, err = spec(sms{}, connectors.CapSender).Build((*webhookConfig)(nil), connectors.Deps{})
		require.EqualError(t, err, "creating test_hook connector: nil config")
	})

	t.Run("the constructor's error as it is", func(t *testing.T) {
		boom := errors.New("creating test_hook source: secret: required")
		s := connectors.Spec{
			Name: "test_hook", Capabilities: []connectors.Capability{connectors.CapSender},
			NewConfig: func() connectors.Config { return &webhookConfig{} },
			New: connectors.Construct(func(*webhookConfig, connectors.Deps) (*sms, error) {
				return nil, boom
			}),
		}
		_, err := s.Build(&webhookConfig{}, connectors.Deps{})
		require.Equal(t, boom, err)
	})
}

func ExampleRegistry_Register() {
	reg := connectors.NewRegistry()
	err := reg.Register(connectors.Spec{
		Name: "sms_gateway",
		// The type is a Sender, not a ReadMarker.
		Capabilities: []connectors.Capability{connectors.CapSender, connectors.CapReadMarker},
		NewConfig:    func() connectors.Config { return &webhookConfig{} },
		New: connectors.Construct(func(*webhookConfig, connectors.Deps) (sms, error) {
			return sms{}, nil
		}),
	})
	fmt.Println(err)
	// Output:
	// registering connector "sms_gateway": declares read_marker, but connectors_test.sms does not implement connectors.ReadMarker
}
