package cloudapi

import (
	"testing"
)

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
