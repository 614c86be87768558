package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxBody caps a send request body.
const maxBody = 1 << 20

// Received is a message the sandbox accepted.
type Received struct {
	ID            string          `json:"id"` // the wamid answered to the sender
	PhoneNumberID string          `json:"phone_number_id"`
	To            string          `json:"to"` // as the sender wrote it
	WaID          string          `json:"wa_id"`
	Type          string          `json:"type"`
	CallbackData  string          `json:"biz_opaque_callback_data,omitempty"`
	Body          json.RawMessage `json:"body"` // the request body as received
	ReceivedAt    time.Time       `json:"received_at"`
	// Template and Category are a template message's name and, when the
	// account's registry has it, its category (marketing, utility,
	// authentication); empty for free-form messages.
	Template string `json:"template,omitempty"`
	Category string `json:"category,omitempty"`
	// Wall is when it was accepted on the machine's clock; ReceivedAt is
	// on Config.Clock. They differ in a simulation.
	Wall time.Time `json:"wall"`
	// Refused is the error code of the failed status webhook that refused
	// it after it was accepted (Config.RefuseByWebhook or an Async fault);
	// zero for a message that went on to be delivered.
	Refused int `json:"refused,omitempty"`
}

// Fault makes the next Count matching sends fail. A send matches when To is
// empty or equals its recipient (with or without plus sign). Faults apply to
// valid, authorised sends, before the message is recorded.
type Fault struct {
	// Count is how many sends fail this way.
	Count int `json:"count"`
	// HTTPStatus answers with this status. Alone, the body is a plain-text
	// proxy error (no Graph error object); with Code, it overrides the
	// status Meta uses for the code.
	HTTPStatus int `json:"http_status,omitempty"`
	// Code answers with Meta's Graph error of that code.
	Code int `json:"code,omitempty"`
	// Details overrides error_data.details.
	Details string `json:"details,omitempty"`
	// RetryAfter, in seconds, is sent as the Retry-After header.
	RetryAfter int `json:"retry_after,omitempty"`
	// To restricts the fault to one recipient.
	To string `json:"to,omitempty"`
	// Async accepts the send as usual, then reports it with a failed
	// status webhook carrying Code, as Meta does for undeliverable messages.
	Async bool `json:"async,omitempty"`
	// Hang holds the request unanswered until the client gives up.
	Hang bool `json:"hang,omitempty"`
	// Reset closes the connection without answering.
	Reset bool `json:"reset,omitempty"`
}

func (f Fault) validate() error {
	switch {
	case f.Count < 1:
		return errors.New("count must be at least 1")
	case f.Async && f.Code == 0:
		return errors.New("an async fault needs a code")
	case f.HTTPStatus == 0 && f.Code == 0 && !f.Hang && !f.Reset:
		return errors.New("a fault needs http_status, code, hang or reset")
	case f.HTTPStatus != 0 && (f.HTTPStatus < 400 || f.HTTPStatus > 599):
		return errors.New("http_status must be 4xx or 5xx")
	}
	return nil
}

// Server is the fake Cloud API. It is safe for concurrent use.
type Server struct {
	cfg    Config
	logger *slog.Logger
	mux    *http.ServeMux
	idTag  uint32
	seq    atomic.Uint64

	attempts atomic.Int64

	mu     sync.Mutex
	msgs   []Received
	reads  []string
	faults []Fault
	rules  rules // the Cloud API's rules: templates, window, rates, opt-outs
	// journal is what customers did and what Meta announced (Record).
	journal journal
	// statuses counts status webhooks delivered (answered 2xx).
	statuses atomic.Int64

	webhooks webhookQueue

	life    sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{} // closed by Close: releases hanging requests
	wg      sync.WaitGroup
}

