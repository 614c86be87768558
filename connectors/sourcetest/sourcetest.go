// Package sourcetest is the conformance suite every webhook source passes:
// it proves that a source authenticates requests, names deliveries
// deterministically (and never by an unsigned header alone, which a sender
// may reuse for another body) and never rejects a signed payload for its
// content, nor any of the provider's recorded payloads.
//
// A source's tests call Run with a Harness:
//
//	func TestConformance(t *testing.T) {
//		src, err := pos.NewSource(&pos.Config{Secret: "s3cret", ...})
//		require.NoError(t, err)
//		sourcetest.Run(t, sourcetest.Harness{
//			Source: src,
//			Sign: func(r *http.Request, body []byte) {
//				r.Header.Set("X-Loyalhub-Signature", pos.Sign("s3cret", body))
//			},
//			Body: sampleBody,
//		})
//	}
package sourcetest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
)

// Harness is what the suite needs from a source.
type Harness struct {
	// Source under test, constructed and ready.
	Source connectors.Source
	// Sign authenticates r for body exactly as the provider would, setting
	// the signature header and any other header the provider sends with it
	// (timestamp, delivery id). A delivery id header Sign sets must differ
	// between different bodies.
	Sign func(r *http.Request, body []byte)
	// Body is a valid sample payload from the provider.
	Body []byte
	// Other is a second valid payload, different from Body. Default: Body
	// with a trailing newline, which is still the same JSON but not the same
	// bytes.
	Other []byte
	// Path is the request's URL path. Default "/webhooks/tenant/connector".
	Path string
	// SenderOnly says the source authenticates who sends, not what is sent:
	// a shared secret header, an API key, basic auth (360dialog's webhooks
	// are not signed). The checks that a signature binds the body are
	// skipped; every other check applies.
	SenderOnly bool
	// WrongSign, when set, authenticates r for body with a well-formed but
	// wrong signature (another secret). Default: Sign, then one character
	// changed in the middle of every header value Sign set.
	WrongSign func(r *http.Request, body []byte)
	// Samples are recorded payloads of what the provider sends, by name:
	// every documented kind of delivery. Each, signed, must be accepted
	// with a delivery id of its own.
	Samples map[string][]byte
	// Check, when set, is called with every accepted sample, to check what
	// the hub makes of it (its mapping, say).
	Check func(t *testing.T, name string, d connectors.Delivery, body []byte)
}

