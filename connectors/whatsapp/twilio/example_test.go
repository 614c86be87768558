package twilio_test

import (
	"fmt"
	"net/url"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/twilio"
)

// The signature Twilio puts in X-Twilio-Signature, for the worked example
// of its request validation documentation.
func ExampleSignature() {
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+14158675309"},
		"Digits":  {"1234"},
		"From":    {"+14158675309"},
		"To":      {"+18005551212"},
	}
	fmt.Println(twilio.Signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params))
	// Output: RSOYDt4T1cUTdK1PDd93/VVr8B8=
}