// New returns a server; it does no I/O. A nil logger discards logs.
func New(cfg Config, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:    cfg.withDefaults(),
		logger: logger,
		idTag:  rand.Uint32() & 0xffffff,
		done:   make(chan struct{}),
	}
	s.webhooks.init()
	s.rules.init(s.cfg)
	s.journal.limits = []LimitChange{{Limit: limitOrUnlimited(s.cfg.MessagingLimit), At: s.cfg.Clock()}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{version}/{phone}/messages", s.handleSend)
	mux.HandleFunc("POST /messages", s.handleDialogSend)
	mux.HandleFunc("GET /sandbox/messages", s.handleList)
	mux.HandleFunc("GET /sandbox/stats", s.handleStats)
	mux.HandleFunc("DELETE /sandbox/messages", s.handleClear)
	mux.HandleFunc("POST /sandbox/faults", s.handleFault)
	mux.HandleFunc("DELETE /sandbox/faults", s.handleClearFaults)
	s.fidelityRoutes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	s.mux = mux
	return s
}

// Handler serves the Cloud API and the control endpoints.
func (s *Server) Handler() http.Handler { return s.mux }

// Messages returns everything accepted, in order.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// ReadMarks returns the message ids marked as read, in order.
func (s *Server) ReadMarks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reads...)
}

// ClearMessages forgets the accepted messages.
func (s *Server) ClearMessages() {
	s.mu.Lock()
	s.msgs = nil
	s.mu.Unlock()
}

// InjectFault queues a fault; faults are matched in the order injected. A
// fault with a Count below 1 is ignored.
func (s *Server) InjectFault(f Fault) {
	if f.Count < 1 {
		return
	}
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// Attempts counts requests to the send endpoint, whatever their outcome.
func (s *Server) Attempts() int { return int(s.attempts.Load()) }

// takeFault consumes one use of the first fault matching the recipient.
func (s *Server) takeFault(waID string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if f.To != "" && strings.TrimPrefix(f.To, "+") != waID {
			continue
		}
		out := *f
		f.Count--
		if f.Count <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return out, true
	}
	return Fault{}, false
}

var versionPattern = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	s.attempts.Add(1)
	if e := s.authorize(r); e != nil {
		s.writeError(w, e, 0)
		return
	}
	if !versionPattern.MatchString(r.PathValue("version")) {
		s.writeError(w, &apiError{status: http.StatusBadRequest, code: 2500, message: "Unknown path components: /" + r.PathValue("version")}, 0)
		return
	}
	phoneID := r.PathValue("phone")
	number, ok := s.number(phoneID)
	if !ok {
		s.writeError(w, &apiError{
			status:  http.StatusBadRequest,
			code:    100,
			subcode: 33,
			message: fmt.Sprintf("Unsupported post request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", phoneID),
		}, 0)
		return
	}
	s.send(w, r, phoneID, number)
}

// DialogKeyHeader carries 360dialog's API key, one per number.
const DialogKeyHeader = "D360-API-KEY"

// handleDialogSend is 360dialog's Cloud API send endpoint: the same body
// and answers as Meta's, with the number implied by its API key.
func (s *Server) handleDialogSend(w http.ResponseWriter, r *http.Request) {
	s.attempts.Add(1)
	key := r.Header.Get(DialogKeyHeader)
	for id, n := range s.cfg.Numbers {
		if key != "" && n.DialogAPIKey == key {
			s.send(w, r, id, n)
			return
		}
	}
	// 360dialog answers its own errors in its own shape, not Graph's.
	writeJSON(w, http.StatusUnauthorized, map[string]any{
		"meta": map[string]any{"success": false, "http_code": http.StatusUnauthorized, "developer_message": "Invalid api key"},
	})
}

