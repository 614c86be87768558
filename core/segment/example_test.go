package segment_test

import (
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/segment"
)

// A condition is compiled once, tells a store which facts to read, and
// matches one member's facts at a time.
func ExampleCompile() {
	c, err := segment.Compile(`tier == "gold" && days_since_purchase > 60 && opted_in`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("needs: %+v\n", c.Needs())

	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	env := segment.NewEnv()
	for _, f := range []segment.Facts{
		{Member: member.Member{Tier: member.Tier{Name: "gold"}}, Consent: member.ConsentOptedIn,
			LastPurchaseAt: now.AddDate(0, -3, 0)},
		{Member: member.Member{Tier: member.Tier{Name: "gold"}}, Consent: member.ConsentOptedIn,
			LastPurchaseAt: now.AddDate(0, 0, -5)},
	} {
		env.Fill(&f, now)
		ok, _ := c.Match(env)
		fmt.Println(env.DaysSincePurchase, ok)
	}
	// Output:
	// needs: {Consent:true Orders:true Windows:[] Expiring:[]}
	// 91 true
	// 5 false
}
