package shopify_test

import (
	"fmt"

	"github.com/loyalhub/loyalhub/connectors/shopify"
)

func ExampleDiscountCode() {
	// The same redemption always gets the same code.
	fmt.Println(shopify.DiscountCode("LH-", "rdm_0f1e2d3c4b5a69788796a5b4c3d2e1f0"))
	fmt.Println(shopify.DiscountCode("LH-", "rdm_0f1e2d3c4b5a69788796a5b4c3d2e1f0"))
	// Output:
	// LH-VEF7EGY22M
	// LH-VEF7EGY22M
}
