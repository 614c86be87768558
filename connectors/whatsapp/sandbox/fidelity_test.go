package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
	"github.com/loyalhub/loyalhub/core/messaging"
)

var registry = []messaging.TemplateInfo{
	{Name: "points_earned", Language: "id", Category: "utility", BodyParams: []string{"1", "2"}},
	{Name: "double_points", Language: "id", Category: "marketing", Named: true, HeaderFormat: "IMAGE", BodyParams: []string{"first_name"},
		Buttons: []messaging.TemplateButton{{Type: "QUICK_REPLY"}, {Type: "URL", Dynamic: true}}},
	{Name: "old_offer", Language: "id", Category: "marketing", Status: messaging.TemplatePaused},
}

func TestTemplateRegistry(t *testing.T) {
	cfg := testConfig()
	cfg.Templates = registry
	_, hs := newTestServer(t, cfg)
	tmpl := func(name, lang, comps string) string {
		return fmt.Sprintf(`{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":%q,"language":{"code":%q},"components":[%s]}}`, name, lang, comps)
	}
	body2 := `{"type":"body","parameters":[{"type":"text","text":"Sari"},{"type":"text","text":"120"}]}`
	checkSends(t, hs.URL, []sendCase{
		{"fits", tmpl("points_earned", "id", body2), 0},
		{"unknown name", tmpl("nope", "id", body2), 132001},
		{"other language", tmpl("points_earned", "en", body2), 132001},
		{"parameter count", tmpl("points_earned", "id", `{"type":"body","parameters":[{"type":"text","text":"Sari"}]}`), 132000},
		{"paused", tmpl("old_offer", "id", ""), 132015},
		{"named fits", tmpl("double_points", "id", `{"type":"header","parameters":[{"type":"image","image":{"link":"https://x.test/a.png"}}]},{"type":"body","parameters":[{"type":"text","parameter_name":"first_name","text":"Sari"}]},{"type":"button","sub_type":"url","index":"1","parameters":[{"type":"text","text":"abc"}]}`), 0},
		{"named without its url button", tmpl("double_points", "id", `{"type":"header","parameters":[{"type":"image","image":{"link":"https://x.test/a.png"}}]},{"type":"body","parameters":[{"type":"text","parameter_name":"first_name","text":"Sari"}]}`), 132000},
		{"positional for a named template", tmpl("double_points", "id", `{"type":"header","parameters":[{"type":"image","image":{"link":"https://x.test/a.png"}}]},{"type":"body","parameters":[{"type":"text","text":"Sari"}]},{"type":"button","sub_type":"url","index":"1","parameters":[{"type":"text","text":"abc"}]}`), 132012},
	})
}

// sendCase is a send and Meta's error code it gets (0: accepted).
type sendCase struct {
	name string
	body string
	code int
}

// checkSends sends each case to the test number of the sandbox at base.
func checkSends(t *testing.T, base string, tests []sendCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, base, testToken, testPhoneID, tt.body)
			if tt.code == 0 {
				require.Equal(t, http.StatusOK, a.status, "%v", a.body)
				return
			}
			assert.Equal(t, http.StatusBadRequest, a.status)
			assert.Equal(t, tt.code, a.code(), "%v", a.body)
		})
	}
}

func TestTemplateListingsRoundTrip(t *testing.T) {
	cfg := testConfig()
	cfg.Templates = registry
	cfg.Numbers[testPhoneID] = Number{DisplayPhoneNumber: "15550783881", WABAID: "102290129340398", DialogAPIKey: "d360"}
	_, hs := newTestServer(t, cfg)

	// Graph: two pages of two and one.
	var got []messaging.TemplateInfo
	url := hs.URL + "/v24.0/102290129340398/message_templates?limit=2"
	for pages := 0; url != ""; pages++ {
		require.Less(t, pages, 3)
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var page struct {
			Data   []cloud.WireTemplate `json:"data"`
			Paging struct {
				Next string `json:"next"`
			} `json:"paging"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
		resp.Body.Close()
		for _, w := range page.Data {
			got = append(got, w.Info())
		}
		url = page.Paging.Next
	}
	want := []messaging.TemplateInfo{registry[0], registry[1], registry[2]}
	want[0].Status, want[1].Status = messaging.TemplateApproved, messaging.TemplateApproved
	assert.Equal(t, want, got, "the listing reads back as the registry")

	// 360dialog's listing of the same.
	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/v1/configs/templates?limit=10&offset=1", nil)
	req.Header.Set(DialogKeyHeader, "d360")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var d struct {
		Total     int                  `json:"total"`
		Offset    int                  `json:"offset"`
		Templates []cloud.WireTemplate `json:"waba_templates"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&d))
	assert.Equal(t, 3, d.Total)
	require.Len(t, d.Templates, 2)
	assert.Equal(t, "approved", d.Templates[0].Status)
	assert.Equal(t, want[1], d.Templates[0].Info())
}

