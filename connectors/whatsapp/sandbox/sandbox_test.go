package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testToken   = "EAAtest"
	testPhoneID = "106540352242922"
	testSecret  = "app-secret"
)

func testConfig() Config {
	return Config{
		AccessToken: testToken,
		Numbers:     map[string]Number{testPhoneID: {DisplayPhoneNumber: "15550783881", WABAID: "102290129340398"}},
		AppSecret:   testSecret,
	}
}

func newTestServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s := New(cfg, nil)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		require.NoError(t, s.Close(context.Background()))
		hs.Close()
	})
	return s, hs
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a answer) code() int {
	e, _ := a.body["error"].(map[string]any)
	if e == nil {
		return -1
	}
	c, _ := e["code"].(float64)
	return int(c)
}

func send(t *testing.T, base, token, phoneID, body string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v24.0/"+phoneID+"/messages", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := answer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

const (
	templateBody = `{"messaging_product":"whatsapp","recipient_type":"individual","to":"6281234567890","type":"template","biz_opaque_callback_data":"msg_1","template":{"name":"points_earned","language":{"code":"id"},"components":[{"type":"body","parameters":[{"type":"text","text":"Sari"},{"type":"text","text":"120"}]}]}}`
	textBody     = `{"messaging_product":"whatsapp","to":"6281234567890","type":"text","text":{"body":"hello"}}`
)

func TestSendValidation(t *testing.T) {
	long := strings.Repeat("é", 4097)
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   int
	}{
		{"template", templateBody, 200, -1},
		{"text", textBody, 200, -1},
		{"type defaults to text", `{"messaging_product":"whatsapp","to":"+6281234567890","text":{"body":"hi"}}`, 200, -1},
		{"image by link", `{"messaging_product":"whatsapp","to":"6281234567890","type":"image","image":{"link":"https://example.com/a.jpg"}}`, 200, -1},
		{"interactive buttons", `{"messaging_product":"whatsapp","to":"6281234567890","type":"interactive","interactive":{"type":"button","body":{"text":"Pick"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"A"}}]}}}`, 200, -1},
		{"mark as read", `{"messaging_product":"whatsapp","status":"read","message_id":"wamid.X"}`, 200, -1},
		{"not json", `{"messaging_product":`, 400, 100},
		{"no messaging_product", `{"to":"6281234567890","type":"text","text":{"body":"hi"}}`, 400, 100},
		{"wrong messaging_product", `{"messaging_product":"sms","to":"6281234567890","type":"text","text":{"body":"hi"}}`, 400, 100},
		{"unknown type", `{"messaging_product":"whatsapp","to":"6281234567890","type":"fax","fax":{}}`, 400, 100},
		{"bad recipient_type", `{"messaging_product":"whatsapp","recipient_type":"crowd","to":"6281234567890","text":{"body":"hi"}}`, 400, 100},
		{"missing to", `{"messaging_product":"whatsapp","type":"text","text":{"body":"hi"}}`, 400, 131008},
		{"to not digits", `{"messaging_product":"whatsapp","to":"62-812-abc","type":"text","text":{"body":"hi"}}`, 400, 131009},
		{"text missing", `{"messaging_product":"whatsapp","to":"6281234567890","type":"text"}`, 400, 131008},
		{"text body missing", `{"messaging_product":"whatsapp","to":"6281234567890","type":"text","text":{}}`, 400, 131008},
		{"text body too long", `{"messaging_product":"whatsapp","to":"6281234567890","type":"text","text":{"body":"` + long + `"}}`, 400, 131009},
		{"template name missing", `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"language":{"code":"en"}}}`, 400, 131008},
		{"template language missing", `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"x"}}`, 400, 131008},
		{"template language code missing", `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"x","language":{}}}`, 400, 131008},
		{"template bad component", `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"x","language":{"code":"en"},"components":[{"type":"sidebar"}]}}`, 400, 131009},
		{"template text parameter without text", `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"x","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text"}]}]}}`, 400, 131008},
		{"template text parameter empty", `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"x","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":""}]}]}}`, 400, 100},
		{"template text parameter with a line break", `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"x","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":"Sari\nRahayu"}]}]}}`, 400, 132018},
		{"template text parameter with a tab", `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"x","language":{"code":"en"},"components":[{"type":"header","parameters":[{"type":"text","text":"a\tb"}]}]}}`, 400, 132018},
		{"template text parameter with five spaces", `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"x","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":"a     b"}]}]}}`, 400, 132018},
		{"template text parameter with four spaces", `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"x","language":{"code":"en"},"components":[{"type":"body","parameters":[{"type":"text","text":"a    b"}]}]}}`, 200, -1},
		{"four reply buttons", `{"messaging_product":"whatsapp","to":"6281234567890","type":"interactive","interactive":{"type":"button","body":{"text":"Pick"},"action":{"buttons":[{"type":"reply","reply":{"id":"a","title":"A"}},{"type":"reply","reply":{"id":"b","title":"B"}},{"type":"reply","reply":{"id":"c","title":"C"}},{"type":"reply","reply":{"id":"d","title":"D"}}]}}}`, 400, 131009},
		{"image without link or id", `{"messaging_product":"whatsapp","to":"6281234567890","type":"image","image":{}}`, 400, 131008},
		{"callback data too long", `{"messaging_product":"whatsapp","to":"6281234567890","biz_opaque_callback_data":"` + strings.Repeat("x", 513) + `","text":{"body":"hi"}}`, 400, 131009},
		{"mark as read without message id", `{"messaging_product":"whatsapp","status":"read"}`, 400, 131008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, hs := newTestServer(t, testConfig())
			a := send(t, hs.URL, testToken, testPhoneID, tt.body)
			assert.Equal(t, tt.wantStatus, a.status)
			assert.Equal(t, tt.wantCode, a.code())
			if tt.wantStatus != 200 {
				e := a.body["error"].(map[string]any)
				assert.Equal(t, "OAuthException", e["type"])
				assert.NotEmpty(t, e["message"])
				assert.NotEmpty(t, e["fbtrace_id"])
				assert.Empty(t, s.Messages(), "a rejected send is not recorded")
			}
		})
	}
}

