package hubspot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
)

// fuzzNow is the fuzzed source's clock: the v3 vector's timestamp, so the
// seed corpus holds HubSpot's own signature.
var fuzzNow = time.UnixMilli(15000000)

// FuzzAccept feeds arbitrary signature headers and bodies to a source
// accepting every version: it must never panic, must accept exactly the
// requests a correct signature of an accepted version covers, and must
// name an accepted delivery by its body's hash.
func FuzzAccept(f *testing.F) {
	f.Add("POST", "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=", vectorTimestamp, "", "", []byte(vectorSingleQuoted))
	f.Add("POST", "", "", "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de", "v1", []byte(vectorBatch))
	f.Add("GET", "", "", "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e", "v2", []byte{})
	f.Add("POST", "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=", "15000001", "", "", []byte(vectorSingleQuoted))
	f.Add("POST", "====", "-1", "zz", "V2", []byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, method, sigV3, ts, sig, version string, body []byte) {
		if method == "" || strings.ContainsAny(method, " \t\r\n/:") || len(method) > 16 {
			method = http.MethodPost
		}
		cfg := NewConfig()
		cfg.ClientSecret = testSecret
		cfg.WebhookURL = vectorURL
		cfg.SignatureVersions = []string{"v1", "v2", "v3"}
		cfg.Enrich = false
		s, err := NewSource(cfg, connectors.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		s.now = func() time.Time { return fuzzNow }
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/hooks/acme/hubspot", bytes.NewReader(body))
		r.Method = method
		set := func(k, v string) {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		set(HeaderSignatureV3, sigV3)
		set(HeaderTimestamp, ts)
		set(HeaderSignature, sig)
		set(HeaderSignatureVersion, version)

		d, err := s.Accept(r, body)
		want := fuzzOracle(method, sigV3, ts, sig, version, body)
		switch {
		case err == nil && !want:
			t.Fatalf("accepted a request no accepted signature covers: %q %q %q %q", sigV3, ts, sig, version)
		case err != nil && want:
			t.Fatalf("refused a correctly signed request: %v", err)
		case err != nil:
			if !strings.Contains(err.Error(), connectors.ErrUnauthorized.Error()) || !isUnauthorized(err) {
				t.Fatalf("refusal does not wrap ErrUnauthorized: %v", err)
			}
		default:
			sum := sha256.Sum256(body)
			if d.ID != hex.EncodeToString(sum[:]) {
				t.Fatalf("delivery id %q is not the body's hash", d.ID)
			}
		}
	})
}

// fuzzOracle says, independently of verify, whether a request is
// authentic: v3 decides when its signature header is there, else
// X-HubSpot-Signature as its version.
func fuzzOracle(method, sigV3, ts, sig, version string, body []byte) bool {
	if v3 := strings.TrimSpace(sigV3); v3 != "" {
		ts = strings.TrimSpace(ts)
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || ts == "" || ts[0] < '0' || ts[0] > '9' {
			return false
		}
		if d := fuzzNow.UnixMilli() - ms; d > DefaultMaxAge.Milliseconds() || -d > DefaultMaxAge.Milliseconds() {
			return false
		}
		return v3 == SignV3(testSecret, method, vectorURL, body, ts)
	}
	sig = strings.ToLower(strings.TrimSpace(sig))
	switch strings.ToLower(strings.TrimSpace(version)) {
	case "", "v1":
		return sig != "" && sig == SignV1(testSecret, body)
	case "v2":
		return sig != "" && sig == SignV2(testSecret, method, vectorURL, body)
	}
	return false
}

func isUnauthorized(err error) bool {
	for e := err; e != nil; {
		if e == connectors.ErrUnauthorized {
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

// FuzzEnrichParse feeds arbitrary bodies to enrichment with its API
// switched off: it must never panic, and must either keep a subset of the
// events or refuse the body permanently.
func FuzzEnrichParse(f *testing.F) {
	f.Add([]byte(vectorBatch))
	f.Add([]byte(`[{"subscriptionType":"contact.propertyChange","objectId":"12","propertyName":"phone"},{"subscriptionType":"object.propertyChange","objectTypeId":"0-3","objectId":1e3}]`))
	f.Add([]byte(`{"events": []}`))
	f.Add([]byte(`[1, "x", null]`))
	f.Add([]byte(`[{"objectId": {"a": 1}, "subscriptionType": 7}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cfg := NewConfig()
		cfg.ClientSecret = testSecret
		cfg.WebhookURL = vectorURL
		cfg.Enrich = false
		s, err := NewSource(cfg, connectors.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Enrich(context.Background(), connectors.Delivery{ID: "d"}, body)
		if err != nil {
			if !fault.IsPermanent(err) || fault.ClassOf(err) != fault.ClassRequest {
				t.Fatalf("refusal is not a permanent request error: %v", err)
			}
			return
		}
		if !bytes.HasPrefix(out, []byte(`{"events":[`)) {
			t.Fatalf("unexpected output %q", out)
		}
	})
}