func TestWindowRatesAndOptOut(t *testing.T) {
	t.Run("window", func(t *testing.T) {
		cfg := testConfig()
		cfg.EnforceWindow = true
		s, hs := newTestServer(t, cfg)
		a := send(t, hs.URL, testToken, testPhoneID, textBody)
		assert.Equal(t, 131047, a.code(), "no inbound message yet: %v", a.body)
		assert.Equal(t, http.StatusOK, send(t, hs.URL, testToken, testPhoneID, templateBody).status, "a template may open the conversation")
		_, err := s.SendInbound(Inbound{From: "6281234567890", Text: "hi"})
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, send(t, hs.URL, testToken, testPhoneID, textBody).status, "inside the window")
	})
	t.Run("number throughput", func(t *testing.T) {
		// The limit counts sends per wall-clock second: a burst that a busy
		// machine stretches across a second boundary proves nothing, so it
		// is tried again on a new number until one fits in a second.
		for try := 0; ; try++ {
			require.Less(t, try, 10, "no burst of four sends fitted in one second")
			cfg := testConfig()
			cfg.Numbers[testPhoneID] = Number{DisplayPhoneNumber: "15550783881", PerSecond: 3}
			_, hs := newTestServer(t, cfg)
			// Start right after a second boundary so the burst stays in it.
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
			first := time.Now().Unix()
			codes := []int{}
			for i := range 4 {
				body := fmt.Sprintf(`{"messaging_product":"whatsapp","to":"62812345600%02d","type":"template","template":{"name":"x","language":{"code":"id"}}}`, i)
				codes = append(codes, send(t, hs.URL, testToken, testPhoneID, body).code())
			}
			if time.Now().Unix() != first {
				continue
			}
			assert.Equal(t, []int{-1, -1, -1, 130429}, codes)
			break
		}
	})
	t.Run("pair rate", func(t *testing.T) {
		cfg := testConfig()
		cfg.PairLimit, cfg.PairWindow = 2, time.Minute
		_, hs := newTestServer(t, cfg)
		var codes []int
		for range 3 {
			codes = append(codes, send(t, hs.URL, testToken, testPhoneID, templateBody).code())
		}
		assert.Equal(t, []int{-1, -1, 131056}, codes)
	})
	t.Run("opted out of marketing", func(t *testing.T) {
		cfg := testConfig()
		cfg.Templates = registry
		cfg.OptedOut = []string{"+6281234567890"}
		_, hs := newTestServer(t, cfg)
		marketing := `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"double_points","language":{"code":"id"},"components":[{"type":"header","parameters":[{"type":"image","image":{"link":"https://x.test/a.png"}}]},{"type":"body","parameters":[{"type":"text","parameter_name":"first_name","text":"Sari"}]},{"type":"button","sub_type":"url","index":"1","parameters":[{"type":"text","text":"a"}]}]}}`
		assert.Equal(t, 131050, send(t, hs.URL, testToken, testPhoneID, marketing).code())
		assert.Equal(t, http.StatusOK, send(t, hs.URL, testToken, testPhoneID, templateBody).status, "utility still goes")
	})
	t.Run("opted out of marketing, refused by webhook", func(t *testing.T) {
		h, hubSrv := newHub(t, 0)
		cfg := testConfig()
		cfg.WebhookURL = hubSrv.URL
		cfg.Templates = registry
		cfg.OptedOut = []string{"+6281234567890"}
		cfg.RefuseByWebhook = true
		s, hs := newTestServer(t, cfg)
		s.Start(context.Background())
		marketing := `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"double_points","language":{"code":"id"},"components":[{"type":"header","parameters":[{"type":"image","image":{"link":"https://x.test/a.png"}}]},{"type":"body","parameters":[{"type":"text","parameter_name":"first_name","text":"Sari"}]},{"type":"button","sub_type":"url","index":"1","parameters":[{"type":"text","text":"a"}]}]}}`
		require.Equal(t, http.StatusOK, send(t, hs.URL, testToken, testPhoneID, marketing).status)
		st := receive(t, h).Entry[0].Changes[0].Value.Statuses
		require.Len(t, st, 1)
		assert.Equal(t, "failed", st[0].Status)
		assert.Nil(t, st[0].Pricing, "a refused message is not billed")
		msgs := s.Messages()
		require.Len(t, msgs, 1)
		assert.Equal(t, "marketing", msgs[0].Category, "recorded as what it was")
		assert.Equal(t, 131050, msgs[0].Refused)
	})
}

