package shopify_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/shopify"
)

// FuzzAccept feeds Accept arbitrary bodies and headers. It must never
// panic, must refuse anything not signed with the secret as unauthorized,
// and must accept whatever is, naming it the same way every time. Seeds are
// in testdata/fuzz/FuzzAccept.
func FuzzAccept(f *testing.F) {
	f.Add([]byte(referenceBody), referenceSignature, shopDomain, "orders/paid", "98880550-7158-44d4-b7cd-2c97c8a091b5", false)
	f.Add([]byte(`{"id": `), "", "", "", "", true)
	conn := newConnector(f, nil)
	f.Fuzz(func(t *testing.T, body []byte, signature, shop, topic, eventID string, sign bool) {
		if sign {
			signature = shopify.Sign(secret, body)
		}
		r := httptest.NewRequest(http.MethodPost, "/hooks/acme/shop", nil)
		for name, v := range map[string]string{
			shopify.HeaderHMAC: signature, shopify.HeaderShopDomain: shop,
			shopify.HeaderTopic: topic, shopify.HeaderEventID: eventID,
		} {
			r.Header[http.CanonicalHeaderKey(name)] = []string{v}
		}
		d, err := conn.Accept(r, body)
		valid := strings.TrimSpace(signature) == shopify.Sign(secret, body)
		if err != nil {
			if !errors.Is(err, connectors.ErrUnauthorized) {
				t.Fatalf("error does not wrap ErrUnauthorized: %v", err)
			}
			if valid {
				t.Fatalf("validly signed delivery refused: %v", err)
			}
			return
		}
		if !valid {
			t.Fatalf("delivery accepted with signature %q", signature)
		}
		if d.ID == "" || len(d.ID) > 4*130 {
			t.Fatalf("delivery id %q", d.ID)
		}
		again, err := conn.Accept(r, body)
		if err != nil || again.ID != d.ID || again.Topic != d.Topic {
			t.Fatalf("second Accept differs: %+v, %v; first %+v", again, err, d)
		}
	})
}
