package messaging_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

func TestDecideMessagingLimitQualityAndBudget(t *testing.T) {
	now := time.Date(2026, 3, 14, 7, 0, 0, 0, time.UTC)
	p := messaging.NewPolicy(config.Messaging{MarketingConsent: config.ConsentNotOptedOut, MarketingDailyCap: 2}, time.UTC)
	const phone = "+6281234567890"
	tpl := func(category string) messaging.Command {
		return messaging.Command{Key: "k1", Tenant: "acme", Sender: "wa", To: phone, Kind: messaging.KindTemplate,
			Category: category, Template: &messaging.Template{Name: "promo", Language: "id"}}
	}
	closed := member.Contact{Tenant: "acme", Phone: phone}
	open := closed
	open.LastInboundAt = now.Add(-time.Hour)
	oldest := now.Add(-20 * time.Hour)
	full := messaging.Reach{Limit: 250, Reached: 250, Oldest: oldest}
	limited := func(cmd messaging.Command, reached int) messaging.Decision {
		return messaging.Decision{Verdict: messaging.Defer, Command: cmd, Code: messaging.CodeMessagingLimit,
			Until:  oldest.Add(24 * time.Hour),
			Reason: "the sender reached " + strconv.Itoa(reached) + " of 250 unique users outside a service window in 24h"}
	}
	tests := []struct {
		name string
		c    member.Contact
		cmd  messaging.Command
		f    messaging.Facts
		want messaging.Decision
	}{
		{name: "below the limit a new conversation goes and counts", c: closed, cmd: tpl(messaging.CategoryUtility),
			f:    messaging.Facts{Reach: messaging.Reach{Limit: 250, Reached: 249, Oldest: oldest}},
			want: messaging.Decision{Verdict: messaging.Send, Command: tpl(messaging.CategoryUtility), Initiated: true}},
		{name: "at the limit a new conversation waits for the oldest to leave the 24h", c: closed, cmd: tpl(messaging.CategoryUtility),
			f: messaging.Facts{Reach: full}, want: limited(tpl(messaging.CategoryUtility), 250)},
		{name: "marketing waits too", c: closed, cmd: tpl(messaging.CategoryMarketing),
			f: messaging.Facts{Reach: full}, want: limited(tpl(messaging.CategoryMarketing), 250)},
		{name: "a recipient already reached does not count twice", c: closed, cmd: tpl(messaging.CategoryUtility),
			f:    messaging.Facts{Reach: messaging.Reach{Limit: 250, Reached: 250, Oldest: oldest, Known: true}},
			want: messaging.Decision{Verdict: messaging.Send, Command: tpl(messaging.CategoryUtility), Initiated: true}},
		{name: "inside the service window the limit does not apply", c: open, cmd: tpl(messaging.CategoryUtility),
			f: messaging.Facts{Reach: full}, want: messaging.Decision{Verdict: messaging.Send, Command: tpl(messaging.CategoryUtility)}},
		{name: "unlimited", c: closed, cmd: tpl(messaging.CategoryUtility),
			f:    messaging.Facts{Reach: messaging.Reach{Limit: -1, Reached: 1_000_000, Oldest: oldest}},
			want: messaging.Decision{Verdict: messaging.Send, Command: tpl(messaging.CategoryUtility), Initiated: true}},
		{name: "a count behind the clock looks again in a minute", c: closed, cmd: tpl(messaging.CategoryUtility),
			f: messaging.Facts{Reach: messaging.Reach{Limit: 250, Reached: 250, Oldest: now.Add(-25 * time.Hour)}},
			want: messaging.Decision{Verdict: messaging.Defer, Command: tpl(messaging.CategoryUtility), Code: messaging.CodeMessagingLimit,
				Until: now.Add(time.Minute), Reason: "the sender reached 250 of 250 unique users outside a service window in 24h"}},

		{name: "a quality pause defers marketing", c: closed, cmd: tpl(messaging.CategoryMarketing),
			f: messaging.Facts{QualityPause: "FLAGGED"},
			want: messaging.Decision{Verdict: messaging.Defer, Command: tpl(messaging.CategoryMarketing), Code: messaging.CodeQualityPaused,
				Until: now.Add(messaging.QualityRecheck), Reason: "the sender's marketing messages are paused for its number's quality (FLAGGED)"}},
		{name: "a quality pause lets utility go", c: closed, cmd: tpl(messaging.CategoryUtility),
			f:    messaging.Facts{QualityPause: "FLAGGED"},
			want: messaging.Decision{Verdict: messaging.Send, Command: tpl(messaging.CategoryUtility), Initiated: true}},

		{name: "marketing waits for the recipient's unread words", c: closed, cmd: tpl(messaging.CategoryMarketing),
			f: messaging.Facts{Unread: true},
			want: messaging.Decision{Verdict: messaging.Defer, Command: tpl(messaging.CategoryMarketing), Code: messaging.CodeUnread,
				Until: now.Add(messaging.UnreadRecheck), Reason: "the recipient wrote in a webhook the hub has not applied yet"}},
		{name: "a recipient who opted out is skipped at once", c: member.Contact{Tenant: "acme", Phone: phone, Marketing: member.ConsentOptedOut, MarketingSource: "whatsapp:chat"},
			cmd: tpl(messaging.CategoryMarketing), f: messaging.Facts{Unread: true},
			want: messaging.Decision{Verdict: messaging.Skip, Command: tpl(messaging.CategoryMarketing), Code: messaging.SkipOptedOut,
				Reason: "the recipient opted out of marketing messages (whatsapp:chat)"}},
		{name: "utility does not wait for unread words", c: closed, cmd: tpl(messaging.CategoryUtility),
			f:    messaging.Facts{Unread: true},
			want: messaging.Decision{Verdict: messaging.Send, Command: tpl(messaging.CategoryUtility), Initiated: true}},

		{name: "marketing within the budget", c: closed, cmd: tpl(messaging.CategoryMarketing),
			f:    messaging.Facts{Budget: 1_000_000, Spent: 958_900, Cost: 41_100},
			want: messaging.Decision{Verdict: messaging.Send, Command: tpl(messaging.CategoryMarketing), Initiated: true}},
		{name: "marketing past the budget is skipped", c: closed, cmd: tpl(messaging.CategoryMarketing),
			f: messaging.Facts{Budget: 1_000_000, Spent: 958_901, Cost: 41_100},
			want: messaging.Decision{Verdict: messaging.Skip, Command: tpl(messaging.CategoryMarketing), Code: messaging.SkipBudget,
				Reason: "the month's spend 0.958901 plus this message's 0.0411 would pass the budget 1"}},
		{name: "utility is not held to the budget", c: closed, cmd: tpl(messaging.CategoryUtility),
			f:    messaging.Facts{Budget: 1_000_000, Spent: 2_000_000, Cost: 25_000},
			want: messaging.Decision{Verdict: messaging.Send, Command: tpl(messaging.CategoryUtility), Initiated: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, messaging.Decide(tt.c, tt.cmd, p, tt.f, now))
		})
	}
}

