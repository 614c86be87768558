package hubspot_test

import (
	"fmt"
	"net/http"

	"github.com/loyalhub/loyalhub/connectors/hubspot"
)

// HubSpot's own v3 test vector (hubspot-api-python): the body is signed
// byte for byte, single quotes and all.
func ExampleSignV3() {
	sig := hubspot.SignV3("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", http.MethodPost,
		"https://www.example.com/webhook_uri", []byte(`{'example_field':'example_value'}`), "15000000")
	fmt.Println(sig)
	// Output: HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=
}

// The URI HubSpot signs with v3 has some escapes decoded.
func ExampleDecodeURI() {
	fmt.Println(hubspot.DecodeURI("https://loyalty.example.com/hooks/acme/hubspot?from=app%3A7906213%2Cv3"))
	// Output: https://loyalty.example.com/hooks/acme/hubspot?from=app:7906213,v3
}