// send handles a send request for an authenticated number.
func (s *Server) send(w http.ResponseWriter, r *http.Request, phoneID string, number Number) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return // the client went away
	}
	if len(body) > maxBody {
		s.writeError(w, invalidParameter("Request body too large"), 0)
		return
	}
	var req sendRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.writeError(w, invalidParameter("Invalid parameter"), 0)
		return
	}
	if e := validateEnvelope(&req); e != nil {
		s.writeError(w, e, 0)
		return
	}
	if req.Status != "" {
		s.markRead(w, &req)
		return
	}
	if e := validateMessage(&req); e != nil {
		s.writeError(w, e, 0)
		return
	}
	waID := strings.TrimPrefix(req.To, "+")
	f, faulted := s.takeFault(waID)
	if faulted && !f.Async {
		s.applyFault(w, r, f)
		return
	}
	now, wall := s.cfg.Clock(), time.Now()
	category, e := s.checkRules(phoneID, waID, &req, now, wall)
	switch {
	case e != nil && s.cfg.RefuseByWebhook && refusedAfterAccepting(e.code):
		f, faulted = Fault{Count: 1, Code: e.code, Details: e.details, Async: true}, true
	case e != nil:
		s.writeError(w, e, 0)
		return
	}

	rec := Received{
		ID:            s.newWamid(waID, req.Recipient),
		PhoneNumberID: phoneID,
		To:            req.To,
		WaID:          waID,
		Type:          req.Type,
		CallbackData:  req.BizOpaqueCallbackData,
		Body:          json.RawMessage(body),
		ReceivedAt:    now,
		Category:      category,
		Wall:          wall,
	}
	if faulted {
		rec.Refused = f.Code
	}
	if req.Template != nil {
		rec.Template = req.Template.Name
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, rec)
	s.mu.Unlock()
	s.recordOutbound(rec, &req)

	contact := responseContact{Input: req.To, WaID: waID}
	if req.To == "" {
		contact = responseContact{Input: req.Recipient, UserID: req.Recipient}
	}
	resp := sendResponse{
		MessagingProduct: "whatsapp",
		Contacts:         []responseContact{contact},
		Messages:         []responseMessage{{ID: rec.ID}},
	}
	if req.Type == "template" {
		resp.Messages[0].MessageStatus = "accepted"
	}
	writeJSON(w, http.StatusOK, resp)

	if url, _ := s.webhookOf(number); url != "" {
		var async *Fault
		if faulted {
			async = &f
		}
		s.scheduleStatuses(wall, now, rec, req.Recipient, number, async, category)
	}
}

func (s *Server) markRead(w http.ResponseWriter, req *sendRequest) {
	if req.Status != "read" {
		s.writeError(w, invalidParameter(fmt.Sprintf("Param status must be one of {READ} - got %q.", req.Status)), 0)
		return
	}
	if req.MessageID == "" {
		s.writeError(w, missingParameter("message_id"), 0)
		return
	}
	s.mu.Lock()
	s.reads = append(s.reads, req.MessageID)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) {
	switch {
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	case f.Reset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // aborts the response without answering
	}
	if f.Code == 0 {
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(f.RetryAfter))
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(f.HTTPStatus)
		_, _ = io.WriteString(w, http.StatusText(f.HTTPStatus)+"\n")
		return
	}
	e := codeError(f.Code, f.Details)
	if f.HTTPStatus != 0 {
		e.status = f.HTTPStatus
	}
	s.writeError(w, e, f.RetryAfter)
}

func (s *Server) authorize(r *http.Request) *apiError {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		token, ok = strings.CutPrefix(auth, "OAuth ")
	}
	if !ok || token == "" {
		return &apiError{status: http.StatusUnauthorized, code: 190, message: "An active access token must be used to query information about the current user."}
	}
	if s.cfg.AccessToken != "" && token != s.cfg.AccessToken {
		return &apiError{status: http.StatusUnauthorized, code: 190, message: "Invalid OAuth access token - Cannot parse access token"}
	}
	return nil
}

func (s *Server) number(phoneID string) (Number, bool) {
	if len(s.cfg.Numbers) == 0 {
		return Number{DisplayPhoneNumber: phoneID, WABAID: "0"}, phoneID != ""
	}
	n, ok := s.cfg.Numbers[phoneID]
	return n, ok
}

