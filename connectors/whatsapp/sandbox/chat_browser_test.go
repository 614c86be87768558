package sandbox

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox/chromiumtest"
)

func TestChatPageInChromium(t *testing.T) {
	ctx := chromiumtest.Start(t)
	h, hubSrv := newHub(t, 0)
	cfg := testConfig()
	cfg.WebhookURL = hubSrv.URL
	s, hs := newTestServer(t, cfg)
	s.Start(context.Background())

	const phone = "6281234567890"
	// A person opens the page, starts a chat as a new number and writes.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(hs.URL+"/sandbox/chat"),
		chromedp.WaitVisible(`#newphone`),
		chromedp.SendKeys(`#newphone`, phone),
		chromedp.Click(`#start`),
		chromedp.WaitVisible(`#text`),
		chromedp.SendKeys(`#text`, "hi"),
		chromedp.Click(`#send`),
	))
	inbound := waitInbound(t, h)
	assert.Contains(t, inbound, `"from":"`+phone+`"`)
	assert.Contains(t, inbound, `"text":{"body":"hi"}`)
	assert.Equal(t, 1, len(s.Conversation(phone)))

	// The business answers with reply buttons; the page shows them and a
	// tap sends the button's id back.
	buttons := `{"messaging_product":"whatsapp","to":"` + phone + `","type":"interactive","interactive":{"type":"button","body":{"text":"Redeem 500 points for a coffee?"},"action":{"buttons":[{"type":"reply","reply":{"id":"redeem_yes","title":"Yes"}},{"type":"reply","reply":{"id":"redeem_no","title":"No"}}]}}}`
	require.Equal(t, 200, send(t, hs.URL, testToken, testPhoneID, buttons).status)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(`button.choice[data-id="redeem_yes"]`)))
	shown, err := chromedp.Run(ctx, chromedp.Text(`#msgs`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(`button.choice[data-id="redeem_yes"]`)))
	assert.Contains(t, shown, "Redeem 500 points for a coffee?")
	reply := waitInbound(t, h)
	assert.Contains(t, reply, `"button_reply":{"id":"redeem_yes","title":"Yes"}`)

	// Right-to-left text: the bubble takes its direction from its text.
	arabic := `{"messaging_product":"whatsapp","to":"` + phone + `","type":"text","text":{"body":"لديك ٥٠٠ نقطة"}}`
	require.Equal(t, 200, send(t, hs.URL, testToken, testPhoneID, arabic).status)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(`//div[contains(@class,"text") and contains(., "نقطة")]`)))
	dir, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = [...document.querySelectorAll(".bubble .text")].find(e => e.textContent.includes("نقطة")); return getComputedStyle(e).direction })()`))
	require.NoError(t, err)
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(".bubble .text")].map(e => e.textContent).join("|")`))
	require.NoError(t, err)
	assert.Equal(t, "rtl", dir)
	assert.Contains(t, text, "لديك ٥٠٠ نقطة")

	// Customer text is shown as text, never as markup.
	_, err = s.SendInbound(Inbound{From: phone, Text: `<img src=x onerror="document.title='pwned'">`})
	require.NoError(t, err)
	waitInbound(t, h)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(`//div[contains(@class,"text") and contains(., "onerror")]`)))
	title, err := chromedp.Run(ctx, chromedp.Title())
	require.NoError(t, err)
	assert.NotEqual(t, "pwned", title)
}

// waitInbound returns the next webhook that carries a customer's message,
// skipping status webhooks.
func waitInbound(t *testing.T, h *hub) string {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case <-h.bodies:
		case <-deadline:
			t.Fatal("no inbound webhook arrived")
		}
		select {
		case raw := <-h.raw:
			var env struct {
				Entry []struct {
					Changes []struct {
						Value struct {
							Messages []json.RawMessage `json:"messages"`
						} `json:"value"`
					} `json:"changes"`
				} `json:"entry"`
			}
			require.NoError(t, json.Unmarshal(raw, &env))
			if len(env.Entry) > 0 && len(env.Entry[0].Changes) > 0 && len(env.Entry[0].Changes[0].Value.Messages) > 0 {
				return strings.TrimSpace(string(env.Entry[0].Changes[0].Value.Messages[0]))
			}
		case <-deadline:
			t.Fatal("no inbound webhook arrived")
		}
	}
}

// TestChatPageWithSeveralNumbers writes, as one customer, to the second of
// two businesses' numbers: the message and the tap on its answer reach that
// number's hook only.
func TestChatPageWithSeveralNumbers(t *testing.T) {
	ctx := chromiumtest.Start(t)
	cfg, hubA, hubB := twoAccounts(t)
	s, hs := newTestServer(t, cfg)
	s.Start(context.Background())

	const phone = "6281234567890"
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(hs.URL+"/sandbox/chat"),
		chromedp.WaitVisible(`#number`),
		chromedp.SetValue(`#number`, "222"),
		chromedp.SendKeys(`#newphone`, phone),
		chromedp.Click(`#start`),
		chromedp.SendKeys(`#text`, "halo"),
		chromedp.Click(`#send`),
	))
	assert.Contains(t, waitInbound(t, hubB), `"text":{"body":"halo"}`)

	buttons := `{"messaging_product":"whatsapp","to":"` + phone + `","type":"interactive","interactive":{"type":"button","body":{"text":"Join?"},"action":{"buttons":[{"type":"reply","reply":{"id":"join_yes","title":"Yes"}}]}}}`
	require.Equal(t, 200, send(t, hs.URL, testToken, "222", buttons).status)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(`button.choice[data-id="join_yes"]`),
		chromedp.Click(`button.choice[data-id="join_yes"]`),
	))
	assert.Contains(t, waitInbound(t, hubB), `"button_reply":{"id":"join_yes","title":"Yes"}`)
	meta, err := chromedp.Run(ctx, chromedp.Text(`#msgs`))
	require.NoError(t, err)
	assert.Contains(t, meta, "to +15550000222", "each message says which business it went to")
	for _, b := range s.Conversation(phone) {
		assert.Equal(t, "222", b.Number, "%+v", b)
	}
	select {
	case body := <-hubA.raw:
		t.Fatalf("number 111's hook got a webhook: %s", body)
	default:
	}
}
