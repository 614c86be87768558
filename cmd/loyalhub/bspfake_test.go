package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fakeBSP is the crash test's WhatsApp Cloud API: written for the test from
// Meta's documented formats, sharing no code with the hub or the sandbox.
// It accepts every send, keeps each one by its biz_opaque_callback_data,
// and posts the "sent" status webhook of each accepted send exactly once,
// signed as Meta signs it. Unlike Meta it never retries a status webhook:
// one that reaches a dead hub is lost, the worst case the hub must survive.
// Like Meta it has no idempotency key: a key sent twice is two messages.
type fakeBSP struct {
	token, appSecret      string
	phoneNumberID, wabaID string
	display               string
	webhookURL            string
	client                *http.Client

	mu    sync.Mutex
	sends map[string][]*acceptedSend // by key, in order
	total int
	seq   int
	wg    sync.WaitGroup
}

// acceptedSend is one send the fake accepted, and what became of its
// status webhook.
type acceptedSend struct {
	wamid    string
	to       string
	template string // the template's name; empty for free-form
	at       time.Time
	posted   bool      // the status webhook was attempted
	statusOK bool      // and answered 2xx
	statusAt time.Time // when it was attempted
}

func newFakeBSP(token, appSecret, phoneNumberID, wabaID, display, webhookURL string) *fakeBSP {
	return &fakeBSP{
		token: token, appSecret: appSecret, phoneNumberID: phoneNumberID, wabaID: wabaID, display: display,
		webhookURL: webhookURL,
		client:     &http.Client{Timeout: 5 * time.Second},
		sends:      map[string][]*acceptedSend{},
	}
}

func (f *fakeBSP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now() // before the body is read: the send's time, as near as the fake can tell
	// POST /{version}/{phone_number_id}/messages
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodPost || len(parts) != 3 || parts[1] != f.phoneNumberID || parts[2] != "messages" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		metaError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token.")
		return
	}
	var req struct {
		Product      string `json:"messaging_product"`
		To           string `json:"to"`
		Type         string `json:"type"`
		CallbackData string `json:"biz_opaque_callback_data"`
		Template     struct {
			Name string `json:"name"`
		} `json:"template"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Product != "whatsapp" || req.To == "" || req.Type == "" {
		metaError(w, http.StatusBadRequest, 100, "Invalid parameter")
		return
	}
	if req.CallbackData == "" {
		// Not Meta's rule: the test needs every message's key.
		metaError(w, http.StatusBadRequest, 100, "the crash test needs biz_opaque_callback_data")
		return
	}
	to := strings.TrimPrefix(req.To, "+")
	f.mu.Lock()
	f.seq++
	s := &acceptedSend{wamid: fmt.Sprintf("wamid.CRASH%010d", f.seq), to: to, template: req.Template.Name, at: arrived}
	f.sends[req.CallbackData] = append(f.sends[req.CallbackData], s)
	f.total++
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []map[string]string{{"input": req.To, "wa_id": to}},
		"messages":          []map[string]string{{"id": s.wamid, "message_status": "accepted"}},
	})
	f.wg.Go(func() { f.postStatus(req.CallbackData, s) })
}

// postStatus posts the send's "sent" status once, a moment after the
// answer, as Meta does.
func (f *fakeBSP) postStatus(key string, s *acceptedSend) {
	time.Sleep(20 * time.Millisecond)
	body, _ := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []any{map[string]any{
			"id": f.wabaID,
			"changes": []any{map[string]any{
				"field": "messages",
				"value": map[string]any{
					"messaging_product": "whatsapp",
					"metadata":          map[string]string{"display_phone_number": f.display, "phone_number_id": f.phoneNumberID},
					"statuses": []any{map[string]any{
						"id":                       s.wamid,
						"status":                   "sent",
						"timestamp":                strconv.FormatInt(time.Now().Unix(), 10),
						"recipient_id":             s.to,
						"biz_opaque_callback_data": key,
						"pricing":                  map[string]any{"billable": true, "pricing_model": "PMP", "type": "regular", "category": "utility"},
					}},
				},
			}},
		}},
	})
	mac := hmac.New(sha256.New, []byte(f.appSecret))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, f.webhookURL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	at := time.Now()
	resp, err := f.client.Do(req)
	ok := err == nil && resp.StatusCode/100 == 2
	if err == nil {
		resp.Body.Close()
	}
	f.mu.Lock()
	s.posted, s.statusOK, s.statusAt = true, ok, at
	f.mu.Unlock()
}

func metaError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "Acrash",
	}})
}

// accepted returns how many sends the fake accepted.
func (f *fakeBSP) accepted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total
}

// acceptedOf returns how many sends of template the fake accepted.
func (f *fakeBSP) acceptedOf(template string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, ss := range f.sends {
		for _, s := range ss {
			if s.template == template {
				n++
			}
		}
	}
	return n
}

// byRecipient returns the keys of template sent to each recipient
// (digits).
func (f *fakeBSP) byRecipient(template string) map[string][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]string{}
	for key, ss := range f.sends {
		if ss[0].template == template {
			out[ss[0].to] = append(out[ss[0].to], key)
		}
	}
	return out
}

// attempts returns a copy of the accepted sends of key.
func (f *fakeBSP) attempts(key string) []acceptedSend {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]acceptedSend, 0, len(f.sends[key]))
	for _, s := range f.sends[key] {
		out = append(out, *s)
	}
	return out
}

// keys returns every key the fake accepted.
func (f *fakeBSP) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.sends))
	for k := range f.sends {
		out = append(out, k)
	}
	return out
}
