package dialog360_test

import (
	"context"
	"fmt"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/dialog360"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/messaging"
	"net/http/httptest"
)

func Example() {
	// The sandbox serves 360dialog's endpoint for numbers with a key.
	sb := sandbox.New(sandbox.Config{Numbers: map[string]sandbox.Number{
		"106540352242922": {DisplayPhoneNumber: "15550783881", WABAID: "102290129340398", DialogAPIKey: "key-1"},
	}}, nil)
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()

	cfg := dialog360.DefaultConfig()
	cfg.BaseURL = srv.URL
	cfg.APIKey = "key-1"
	cfg.WebhookToken = "a-long-enough-webhook-token"
	s, err := dialog360.NewSender(cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = s.Send(context.Background(), messaging.Command{
		Key: "msg_1", To: "+6281234567890", Kind: messaging.KindTemplate, Category: messaging.CategoryUtility,
		Template: &messaging.Template{Name: "points_earned", Language: "en", Body: messaging.Positional("Sari", "120")},
	})
	fmt.Println(err, len(sb.Messages()), sb.Messages()[0].To)
	// Output: <nil> 1 6281234567890
}
