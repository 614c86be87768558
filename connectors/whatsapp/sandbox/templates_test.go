package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/messaging"
)

func TestParseTemplates(t *testing.T) {
	listing, err := os.ReadFile(filepath.Join("testdata", "message_templates.json"))
	require.NoError(t, err)
	want := []messaging.TemplateInfo{
		{Name: "order_confirmation", Language: "en_US", Category: "utility", Status: messaging.TemplateApproved,
			HeaderFormat: "TEXT", HeaderParams: []string{"1"}, BodyParams: []string{"1", "2", "3"},
			Buttons: []messaging.TemplateButton{{Type: "URL", Dynamic: true}, {Type: "QUICK_REPLY"}}},
		{Name: "welcome_back", Language: "id", Category: "marketing", Status: messaging.TemplateApproved, Named: true,
			HeaderFormat: "IMAGE", BodyParams: []string{"first_name", "points"},
			Buttons: []messaging.TemplateButton{{Type: "COPY_CODE", Dynamic: true}}},
		{Name: "seasonal_promo", Language: "en_US", Category: "marketing", Status: messaging.TemplatePaused, BodyParams: []string{"1"}},
	}
	tests := []struct {
		name    string
		body    string
		want    []messaging.TemplateInfo
		wantErr string
	}{
		{name: "Meta's listing", body: string(listing), want: want},
		{
			name: "an array, no status",
			body: `[{"name": "hello", "language": "en", "category": "UTILITY", "components": [{"type": "BODY", "text": "Hi {{1}}"}]}]`,
			want: []messaging.TemplateInfo{{Name: "hello", Language: "en", Category: "utility", Status: messaging.TemplateApproved, BodyParams: []string{"1"}}},
		},
		{name: "empty", body: " ", wantErr: "the body is empty"},
		{name: "another shape", body: `{"templates": []}`, wantErr: `want Meta's listing {"data": [...]} or an array of templates`},
		{name: "no language", body: `[{"name": "hello"}]`, wantErr: "template 0: name and language are required"},
		{name: "not JSON", body: `data:`, wantErr: "reading templates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTemplates([]byte(tt.body))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTemplatesEndpoint(t *testing.T) {
	_, hs := newTestServer(t, testConfig())
	orderConfirmation := func(params int) string {
		ps := make([]string, params)
		for i := range ps {
			ps[i] = fmt.Sprintf(`{"type":"text","text":"p%d"}`, i)
		}
		return `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"order_confirmation","language":{"code":"en_US"},"components":[` +
			`{"type":"header","parameters":[{"type":"text","text":"#1001"}]},{"type":"body","parameters":[` + strings.Join(ps, ",") + `]},` +
			`{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"1001"}]}]}}`
	}
	// An empty registry accepts any template.
	require.Equal(t, http.StatusOK, send(t, hs.URL, testToken, testPhoneID, orderConfirmation(1)).status)

	listing, err := os.ReadFile(filepath.Join("testdata", "message_templates.json"))
	require.NoError(t, err)
	resp, err := http.Post(hs.URL+"/sandbox/templates", "application/json", strings.NewReader(string(listing)))
	require.NoError(t, err)
	var added struct{ Added, Templates int }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&added))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 3, added.Added)
	assert.Equal(t, 3, added.Templates)

	checkSends(t, hs.URL, []sendCase{
		{"fits its listing", orderConfirmation(3), 0},
		{"its parameters are checked now", orderConfirmation(1), 132000},
		{"a template not listed", strings.Replace(orderConfirmation(3), "order_confirmation", "nope", 1), 132001},
		{"a paused one", `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"seasonal_promo","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"x"}]}]}}`, 132015},
	})

	t.Run("a second post replaces by name and language", func(t *testing.T) {
		resp, err := http.Post(hs.URL+"/sandbox/templates", "application/json", strings.NewReader(
			`[{"name": "seasonal_promo", "language": "en_US", "status": "APPROVED", "category": "MARKETING", "components": [{"type": "BODY", "text": "Our {{1}} sale starts now"}]}]`))
		require.NoError(t, err)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&added))
		resp.Body.Close()
		assert.Equal(t, 3, added.Templates)
		a := send(t, hs.URL, testToken, testPhoneID, `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"seasonal_promo","language":{"code":"en_US"},"components":[{"type":"body","parameters":[{"type":"text","text":"x"}]}]}}`)
		assert.Equal(t, http.StatusOK, a.status, "%v", a.body)
	})
	t.Run("a body of another shape", func(t *testing.T) {
		resp, err := http.Post(hs.URL+"/sandbox/templates", "application/json", strings.NewReader(`{"name": "x"}`))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
}

func TestNumbersWithTheirOwnWebhooks(t *testing.T) {
	// Two tenants' numbers, each with its own app and hook.
	cfg, hubA, hubB := twoAccounts(t)
	for id, secret := range map[string]string{"111": "secret-a", "222": "secret-b"} {
		n := cfg.Numbers[id]
		n.AppSecret = secret
		cfg.Numbers[id] = n
	}
	hubA.secret, hubB.secret = "secret-a", "secret-b"
	cfg.Statuses = []string{"sent"}
	s, hs := newTestServer(t, cfg)
	s.Start(context.Background())

	for _, tt := range []struct {
		phoneID, waba string
		h             *hub
	}{{"111", "9001", hubA}, {"222", "9002", hubB}} {
		t.Run("statuses of "+tt.phoneID, func(t *testing.T) {
			a := send(t, hs.URL, testToken, tt.phoneID, templateBody)
			require.Equal(t, http.StatusOK, a.status)
			env := receive(t, tt.h) // the hub checks the number's own signature
			assert.Equal(t, tt.waba, env.Entry[0].ID)
			assert.Equal(t, tt.phoneID, env.Entry[0].Changes[0].Value.Metadata.PhoneNumberID)
		})
		t.Run("customer messages to "+tt.phoneID, func(t *testing.T) {
			_, err := s.SendInbound(Inbound{From: "6281234567890", Text: "hi", PhoneNumberID: tt.phoneID})
			require.NoError(t, err)
			env := receive(t, tt.h)
			assert.Equal(t, tt.phoneID, env.Entry[0].Changes[0].Value.Metadata.PhoneNumberID)
		})
	}
	assert.Empty(t, hubA.bodies, "nothing of number 222 reached number 111's hook")
	assert.Empty(t, hubB.bodies)

	t.Run("a template status reaches every hook once", func(t *testing.T) {
		s.AddTemplates([]messaging.TemplateInfo{{Name: "points_earned", Language: "id", BodyParams: []string{"1", "2"}}})
		require.True(t, s.SetTemplateStatus("points_earned", "id", "PAUSED"))
		for _, h := range []*hub{hubA, hubB} {
			env := receive(t, h)
			assert.Equal(t, "message_template_status_update", env.Entry[0].Changes[0].Field)
		}
	})
}

func TestAccountTemplates(t *testing.T) {
	cfg, hubA, hubB := twoAccounts(t)
	hello := func(name string) messaging.TemplateInfo {
		return messaging.TemplateInfo{Name: name, Language: "id", Category: "utility", BodyParams: []string{"1"}}
	}
	cfg.Templates = []messaging.TemplateInfo{hello("shared_hello")}
	cfg.AccountTemplates = map[string][]messaging.TemplateInfo{"9001": {hello("acme_hello")}}
	s, hs := newTestServer(t, cfg)
	s.Start(context.Background())
	tmpl := func(name string) string {
		return `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"` + name +
			`","language":{"code":"id"},"components":[{"type":"body","parameters":[{"type":"text","text":"Sari"}]}]}}`
	}
	listed := func(waba string) []string {
		req, _ := http.NewRequest(http.MethodGet, hs.URL+"/v24.0/"+waba+"/message_templates", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var page struct{ Data []struct{ Name string } }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
		var names []string
		for _, d := range page.Data {
			names = append(names, d.Name)
		}
		return names
	}

	tests := []struct {
		name, phoneID, template string
		code                    int
	}{
		{"an account's own template", "111", "acme_hello", 0},
		{"the shared ones are not its", "111", "shared_hello", 132001},
		{"an account without its own uses the shared", "222", "shared_hello", 0},
		{"another account's template", "222", "acme_hello", 132001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, hs.URL, testToken, tt.phoneID, tmpl(tt.template))
			if tt.code == 0 {
				assert.Equal(t, http.StatusOK, a.status, "%v", a.body)
				return
			}
			assert.Equal(t, tt.code, a.code(), "%v", a.body)
		})
	}
	assert.Equal(t, []string{"acme_hello"}, listed("9001"))
	assert.Equal(t, []string{"shared_hello"}, listed("9002"))

	t.Run("a template status reaches the hooks of its account", func(t *testing.T) {
		for _, h := range []*hub{hubA, hubB} { // the statuses of the sends above
			for len(h.bodies) > 0 {
				<-h.bodies
			}
		}
		require.True(t, s.SetTemplateStatus("acme_hello", "id", "PAUSED"))
		env := receive(t, hubA)
		for env.Entry[0].Changes[0].Field != "message_template_status_update" {
			env = receive(t, hubA)
		}
		assert.Equal(t, 132015, send(t, hs.URL, testToken, "111", tmpl("acme_hello")).code())
		time.Sleep(200 * time.Millisecond)
		for len(hubB.bodies) > 0 {
			var other webhookBody
			require.NoError(t, json.Unmarshal(<-hubB.bodies, &other))
			assert.NotEqual(t, "message_template_status_update", other.Entry[0].Changes[0].Field, "not an account of number 222")
		}
	})
	t.Run("posting an account's templates gives it a registry of its own", func(t *testing.T) {
		resp, err := http.Post(hs.URL+"/sandbox/templates?waba_id=9002", "application/json", strings.NewReader(
			`[{"name": "kopi_hello", "language": "id", "category": "UTILITY", "components": [{"type": "BODY", "text": "Hai {{1}}"}]}]`))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, []string{"kopi_hello"}, listed("9002"))
		assert.Equal(t, http.StatusOK, send(t, hs.URL, testToken, "222", tmpl("kopi_hello")).status)
		assert.Equal(t, 132001, send(t, hs.URL, testToken, "222", tmpl("shared_hello")).code())
	})
}

// twoAccounts configures the numbers of two tenants' accounts, 111 (WABA
// 9001) and 222 (WABA 9002), each posting to a hook of its own.
func twoAccounts(t *testing.T) (Config, *hub, *hub) {
	t.Helper()
	hubA, srvA := newHub(t, 0)
	hubB, srvB := newHub(t, 0)
	cfg := testConfig()
	cfg.Numbers = map[string]Number{
		"111": {DisplayPhoneNumber: "15550000111", WABAID: "9001", WebhookURL: srvA.URL},
		"222": {DisplayPhoneNumber: "15550000222", WABAID: "9002", WebhookURL: srvB.URL},
	}
	return cfg, hubA, hubB
}
