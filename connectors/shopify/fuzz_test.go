package shopify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/mappings"
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

// FuzzMapping runs the bundled mapping over arbitrary bodies under every
// documented topic. It must never panic; a failure is a permanent request
// error (a dead letter with its reason); every event it outputs is
// complete, and a phone country is two upper-case letters that comes with
// a phone. Seeds: every recorded payload, and testdata/fuzz/FuzzMapping.
func FuzzMapping(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "..", "mappings", "testdata", "shopify", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for i, file := range files {
		if strings.HasSuffix(file, ".golden.json") || strings.HasSuffix(file, ".delivery.json") {
			continue
		}
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body, uint8(i), i%2 == 0)
	}
	src, _ := mappings.Bundled(shopify.Name)
	p, err := mappings.Compile(shopify.Name, src)
	if err != nil {
		f.Fatal(err)
	}
	country := regexp.MustCompile(`^[A-Z]{2}$`)
	f.Fuzz(func(t *testing.T, body []byte, topic uint8, includeTest bool) {
		d := event.Delivery{
			Tenant: "acme", Connector: "shop", Kind: shopify.Name, DeliveryID: "dlv-1",
			Topic:      documentedTopics[int(topic)%len(documentedTopics)],
			Meta:       map[string]string{shopify.MetaIncludeTestOrders: strconv.FormatBool(includeTest)},
			ReceivedAt: time.Date(2026, 11, 23, 3, 0, 5, 0, time.UTC),
		}
		events, err := p.Run(context.Background(), d, body)
		if err != nil {
			if !fault.IsPermanent(err) || fault.ClassOf(err) != fault.ClassRequest {
				t.Fatalf("%s: not a permanent request error: %v", d.Topic, err)
			}
			return
		}
		for i, e := range events {
			if e.ID == "" || e.Type == "" || e.OccurredAt.IsZero() {
				t.Fatalf("%s: event %d incomplete: %+v", d.Topic, i, e)
			}
			var data struct {
				Phone        *string `json:"phone"`
				PhoneCountry *string `json:"phone_country"`
			}
			if err := json.Unmarshal(e.Data, &data); err != nil {
				t.Fatalf("%s: event %d data: %v: %s", d.Topic, i, err, e.Data)
			}
			if data.PhoneCountry != nil && (!country.MatchString(*data.PhoneCountry) || data.Phone == nil || *data.Phone == "") {
				t.Fatalf("%s: event %d: phone_country %q with phone %v", d.Topic, i, *data.PhoneCountry, data.Phone)
			}
		}
	})
}
