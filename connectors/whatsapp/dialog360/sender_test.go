package dialog360

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/sendertest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloudtest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

const testKey = "d360-test-key"

func testConfig(baseURL string) Config {
	cfg := DefaultConfig()
	cfg.BaseURL = baseURL
	cfg.APIKey = testKey
	cfg.WebhookToken = "a-long-enough-webhook-token"
	return cfg
}

func harnessConfig(baseURL string, opts sendertest.Options) Config {
	cfg := testConfig(baseURL)
	if opts.BadCredentials {
		cfg.APIKey = "revoked"
	}
	cloudtest.Limits(opts, &cfg.Breaker, &cfg.Throughput)
	return cfg
}

func newTestSender(t testing.TB, cfg Config) *Sender {
	t.Helper()
	s, err := NewSender(cfg, nil)
	require.NoError(t, err)
	return s
}

func TestConformance(t *testing.T) {
	t.Run("sandbox", func(t *testing.T) {
		sendertest.Run(t, sendertest.Harness{
			NewSender: func(t *testing.T, opts sendertest.Options) (sendertest.Sender, sendertest.Fake) {
				sb, hs := cloudtest.Start(t, sandbox.Config{
					Numbers: map[string]sandbox.Number{"106540352242922": {DisplayPhoneNumber: "15550783881", WABAID: "102290129340398", DialogAPIKey: testKey}},
				})
				return newTestSender(t, harnessConfig(hs.URL, opts)), cloudtest.Sandbox{S: sb}
			},
			WireTo: member.WhatsAppID,
		})
	})
	t.Run("fake", func(t *testing.T) {
		sendertest.Run(t, sendertest.Harness{
			NewSender: func(t *testing.T, opts sendertest.Options) (sendertest.Sender, sendertest.Fake) {
				f := cloudtest.NewFake(t, "/messages", APIKeyHeader, testKey)
				return newTestSender(t, harnessConfig(f.Server.URL, opts)), f
			},
			WireTo: member.WhatsAppID,
		})
	})
}

func TestTemplatesPages(t *testing.T) {
	var offsets []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/configs/templates" || r.Header.Get(APIKeyHeader) != testKey {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"meta":{"success":false,"http_code":401,"developer_message":"Invalid api key"}}`)
			return
		}
		offsets = append(offsets, r.URL.Query().Get("offset"))
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("offset") == "0" {
			fmt.Fprint(w, `{"count":1,"filters":{},"limit":1,"offset":0,"sort":["id"],"total":2,"waba_templates":[
			  {"category":"UTILITY","components":[{"type":"BODY","text":"Hi {{1}}, you earned {{2}} points"}],"language":"en","name":"points_earned","namespace":"c8ae5f90_307a_ca4c_b8f6_d1e2a2573574","rejected_reason":"NONE","status":"approved"}]}`)
			return
		}
		fmt.Fprint(w, `{"count":1,"filters":{},"limit":1,"offset":1,"sort":["id"],"total":2,"waba_templates":[
		  {"category":"MARKETING","components":[{"type":"HEADER","format":"IMAGE"},{"type":"BODY","text":"{{1}}, 2x points this weekend"},{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Stop promotions"},{"type":"COPY_CODE","example":"DOUBLE"}]}],"language":"id","name":"weekend_promo","status":"rejected"}]}`)
	}))
	defer hs.Close()
	list, err := newTestSender(t, testConfig(hs.URL)).Templates(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"0", "1"}, offsets)
	require.Len(t, list, 2)
	assert.Equal(t, messaging.TemplateInfo{Name: "points_earned", Language: "en", Category: "utility", Status: "APPROVED", BodyParams: []string{"1", "2"}}, list[0])
	assert.Equal(t, "REJECTED", list[1].Status)
	assert.Equal(t, "IMAGE", list[1].HeaderFormat)
	assert.Equal(t, []messaging.TemplateButton{{Type: "QUICK_REPLY"}, {Type: "COPY_CODE", Dynamic: true}}, list[1].Buttons)

	cfg := testConfig(hs.URL)
	cfg.APIKey = "wrong"
	_, err = newTestSender(t, cfg).Templates(context.Background())
	require.Error(t, err)
}

func TestSpec(t *testing.T) {
	spec := Spec()
	require.NoError(t, connectors.NewRegistry().Register(spec))
	assert.Equal(t, "whatsapp_cloud", spec.Mapping, "360dialog forwards Meta's envelope")
	_, hs := cloudtest.Start(t, sandbox.Config{
		Numbers: map[string]sandbox.Number{"1": {DialogAPIKey: testKey}},
	})
	cfg := spec.NewConfig().(*Config)
	*cfg = testConfig(hs.URL)
	in, err := spec.Build(cfg, connectors.Deps{Tenant: "acme", Name: "wa"})
	require.NoError(t, err)
	assert.Equal(t, spec.Capabilities, in.Capabilities())
	_, err = in.Sender.Send(context.Background(), messaging.Command{Key: "k", To: "+6281234567890", Kind: messaging.KindTemplate,
		Template: &messaging.Template{Name: "points_earned", Language: "en"}})
	require.NoError(t, err)
}
