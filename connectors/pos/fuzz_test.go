package pos_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/pos"
)

// FuzzAccept feeds every scheme and preset with arbitrary bodies and
// header values: Accept never panics, refuses with ErrUnauthorized, accepts
// what is correctly signed, and always names an accepted delivery.
func FuzzAccept(f *testing.F) {
	f.Add([]byte(squareBody), squareSignature)
	f.Add(sampleSale, "sha256="+pos.Sign(secret, sampleSale))
	f.Add([]byte(`{"sales": [`), "")
	f.Add([]byte{0xff, 0xfe, 0x00, 0x7b}, "Bearer "+apiKey)

	apiKeyCfg := pos.NewConfig()
	apiKeyCfg.Auth = pos.Auth{Scheme: "api_key", Key: apiKey, Header: "Authorization"}
	basicCfg := pos.NewConfig()
	basicCfg.Auth = pos.Auth{Scheme: "basic", Username: "till-7", Password: "c0rrect horse"}
	noneCfg := pos.NewConfig()
	noneCfg.Auth.Scheme = "none"
	noneCfg.AllowIPs = []string{"192.0.2.0/24"}

	type source struct {
		name   string
		src    connectors.Source
		header string // where the fuzzed value goes
		sign   func(r *http.Request, body []byte)
	}
	var sources []source
	for _, s := range []struct {
		name   string
		cfg    *pos.Config
		header string
		sign   func(r *http.Request, body []byte)
	}{
		{"plain", defaultConfig(), pos.DefaultSignatureHeader,
			func(r *http.Request, body []byte) { r.Header.Set(pos.DefaultSignatureHeader, pos.Sign(secret, body)) }},
		{"square", squareConfig(), pos.SquareSignatureHeader, signSquare},
		{"loyverse", loyverseConfig(), pos.LoyverseSignatureHeader, signLoyverse},
		{"api_key", apiKeyCfg, "Authorization", func(r *http.Request, _ []byte) { r.Header.Set("Authorization", "Bearer "+apiKey) }},
		{"basic", basicCfg, "Authorization", func(r *http.Request, _ []byte) { r.SetBasicAuth("till-7", "c0rrect horse") }},
		{"none", noneCfg, "X-Forwarded-For", func(*http.Request, []byte) {}},
	} {
		src, err := pos.NewSource(s.cfg)
		if err != nil {
			f.Fatal(err)
		}
		sources = append(sources, source{s.name, src, s.header, s.sign})
	}
	f.Fuzz(func(t *testing.T, body []byte, value string) {
		for _, s := range sources {
			r := httptest.NewRequest(http.MethodPost, "/hooks/acme/pos", bytes.NewReader(body))
			r.Header[http.CanonicalHeaderKey(s.header)] = []string{value}
			d, err := s.src.Accept(r, body)
			switch {
			case err != nil && !errors.Is(err, connectors.ErrUnauthorized):
				t.Fatalf("%s: error does not wrap ErrUnauthorized: %v", s.name, err)
			case err == nil && (d.ID == "" || len(d.ID) > 130):
				t.Fatalf("%s: accepted with delivery id %q", s.name, d.ID)
			}

			r = httptest.NewRequest(http.MethodPost, "/hooks/acme/pos", bytes.NewReader(body))
			s.sign(r, body)
			d, err = s.src.Accept(r, body)
			if err != nil || d.ID == "" || len(d.ID) > 130 {
				t.Fatalf("%s: signed body refused or unnamed: %q, %v", s.name, d.ID, err)
			}
		}
	})
}