func TestInboundAndConsentWebhooks(t *testing.T) {
	h, hubSrv := newHub(t, 0)
	cfg := testConfig()
	cfg.WebhookURL = hubSrv.URL
	cfg.Templates = registry
	s, hs := newTestServer(t, cfg)

	resp, err := http.Post(hs.URL+"/sandbox/inbound", "application/json",
		bytes.NewReader([]byte(`{"from":"6281234567890","name":"Sari","button":{"id":"redeem_1","title":"Redeem"},"context_id":"wamid.X"}`)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	env := receive(t, h)
	assert.Equal(t, "messages", env.Entry[0].Changes[0].Field)
	raw := <-h.raw
	assert.Contains(t, string(raw), `"button_reply":{"id":"redeem_1","title":"Redeem"}`)
	assert.Contains(t, string(raw), `"phone_number_id":"`+testPhoneID+`"`)
	assert.Contains(t, string(raw), `"name":"Sari"`)

	s.SetMarketing("6281234567890", true)
	env = receive(t, h)
	assert.Equal(t, "user_preferences", env.Entry[0].Changes[0].Field)
	assert.Contains(t, string(<-h.raw), `"value":"stop"`)

	require.True(t, s.SetTemplateStatus("points_earned", "id", "paused"))
	env = receive(t, h)
	assert.Equal(t, "message_template_status_update", env.Entry[0].Changes[0].Field)
	assert.Contains(t, string(<-h.raw), `"event":"PAUSED"`)
	a := send(t, hs.URL, testToken, testPhoneID, templateBody)
	assert.Equal(t, 132015, a.code(), "a paused template is refused")

	conv := s.Conversation("6281234567890")
	require.Len(t, conv, 1)
	assert.Equal(t, "in", conv[0].Direction)
	assert.Equal(t, "Redeem", conv[0].Text)

	resp, err = http.Post(hs.URL+"/sandbox/inbound", "application/json", bytes.NewReader([]byte(`{"from":"not a phone","text":"x"}`)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestQualityAndLimitWebhooks(t *testing.T) {
	h, hubSrv := newHub(t, 0)
	cfg := testConfig()
	cfg.WebhookURL = hubSrv.URL
	s, hs := newTestServer(t, cfg)

	require.True(t, s.SetQuality(testPhoneID, QualityUpdate{Event: "flagged", CurrentLimit: "TIER_2K"}))
	env := receive(t, h)
	assert.Equal(t, "phone_number_quality_update", env.Entry[0].Changes[0].Field)
	raw := string(<-h.raw)
	assert.Contains(t, raw, `"event":"FLAGGED"`)
	assert.Contains(t, raw, `"current_limit":"TIER_2K"`)
	assert.NotContains(t, raw, `max_daily_conversations_per_business`, "left out when not given")
	assert.NotContains(t, raw, `"metadata"`, "a WABA-wide change")
	assert.Contains(t, raw, `"time":`)
	assert.False(t, s.SetQuality("no-such-number", QualityUpdate{Event: "FLAGGED"}))

	resp, err := http.Post(hs.URL+"/sandbox/messaging_limit", "application/json",
		bytes.NewReader([]byte(`{"max_daily_conversations_per_business":-1}`)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	env = receive(t, h)
	assert.Equal(t, "business_capability_update", env.Entry[0].Changes[0].Field)
	assert.Contains(t, string(<-h.raw), `"max_daily_conversations_per_business":-1`)

	resp, err = http.Post(hs.URL+"/sandbox/numbers/"+testPhoneID+"/quality", "application/json",
		bytes.NewReader([]byte(`{"event":"DOWNGRADE","max_daily_conversations_per_business":2000}`)))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	receive(t, h)
	assert.Contains(t, string(<-h.raw), `"max_daily_conversations_per_business":2000`)

	resp, err = http.Post(hs.URL+"/sandbox/messaging_limit", "application/json", bytes.NewReader([]byte(`{}`)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}
