package simulate

import (
	"fmt"
	"strings"

	"github.com/loyalhub/loyalhub/core/messaging"
)

// The simulated tenant's identities; the sandbox is set up with the same.
const (
	Tenant        = "sim"
	phoneNumberID = "109000000000001"
	wabaID        = "209000000000001"
	accessToken   = "sim-access-token"
	appSecret     = "sim-app-secret"
	posSecret     = "sim-pos-secret"
	shopSecret    = "sim-shop-secret"
	shopDomain    = "sim-coffee.myshopify.com"
	adminToken    = "sim-admin-token"
	timezone      = "Asia/Jakarta"
)

// templates are the approved templates of the simulated account: the
// sale's notification, the campaigns' offers and the shipped journeys'.
var templates = []messaging.TemplateInfo{
	{Name: "points_earned", Language: "en", Category: messaging.CategoryUtility, BodyParams: []string{"1", "2", "3"}},
	{Name: "monthly_offer", Language: "en", Category: messaging.CategoryMarketing, BodyParams: []string{"1", "2"}},
	{Name: "double_points", Language: "en", Category: messaging.CategoryMarketing, BodyParams: []string{"1"}},
	{Name: "birthday_bonus", Language: "en", Category: messaging.CategoryMarketing, BodyParams: []string{"1", "2"}},
	{Name: "winback_60", Language: "en", Category: messaging.CategoryMarketing, BodyParams: []string{"1", "2"}},
	{Name: "winback_90", Language: "en", Category: messaging.CategoryMarketing, BodyParams: []string{"1"}},
	{Name: "cart_reminder", Language: "en", Category: messaging.CategoryMarketing, BodyParams: []string{"1", "2"}},
	{Name: "cart_last_call", Language: "en", Category: messaging.CategoryMarketing, BodyParams: []string{"1", "2"}},
	{Name: "points_expiring_7d", Language: "en", Category: messaging.CategoryUtility, BodyParams: []string{"1", "2"}},
	{Name: "points_expiring_1d", Language: "en", Category: messaging.CategoryUtility, BodyParams: []string{"1", "2"}},
}

// hubConfig is the simulated tenant's configuration: POS and Shopify
// sales, the chatbot, a spend rule, the sale's utility notification, the
// shipped journeys (docs/journeys.md), a rate card, quiet hours and a
// messaging limit, and schedulers that poll every second or two.
func hubConfig(o Options, hubAddr, sandboxURL string) []byte {
	storeYAML := "  driver: sqlite\n"
	if o.PostgresDSN != "" {
		storeYAML = fmt.Sprintf("  driver: postgres\n  postgres:\n    dsn: %q\n", o.PostgresDSN)
	}
	r := strings.NewReplacer(
		"{data_dir}", o.DataDir, "{listen}", hubAddr, "{sandbox}", sandboxURL, "{store}", storeYAML,
		"{per_second}", fmt.Sprint(o.PerSecond), "{limit}", limitName(o.messagingLimit()),
		"{number}", phoneNumberID, "{waba}", wabaID, "{token}", accessToken, "{app_secret}", appSecret,
		"{pos_secret}", posSecret, "{shop_secret}", shopSecret, "{shop_domain}", shopDomain,
		"{admin}", adminToken, "{tz}", timezone, "{tenant}", Tenant,
	)
	return []byte(r.Replace(configTemplate))
}

func limitName(n int) string {
	if n < 0 {
		return "unlimited"
	}
	return fmt.Sprint(n)
}

