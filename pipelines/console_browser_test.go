package pipelines_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox/chromiumtest"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/segment"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/campaigns"
)

// consoleTemplates are the WhatsApp account's templates in the console's
// test: those the notification, the journey and the campaign send, and
// one still in review.
var consoleTemplates = []messaging.TemplateInfo{
	{Name: "points_earned", Language: "en", Category: "utility", Status: "APPROVED", BodyParams: []string{"1", "2", "3"}},
	{Name: "thanks", Language: "en", Category: "utility", Status: "APPROVED", BodyParams: []string{"1", "2"}},
	{Name: "come_back", Language: "en", Category: "utility", Status: "APPROVED", BodyParams: []string{"1"}},
	{Name: "double_points", Language: "en", Category: "marketing", Status: "APPROVED", BodyParams: []string{"1", "2"}},
	{Name: "winter_sale", Language: "id", Category: "marketing", Status: "PENDING", BodyParams: []string{"1"}},
}

// console drives the operator console in Chromium.
type console struct {
	t   *testing.T
	ctx context.Context
	url string
}

// run runs actions, failing the test on an error.
func (c console) run(actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	require.NoError(c.t, chromedp.Do(c.ctx, actions...))
}

// open goes to a route of the console and waits until the JavaScript
// expression ready is true.
func (c console) open(route, ready string) {
	c.t.Helper()
	_, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](fmt.Sprintf("location.hash = %q", route)))
	require.NoError(c.t, err)
	c.wait(ready)
}

// wait waits until the JavaScript expression is true.
func (c console) wait(expr string) {
	c.t.Helper()
	_, err := chromedp.Run(c.ctx, chromedp.Poll[bool]("!!("+expr+")", chromedp.WithPollingInterval(20*time.Millisecond)))
	require.NoError(c.t, err, "waiting for %s", expr)
}

// eval returns the value of a JavaScript expression.
func eval[T any](c console, expr string) T {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.Evaluate[T](expr))
	require.NoError(c.t, err, "evaluating %s", expr)
	return v
}

// login opens the console with token.
func (c console) login(token string) {
	c.t.Helper()
	c.run(chromedp.Navigate(c.url+"/console/"), chromedp.WaitVisible("#key"),
		chromedp.SendKeys("#key", token), chromedp.Click(`#login button[type="submit"]`))
	c.wait(`document.querySelector("#connectors")`)
}