func TestSendAnswer(t *testing.T) {
	s, hs := newTestServer(t, testConfig())
	a := send(t, hs.URL, testToken, testPhoneID, templateBody)
	require.Equal(t, 200, a.status)
	assert.Equal(t, "whatsapp", a.body["messaging_product"])
	assert.Equal(t, []any{map[string]any{"input": "6281234567890", "wa_id": "6281234567890"}}, a.body["contacts"])
	msgs := a.body["messages"].([]any)
	require.Len(t, msgs, 1)
	id := msgs[0].(map[string]any)["id"].(string)
	assert.True(t, strings.HasPrefix(id, "wamid."), id)
	assert.Equal(t, "accepted", msgs[0].(map[string]any)["message_status"])

	text := send(t, hs.URL, testToken, testPhoneID, `{"messaging_product":"whatsapp","to":"+6289999999999","text":{"body":"hi"}}`)
	require.Equal(t, 200, text.status)
	assert.Equal(t, []any{map[string]any{"input": "+6289999999999", "wa_id": "6289999999999"}}, text.body["contacts"])

	got := s.Messages()
	require.Len(t, got, 2)
	assert.Equal(t, id, got[0].ID)
	assert.Equal(t, "6281234567890", got[0].To)
	assert.Equal(t, "template", got[0].Type)
	assert.Equal(t, "msg_1", got[0].CallbackData)
	assert.JSONEq(t, templateBody, string(got[0].Body))
	assert.NotEqual(t, got[0].ID, got[1].ID)

	t.Run("list filtered by recipient", func(t *testing.T) {
		resp, err := http.Get(hs.URL + "/sandbox/messages?to=%2B6289999999999")
		require.NoError(t, err)
		defer resp.Body.Close()
		var list []Received
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
		require.Len(t, list, 1)
		assert.Equal(t, "6289999999999", list[0].WaID)
	})
	t.Run("clear", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodDelete, hs.URL+"/sandbox/messages", nil)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		assert.Empty(t, s.Messages())
	})
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name       string
		token      string
		phoneID    string
		wantStatus int
		wantCode   int
	}{
		{"valid", testToken, testPhoneID, 200, -1},
		{"missing token", "", testPhoneID, 401, 190},
		{"wrong token", "nope", testPhoneID, 401, 190},
		{"unknown number", testToken, "999", 400, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, hs := newTestServer(t, testConfig())
			a := send(t, hs.URL, tt.token, tt.phoneID, textBody)
			assert.Equal(t, tt.wantStatus, a.status)
			assert.Equal(t, tt.wantCode, a.code())
			if tt.wantStatus == 401 {
				assert.Contains(t, a.header.Get("WWW-Authenticate"), "invalid_token")
			}
		})
	}
}

