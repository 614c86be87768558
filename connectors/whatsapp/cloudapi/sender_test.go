package cloudapi

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/sendertest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloudtest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

const (
	testToken   = "EAAGtest"
	testPhoneID = "106540352242922"
)

// newSandbox starts a sandbox over loopback.
func newSandbox(t testing.TB) (*sandbox.Server, *httptest.Server) {
	t.Helper()
	return cloudtest.Start(t, sandbox.Config{
		AccessToken: testToken,
		Numbers:     map[string]sandbox.Number{testPhoneID: {DisplayPhoneNumber: "15550783881", WABAID: "102290129340398"}},
	})
}

func testConfig(baseURL string) Config {
	cfg := DefaultConfig()
	cfg.BaseURL = baseURL
	cfg.PhoneNumberID = testPhoneID
	cfg.AccessToken = testToken
	cfg.AppSecret = "app-secret"
	return cfg
}

func newTestSender(t testing.TB, cfg Config) *Sender {
	t.Helper()
	s, err := NewSender(cfg, nil)
	require.NoError(t, err)
	return s
}

// harnessConfig applies the suite's options to a config.
func harnessConfig(baseURL string, opts sendertest.Options) Config {
	cfg := testConfig(baseURL)
	if opts.BadCredentials {
		cfg.AccessToken = "revoked"
	}
	cloudtest.Limits(opts, &cfg.Breaker, &cfg.Throughput)
	return cfg
}

func TestConformance(t *testing.T) {
	t.Run("sandbox", func(t *testing.T) {
		sendertest.Run(t, sendertest.Harness{
			NewSender: func(t *testing.T, opts sendertest.Options) (sendertest.Sender, sendertest.Fake) {
				sb, hs := newSandbox(t)
				return newTestSender(t, harnessConfig(hs.URL, opts)), cloudtest.Sandbox{S: sb}
			},
			WireTo: member.WhatsAppID,
		})
	})
	t.Run("fake", func(t *testing.T) {
		sendertest.Run(t, sendertest.Harness{
			NewSender: func(t *testing.T, opts sendertest.Options) (sendertest.Sender, sendertest.Fake) {
				f := cloudtest.NewFake(t, "/"+DefaultGraphVersion+"/"+testPhoneID+"/messages", "Authorization", "Bearer "+testToken)
				return newTestSender(t, harnessConfig(f.Server.URL, opts)), f
			},
			WireTo: member.WhatsAppID,
		})
	})
}

func TestSendResult(t *testing.T) {
	sb, hs := newSandbox(t)
	s := newTestSender(t, testConfig(hs.URL))
	res, err := s.Send(context.Background(), messaging.Command{Key: "k", To: "+6281234567890", Kind: messaging.KindText, Text: "hi"})
	require.NoError(t, err)
	assert.Equal(t, sb.Messages()[0].ID, res.ProviderMessageID)
	assert.Equal(t, "6281234567890", res.WaID)
}

func TestHTTPRetry(t *testing.T) {
	cmd := messaging.Command{Key: "k", To: "+6281234567890", Kind: messaging.KindText, Text: "hi"}
	tests := []struct {
		name         string
		fault        sandbox.Fault
		wantErr      bool
		wantAttempts int
	}{
		{"503 retried at the HTTP layer", sandbox.Fault{Count: 2, HTTPStatus: 503}, false, 3},
		{"502 retried at the HTTP layer", sandbox.Fault{Count: 1, HTTPStatus: 502}, false, 2},
		{"503 beyond the retries", sandbox.Fault{Count: 3, HTTPStatus: 503}, true, 3},
		{"503 with a long Retry-After goes to the caller", sandbox.Fault{Count: 1, HTTPStatus: 503, RetryAfter: 30}, true, 1},
		{"500 not retried: it may have been processed", sandbox.Fault{Count: 1, HTTPStatus: 500}, true, 1},
		{"Graph code not retried", sandbox.Fault{Count: 1, Code: 131000}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, hs := newSandbox(t)
			sb.InjectFault(tt.fault)
			s := newTestSender(t, testConfig(hs.URL))
			_, err := s.Send(context.Background(), cmd)
			if tt.wantErr {
				require.Error(t, err)
				assert.False(t, fault.IsPermanent(err))
				assert.Equal(t, fault.ClassTransient, fault.ClassOf(err))
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantAttempts, sb.Attempts())
			if tt.fault.RetryAfter > 0 {
				assert.Equal(t, time.Duration(tt.fault.RetryAfter)*time.Second, fault.RetryAfter(err))
			}
		})
	}
}