// shot saves a screenshot as name.png in LOYALHUB_SCREENSHOT_DIR, when set.
func (c console) shot(name string) {
	c.t.Helper()
	dir := os.Getenv("LOYALHUB_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	require.NoError(c.t, err)
	require.NoError(c.t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// cellsOf is the JavaScript for the rows of a table as arrays of their
// cells' text.
func cellsOf(table string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%q)].map(r => [...r.cells].map(c => c.textContent))`, table+" tbody tr")
}

// TestConsoleInChromium opens the operator console in a browser with a
// tenant's read key, on a hub that took sales, sent their messages, ran a
// journey and a campaign and refused a sale: each screen shows what the
// admin API answers (the connectors' health, a member's balance and
// ledger, a message's status timeline, a dead letter's reason and
// payload, the templates' status, a campaign's funnel). The read key's
// replay gets the hub's 403 as a clear message; a write key's replays the
// dead letter. LOYALHUB_SCREENSHOT_DIR, when set, receives a screenshot
// of each screen (console-*.png).
func TestConsoleInChromium(t *testing.T) {
	ctx := chromiumtest.Start(t)
	h := newHarness(t, harnessOpts{
		yaml: func(cfg string) string {
			return replaceOnce(t, withJourney(cfg), "        phone_number_id:", "        waba_id: \"200000000000009\"\n        phone_number_id:")
		},
		env: []string{"LOYALHUB_PIPELINE__SCHEDULER__JOURNEY_POLL=20ms",
			"LOYALHUB_SERVER__API_RATE_LIMIT__PER_SECOND=1000", "LOYALHUB_SERVER__API_RATE_LIMIT__BURST=1000"},
		sandbox: func(c *sandbox.Config) { c.Templates = consoleTemplates },
	})
	const rina, budi = "081234560201", "081234560202"
	require.Equal(t, http.StatusOK, h.postSale(sale("K-1", rina, "Rina <b>Wati</b>", "150000")))
	require.Equal(t, http.StatusOK, h.postSale(sale("K-2", budi, "Budi", "80000")))
	require.Equal(t, http.StatusOK, h.postSale(sale("K-BAD", budi, "Budi", "-5000")), "accepted, refused by the program")
	code, _ := h.post("/hooks/acme/pos", sale("K-3", budi, "Budi", "1000"), "forged")
	require.Equal(t, http.StatusUnauthorized, code)
	h.settled(t, 4) // points_earned and the journey's thanks, to each

	for _, p := range []string{rina, budi} {
		require.Equal(t, http.StatusOK, h.adminPost("/contacts/consent", map[string]any{"phone": p, "opted_in": true, "source": "store form"}, nil))
	}
	_, err := h.hub.Store().SaveSegment(context.Background(), "acme", segment.Segment{Name: "buyers", Condition: "balance >= 1"}, time.Now())
	require.NoError(t, err)
	spec := map[string]any{
		"name": "double-weekend", "segment": "buyers", "sender": "whatsapp", "rate": 100,
		"variants": []map[string]any{{"name": "a", "template": map[string]any{
			"name": "double_points", "language": "en", "body": []string{"data.first_name", "string(member.balance)"}}}},
	}
	require.Equal(t, http.StatusCreated, h.adminPost("/campaigns", spec, nil))
	require.Equal(t, http.StatusOK, h.adminPost("/campaigns/double-weekend/start", nil, nil))
	var progress campaigns.Progress
	eventually(t, "the campaign's messages read", func() bool {
		require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/campaigns/double-weekend", &progress))
		return progress.Totals.Targeted == 2 && progress.Totals.Read == 2
	})

	var m member.Member
	eventually(t, "Rina's points and the journey's award", func() bool {
		var ok bool
		m, ok = h.member("+62" + rina[1:])
		return ok && m.Balance == 15+5
	})
	var rinaMsgs struct{ Messages []store.Message }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/messages?member_id="+m.ID, &rinaMsgs))
	var earned store.Message
	for _, msg := range rinaMsgs.Messages {
		if msg.Template == "points_earned" {
			earned = msg
		}
	}
	require.NotEmpty(t, earned.Key)
	eventually(t, "Rina's points message read", func() bool {
		require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/messages/"+url.PathEscape(earned.Key), &earned))
		return earned.Status == store.MessageRead
	})
	deadID, payload, _ := h.deadLetterOf(t, "K-BAD")
	var dead struct {
		Reason string `json:"reason"`
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/deadletters/"+deadID, &dead))

	key := func(scope string) string {
		code, out := h.adminSend(http.MethodPost, "/keys", map[string]string{"name": "console " + scope, "scope": scope})
		require.Equal(t, http.StatusCreated, code, string(out))
		var k struct{ Token string }
		require.NoError(t, json.Unmarshal(out, &k))
		return k.Token
	}
	reader, writer := key("read"), key("write")

	c := console{t: t, ctx: ctx, url: h.url}
	c.login(reader)

	t.Run("tenants and health", func(t *testing.T) {
		c.t = t
		assert.Equal(t, "console read · read · tenant acme", eval[string](c, `document.querySelector("#caller").textContent`))
		assert.False(t, eval[bool](c, `document.querySelector("#readonly").hidden`), "the read-only banner")
		tenants := eval[[][]string](c, cellsOf("#tenants"))
		require.Len(t, tenants, 1)
		assert.Equal(t, []string{"acme shown below", "2", "0", "0", "1"}, tenants[0])
		rows := map[string][]string{}
		for _, r := range eval[[][]string](c, cellsOf("#connectors")) {
			rows[r[0]] = r
		}
		require.Contains(t, rows, "pos")
		require.Contains(t, rows, "whatsapp")
		assert.Equal(t, "pos_webhook (source)", rows["pos"][1])
		assert.Contains(t, rows["pos"][2], " UTC", "the last delivery's time")
		assert.Equal(t, "1 of 4 (25.0%)", rows["pos"][3], "the forged webhook")
		assert.Contains(t, rows["pos"][9], "answered 401 Unauthorized")
		assert.Equal(t, "0 of 6 (0.0%)", rows["whatsapp"][5], "six messages sent")
		assert.Contains(t, rows["whatsapp"][4], " UTC", "the last send's time")
		assert.Equal(t, "closed", rows["whatsapp"][6])
		assert.Equal(t, "ok", rows["whatsapp"][7])
		c.shot("console-health")
	})

	t.Run("member", func(t *testing.T) {
		c.t = t
		c.open("#/members?q="+url.QueryEscape(rina), `document.querySelector("#members")`)
		found := eval[[][]string](c, cellsOf("#members"))
		require.Len(t, found, 1)
		assert.Equal(t, "Rina <b>Wati</b>", found[0][0], "a name with markup shows as text")
		c.run(chromedp.Click(`#members a`))
		c.wait(`document.querySelector("#ledger")`)
		assert.Equal(t, strconv.FormatInt(m.Balance, 10), eval[string](c, `document.querySelector("#member-balance").textContent`))
		assert.Zero(t, eval[int](c, `document.querySelectorAll("#member-name b").length`), "no markup from data")
		ledger := eval[[][]string](c, cellsOf("#ledger"))
		entries, err := h.hub.Store().Entries(context.Background(), "acme", m.ID, 100)
		require.NoError(t, err)
		require.Len(t, ledger, len(entries))
		for i, e := range entries {
			assert.Equal(t, strconv.FormatInt(e.Points, 10), ledger[i][3])
			assert.Equal(t, strconv.FormatInt(e.BalanceAfter, 10), ledger[i][4])
		}
		msgs := eval[[][]string](c, cellsOf("table.messages"))
		assert.Len(t, msgs, len(rinaMsgs.Messages))
		c.shot("console-member")
	})

	t.Run("message timeline", func(t *testing.T) {
		c.t = t
		c.open("#/messages/"+url.PathEscape(earned.Key), `document.querySelector("#timeline")`)
		var want [][]string
		for _, s := range earned.Timeline {
			want = append(want, []string{s.Status, s.At.UTC().Format("2006-01-02 15:04:05") + " UTC", ""})
		}
		assert.Equal(t, want, eval[[][]string](c, cellsOf("#timeline")))
		var statuses []string
		for _, s := range earned.Timeline {
			statuses = append(statuses, s.Status)
		}
		assert.Subset(t, statuses, []string{"sent", "delivered", "read"})
		assert.Equal(t, "read", eval[string](c, `document.querySelector("#message-status-now").textContent`))
		c.shot("console-message")
	})

	t.Run("dead letter and a read key's replay", func(t *testing.T) {
		c.t = t
		c.open("#/deadletters", `document.querySelector("#deadletters")`)
		list := eval[[][]string](c, cellsOf("#deadletters"))
		require.Len(t, list, 1)
		assert.Equal(t, dead.Reason, list[0][2])
		c.run(chromedp.Click(`#deadletters a`))
		c.wait(`document.querySelector("#dl-reason")`)
		assert.Equal(t, dead.Reason, eval[string](c, `document.querySelector("#dl-reason").textContent`))
		assert.Contains(t, eval[string](c, `document.querySelector("#dl-payload").textContent`), `"sale_id": "K-BAD"`)
		assert.Contains(t, payload, `"K-BAD"`)
		c.run(chromedp.Click("#replay"))
		c.wait(`document.querySelector("#notice.error")`)
		notice := eval[string](c, `document.querySelector("#notice").textContent`)
		assert.Equal(t, "Not allowed with this key (403): this key's scope is read: the route needs write", notice)
		assert.Equal(t, "no", eval[string](c, `document.querySelector("#dl-replayed").textContent`))
		c.shot("console-deadletter")
	})

	t.Run("templates", func(t *testing.T) {
		c.t = t
		c.open("#/templates", `document.querySelector("table.templates")`)
		var want [][]string
		for _, tpl := range consoleTemplates {
			want = append(want, []string{tpl.Name, tpl.Language, tpl.Category, tpl.Status, strings.Join(tpl.BodyParams, ", ")})
		}
		got := eval[[][]string](c, cellsOf(`table.templates[data-sender="whatsapp"]`))
		assert.ElementsMatch(t, want, got)
		c.shot("console-templates")
	})

	t.Run("campaign and journey funnels", func(t *testing.T) {
		c.t = t
		c.open("#/campaigns", `document.querySelector("#campaigns")`)
		journey := eval[[][]string](c, cellsOf(`table.journey-funnel[data-journey="follow-up"]`))
		require.Len(t, journey, 1, "the journey's first step sent; the second waits an hour")
		assert.Equal(t, []string{"step 0", "2"}, journey[0][:2], "its thanks to Rina and Budi")
		c.shot("console-campaigns")
		c.run(chromedp.Click(`#campaigns a`))
		c.wait(`document.querySelector("#campaign-funnel")`)
		stages := map[string]string{}
		for _, r := range eval[[][]string](c, cellsOf("#campaign-funnel")) {
			stages[r[0]] = r[1]
		}
		f := progress.Totals
		assert.Equal(t, map[string]string{
			"Written": itoa(f.Targeted), "Sent": itoa(f.Sent), "Delivered": itoa(f.Delivered), "Read": itoa(f.Read),
			"Replied": itoa(f.Replied), "Clicked": itoa(f.Clicked), "Converted": itoa(f.Converted), "Skipped": "0",
			"Failed": itoa(f.Failed), "Waiting": itoa(f.Waiting),
		}, stages)
		assert.Equal(t, "2", stages["Read"])
		assert.Equal(t, progress.State, eval[string](c, `document.querySelector("#campaign-state").textContent`))
		c.shot("console-campaign")
	})

	t.Run("a write key replays", func(t *testing.T) {
		c.t = t
		c.run(chromedp.Click("#logout"))
		c.login(writer)
		assert.True(t, eval[bool](c, `document.querySelector("#readonly").hidden`))
		c.open("#/deadletters/"+url.PathEscape(deadID), `document.querySelector("#dl-reason")`)
		c.run(chromedp.Click("#replay"))
		c.wait(`document.querySelector("#replay-result").textContent`)
		assert.Contains(t, eval[string](c, `document.querySelector("#replay-result").textContent`), "Replayed as message ")
		assert.Equal(t, "Dead letter replayed.", eval[string](c, `document.querySelector("#notice").textContent`))
		var after struct {
			ReplayedAt *time.Time `json:"replayed_at"`
		}
		require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/deadletters/"+deadID, &after))
		assert.NotNil(t, after.ReplayedAt, "the hub replayed it")
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
