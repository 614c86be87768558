package access_test

import (
	"strings"
	"testing"

	"github.com/loyalhub/loyalhub/core/access"
)

// FuzzParse holds Parse to its contract on any input: it either refuses
// the token, or returns an id and a secret of the right lengths that put
// back together give the token again. The seeds are in testdata/fuzz.
func FuzzParse(f *testing.F) {
	f.Add(access.NewKey().Token)
	f.Fuzz(func(t *testing.T, token string) {
		id, secret, err := access.Parse(token)
		if err != nil {
			if id != "" || secret != "" {
				t.Fatalf("refused %q but returned %q, %q", token, id, secret)
			}
			return
		}
		if len(id) != 8 || len(secret) != 32 {
			t.Fatalf("parsed %q into parts of lengths %d and %d", token, len(id), len(secret))
		}
		if got := access.Prefix + id + "_" + secret; got != token {
			t.Fatalf("parsed %q into parts that make %q", token, got)
		}
		if strings.ContainsAny(id+secret, "_ \t\n") {
			t.Fatalf("parsed %q into parts holding separators", token)
		}
	})
}
