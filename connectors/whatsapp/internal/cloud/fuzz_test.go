package cloud

import (
	"net/http"
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/core/fault"
)

// FuzzClassifyResponse feeds arbitrary answers to the error parser: it must
// never panic and always classify.
func FuzzClassifyResponse(f *testing.F) {
	f.Add(400, "", []byte(`{"error":{"message":"(#131026) Message undeliverable","type":"OAuthException","code":131026,"error_data":{"messaging_product":"whatsapp","details":"Message Undeliverable."},"fbtrace_id":"A"}}`))
	f.Add(400, "5", []byte(`{"error":{"code":130429}}`))
	f.Add(503, "Wed, 21 Oct 2015 07:28:00 GMT", []byte(`<html>busy</html>`))
	f.Add(500, "", []byte(`{"error":null}`))
	f.Add(401, "", []byte(`{"error":{"code":"190"}}`))
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		fe := classifyResponse(status, h, body, time.Now())
		if fe == nil || fe.Class == "" || fe.Error() == "" {
			t.Fatalf("unclassified: %#v", fe)
		}
		if fe.Permanent && fe.RetryAfter != 0 {
			t.Fatalf("permanent error with a retry delay: %#v", fe)
		}
		if fe.RetryAfter < 0 || fe.RetryAfter > 24*time.Hour {
			t.Fatalf("retry delay out of range: %s", fe.RetryAfter)
		}
		if fe.Class != fault.ClassOf(fe) {
			t.Fatalf("class mismatch")
		}
	})
}