func TestThrottleRetryAfter(t *testing.T) {
	sb, hs := newSandbox(t)
	sb.InjectFault(sandbox.Fault{Count: 1, Code: 130429, RetryAfter: 3})
	s := newTestSender(t, testConfig(hs.URL))
	_, err := s.Send(context.Background(), messaging.Command{Key: "k", To: "+6281234567890", Kind: messaging.KindText, Text: "hi"})
	require.Error(t, err)
	assert.Equal(t, fault.ClassThrottle, fault.ClassOf(err))
	assert.Equal(t, 3*time.Second, fault.RetryAfter(err))
	assert.Contains(t, err.Error(), "130429")
}

func TestAmbiguous(t *testing.T) {
	cmd := messaging.Command{Key: "k", To: "+6281234567890", Kind: messaging.KindText, Text: "hi"}
	t.Run("timeout after the request was written", func(t *testing.T) {
		sb, hs := newSandbox(t)
		sb.InjectFault(sandbox.Fault{Count: 1, Hang: true})
		cfg := testConfig(hs.URL)
		cfg.Timeout = 200 * time.Millisecond
		_, err := newTestSender(t, cfg).Send(context.Background(), cmd)
		require.Error(t, err)
		assert.False(t, fault.IsPermanent(err))
		assert.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		assert.Equal(t, connectors.AmbiguousCode, fault.CodeOf(err))
		assert.Equal(t, 1, sb.Attempts(), "an ambiguous send is not retried")
	})
	t.Run("connection reset after the request was written", func(t *testing.T) {
		sb, hs := newSandbox(t)
		sb.InjectFault(sandbox.Fault{Count: 1, Reset: true})
		_, err := newTestSender(t, testConfig(hs.URL)).Send(context.Background(), cmd)
		require.Error(t, err)
		assert.Equal(t, connectors.AmbiguousCode, fault.CodeOf(err))
		assert.Equal(t, 1, sb.Attempts())
	})
	t.Run("connection refused is not ambiguous", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		_, err = newTestSender(t, testConfig("http://"+addr)).Send(context.Background(), cmd)
		require.Error(t, err)
		assert.False(t, fault.IsPermanent(err))
		assert.Equal(t, fault.ClassTransient, fault.ClassOf(err))
		assert.Empty(t, fault.CodeOf(err))
	})
	t.Run("2xx without a message id", func(t *testing.T) {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"messaging_product":"whatsapp"}`))
		}))
		t.Cleanup(hs.Close)
		_, err := newTestSender(t, testConfig(hs.URL)).Send(context.Background(), cmd)
		assert.Equal(t, connectors.AmbiguousCode, fault.CodeOf(err))
	})
}

func TestRequestHeaders(t *testing.T) {
	var got *http.Request
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		_, _ = w.Write([]byte(`{"messaging_product":"whatsapp","contacts":[{"input":"6281234567890","wa_id":"6281234567890"}],"messages":[{"id":"wamid.X"}]}`))
	}))
	t.Cleanup(hs.Close)
	cfg := testConfig(hs.URL)
	cfg.GraphVersion = "v25.0"
	_, err := newTestSender(t, cfg).Send(context.Background(), messaging.Command{Key: "k", To: "+6281234567890", Kind: messaging.KindText, Text: "hi"})
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, "/v25.0/"+testPhoneID+"/messages", got.URL.Path)
	assert.Equal(t, "Bearer "+testToken, got.Header.Get("Authorization"))
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
}

func TestSpec(t *testing.T) {
	spec := Spec()
	r := connectors.NewRegistry()
	require.NoError(t, r.Register(spec))
	assert.True(t, spec.Has(connectors.KindSource))
	assert.True(t, spec.Has(connectors.KindSender))
	assert.Equal(t, "whatsapp_cloud", spec.Mapping)

	cfg := spec.NewConfig().(*Config)
	assert.Equal(t, DefaultConfig(), *cfg)
	require.Error(t, cfg.Validate(), "the defaults lack the required keys")

	_, hs := newSandbox(t)
	*cfg = testConfig(hs.URL)
	in, err := spec.Build(cfg, connectors.Deps{Tenant: "acme", Name: "wa"})
	require.NoError(t, err)
	assert.Equal(t, spec.Capabilities, in.Capabilities())
	phoneID, _ := in.CloudAccount.CloudAccount()
	assert.Equal(t, cfg.PhoneNumberID, phoneID)
	_, err = in.Sender.Send(context.Background(), messaging.Command{Key: "k", To: "+6281234567890", Kind: messaging.KindText, Text: "hi"})
	require.NoError(t, err)
}