const configTemplate = `data_dir: {data_dir}
server:
  listen: {listen}
  admin_token: {admin}
store:
{store}log:
  level: warn
pipeline:
  send:
    unknown_grace: 10s
  scheduler:
    interval: 2s
    campaign_poll: 1s
    journey_poll: 1s
    campaign_batch: 1000
tenants:
  {tenant}:
    name: Sim Coffee
    default_region: ID
    timezone: {tz}
    connectors:
      pos:
        type: pos_webhook
        secret: {pos_secret}
      shop:
        type: shopify
        secret: {shop_secret}
        shop_domain: {shop_domain}
      wa:
        type: whatsapp_cloud
        base_url: {sandbox}
        phone_number_id: "{number}"
        waba_id: "{waba}"
        access_token: {token}
        app_secret: {app_secret}
        verify_token: sim-verify-token
        throughput:
          per_second: {per_second}
          pair_burst: 45
    conversation:
      enabled: true
      sender: wa
      phone_number: "15550009001"
      brand: Sim Coffee
    messaging:
      marketing_consent: opt_in
      quiet_hours: {start: "21:00", end: "08:00"}
      marketing_daily_cap: 2
      messaging_limit: "{limit}"
    pricing:
      currency: USD
      rates:
        default: {marketing: "0.0625", utility: "0.0080", authentication: "0.0080"}
        ID: {marketing: "0.0411", utility: "0.0250", authentication: "0.0250"}
        TR: {marketing: "0.0109", utility: "0.0053", authentication: "0.0053"}
        IT: {marketing: "0.0691", utility: "0.0300", authentication: "0.0300"}
        AE: {marketing: "0.0384", utility: "0.0157", authentication: "0.0157"}
        US: {marketing: "0.0250", utility: "0.0040", authentication: "0.0040"}
    loyalty:
      currency: IDR
      expiry:
        policy: after_days
        days: 365
        remind_days_before: 7
      rules:
        - name: spend
          on: order.paid
          spend:
            unit: "10000"
            points: 1
        - name: welcome
          on: member.joined
          when: 'event.source == "whatsapp"'
          points: 50
    notifications:
      - name: points_earned
        on: points.earned
        sender: wa
        category: utility
        template:
          name: points_earned
          language: en
          body:
            - 'member.name != "" ? member.name : "there"'
            - string(data.points)
            - string(member.balance)
    journeys:
      - name: birthday
        sender: wa
        trigger:
          on: member.birthday
        re_entry: always
        steps:
          - award: 100
            reason: birthday bonus
          - send:
              template:
                name: birthday_bonus
                language: en
                body:
                  - 'data.first_name != "" ? data.first_name : "there"'
                  - "100"
      - name: winback
        sender: wa
        trigger:
          on: points.earned
        goal: points.earned
        re_entry: always
        steps:
          - wait: 1440h
          - wait_until: "10:00"
          - send:
              template:
                name: winback_60
                language: en
                body:
                  - 'data.first_name != "" ? data.first_name : "there"'
                  - member.balance
          - wait: 720h
          - wait_until: "10:00"
          - send:
              template:
                name: winback_90
                language: en
                body:
                  - 'data.first_name != "" ? data.first_name : "there"'
      - name: cart
        sender: wa
        trigger:
          on: checkout.abandoned
        goal: points.earned
        re_entry: 168h
        steps:
          - send:
              template:
                name: cart_reminder
                language: en
                body:
                  - 'data.first_name != "" ? data.first_name : "there"'
                  - data.trigger.url
          - wait: 23h
          - send:
              template:
                name: cart_last_call
                language: en
                body:
                  - 'data.first_name != "" ? data.first_name : "there"'
                  - data.trigger.url
      - name: expiring
        sender: wa
        trigger:
          on: points.expiring
          when: data.points >= 50 && data.expires_at - outcome.occurred_at >= duration("144h")
        goal: reward.redeemed
        re_entry: always
        steps:
          - send:
              category: utility
              template:
                name: points_expiring_7d
                language: en
                body:
                  - 'data.first_name != "" ? data.first_name : "there"'
                  - member.balance
          - wait: 144h
          - if: member.balance >= 50
          - send:
              category: utility
              template:
                name: points_expiring_1d
                language: en
                body:
                  - 'data.first_name != "" ? data.first_name : "there"'
                  - member.balance
`