func TestRateCard(t *testing.T) {
	rc := messaging.NewRateCard(config.Pricing{Currency: "USD", Rates: map[string]config.Rates{
		"default": {Marketing: "0.0625", Utility: "0.008", Authentication: "0.008"},
		"ID":      {Marketing: "0.0411", Utility: "0.025"},
		"+1":      {Marketing: "0.025"},
	}})
	assert.True(t, rc.Priced())
	assert.False(t, messaging.RateCard{}.Priced())
	yes, no := true, false
	tests := []struct {
		name      string
		p         messaging.Pricing
		recipient string
		want      int64
	}{
		{"marketing to Indonesia by region", messaging.Pricing{Billable: &yes, Model: "PMP", Type: "regular", Category: "marketing"}, "+6281234567890", 41_100},
		{"a wa_id without a plus", messaging.Pricing{Type: "regular", Category: "utility"}, "6281234567890", 25_000},
		{"Canada by calling code +1", messaging.Pricing{Type: "regular", Category: "marketing"}, "+14165550123", 25_000},
		{"Germany by default", messaging.Pricing{Type: "regular", Category: "authentication-international"}, "+4915112345678", 8_000},
		{"marketing_lite is marketing", messaging.Pricing{Type: "regular", Category: "marketing_lite"}, "+4915112345678", 62_500},
		{"a user id by default", messaging.Pricing{Type: "regular", Category: "marketing"}, "ID.123", 62_500},
		{"free customer service", messaging.Pricing{Billable: &no, Type: "free_customer_service", Category: "service"}, "+6281234567890", 0},
		{"free entry point", messaging.Pricing{Billable: &no, Type: "free_entry_point", Category: "marketing"}, "+6281234567890", 0},
		{"billable false on an older payload", messaging.Pricing{Billable: &no, Model: "CBP", Category: "marketing"}, "+6281234567890", 0},
		{"a category the card does not price", messaging.Pricing{Type: "regular", Category: "referral_conversion"}, "+6281234567890", 0},
		{"a type added later is free", messaging.Pricing{Type: "free_something_new", Category: "marketing"}, "+6281234567890", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, rc.Charge(tt.p, tt.recipient))
		})
	}

	now := time.Date(2026, 3, 14, 7, 0, 0, 0, time.UTC)
	closed := member.Contact{Phone: "+6281234567890"}
	open := closed
	open.LastInboundAt = now.Add(-time.Hour)
	tpl := messaging.Command{To: "+6281234567890", Kind: messaging.KindTemplate, Category: messaging.CategoryUtility,
		Template: &messaging.Template{Name: "t"}}
	mkt := tpl
	mkt.Category = messaging.CategoryMarketing
	text := messaging.Command{To: "+6281234567890", Kind: messaging.KindText, Category: messaging.CategoryMarketing, Text: "hi",
		Fallback: &messaging.Template{Name: "t"}}
	assert.Equal(t, int64(25_000), rc.Estimate(tpl, closed, now), "utility outside the window")
	assert.Equal(t, int64(0), rc.Estimate(tpl, open, now), "utility inside the window is free")
	assert.Equal(t, int64(41_100), rc.Estimate(mkt, open, now), "marketing inside the window")
	assert.Equal(t, int64(0), rc.Estimate(text, open, now), "a service message")
	assert.Equal(t, int64(41_100), rc.Estimate(text, closed, now), "its fallback template outside the window")
}

func TestPolicyMonthStartAndLimits(t *testing.T) {
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	p := messaging.NewPolicy(config.Messaging{MessagingLimit: "unlimited", MonthlyBudget: "250.5"}, jakarta)
	assert.Equal(t, -1, p.MessagingLimit)
	assert.Equal(t, int64(250_500_000), p.MonthlyBudget)
	assert.Equal(t, time.Date(2026, 4, 1, 0, 0, 0, 0, jakarta), p.MonthStart(time.Date(2026, 3, 31, 18, 0, 0, 0, time.UTC)),
		"01:00 on 1 April in Jakarta is April")
	none := messaging.NewPolicy(config.Messaging{}, nil)
	assert.Zero(t, none.MessagingLimit)
	assert.Zero(t, none.MonthlyBudget)
}

func TestFormatMicros(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 10_700: "0.0107", 1_000_000: "1", 12_500_000: "12.5", -41_100: "-0.0411"} {
		assert.Equal(t, want, messaging.FormatMicros(n))
	}
}
