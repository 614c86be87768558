package inbox_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/loyalhub/loyalhub/connectors/inbox"
)

func ExampleClient_Post() {
	agents := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("signed:", r.Header.Get(inbox.SignatureHeader) != "")
	}))
	defer agents.Close()

	c := inbox.New(0, nil)
	err := c.Post(context.Background(), agents.URL, "inbox-secret", []byte(`{"event":"handoff.started","tenant":"demo"}`))
	fmt.Println("error:", err)
	// Output:
	// signed: true
	// error: <nil>
}