// Run runs the suite as subtests of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	require.NotNil(t, h.Source, "Harness.Source")
	require.NotNil(t, h.Sign, "Harness.Sign")
	require.NotEmpty(t, h.Body, "Harness.Body")
	if h.Other == nil {
		h.Other = append(bytes.Clone(h.Body), '\n')
	}
	require.NotEqual(t, h.Body, h.Other, "Harness.Other must differ from Harness.Body")
	if h.Path == "" {
		h.Path = "/webhooks/tenant/connector"
	}

	signed := func(body []byte) (connectors.Delivery, error) {
		r := newRequest(h.Path, body)
		h.Sign(r, body)
		return accept(t, h.Source, r, body)
	}

	t.Run("valid request is accepted", func(t *testing.T) {
		d, err := signed(h.Body)
		require.NoError(t, err)
		assert.NotEmpty(t, d.ID, "delivery id")
	})

	t.Run("same body twice has the same delivery id", func(t *testing.T) {
		first, err := signed(h.Body)
		require.NoError(t, err)
		second, err := signed(bytes.Clone(h.Body))
		require.NoError(t, err)
		assert.Equal(t, first.ID, second.ID)
		assert.Equal(t, first.Topic, second.Topic)
	})

	t.Run("different bodies have different delivery ids", func(t *testing.T) {
		a, err := signed(h.Body)
		require.NoError(t, err)
		b, err := signed(h.Other)
		require.NoError(t, err)
		assert.NotEqual(t, a.ID, b.ID)
	})

	// A delivery id header is not covered by the signature: a sender that
	// reuses one (a bug, a replay) must not make another signed body pass
	// for a retry of the first and be dropped as a duplicate.
	t.Run("a delivery id header reused with another body names another delivery", func(t *testing.T) {
		r1 := newRequest(h.Path, h.Body)
		h.Sign(r1, h.Body)
		first, err := accept(t, h.Source, r1, h.Body)
		require.NoError(t, err)
		r2 := newRequest(h.Path, h.Other)
		h.Sign(r2, h.Other)
		for name, values := range r1.Header {
			if slices.Equal(values, r2.Header[name]) {
				continue
			}
			r := newRequest(h.Path, h.Other)
			h.Sign(r, h.Other)
			r.Header[name] = slices.Clone(values)
			d, err := accept(t, h.Source, r, h.Other)
			if err != nil {
				continue // the header authenticates the body: a signature
			}
			assert.NotEqual(t, first.ID, d.ID, "%s of one body, sent with another, makes it a duplicate", name)
		}
	})

	rejected := []struct {
		name    string
		request func(t *testing.T) (*http.Request, []byte)
		// bindsBody marks a check that only a signature over the body
		// can pass.
		bindsBody bool
	}{
		{
			name: "missing signature is unauthorized",
			request: func(t *testing.T) (*http.Request, []byte) {
				return newRequest(h.Path, h.Body), h.Body
			},
		},
		{
			name: "wrong signature is unauthorized",
			request: func(t *testing.T) (*http.Request, []byte) {
				r := newRequest(h.Path, h.Body)
				if h.WrongSign != nil {
					h.WrongSign(r, h.Body)
				} else if !corruptSign(h.Sign, r, h.Body) {
					t.Fatal("Harness.Sign set no header: set Harness.WrongSign")
				}
				return r, h.Body
			},
		},
		{
			name:      "signature of another body is unauthorized",
			bindsBody: true,
			request: func(t *testing.T) (*http.Request, []byte) {
				r := newRequest(h.Path, h.Body)
				h.Sign(r, h.Other)
				return r, h.Body
			},
		},
		{
			name:      "body tampered after signing is unauthorized",
			bindsBody: true,
			request: func(t *testing.T) (*http.Request, []byte) {
				r := newRequest(h.Path, h.Body)
				h.Sign(r, h.Body)
				tampered := bytes.Clone(h.Body)
				tampered[len(tampered)/2] ^= 0x01
				return r, tampered
			},
		},
		{
			name:      "truncated body is unauthorized",
			bindsBody: true,
			request: func(t *testing.T) (*http.Request, []byte) {
				r := newRequest(h.Path, h.Body)
				h.Sign(r, h.Body)
				return r, h.Body[:len(h.Body)-1]
			},
		},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			if tt.bindsBody && h.SenderOnly {
				t.Skip("the source authenticates the sender, not the body")
			}
			r, body := tt.request(t)
			_, err := accept(t, h.Source, r, body)
			require.Error(t, err)
			assert.ErrorIs(t, err, connectors.ErrUnauthorized)
		})
	}

	t.Run("signed malformed JSON is accepted", func(t *testing.T) {
		for _, body := range [][]byte{
			[]byte(`{"sale_id": `),
			[]byte(`not json at all`),
			{0xff, 0xfe, 0x00, 0x7b},
		} {
			d, err := signed(body)
			require.NoError(t, err, "body %q", body)
			assert.NotEmpty(t, d.ID, "delivery id of body %q", body)
		}
	})

	t.Run("signed empty body is accepted or unauthorized", func(t *testing.T) {
		for _, body := range [][]byte{nil, {}} {
			d, err := signed(body)
			if err != nil {
				assert.ErrorIs(t, err, connectors.ErrUnauthorized)
				continue
			}
			assert.NotEmpty(t, d.ID, "delivery id")
		}
	})

	t.Run("recorded payloads are accepted", func(t *testing.T) {
		if len(h.Samples) == 0 {
			t.Skip("the harness has no recorded payloads")
		}
		names := make([]string, 0, len(h.Samples))
		for name := range h.Samples {
			names = append(names, name)
		}
		sort.Strings(names)
		ids := map[string]string{}
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				body := h.Samples[name]
				d, err := signed(body)
				require.NoError(t, err)
				require.NotEmpty(t, d.ID, "delivery id")
				if other, dup := ids[d.ID]; dup && !bytes.Equal(h.Samples[other], body) {
					t.Errorf("samples %s and %s have the same delivery id", other, name)
				}
				ids[d.ID] = name
				if h.Check != nil {
					h.Check(t, name, d, body)
				}
			})
		}
	})

	t.Run("concurrent requests", func(t *testing.T) {
		want, err := signed(h.Body)
		require.NoError(t, err)
		const n = 16
		errs := make([]error, n)
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			body, valid := h.Body, i%2 == 0
			r := newRequest(h.Path, body)
			if valid {
				h.Sign(r, body)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := h.Source.Accept(r, body)
				ids[i], errs[i] = d.ID, err
			}()
		}
		wg.Wait()
		for i := range n {
			if i%2 == 0 {
				assert.NoError(t, errs[i], "request %d", i)
				assert.Equal(t, want.ID, ids[i], "request %d", i)
			} else {
				assert.ErrorIs(t, errs[i], connectors.ErrUnauthorized, "request %d", i)
			}
		}
	})
}

func newRequest(path string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// accept calls Accept, turning a panic into a test failure with context.
func accept(t *testing.T, s connectors.Source, r *http.Request, body []byte) (d connectors.Delivery, err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("Accept panicked on body %q: %v", body, p)
		}
	}()
	return s.Accept(r, body)
}

// corruptSign signs r for body, then changes one character in the middle of
// every header value the signing set or changed. The middle is used because
// the last characters of base64 may only carry padding bits.
func corruptSign(sign func(*http.Request, []byte), r *http.Request, body []byte) bool {
	before := r.Header.Clone()
	sign(r, body)
	changed := 0
	for name, values := range r.Header {
		for i, v := range values {
			if i < len(before[name]) && before[name][i] == v {
				continue
			}
			values[i] = flipMiddle(v)
			changed++
		}
	}
	return changed > 0
}

// flipMiddle replaces the alphanumeric character nearest the middle of s by
// another of the same class, keeping s well-formed hex, base64 or digits.
func flipMiddle(s string) string {
	b := []byte(s)
	for off := 0; off < len(b); off++ {
		for _, i := range []int{len(b)/2 + off, len(b)/2 - off} {
			if i < 0 || i >= len(b) {
				continue
			}
			switch c := b[i]; {
			case c >= '0' && c <= '8', c >= 'a' && c <= 'e', c >= 'A' && c <= 'E':
				b[i] = c + 1
				return string(b)
			case c == '9', c == 'f', c == 'F':
				b[i] = c - 1
				return string(b)
			case c >= 'g' && c <= 'z', c >= 'G' && c <= 'Z':
				b[i] = c - 1
				return string(b)
			}
		}
	}
	return s + "0"
}