func TestFaults(t *testing.T) {
	t.Run("http status then success", func(t *testing.T) {
		s, hs := newTestServer(t, testConfig())
		s.InjectFault(Fault{Count: 2, HTTPStatus: 503})
		for range 2 {
			a := send(t, hs.URL, testToken, testPhoneID, textBody)
			assert.Equal(t, 503, a.status)
			assert.Nil(t, a.body, "a proxy error has no Graph body")
		}
		assert.Equal(t, 200, send(t, hs.URL, testToken, testPhoneID, textBody).status)
		assert.Len(t, s.Messages(), 1)
		assert.Equal(t, 3, s.Attempts())
	})
	t.Run("code with retry after", func(t *testing.T) {
		s, hs := newTestServer(t, testConfig())
		s.InjectFault(Fault{Count: 1, Code: 130429, RetryAfter: 7})
		a := send(t, hs.URL, testToken, testPhoneID, textBody)
		assert.Equal(t, 400, a.status)
		assert.Equal(t, 130429, a.code())
		assert.Equal(t, "7", a.header.Get("Retry-After"))
		e := a.body["error"].(map[string]any)
		assert.Equal(t, "(#130429) Rate limit hit", e["message"])
		assert.Equal(t, "whatsapp", e["error_data"].(map[string]any)["messaging_product"])
		assert.Empty(t, s.Messages())
	})
	t.Run("auth code answers 401", func(t *testing.T) {
		s, hs := newTestServer(t, testConfig())
		s.InjectFault(Fault{Count: 1, Code: 190})
		assert.Equal(t, 401, send(t, hs.URL, testToken, testPhoneID, textBody).status)
	})
	t.Run("only the matching recipient", func(t *testing.T) {
		s, hs := newTestServer(t, testConfig())
		s.InjectFault(Fault{Count: 1, Code: 131026, To: "+6281234567890"})
		other := send(t, hs.URL, testToken, testPhoneID, `{"messaging_product":"whatsapp","to":"6280000000000","text":{"body":"hi"}}`)
		assert.Equal(t, 200, other.status)
		assert.Equal(t, 131026, send(t, hs.URL, testToken, testPhoneID, textBody).code())
		assert.Equal(t, 200, send(t, hs.URL, testToken, testPhoneID, textBody).status)
	})
	t.Run("over http", func(t *testing.T) {
		s, hs := newTestServer(t, testConfig())
		resp, err := http.Post(hs.URL+"/sandbox/faults", "application/json", strings.NewReader(`{"count":1,"code":131047}`))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		assert.Equal(t, 131047, send(t, hs.URL, testToken, testPhoneID, textBody).code())
		assert.Empty(t, s.Messages())
	})
	t.Run("invalid over http", func(t *testing.T) {
		_, hs := newTestServer(t, testConfig())
		for _, body := range []string{`{"count":0,"code":1}`, `{"count":1}`, `{"count":1,"http_status":200}`, `{"count":1,"async":true}`, `{"count":1,"colour":"red"}`} {
			resp, err := http.Post(hs.URL+"/sandbox/faults", "application/json", strings.NewReader(body))
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		}
	})
	t.Run("hang until the client gives up", func(t *testing.T) {
		s, hs := newTestServer(t, testConfig())
		s.InjectFault(Fault{Count: 1, Hang: true})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			deadline := time.Now().Add(10 * time.Second)
			for s.Attempts() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hs.URL+"/v24.0/"+testPhoneID+"/messages", strings.NewReader(textBody))
		req.Header.Set("Authorization", "Bearer "+testToken)
		_, err := http.DefaultClient.Do(req)
		require.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, s.Messages())
	})
	t.Run("reset", func(t *testing.T) {
		s, hs := newTestServer(t, testConfig())
		s.InjectFault(Fault{Count: 1, Reset: true})
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/v24.0/"+testPhoneID+"/messages", strings.NewReader(textBody))
		req.Header.Set("Authorization", "Bearer "+testToken)
		_, err := http.DefaultClient.Do(req)
		require.Error(t, err)
		assert.Empty(t, s.Messages())
	})
}

