package pipelines

import _ "embed"

// DemoConfig is the configuration `loyalhub demo` runs on.
//
//go:embed demo.yaml
var DemoConfig []byte

// Demo identities, matching DemoConfig; the demo's sandbox BSP is set up
// with the same values.
const (
	DemoTenant        = "demo"
	DemoPOSSecret     = "demo-pos-secret"
	DemoShopifySecret = "demo-shopify-secret"
	DemoShopDomain    = "demo-coffee.myshopify.com"
	DemoAdminToken    = "demo-admin-token"
	DemoAccessToken   = "demo-access-token"
	DemoAppSecret     = "demo-app-secret"
	DemoPhoneNumberID = "100000000000001"
)
