package ingest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

type cloudAccount struct{ phoneID, waba string }

func (a cloudAccount) CloudAccount() (string, string) { return a.phoneID, a.waba }

func TestAppsSplitByNumber(t *testing.T) {
	shop, cafe := &runtime.Connector{Name: "whatsapp"}, &runtime.Connector{Name: "wa"}
	tenants := runtime.Snapshot{
		"shop": {ID: "shop", Connectors: map[string]*runtime.Connector{"whatsapp": shop}},
		"cafe": {ID: "cafe", Connectors: map[string]*runtime.Connector{"wa": cafe}},
	}
	accounts := map[*runtime.Connector]connectors.CloudAccount{shop: cloudAccount{"111", "W1"}, cafe: cloudAccount{"222", "W2"}}
	apps, err := NewApps(map[string]config.WhatsAppApp{"agency": {AppSecret: "s"}}, tenants, accounts)
	require.NoError(t, err)

	change := func(phoneID string) string {
		if phoneID == "" {
			return `{"field":"message_template_status_update","value":{"event":"APPROVED"}}`
		}
		return `{"field":"messages","value":{"metadata":{"phone_number_id":"` + phoneID + `"}}}`
	}
	body := `{"object":"whatsapp_business_account","entry":[` +
		`{"id":"W1","changes":[` + change("111") + `,` + change("999") + `,` + change("") + `]},` +
		`{"id":"W2","changes":[` + change("222") + `]},` +
		`{"id":"W3","changes":[` + change("") + `]}]}`

	parts, unrouted, err := apps.split([]byte(body))
	require.NoError(t, err)
	require.Len(t, parts, 2)
	assert.Equal(t, "shop", parts[0].route.tenant)
	assert.Equal(t, "cafe", parts[1].route.tenant)
	var env wireEnvelope
	require.NoError(t, json.Unmarshal(parts[0].body, &env))
	require.Len(t, env.Entry, 1)
	assert.Len(t, env.Entry[0].Changes, 2, "the shop's number and its WABA's template update")

	require.Len(t, unrouted, 2)
	assert.Contains(t, unrouted[0].reason, "no tenant has phone_number_id 999")
	assert.Contains(t, unrouted[1].reason, "no tenant has waba_id W3")

	t.Run("not an envelope", func(t *testing.T) {
		_, _, err := apps.split([]byte(`{"object":"page","entry":[]}`))
		assert.ErrorIs(t, err, errNotEnvelope)
	})
	t.Run("a number twice", func(t *testing.T) {
		accounts[cafe] = cloudAccount{"111", "W2"}
		_, err := NewApps(map[string]config.WhatsAppApp{"agency": {}}, tenants, accounts)
		assert.ErrorContains(t, err, "phone_number_id 111 is also tenant")
	})
}
