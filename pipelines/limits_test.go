package pipelines_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/store"
)

// senders is GET /senders.
type senders struct {
	Senders []struct {
		Name                 string
		MessagingLimit       string `json:"messaging_limit"`
		LimitSource          string `json:"limit_source"`
		Reached              int    `json:"reached_24h"`
		Quality              string
		MarketingPaused      bool   `json:"marketing_paused"`
		MarketingPauseReason string `json:"marketing_pause_reason"`
	}
}

func (h *harness) senders(t *testing.T) senders {
	t.Helper()
	var s senders
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/senders", &s))
	require.Len(t, s.Senders, 1)
	return s
}

// messagesByStatus lists the message log, up to 1000, by status.
func (h *harness) messagesByStatus(t *testing.T) map[string][]store.Message {
	t.Helper()
	var list struct{ Messages []store.Message }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/messages?limit=1000", &list))
	out := map[string][]store.Message{}
	for _, m := range list.Messages {
		out[m.Status] = append(out[m.Status], m)
	}
	return out
}

// businessWebhook is a Cloud API webhook with one change of field to the
// test account, at the entry time at.
func businessWebhook(field, value string, at time.Time) string {
	return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"200000000000009","time":%d,"changes":[{"field":%q,"value":%s}]}]}`,
		at.Unix(), field, value)
}

func TestMessagingLimitDefersTheNextNewRecipient(t *testing.T) {
	const limit = 250
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		return strings.Replace(cfg, "    notifications:\n", "    messaging:\n      messaging_limit: \"250\"\n    notifications:\n", 1)
	}})
	phone := func(i int) string { return fmt.Sprintf("0812346%05d", i) }
	var wg sync.WaitGroup
	for i := range limit {
		wg.Go(func() {
			assert.Equal(t, http.StatusOK, h.postSale(sale(fmt.Sprintf("L-%d", i), phone(i), "Member", "50000")))
		})
		if i%16 == 15 {
			wg.Wait()
		}
	}
	wg.Wait()
	eventually(t, "the limit's recipients reached", func() bool { return len(h.sb.Messages()) == limit })
	// A reach is recorded just after the send it counts: wait for the
	// last one.
	var s senders
	eventually(t, "the limit's recipients counted", func() bool {
		s = h.senders(t)
		return s.Senders[0].Reached == limit
	})
	assert.Equal(t, "250", s.Senders[0].MessagingLimit)
	assert.Equal(t, "config", s.Senders[0].LimitSource)

	// The 251st new recipient waits for the oldest to leave the 24 hours.
	require.Equal(t, http.StatusOK, h.postSale(sale("L-new", phone(limit), "Member", "50000")))
	var deferred store.Message
	eventually(t, "the deferred message", func() bool {
		ds := h.messagesByStatus(t)[store.MessageDeferred]
		if len(ds) == 1 {
			deferred = ds[0]
		}
		return len(ds) == 1
	})
	assert.Equal(t, "+62812346"+fmt.Sprintf("%05d", limit), deferred.Recipient)
	assert.True(t, strings.HasPrefix(deferred.Error, "messaging_limit: the sender reached 250 of 250"), deferred.Error)
	assert.Zero(t, h.sentTo("+62812346"+fmt.Sprintf("%05d", limit)))
	assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().MessagesHeldBack.WithLabelValues("acme", "whatsapp", "messaging_limit")))
	assert.Empty(t, h.deadLetters().DeadLetters, "a deferral is not a fault")

	// A recipient reached in the 24 hours does not count twice.
	require.Equal(t, http.StatusOK, h.postSale(sale("L-again", phone(0), "Member", "50000")))
	eventually(t, "the second message to a reached recipient", func() bool { return h.sentTo("+62812346"+fmt.Sprintf("%05d", 0)) == 2 })

	// WhatsApp raises the portfolio's limit: the webhook's word replaces
	// the configured one.
	h.sb.SetMessagingLimit(2000)
	eventually(t, "the new limit", func() bool {
		s := h.senders(t)
		return s.Senders[0].MessagingLimit == "2000" && s.Senders[0].LimitSource == "whatsapp"
	})
	assert.Equal(t, 2000.0, gaugeValue(t, h.hub.Metrics().SenderMessagingLimit.WithLabelValues("acme", "whatsapp")))
}

// Sends in flight count toward the limit: 300 new recipients at once,
// pipeline.send.concurrency of them deciding together, never pass a limit
// of 250 at the BSP (a count read from the store alone missed the sends
// not yet recorded, and passed it by up to the sends in flight).
func TestMessagingLimitHoldsUnderConcurrentSends(t *testing.T) {
	const limit, sales = 250, 300
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		return strings.Replace(cfg, "    notifications:\n", "    messaging:\n      messaging_limit: \"250\"\n    notifications:\n", 1)
	}})
	var wg sync.WaitGroup
	next := make(chan int)
	for range 32 {
		wg.Go(func() {
			for i := range next {
				assert.Equal(t, http.StatusOK, h.postSale(sale(fmt.Sprintf("C-%d", i), fmt.Sprintf("0812347%05d", i), "Member", "50000")))
			}
		})
	}
	for i := range sales {
		next <- i
	}
	close(next)
	wg.Wait()
	eventually(t, "every message sent or deferred", func() bool {
		byStatus := h.messagesByStatus(t)
		return len(h.sb.Messages())+len(byStatus[store.MessageDeferred]) == sales
	})
	reached := map[string]int{}
	for _, m := range h.sb.Messages() {
		reached[m.WaID]++
	}
	assert.Equal(t, limit, len(reached), "never more new recipients than the limit")
}

// A conversation counts toward the limit from when WhatsApp accepted it,
// not from the send decision: on a clock that moves a minute at every
// reading, the reach is recorded no earlier than the sandbox's acceptance,
// so it does not leave the 24 hours before WhatsApp's count lets it go.
func TestReachCountsFromAcceptance(t *testing.T) {
	var ticks atomic.Int64
	start := time.Now()
	clock := func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * time.Minute) }
	h := newHarness(t, harnessOpts{now: clock, sandbox: func(c *sandbox.Config) { c.Clock = clock },
		yaml: func(cfg string) string {
			return strings.Replace(cfg, "    notifications:\n", "    messaging:\n      messaging_limit: \"250\"\n    notifications:\n", 1)
		}})
	require.Equal(t, http.StatusOK, h.postSale(sale("R-1", "081234800001", "Member", "50000")))
	eventually(t, "the message accepted", func() bool { return len(h.sb.Messages()) == 1 })
	accepted := h.sb.Messages()[0].ReceivedAt
	var reach store.Reach
	eventually(t, "the reach recorded", func() bool {
		r, err := h.hub.Store().Reach(context.Background(), "acme", "whatsapp", "+6281234800001", start)
		require.NoError(t, err)
		reach = r
		return r.Reached == 1
	})
	assert.False(t, reach.Oldest.Before(accepted), "recorded at %s, accepted at %s", reach.Oldest, accepted)
}

// Messages waiting for the messaging limit take turns: each is due when
// the reach whose place it takes leaves the 24 hours, so a message is
// deferred once and goes at its turn (when they were all due at the
// oldest reach's time, each freed place sent one and deferred the others
// again).
func TestMessagingLimitWaitersTakeTurns(t *testing.T) {
	var mu sync.Mutex
	var ahead time.Duration
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(ahead) }
	jump := func(d time.Duration) { mu.Lock(); ahead = d; mu.Unlock() }
	h := newHarness(t, harnessOpts{now: now, sandbox: func(c *sandbox.Config) { c.Clock = now }})
	h.sb.SetMessagingLimit(3)
	eventually(t, "the limit of 3", func() bool { return h.senders(t).Senders[0].MessagingLimit == "3" })
	phone := func(i int) string { return fmt.Sprintf("0812348%05d", i) }
	waID := func(i int) string { return fmt.Sprintf("62812348%05d", i) }

	// Three new customers an hour apart use the limit up.
	for i := range 3 {
		jump(time.Duration(i) * time.Hour)
		require.Equal(t, http.StatusOK, h.postSale(sale(fmt.Sprintf("T-%d", i), phone(i), "Member", "50000")))
		eventually(t, "the limit's message", func() bool { return len(h.sb.Messages()) == i+1 })
		eventually(t, "the reach counted", func() bool { return h.senders(t).Senders[0].Reached == i+1 })
	}
	// Four more wait.
	jump(3 * time.Hour)
	for i := 3; i < 7; i++ {
		require.Equal(t, http.StatusOK, h.postSale(sale(fmt.Sprintf("T-%d", i), phone(i), "Member", "50000")))
	}
	eventually(t, "four messages waiting", func() bool { return len(h.messagesByStatus(t)[store.MessageDeferred]) == 4 })
	heldBack := h.hub.Metrics().MessagesHeldBack.WithLabelValues("acme", "whatsapp", "messaging_limit")
	assert.Equal(t, 4.0, counterValue(t, heldBack))

	// Each hour a reach leaves the 24 hours, and the next waiting message
	// goes; the others wait on without another attempt.
	for k := range 2 {
		jump(24*time.Hour + time.Duration(k)*time.Hour)
		eventually(t, "the next waiting message", func() bool { return len(h.sb.Messages()) == 4+k })
		eventually(t, "the others waiting", func() bool { return len(h.messagesByStatus(t)[store.MessageDeferred]) == 3-k })
	}
	assert.Equal(t, 4.0, counterValue(t, heldBack), "each waiting message was deferred once")

	// WhatsApp raises the limit: the last two go at once.
	h.sb.SetMessagingLimit(250)
	eventually(t, "the rest sent", func() bool { return len(h.sb.Messages()) == 7 })
	assert.Empty(t, h.messagesByStatus(t)[store.MessageDeferred])
	for i := range 7 {
		assert.Equal(t, 1, h.sentTo("+"+waID(i)), "one message to customer %d", i)
	}
}

func TestQualityDropPausesMarketingOnly(t *testing.T) {
	// The hub's clock runs, and jumps ahead when the test says.
	var mu sync.Mutex
	var ahead time.Duration
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(ahead) }
	h := newHarness(t, harnessOpts{
		now: now,
		yaml: func(cfg string) string {
			cfg = strings.Replace(cfg, "    notifications:\n", "    messaging:\n      marketing_consent: not_opted_out\n    notifications:\n", 1)
			return cfg + `      - name: promo
        on: points.earned
        sender: whatsapp
        category: marketing
        template:
          name: promo
          language: en
