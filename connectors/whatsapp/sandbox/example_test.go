package sandbox_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
)

func Example() {
	sb := sandbox.New(sandbox.Config{
		AccessToken: "test-token",
		Numbers:     map[string]sandbox.Number{"106540352242922": {DisplayPhoneNumber: "15550783881", WABAID: "102290129340398"}},
	}, nil)
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	defer sb.Close(context.Background())

	// The next send fails with Meta's throughput error.
	sb.InjectFault(sandbox.Fault{Count: 1, Code: 130429})

	send := func() int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v24.0/106540352242922/messages",
			strings.NewReader(`{"messaging_product":"whatsapp","to":"6281234567890","type":"text","text":{"body":"Halo"}}`))
		req.Header.Set("Authorization", "Bearer test-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	fmt.Println(send(), send())
	fmt.Println(len(sb.Messages()), sb.Messages()[0].WaID)
	// Output:
	// 400 200
	// 1 6281234567890
}
