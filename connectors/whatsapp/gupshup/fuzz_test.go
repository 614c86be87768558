package gupshup

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/mappings"
)

// FuzzWebhook feeds arbitrary bodies, with the right token, to the source
// and the mapping: the source accepts every one (a body is never refused
// for its content), and the mapping never errors as a whole nor panics:
// each body maps to events, is ignored, or fails with a reason, to be
// dead-lettered. Seeds are testdata/*.json.
func FuzzWebhook(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.json")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds in testdata: %v", err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"message","payload":{"id":1,"payload":[]}}`))
	f.Add([]byte(`{"type":"message-event","timestamp":-1,"payload":{"id":"x","type":"failed","payload":{"code":{}}}}`))
	src := NewSource(testConfig(DefaultBaseURL))
	code, _ := mappings.Bundled(TypeName)
	p, err := mappings.Compile(TypeName, code)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/acme/wa?token="+testToken, nil)
		d, err := src.Accept(r, body)
		if err != nil {
			t.Fatalf("refused a body with the right token: %v", err)
		}
		res, err := p.Map(context.Background(), event.Delivery{
			DeliveryID: d.ID, Tenant: "acme", Connector: "wa", Kind: TypeName, Topic: d.Topic, ReceivedAt: time.Unix(1795921205, 0),
		}, body)
		if err != nil {
			return // not JSON: the hub dead-letters it with the reason
		}
		for _, fl := range res.Failed {
			if fl.Reason == "" {
				t.Fatalf("a failed item without a reason: %s", body)
			}
		}
		if len(res.Events)+len(res.Failed)+len(res.Ignored) == 0 {
			t.Fatalf("mapped to nothing, neither failed nor ignored: %s", body)
		}
	})
}
