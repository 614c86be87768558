package pos_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/loyalhub/loyalhub/connectors/pos"
)

// A Square subscription: the signature covers the notification URL and
// the body, and the notification's event_id names the delivery.
func ExampleNewSource_square() {
	cfg := pos.NewConfig()
	cfg.Preset = pos.PresetSquare
	cfg.Auth.Secret = "Ibxx_5AKakO-3qeNVR61Dw" // the subscription's signature key
	cfg.Auth.URL = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"
	src, err := pos.NewSource(cfg)
	if err != nil {
		panic(err)
	}
	body := `{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}`
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080/hooks/acme/square", strings.NewReader(body))
	req.Header.Set("X-Square-Hmacsha256-Signature", "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=")
	d, err := src.Accept(req, []byte(body))
	fmt.Println(d.ID, err, pos.MappingOf(cfg))
	// Output:
	// ac3ac95b-f97d-458c-a6e6-18981597e05f <nil> square
}