`
		},
	})
	// Meta's older payloads flag the number; newer ones carry the limit.
	require.True(t, h.sb.SetQuality(testNumberID, sandbox.QualityUpdate{Event: "FLAGGED", CurrentLimit: "TIER_10K"}))
	eventually(t, "the pause", func() bool { return h.senders(t).Senders[0].MarketingPaused })
	s := h.senders(t)
	assert.Equal(t, "FLAGGED", s.Senders[0].Quality)
	assert.Equal(t, "10000", s.Senders[0].MessagingLimit, "current_limit on an older payload")
	assert.Equal(t, 1.0, gaugeValue(t, h.hub.Metrics().SenderQualityPaused.WithLabelValues("acme", "whatsapp")))

	require.Equal(t, http.StatusOK, h.postSale(sale("Q-1", "081234561001", "Hana", "50000")))
	var promo store.Message
	eventually(t, "utility sent, marketing deferred", func() bool {
		by := h.messagesByStatus(t)
		if len(by[store.MessageDeferred]) != 1 || len(by[store.MessageSending])+len(by[store.MessageQueued]) > 0 {
			return false
		}
		promo = by[store.MessageDeferred][0]
		return h.sentTo("+6281234561001") == 1
	})
	assert.Equal(t, "marketing", promo.Category)
	assert.True(t, strings.HasPrefix(promo.Error, "quality_paused: "), promo.Error)
	assert.Contains(t, string(h.sb.Messages()[0].Body), `"points_earned"`, "the utility message went")

	// An upgrade lifts the pause; the held message goes at once.
	require.True(t, h.sb.SetQuality(testNumberID, sandbox.QualityUpdate{Event: "UPGRADE", OldLimit: "TIER_10K", CurrentLimit: "TIER_100K"}))
	eventually(t, "the lifted pause", func() bool { return !h.senders(t).Senders[0].MarketingPaused })
	eventually(t, "the marketing message", func() bool { return h.sentTo("+6281234561001") == 2 })
	assert.Equal(t, 0.0, gaugeValue(t, h.hub.Metrics().SenderQualityPaused.WithLabelValues("acme", "whatsapp")))

	// A downgrade pauses again (a field WhatsApp adds later changes
	// nothing); an operator's resume lifts it.
	h.postWebhook(t, businessWebhook("phone_number_quality_update",
		`{"display_phone_number":"15550000009","event":"DOWNGRADE","max_daily_conversations_per_business":2000,"a_field_added_later":{"x":1}}`, now()))
	eventually(t, "the second pause", func() bool { return h.senders(t).Senders[0].MarketingPaused })
	assert.Equal(t, "2000", h.senders(t).Senders[0].MessagingLimit)
	require.Equal(t, http.StatusOK, h.postSale(sale("Q-2", "081234561002", "Irma", "50000")))
	eventually(t, "the second marketing message held back", func() bool {
		return len(h.messagesByStatus(t)[store.MessageDeferred]) == 1 && h.sentTo("+6281234561002") == 1
	})
	var resumed map[string]any
	require.Equal(t, http.StatusOK, h.adminPost("/senders/whatsapp/resume", nil, &resumed))
	assert.Equal(t, false, resumed["marketing_paused"])
	assert.False(t, h.senders(t).Senders[0].MarketingPaused)
	eventually(t, "the resumed marketing message", func() bool { return h.sentTo("+6281234561002") == 2 })
	mu.Lock()
	ahead = 2 * time.Hour // past messaging.QualityRecheck: nothing is left to send
	mu.Unlock()
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, 2, h.sentTo("+6281234561002"), "sent once")
}

func TestCostsAddUpFromStatusWebhooks(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: func(cfg string) string {
		return cfg + `    pricing:
      currency: USD
      rates:
        default: {utility: "0.008"}
        ID: {utility: "0.025", marketing: "0.0411"}
        "+1": {utility: "0.004"}
