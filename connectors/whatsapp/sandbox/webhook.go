package sandbox

import (
	"bytes"
	"container/heap"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// pending is one status waiting to be sent.
type pending struct {
	due     time.Time
	seq     uint64
	phoneID string
	number  Number
	status  Status
}

// webhookQueue holds pending statuses ordered by due time.
type webhookQueue struct {
	mu   sync.Mutex
	h    pendingHeap
	seq  uint64
	wake chan struct{}
	// inFlight counts statuses taken from the heap and not yet delivered.
	inFlight int
}

func (q *webhookQueue) init() { q.wake = make(chan struct{}, 1) }

// pending counts the statuses queued or being delivered.
func (q *webhookQueue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.h.Len() + q.inFlight
}

func (q *webhookQueue) push(items []pending) {
	q.mu.Lock()
	for _, it := range items {
		q.seq++
		it.seq = q.seq
		heap.Push(&q.h, it)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// done marks n statuses taken by takeDue as delivered or dropped.
func (q *webhookQueue) done(n int) {
	q.mu.Lock()
	q.inFlight -= n
	q.mu.Unlock()
}

// takeDue removes the statuses due at now, in order, and returns the due
// time of the next one (zero when none is left).
func (q *webhookQueue) takeDue(now time.Time) ([]pending, time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []pending
	for q.h.Len() > 0 && !q.h[0].due.After(now) {
		out = append(out, heap.Pop(&q.h).(pending))
	}
	q.inFlight += len(out)
	if q.h.Len() == 0 {
		return out, time.Time{}
	}
	return out, q.h[0].due
}

type pendingHeap []pending

func (h pendingHeap) Len() int { return len(h) }
func (h pendingHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}
func (h pendingHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)   { *h = append(*h, x.(pending)) }
func (h *pendingHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// batch is the statuses of one webhook POST, all of one phone number.
type batch struct {
	phoneID  string
	number   Number
	statuses []Status
}

// scheduleStatuses queues the statuses of an accepted message; a failed
// status replaces them when an async fault applies. They are due after
// accepted on the machine's clock and stamped after at, the sandbox's.
func (s *Server) scheduleStatuses(accepted, at time.Time, rec Received, recipientUserID string, number Number, async *Fault, category string) {
	base := Status{
		ID:                    rec.ID,
		RecipientID:           rec.WaID,
		RecipientUserID:       recipientUserID,
		BizOpaqueCallbackData: rec.CallbackData,
	}
	if async != nil {
		st := base
		st.Status = "failed"
		due := accepted.Add(s.cfg.StatusDelay)
		st.Timestamp = strconv.FormatInt(at.Add(s.cfg.StatusDelay).Unix(), 10)
		details := async.Details
		if details == "" {
			details = codeTitle(async.Code) + "."
		}
		st.Errors = []StatusError{{
			Code:      async.Code,
			Title:     codeTitle(async.Code),
			Message:   codeTitle(async.Code),
			ErrorData: StatusErrorData{Details: details},
			Href:      "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
		}}
		s.webhooks.push([]pending{{due: due, phoneID: rec.PhoneNumberID, number: number, status: st}})
		return
	}
	if category == "" {
		category = s.cfg.TemplateCategory
	}
	pricing := &Pricing{Billable: true, PricingModel: "PMP", Type: "regular", Category: category}
	if rec.Type != "template" {
		pricing = &Pricing{Billable: false, PricingModel: "PMP", Type: "free_customer_service", Category: "service"}
	}
	items := make([]pending, 0, len(s.cfg.Statuses))
	for k, name := range s.cfg.Statuses {
		st := base
		st.Status = name
		due := accepted.Add(time.Duration(k+1) * s.cfg.StatusDelay)
		st.Timestamp = strconv.FormatInt(at.Add(time.Duration(k+1)*s.cfg.StatusDelay).Unix(), 10)
		if name == "sent" || name == "delivered" {
			st.Pricing = pricing
		}
		items = append(items, pending{due: due, phoneID: rec.PhoneNumberID, number: number, status: st})
	}
	s.webhooks.push(items)
}

// dispatch hands due statuses, cut into batches, to the workers.
func (s *Server) dispatch(ctx context.Context, jobs chan<- batch) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		due, next := s.webhooks.takeDue(time.Now())
		for _, b := range s.batches(due) {
			select {
			case jobs <- b:
			case <-ctx.Done():
				return
			}
		}
		var tick <-chan time.Time
		if !next.IsZero() {
			timer.Reset(time.Until(next))
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-s.webhooks.wake:
		case <-tick:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// batches groups statuses by phone number, at most WebhookBatch per batch,
// keeping their order.
func (s *Server) batches(due []pending) []batch {
	if len(due) == 0 {
		return nil
	}
	var out []batch
	open := map[string]int{} // phone id → index in out of its open batch
	for _, p := range due {
		i, ok := open[p.phoneID]
		if !ok || len(out[i].statuses) >= s.cfg.WebhookBatch {
			out = append(out, batch{phoneID: p.phoneID, number: p.number})
			i = len(out) - 1
			open[p.phoneID] = i
		}
		out[i].statuses = append(out[i].statuses, p.status)
	}
	return out
}

// deliver posts one batch until the receiver answers 2xx or ctx ends.
func (s *Server) deliver(ctx context.Context, b batch) {
	defer s.webhooks.done(len(b.statuses))
	body, err := encodeWebhook(b)
	if err != nil {
		s.logger.Error("encoding status webhook", "error", err)
		return
	}
	url, secret := s.webhookOf(b.number)
	wait := s.cfg.WebhookRetryMin
	timer := time.NewTimer(0)
	<-timer.C
	defer timer.Stop()
	for attempt := 1; ; attempt++ {
		err := s.post(ctx, url, secret, body)
		if err == nil {
			for _, st := range b.statuses {
				s.setChatStatus(st.RecipientID, st.ID, st.Status)
			}
			s.statuses.Add(int64(len(b.statuses)))
			return
		}
		if ctx.Err() != nil {
			s.logger.Warn("status webhook dropped at shutdown", "statuses", len(b.statuses))
			return
		}
		s.logger.Debug("status webhook not accepted, will retry", "attempt", attempt, "retry_in", wait, "error", err)
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			s.logger.Warn("status webhook dropped at shutdown", "statuses", len(b.statuses))
			return
		case <-timer.C:
		}
		wait = min(wait*2, s.cfg.WebhookRetryMax)
	}
}

// webhookOf returns where a number's webhooks go and the app secret that
// signs them: its own, else the server's. An empty url means none are sent.
func (s *Server) webhookOf(n Number) (url, secret string) {
	url, secret = n.WebhookURL, n.AppSecret
	if url == "" {
		url = s.cfg.WebhookURL
	}
	if secret == "" {
		secret = s.cfg.AppSecret
	}
	return url, secret
}

// post sends one webhook as Meta does. The sandbox is a fake of the BSP,
// not a client of another system: it keeps a plain http.Client of its own
// (Config.HTTPClient), outside the shared client's retry layer; its
// callers retry as Meta does, until the receiver answers 2xx (deliver).
func (s *Server) post(ctx context.Context, url, secret string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua")
	req.Header.Set("X-Hub-Signature", "sha1="+sign(sha1.New, secret, body))
	req.Header.Set("X-Hub-Signature-256", "sha256="+sign(sha256.New, secret, body))
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("posting webhook: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("posting webhook: receiver answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// Sign returns the X-Hub-Signature-256 value Meta sends for body:
// "sha256=" and the hex HMAC-SHA256 of the raw body keyed by the app secret.
func Sign(appSecret string, body []byte) string {
	return "sha256=" + sign(sha256.New, appSecret, body)
}

func sign(h func() hash.Hash, secret string, body []byte) string {
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// encodeWebhook renders a batch in Meta's envelope and escaping.
func encodeWebhook(b batch) ([]byte, error) {
	wabaID := b.number.WABAID
	if wabaID == "" {
		wabaID = "0"
	}
	display := b.number.DisplayPhoneNumber
	if display == "" {
		display = b.phoneID
	}
	env := webhookBody{
		Object: "whatsapp_business_account",
		Entry: []webhookEntry{{
			ID: wabaID,
			Changes: []webhookChange{{
				Value: webhookValue{
					MessagingProduct: "whatsapp",
					Metadata:         webhookMetadata{DisplayPhoneNumber: display, PhoneNumberID: b.phoneID},
					Statuses:         b.statuses,
				},
				Field: "messages",
			}},
		}},
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encoding webhook: %w", err)
	}
	return metaEscape(raw), nil
}

// metaEscape rewrites compact JSON the way Meta's webhook bodies are
// escaped: every non-ASCII character as \uXXXX (UTF-16 surrogate pairs
// beyond the basic plane) and every slash as \/. Receivers must verify
// signatures on these exact bytes.
func metaEscape(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	const hexDigits = "0123456789abcdef"
	appendU := func(r rune) {
		out = append(out, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
	}
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '/':
			out = append(out, '\\', '/')
			i++
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			i += size
			if r >= 0x10000 {
				r -= 0x10000
				appendU(0xd800 + (r>>10)&0x3ff)
				appendU(0xdc00 + r&0x3ff)
				continue
			}
			appendU(r)
		}
	}
	return out
}