// hub is a webhook receiver that verifies signatures and hands over each
// accepted body.
type hub struct {
	t      *testing.T
	secret string // the app secret signatures are checked with; default testSecret
	mu     sync.Mutex
	fail   int // answer 500 to this many requests first
	posts  int
	bodies chan []byte
	raw    chan []byte // the same bodies, for tests that read them raw
}

func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	secret := h.secret
	if secret == "" {
		secret = testSecret
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Hub-Signature-256"))) {
		h.t.Errorf("bad signature %q", r.Header.Get("X-Hub-Signature-256"))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h.mu.Lock()
	h.posts++
	fail := h.posts <= h.fail
	h.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	h.bodies <- body
	select {
	case h.raw <- body:
	default:
	}
}

func newHub(t *testing.T, fail int) (*hub, *httptest.Server) {
	h := &hub{t: t, fail: fail, bodies: make(chan []byte, 100), raw: make(chan []byte, 100)}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return h, hs
}

func receive(t *testing.T, h *hub) webhookBody {
	t.Helper()
	select {
	case b := <-h.bodies:
		var env webhookBody
		require.NoError(t, json.Unmarshal(b, &env))
		return env
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook arrived")
		return webhookBody{}
	}
}

func TestStatusWebhooks(t *testing.T) {
	h, hubSrv := newHub(t, 0)
	cfg := testConfig()
	cfg.WebhookURL = hubSrv.URL
	s, hs := newTestServer(t, cfg)
	s.Start(context.Background())

	a := send(t, hs.URL, testToken, testPhoneID, templateBody)
	require.Equal(t, 200, a.status)
	wamid := a.body["messages"].([]any)[0].(map[string]any)["id"].(string)

	var statuses []Status
	for len(statuses) < 3 {
		env := receive(t, h)
		assert.Equal(t, "whatsapp_business_account", env.Object)
		require.Len(t, env.Entry, 1)
		assert.Equal(t, "102290129340398", env.Entry[0].ID)
		require.Len(t, env.Entry[0].Changes, 1)
		ch := env.Entry[0].Changes[0]
		assert.Equal(t, "messages", ch.Field)
		assert.Equal(t, "whatsapp", ch.Value.MessagingProduct)
		assert.Equal(t, webhookMetadata{DisplayPhoneNumber: "15550783881", PhoneNumberID: testPhoneID}, ch.Value.Metadata)
		statuses = append(statuses, ch.Value.Statuses...)
	}
	require.Len(t, statuses, 3)
	for i, want := range []string{"sent", "delivered", "read"} {
		st := statuses[i]
		assert.Equal(t, want, st.Status)
		assert.Equal(t, wamid, st.ID)
		assert.Equal(t, "6281234567890", st.RecipientID)
		assert.Equal(t, "msg_1", st.BizOpaqueCallbackData)
		assert.Regexp(t, `^[0-9]{10}$`, st.Timestamp)
		if want == "read" {
			assert.Nil(t, st.Pricing)
		} else {
			assert.Equal(t, &Pricing{Billable: true, PricingModel: "PMP", Type: "regular", Category: "utility"}, st.Pricing)
		}
	}
}

func TestStatusWebhookRetry(t *testing.T) {
	h, hubSrv := newHub(t, 2)
	cfg := testConfig()
	cfg.WebhookURL = hubSrv.URL
	cfg.Statuses = []string{"sent"}
	cfg.WebhookRetryMin = 5 * time.Millisecond
	s, hs := newTestServer(t, cfg)
	s.Start(context.Background())

	require.Equal(t, 200, send(t, hs.URL, testToken, testPhoneID, textBody).status)
	env := receive(t, h)
	assert.Equal(t, "sent", env.Entry[0].Changes[0].Value.Statuses[0].Status)
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Equal(t, 3, h.posts, "two refused deliveries, then the accepted one")
}