// newWamid returns a message id shaped like Meta's: base64 of the
// recipient and a unique hex tail.
func (s *Server) newWamid(waID, recipient string) string {
	if waID == "" {
		waID = recipient
	}
	if len(waID) > 200 {
		waID = waID[:200]
	}
	n := s.seq.Add(1)
	raw := make([]byte, 0, 3+len(waID)+6+18+1)
	raw = append(raw, 0x1c, 0x18, byte(len(waID)))
	raw = append(raw, waID...)
	raw = append(raw, 0x15, 0x02, 0x00, 0x11, 0x18, 0x12)
	raw = fmt.Appendf(raw, "%06X%012X", s.idTag, n)
	raw = append(raw, 0x00)
	return "wamid." + base64.StdEncoding.EncodeToString(raw)
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError, retryAfter int) {
	ge := graphError{
		Message:      e.message,
		Type:         "OAuthException",
		Code:         e.code,
		ErrorSubcode: e.subcode,
		FBTraceID:    traceID(),
	}
	if e.details != "" {
		ge.ErrorData = &errorData{MessagingProduct: "whatsapp", Details: e.details}
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+e.message+`"`)
	}
	if retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
	}
	writeJSON(w, e.status, graphErrorBody{Error: ge})
}

func traceID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return "A" + base64.RawURLEncoding.EncodeToString(b[:])[:22]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	to := strings.TrimPrefix(r.URL.Query().Get("to"), "+")
	msgs := s.Messages()
	out := make([]Received, 0, len(msgs))
	for _, m := range msgs {
		if to == "" || m.WaID == to {
			out = append(out, m)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// Stats counts what the sandbox has seen.
type Stats struct {
	Messages int `json:"messages"` // accepted messages
	Attempts int `json:"attempts"` // send requests, accepted or not
	// Statuses counts the statuses delivered to webhooks (answered 2xx);
	// StatusesPending those not yet delivered.
	Statuses        int `json:"statuses"`
	StatusesPending int `json:"statuses_pending"`
}

// Stats returns the current counts.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.msgs)
	s.mu.Unlock()
	return Stats{Messages: n, Attempts: s.Attempts(), Statuses: int(s.statuses.Load()), StatusesPending: s.webhooks.pending()}
}

// limitOrUnlimited reads a configured messaging limit: 0 is unlimited (-1).
func limitOrUnlimited(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func (s *Server) handleStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) handleClear(w http.ResponseWriter, _ *http.Request) {
	s.ClearMessages()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		http.Error(w, "decoding fault: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := f.validate(); err != nil {
		http.Error(w, "invalid fault: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.InjectFault(f)
	writeJSON(w, http.StatusCreated, f)
}

func (s *Server) handleClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

// Start starts the webhook dispatcher and its workers. They stop when ctx
// is cancelled or Close is called; Close waits for them. Starting twice, or
// after Close, does nothing.
func (s *Server) Start(ctx context.Context) {
	s.life.Lock()
	defer s.life.Unlock()
	if s.started || s.closed {
		return
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	jobs := make(chan batch, s.cfg.WebhookWorkers)
	s.wg.Add(1 + s.cfg.WebhookWorkers)
	go func() {
		defer s.wg.Done()
		defer close(jobs)
		s.dispatch(ctx, jobs)
	}()
	for range s.cfg.WebhookWorkers {
		go func() {
			defer s.wg.Done()
			for b := range jobs {
				s.deliver(ctx, b)
			}
		}()
	}
}

// Close stops webhook delivery, releases hanging requests and waits for the
// goroutines Start began, or for ctx. Undelivered webhooks are dropped. It
// is safe to call twice and without Start.
func (s *Server) Close(ctx context.Context) error {
	s.life.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
		if s.cancel != nil {
			s.cancel()
		}
	}
	s.life.Unlock()
	finished := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("closing sandbox: %w", ctx.Err())
	}
}
