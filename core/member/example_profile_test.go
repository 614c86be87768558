package member_test

import (
	"fmt"

	"github.com/loyalhub/loyalhub/core/member"
)

func ExampleMergeProfile() {
	known := member.Profile{Source: "shopify", City: "Jakarta", Tags: []string{"vip"}}
	said := member.Profile{Source: "pos", City: "Bandung", Store: "bdg-02", Tags: []string{"staff", "vip"}}
	p := member.MergeProfile(known, said)
	fmt.Println(p.Source, p.City, p.Store, p.Tags)
	// Output: shopify Bandung bdg-02 [vip staff]
}