`
	}})
	for i, p := range []string{"081234562001", "081234562002", "+14165550123"} {
		require.Equal(t, http.StatusOK, h.postSale(sale(fmt.Sprintf("C-%d", i), p, "Member", "50000")))
	}
	// The sandbox reports pricing on sent and on delivered: each message
	// is charged once, when delivered.
	type costs struct {
		Currency string
		Messages int
		Total    string
		Lines    []struct {
			Category, Country, Cost string
			Messages                int
		}
	}
	var c costs
	eventually(t, "three charged messages", func() bool {
		require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/costs", &c))
		return c.Messages == 3
	})
	time.Sleep(300 * time.Millisecond) // the read reports come after
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/costs", &c))
	assert.Equal(t, "USD", c.Currency)
	assert.Equal(t, 3, c.Messages)
	assert.Equal(t, "0.054", c.Total, "2 × 0.025 to Indonesia + 0.004 to Canada by its calling code")
	require.Len(t, c.Lines, 2)
	assert.Equal(t, "CA", c.Lines[0].Country)
	assert.Equal(t, "0.004", c.Lines[0].Cost)
	assert.Equal(t, "ID", c.Lines[1].Country)
	assert.Equal(t, 2, c.Lines[1].Messages)
	assert.Equal(t, "0.05", c.Lines[1].Cost)

	req, err := http.NewRequest(http.MethodGet, h.url+"/api/v1/tenants/acme/costs?format=csv&from=2020-01-01", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		{"category", "country", "messages", "cost", "currency"},
		{"utility", "CA", "1", "0.004", "USD"},
		{"utility", "ID", "2", "0.05", "USD"},
	}, rows)
	assert.Equal(t, http.StatusBadRequest, h.admin(http.MethodGet, "/costs?from=yesterday", nil))

	// The message log shows each message's pricing and cost.
	var read []store.Message
	eventually(t, "three read messages", func() bool {
		read = h.messagesByStatus(t)[store.MessageRead]
		return len(read) == 3
	})
	for _, m := range read {
		var one store.Message
		require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/messages/"+m.Key, &one))
		require.NotNil(t, one.Pricing, m.Recipient)
		assert.Equal(t, "utility", one.Pricing.Category)
		assert.Equal(t, "regular", one.Pricing.Type)
		want := map[string]int64{"+6281234562001": 25_000, "+6281234562002": 25_000, "+14165550123": 4_000}[m.Recipient]
		assert.Equal(t, want, one.Pricing.Cost, m.Recipient)
	}
}

func TestMonthlyBudgetSkipsMarketing(t *testing.T) {
	h := newHarness(t, harnessOpts{
		sandbox: func(c *sandbox.Config) { c.TemplateCategory = "marketing" },
		yaml: func(cfg string) string {
			cfg = strings.Replace(cfg, "        sender: whatsapp\n", "        sender: whatsapp\n        category: marketing\n", 1)
			cfg = strings.Replace(cfg, "    notifications:\n",
				"    messaging:\n      marketing_consent: not_opted_out\n      monthly_budget: \"0.05\"\n    notifications:\n", 1)
			return cfg + `    pricing:
      currency: USD
      rates:
        default: {marketing: "0.0411"}
`
		},
	})
	require.Equal(t, http.StatusOK, h.postSale(sale("B-1", "081234563001", "Indah", "50000")))
	var c struct {
		Messages int
		Total    string
	}
	eventually(t, "the first marketing message charged", func() bool {
		require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/costs", &c))
		return c.Messages == 1
	})
	assert.Equal(t, "0.0411", c.Total)

	// 0.0411 spent + 0.0411 for the next would pass 0.05.
	require.Equal(t, http.StatusOK, h.postSale(sale("B-2", "081234563002", "Joko", "50000")))
	var skipped store.Message
	eventually(t, "the skipped message", func() bool {
		s := h.messagesByStatus(t)[store.MessageSkipped]
		if len(s) == 1 {
			skipped = s[0]
		}
		return len(s) == 1
	})
	assert.Equal(t, "budget", skipped.ErrorCode)
	assert.Equal(t, "the month's spend 0.0411 plus this message's 0.0411 would pass the budget 0.05", skipped.Error)
	assert.Zero(t, h.sentTo("+6281234563002"))
	assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().MessagesSkipped.WithLabelValues("acme", "budget")))
}
