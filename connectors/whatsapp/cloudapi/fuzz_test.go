package cloudapi

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

// FuzzVerifySignature feeds arbitrary headers and bodies to the signature
// check: it must never panic, accept only the right signature, and accept
// the right signature for every body.
func FuzzVerifySignature(f *testing.F) {
	f.Add("app-secret", "sha256=6c1b1d1b4f5e9f8c1b0a3e6d2f7a9b8c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a", []byte(`{"object":"whatsapp_business_account"}`))
	f.Add("s", "", []byte(""))
	f.Add("s", "sha256=", []byte("x"))
	f.Add("s", "sha1=abc", []byte("x"))
	f.Add("", "sha256=00", []byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, secret, header string, body []byte) {
		err := VerifySignature([]byte(secret), header, body)
		good := hubSignature(secret, string(body))
		if err == nil && secret == "" {
			t.Fatal("accepted without a secret")
		}
		if err == nil && !equalFoldASCII(header, good) {
			t.Fatalf("accepted a wrong signature %q", header)
		}
		if secret != "" {
			if err := VerifySignature([]byte(secret), good, body); err != nil {
				t.Fatalf("rejected the right signature: %v", err)
			}
		}
	})
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
