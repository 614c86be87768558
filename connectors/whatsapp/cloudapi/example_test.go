package cloudapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/cloudapi"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/messaging"
)

func ExampleSender_Send() {
	sb := sandbox.New(sandbox.Config{AccessToken: "test-token"}, nil)
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()

	cfg := cloudapi.DefaultConfig()
	cfg.BaseURL = srv.URL // the sandbox stands in for graph.facebook.com
	cfg.PhoneNumberID = "106540352242922"
	cfg.AccessToken = "test-token"
	cfg.AppSecret = "app-secret"
	s, err := cloudapi.NewSender(cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	cmd := messaging.Command{
		Key:  "msg_1",
		To:   "+6281234567890",
		Kind: messaging.KindTemplate,
		Template: &messaging.Template{
			Name: "points_earned", Language: "id", Body: messaging.Positional("Sari", "120"),
		},
	}
	res, err := s.Send(context.Background(), cmd)
	fmt.Println(strings.HasPrefix(res.ProviderMessageID, "wamid."), res.WaID, err)

	sb.InjectFault(sandbox.Fault{Count: 1, Code: 131026})
	_, err = s.Send(context.Background(), cmd)
	fmt.Println(fault.IsPermanent(err), fault.ClassOf(err), fault.CodeOf(err))
	// Output:
	// true 6281234567890 <nil>
	// true recipient 131026
}

func ExampleVerifySignature() {
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	header := sandbox.Sign("app-secret", body) // what Meta sends as X-Hub-Signature-256
	fmt.Println(cloudapi.VerifySignature([]byte("app-secret"), header, body))
	fmt.Println(cloudapi.VerifySignature([]byte("wrong"), header, body) != nil)
	// Output:
	// <nil>
	// true
}
