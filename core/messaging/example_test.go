package messaging_test

import (
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

func ExampleDecide() {
	jakarta, _ := time.LoadLocation("Asia/Jakarta")
	policy := messaging.NewPolicy(config.Messaging{
		MarketingConsent:  config.ConsentOptIn,
		MarketingDailyCap: 2,
		QuietHours:        config.QuietHours{Start: "21:00", End: "08:00"},
	}, jakarta)
	promo := messaging.Command{Key: "promo-1", To: "+6281234567890", Kind: messaging.KindTemplate,
		Category: messaging.CategoryMarketing, Template: &messaging.Template{Name: "double_points", Language: "id"}}
	sari := member.Contact{Phone: "+6281234567890", Marketing: member.ConsentOptedIn}

	evening := time.Date(2026, 3, 14, 22, 0, 0, 0, jakarta)
	d := messaging.Decide(sari, promo, policy, messaging.Facts{}, evening)
	fmt.Println(d.Verdict, d.Reason)

	morning := time.Date(2026, 3, 15, 9, 0, 0, 0, jakarta)
	d = messaging.Decide(sari, promo, policy, messaging.Facts{MarketingToday: 2}, morning)
	fmt.Println(d.Verdict, d.Code)

	d = messaging.Decide(member.Contact{}, promo, policy, messaging.Facts{}, morning)
	fmt.Println(d.Verdict, d.Code)

	d = messaging.Decide(sari, promo, policy, messaging.Facts{MarketingToday: 1}, morning)
	fmt.Println(d.Verdict, d.Command.To)
	// Output:
	// defer quiet hours until 08:00
	// skip daily_cap
	// skip no_consent
	// send +6281234567890
}