func TestStatusWebhookBatching(t *testing.T) {
	h, hubSrv := newHub(t, 0)
	cfg := testConfig()
	cfg.WebhookURL = hubSrv.URL
	cfg.WebhookBatch = 4
	s, hs := newTestServer(t, cfg)
	for range 5 { // queued before Start: dispatched in one round
		require.Equal(t, 200, send(t, hs.URL, testToken, testPhoneID, textBody).status)
	}
	s.Start(context.Background())

	var sizes []int
	total := 0
	for total < 15 {
		env := receive(t, h)
		n := len(env.Entry[0].Changes[0].Value.Statuses)
		sizes = append(sizes, n)
		total += n
	}
	assert.Equal(t, 15, total)
	assert.ElementsMatch(t, []int{4, 4, 4, 3}, sizes)
}

func TestAsyncFault(t *testing.T) {
	h, hubSrv := newHub(t, 0)
	cfg := testConfig()
	cfg.WebhookURL = hubSrv.URL
	s, hs := newTestServer(t, cfg)
	s.Start(context.Background())
	s.InjectFault(Fault{Count: 1, Code: 131026, Async: true})

	require.Equal(t, 200, send(t, hs.URL, testToken, testPhoneID, templateBody).status)
	st := receive(t, h).Entry[0].Changes[0].Value.Statuses
	require.Len(t, st, 1)
	assert.Equal(t, "failed", st[0].Status)
	assert.Nil(t, st[0].Pricing)
	require.Len(t, st[0].Errors, 1)
	assert.Equal(t, 131026, st[0].Errors[0].Code)
	assert.Equal(t, "Message undeliverable", st[0].Errors[0].Title)
	assert.NotEmpty(t, st[0].Errors[0].ErrorData.Details)
	assert.Len(t, s.Messages(), 1)
}

// With RefuseByWebhook, a refusal Meta makes after accepting a message
// answers 200 and arrives as a failed status; a refusal made before
// accepting (the template registry) is still answered at once.
func TestRefuseByWebhook(t *testing.T) {
	h, hubSrv := newHub(t, 0)
	cfg := testConfig()
	cfg.WebhookURL = hubSrv.URL
	cfg.EnforceWindow, cfg.RefuseByWebhook = true, true
	s, hs := newTestServer(t, cfg)
	s.Start(context.Background())

	a := send(t, hs.URL, testToken, testPhoneID, textBody)
	require.Equal(t, http.StatusOK, a.status, "accepted first: %v", a.body)
	st := receive(t, h).Entry[0].Changes[0].Value.Statuses
	require.Len(t, st, 1)
	assert.Equal(t, "failed", st[0].Status)
	require.Len(t, st[0].Errors, 1)
	assert.Equal(t, 131047, st[0].Errors[0].Code)
	assert.Contains(t, st[0].Errors[0].ErrorData.Details, "24 hours")
	assert.Len(t, s.Messages(), 1)
}

func TestMetaEscape(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii", `{"a":"b"}`, `{"a":"b"}`},
		{"slash", `{"href":"https://x/y"}`, `{"href":"https:\/\/x\/y"}`},
		{"latin", `{"n":"Señor"}`, `{"n":"Se\u00f1or"}`},
		{"emoji", `{"e":"🎉"}`, `{"e":"\ud83c\udf89"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := metaEscape([]byte(tt.in))
			assert.Equal(t, tt.want, string(out))
			var a, b any
			require.NoError(t, json.Unmarshal([]byte(tt.in), &a))
			require.NoError(t, json.Unmarshal(out, &b))
			assert.Equal(t, a, b)
		})
	}
}

func TestSign(t *testing.T) {
	body := []byte(`{"object":"whatsapp_business_account"}`)
	mac := hmac.New(sha256.New, []byte("s"))
	mac.Write(body)
	assert.Equal(t, "sha256="+hex.EncodeToString(mac.Sum(nil)), Sign("s", body))
	assert.False(t, bytes.Equal([]byte(Sign("s", body)), []byte(Sign("t", body))))
}

func TestCloseTwiceWithoutStart(t *testing.T) {
	s := New(testConfig(), nil)
	require.NoError(t, s.Close(context.Background()))
	require.NoError(t, s.Close(context.Background()))
	s.Start(context.Background()) // after Close: no goroutines
	require.NoError(t, s.Close(context.Background()))
}
