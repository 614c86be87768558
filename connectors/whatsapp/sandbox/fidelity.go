package sandbox

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/messaging"
)

// windowLength is WhatsApp's customer service window.
const windowLength = 24 * time.Hour

// rules is the sandbox's view of the Cloud API's rules. Its fields are
// guarded by Server.mu.
type rules struct {
	shared   *templateRegistry            // the templates of accounts without their own
	accounts map[string]*templateRegistry // WABA id → its own templates
	lastIn   map[string]time.Time         // phone id + "/" + wa_id → last inbound message
	optedOut map[string]bool              // wa_id
	second   map[string]*secondCount      // phone id → sends in the current second
	pair     map[string][]time.Time       // phone id + "/" + wa_id → recent sends
	chats    map[string][]ChatMessage     // wa_id → conversation
	names    map[string]string            // wa_id → profile name
}

type secondCount struct {
	sec int64
	n   int
}

// templateRegistry is one account's templates.
type templateRegistry struct {
	catalog   *messaging.Catalog
	templates []messaging.TemplateInfo // in registry order, for listings
}

// add adds templates, each replacing the one of the same name and
// language; a template without a status is approved.
func (g *templateRegistry) add(ts []messaging.TemplateInfo) {
	for _, t := range ts {
		if t.Status == "" {
			t.Status = messaging.TemplateApproved
		}
		i := slices.IndexFunc(g.templates, func(o messaging.TemplateInfo) bool {
			return o.Name == t.Name && o.Language == t.Language
		})
		if i >= 0 {
			g.templates[i] = t
		} else {
			g.templates = append(g.templates, t)
		}
	}
	g.catalog = messaging.NewCatalog(g.templates)
}

// registryFor returns the templates of the account with WABA id waba: its
// own, else the shared ones.
func (r *rules) registryFor(waba string) *templateRegistry {
	if g, ok := r.accounts[waba]; ok {
		return g
	}
	return r.shared
}

func (r *rules) init(cfg Config) {
	r.shared = &templateRegistry{}
	r.shared.add(cfg.Templates)
	r.accounts = map[string]*templateRegistry{}
	for waba, ts := range cfg.AccountTemplates {
		g := &templateRegistry{}
		g.add(ts)
		r.accounts[waba] = g
	}
	r.lastIn = map[string]time.Time{}
	r.optedOut = map[string]bool{}
	for _, p := range cfg.OptedOut {
		r.optedOut[strings.TrimPrefix(p, "+")] = true
	}
	r.second = map[string]*secondCount{}
	r.pair = map[string][]time.Time{}
	r.chats = map[string][]ChatMessage{}
	r.names = map[string]string{}
}

// refusedAfterAccepting reports whether Meta refuses a message with code
// only after accepting it, on a failed status webhook.
func refusedAfterAccepting(code int) bool {
	switch code {
	case 131026, 131047, 131049, 131050:
		return true
	}
	return false
}

// checkRules applies the Cloud API's rules to a valid send, in Meta's
// order, and returns the template's category for pricing, with a refusal
// too: a refused template is still recorded as what it was.
// The window is judged at now (Config.Clock), the number's throughput per
// second of wall, the machine's clock.
func (s *Server) checkRules(phoneID, waID string, req *sendRequest, now, wall time.Time) (string, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	category := ""
	number, _ := s.number(phoneID)
	reg := s.rules.registryFor(number.WABAID)
	if req.Type == "template" && req.Template != nil && len(reg.templates) > 0 {
		t := wireTemplate(req.Template)
		if err := reg.catalog.Check(t); err != nil {
			te := err.(*messaging.TemplateError)
			code, _ := strconv.Atoi(te.Code)
			return "", codeError(code, te.Msg)
		}
		info, _ := reg.catalog.Lookup(t.Name, t.Language)
		category = info.Category
		if category == messaging.CategoryMarketing && s.rules.optedOut[waID] {
			return category, codeError(131050, "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business")
		}
	}
	key := phoneID + "/" + waID
	if req.Type != "template" && s.cfg.EnforceWindow && waID != "" {
		if last, ok := s.rules.lastIn[key]; !ok || now.Sub(last) >= windowLength {
			return "", codeError(131047, "Message failed to send because more than 24 hours have passed since the customer last replied to this number.")
		}
	}
	if n, ok := s.cfg.Numbers[phoneID]; ok && n.PerSecond > 0 {
		c := s.rules.second[phoneID]
		if c == nil || c.sec != wall.Unix() {
			c = &secondCount{sec: wall.Unix()}
			s.rules.second[phoneID] = c
		}
		if c.n >= n.PerSecond {
			return "", codeError(130429, fmt.Sprintf("Cloud API message throughput of %d messages per second has been reached.", n.PerSecond))
		}
		c.n++
	}
	if s.cfg.PairLimit > 0 && waID != "" {
		recent := s.rules.pair[key][:0]
		for _, t := range s.rules.pair[key] {
			if now.Sub(t) < s.cfg.PairWindow {
				recent = append(recent, t)
			}
		}
		if len(recent) >= s.cfg.PairLimit {
			s.rules.pair[key] = recent
			return "", codeError(131056, "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.")
		}
		s.rules.pair[key] = append(recent, now)
	}
	return category, nil
}

// wireTemplate reads a template send's parameters into the model the
// registry checks.
func wireTemplate(w *templateObject) *messaging.Template {
	t := &messaging.Template{Name: w.Name}
	if w.Language != nil {
		t.Language = w.Language.Code
	}
	for _, c := range w.Components {
		switch strings.ToLower(c.Type) {
		case "header":
			for _, p := range c.Parameters {
				h := &messaging.Header{Type: p.Type, Name: p.ParameterName}
				if p.Text != nil {
					h.Text = *p.Text
				}
				t.Header = h
			}
		case "body":
			for _, p := range c.Parameters {
				v := ""
				if p.Text != nil {
					v = *p.Text
				}
				t.Body = append(t.Body, messaging.Param{Name: p.ParameterName, Text: v})
			}
		case "button":
			var idx int
			var s string
			if json.Unmarshal(c.Index, &s) == nil {
				idx, _ = strconv.Atoi(s)
			} else {
				_ = json.Unmarshal(c.Index, &idx)
			}
			t.Buttons = append(t.Buttons, messaging.Button{Index: idx, SubType: strings.ToLower(c.SubType), Value: "x"})
		}
	}
	return t
}

func (s *Server) fidelityRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{version}/{waba}/message_templates", s.handleGraphTemplates)
	mux.HandleFunc("GET /v1/configs/templates", s.handleDialogTemplates)
	mux.HandleFunc("POST /sandbox/templates", s.handleAddTemplates)
	mux.HandleFunc("POST /sandbox/templates/{name}/{language}/status", s.handleTemplateStatus)
	mux.HandleFunc("POST /sandbox/customers/{phone}/marketing", s.handleMarketing)
	mux.HandleFunc("POST /sandbox/numbers/{id}/quality", s.handleQuality)
	mux.HandleFunc("POST /sandbox/messaging_limit", s.handleMessagingLimit)
	mux.HandleFunc("POST /sandbox/inbound", s.handleInbound)
	mux.HandleFunc("GET /sandbox/numbers", s.handleNumbers)
	mux.HandleFunc("GET /sandbox/conversations", s.handleConversations)
	mux.HandleFunc("GET /sandbox/conversation", s.handleConversation)
	mux.HandleFunc("GET /sandbox/chat", s.handleChatPage)
	mux.HandleFunc("GET /sandbox/chat.js", s.handleChatScript)
}

// graphTemplate renders a registry entry in the Graph API's shape.
func graphTemplate(t messaging.TemplateInfo, id int) map[string]any {
	var comps []map[string]any
	varText := func(names []string) string {
		var b strings.Builder
		for i, n := range names {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("{{" + n + "}}")
		}
		return b.String()
	}
	if t.HeaderFormat != "" {
		h := map[string]any{"type": "HEADER", "format": t.HeaderFormat}
		if t.HeaderFormat == "TEXT" {
			h["text"] = "Hello " + varText(t.HeaderParams)
		}
		comps = append(comps, h)
	}
	comps = append(comps, map[string]any{"type": "BODY", "text": "Message " + varText(t.BodyParams)})
	if len(t.Buttons) > 0 {
		var bs []map[string]any
		for i, b := range t.Buttons {
			btn := map[string]any{"type": b.Type, "text": fmt.Sprintf("Button %d", i+1)}
			if b.Type == "URL" {
				btn["url"] = "https://example.com/"
				if b.Dynamic {
					btn["url"] = "https://example.com/{{1}}"
				}
			}
			bs = append(bs, btn)
		}
		comps = append(comps, map[string]any{"type": "BUTTONS", "buttons": bs})
	}
	format := "POSITIONAL"
	if t.Named {
		format = "NAMED"
	}
	category := strings.ToUpper(t.Category)
	if category == "" {
		category = "UTILITY"
	}
	return map[string]any{
		"name": t.Name, "language": t.Language, "status": t.Status, "category": category,
		"parameter_format": format, "components": comps, "id": strconv.Itoa(1000000 + id),
	}
}

// page cuts the registry of the account with WABA id waba at offset and
// limit.
func (s *Server) page(waba string, offset, limit int) (items []map[string]any, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reg := s.rules.registryFor(waba)
	total = len(reg.templates)
	for i := offset; i < total && i < offset+limit; i++ {
		items = append(items, graphTemplate(reg.templates[i], i))
	}
	return items, total
}

func queryInt(r *http.Request, key string, def int) int {
	if v, err := strconv.Atoi(r.URL.Query().Get(key)); err == nil && v >= 0 {
		return v
	}
	return def
}

func (s *Server) handleGraphTemplates(w http.ResponseWriter, r *http.Request) {
	if e := s.authorize(r); e != nil {
		s.writeError(w, e, 0)
		return
	}
	limit := max(1, queryInt(r, "limit", 25))
	offset := queryInt(r, "after", 0) // the cursor is the offset
	items, total := s.page(r.PathValue("waba"), offset, limit)
	paging := map[string]any{"cursors": map[string]string{"before": strconv.Itoa(offset), "after": strconv.Itoa(offset + len(items))}}
	if offset+len(items) < total {
		q := r.URL.Query()
		q.Set("after", strconv.Itoa(offset+len(items)))
		paging["next"] = "http://" + r.Host + r.URL.Path + "?" + q.Encode()
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": nonNilItems(items), "paging": paging})
}

func (s *Server) handleDialogTemplates(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get(DialogKeyHeader)
	ok, waba := false, ""
	for _, n := range s.cfg.Numbers {
		if key != "" && n.DialogAPIKey == key {
			ok, waba = true, n.WABAID
		}
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"meta": map[string]any{"success": false, "http_code": http.StatusUnauthorized, "developer_message": "Invalid api key"},
		})
		return
	}
	limit := max(1, queryInt(r, "limit", 1000))
	offset := queryInt(r, "offset", 0)
	items, total := s.page(waba, offset, limit)
	for _, it := range items {
		it["status"] = strings.ToLower(it["status"].(string)) // 360dialog's listing is lower case
		it["namespace"] = "sandbox"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"count": len(items), "filters": map[string]any{}, "limit": limit, "offset": offset,
		"sort": []string{"id"}, "total": total, "waba_templates": nonNilItems(items),
	})
}

func nonNilItems(v []map[string]any) []map[string]any {
	if v == nil {
		return []map[string]any{}
	}
	return v
}

// SetTemplateStatus changes a registered template's status (APPROVED,
// PAUSED, DISABLED, REJECTED…) and posts Meta's
// message_template_status_update webhook for it. It reports whether the
// template exists.
func (s *Server) SetTemplateStatus(name, language, status string) bool {
	status = strings.ToUpper(status)
	s.mu.Lock()
	changed := map[*templateRegistry]bool{}
	for _, reg := range append([]*templateRegistry{s.rules.shared}, slices.Collect(maps.Values(s.rules.accounts))...) {
		for i := range reg.templates {
			if reg.templates[i].Name == name && reg.templates[i].Language == language {
				reg.templates[i].Status = status
				changed[reg] = true
			}
		}
		if changed[reg] {
			reg.catalog = messaging.NewCatalog(reg.templates)
		}
	}
	// One WABA-wide update per webhook of the numbers whose account has
	// the template: each tenant's hook hears it once.
	var to []string
	seen := map[string]bool{}
	for _, phoneID := range s.numberIDs() {
		n := s.numbers()[phoneID]
		url, _ := s.webhookOf(n)
		if changed[s.rules.registryFor(n.WABAID)] && !seen[url] {
			seen[url] = true
			to = append(to, phoneID)
		}
	}
	s.mu.Unlock()
	if len(changed) == 0 {
		return false
	}
	for _, phoneID := range to {
		n := s.numbers()[phoneID]
		value := map[string]any{
			"event": status, "message_template_id": 1000000, "message_template_name": name,
			"message_template_language": language, "reason": nil,
		}
		s.postChange(phoneID, n, "message_template_status_update", value, true)
	}
	return true
}

func (s *Server) handleTemplateStatus(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Status == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"status": "PAUSED"}`})
		return
	}
	if !s.SetTemplateStatus(r.PathValue("name"), r.PathValue("language"), body.Status) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such template in the registry"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": strings.ToUpper(body.Status)})
}

// SetMarketing records a customer stopping (or resuming) marketing
// messages, as they do in WhatsApp, and posts Meta's user_preferences
// webhook.
func (s *Server) SetMarketing(waID string, optedOut bool) {
	waID = strings.TrimPrefix(waID, "+")
	now := s.cfg.Clock()
	s.mu.Lock()
	s.rules.optedOut[waID] = optedOut
	s.journal.preferences = append(s.journal.preferences, Preference{WaID: waID, Stop: optedOut, At: now})
	s.mu.Unlock()
	value, detail := "resume", "User requested to resume marketing messages"
	if optedOut {
		value, detail = "stop", "User requested to stop marketing messages"
	}
	phoneID := s.numberIDs()[0] // the first number's business hears it
	s.postChange(phoneID, s.numbers()[phoneID], "user_preferences", map[string]any{
		"contacts": []map[string]any{{"wa_id": waID}},
		"user_preferences": []map[string]any{{
			"wa_id": waID, "detail": detail, "category": "marketing_messages", "value": value, "timestamp": now.Unix(),
		}},
	}, false)
}

func (s *Server) handleMarketing(w http.ResponseWriter, r *http.Request) {
	var body struct {
		OptedOut bool `json:"opted_out"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"opted_out": true}`})
		return
	}
	s.SetMarketing(r.PathValue("phone"), body.OptedOut)
	writeJSON(w, http.StatusOK, map[string]bool{"opted_out": body.OptedOut})
}

// numberIDs returns the ids of numbers(), sorted.
func (s *Server) numberIDs() []string {
	nums := s.numbers()
	ids := make([]string, 0, len(nums))
	for id := range nums {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// numbers returns the configured numbers, or a stand-in when none is.
func (s *Server) numbers() map[string]Number {
	if len(s.cfg.Numbers) > 0 {
		return s.cfg.Numbers
	}
	return map[string]Number{"0": {}}
}

// postChange posts one signed webhook change of any field, with the same
// retries as status webhooks. A WABA-wide change carries no metadata.
func (s *Server) postChange(phoneID string, n Number, field string, value map[string]any, wabaWide bool) {
	url, secret := s.webhookOf(n)
	if url == "" {
		return
	}
	if !wabaWide {
		value["messaging_product"] = "whatsapp"
		display := n.DisplayPhoneNumber
		if display == "" {
			display = phoneID
		}
		value["metadata"] = map[string]string{"display_phone_number": display, "phone_number_id": phoneID}
	}
	waba := n.WABAID
	if waba == "" {
		waba = "0"
	}
	entry := map[string]any{"id": waba, "changes": []map[string]any{{"field": field, "value": value}}}
	if wabaWide {
		entry["time"] = s.cfg.Clock().Unix()
	}
	raw, err := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{entry}})
	if err != nil {
		s.logger.Error("encoding webhook", "error", err)
		return
	}
	body := metaEscape(raw)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-s.done:
				cancel()
			case <-ctx.Done():
			}
		}()
		wait := s.cfg.WebhookRetryMin
		for ctx.Err() == nil {
			if err := s.post(ctx, url, secret, body); err == nil {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			wait = min(wait*2, s.cfg.WebhookRetryMax)
		}
	}()
}

// Inbound is a customer's message to the business, for POST
// /sandbox/inbound: a text, or a tap on a reply button, a list row or a
// template's quick-reply button.
type Inbound struct {
	From          string `json:"from"` // digits, as wa_id
	Name          string `json:"name,omitempty"`
	Text          string `json:"text,omitempty"`
	PhoneNumberID string `json:"phone_number_id,omitempty"` // default: the first number
	ContextID     string `json:"context_id,omitempty"`      // the message replied to
	Button        *struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"button,omitempty"`
	List *struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		Description string `json:"description,omitempty"`
	} `json:"list,omitempty"`
	QuickReply *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"quick_reply,omitempty"`
}

// ChatMessage is one message of a conversation between the business and a
// customer.
type ChatMessage struct {
	ID           string    `json:"id"`
	Number       string    `json:"number"`    // the business's phone number id
	Direction    string    `json:"direction"` // in (from the customer) or out
	Type         string    `json:"type"`
	Text         string    `json:"text"`
	Buttons      []Choice  `json:"buttons,omitempty"` // reply buttons or list rows to tap
	List         bool      `json:"list,omitempty"`
	QuickReplies []Choice  `json:"quick_replies,omitempty"`
	Status       string    `json:"status,omitempty"`
	At           time.Time `json:"at"`
}

// Choice is a reply button or list row of an outbound message.
type Choice struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// SendInbound delivers a customer's message to the webhook, opens the
// customer's window and records it in the conversation. It returns the
// message id.
func (s *Server) SendInbound(in Inbound) (string, error) {
	in.From = strings.TrimPrefix(strings.TrimSpace(in.From), "+")
	if in.From == "" || strings.Trim(in.From, "0123456789") != "" {
		return "", fmt.Errorf("from must be the customer's number in digits, got %q", in.From)
	}
	phoneID := in.PhoneNumberID
	nums := s.numbers()
	if phoneID == "" {
		phoneID = s.numberIDs()[0]
	}
	n, ok := nums[phoneID]
	if !ok {
		return "", fmt.Errorf("no number %s", phoneID)
	}
	now := s.cfg.Clock()
	id := s.newWamid(in.From, "")
	msg := map[string]any{"from": in.From, "id": id, "timestamp": strconv.FormatInt(now.Unix(), 10)}
	chat := ChatMessage{ID: id, Number: phoneID, Direction: "in", At: now}
	switch {
	case in.Button != nil:
		msg["type"] = "interactive"
		msg["interactive"] = map[string]any{"type": "button_reply", "button_reply": map[string]string{"id": in.Button.ID, "title": in.Button.Title}}
		chat.Type, chat.Text = "button_reply", in.Button.Title
	case in.List != nil:
		reply := map[string]string{"id": in.List.ID, "title": in.List.Title}
		if in.List.Description != "" {
			reply["description"] = in.List.Description
		}
		msg["type"] = "interactive"
		msg["interactive"] = map[string]any{"type": "list_reply", "list_reply": reply}
		chat.Type, chat.Text = "list_reply", in.List.Title
	case in.QuickReply != nil:
		msg["type"] = "button"
		msg["button"] = map[string]string{"payload": in.QuickReply.Payload, "text": in.QuickReply.Text}
		chat.Type, chat.Text = "button", in.QuickReply.Text
	case in.Text != "":
		msg["type"] = "text"
		msg["text"] = map[string]string{"body": in.Text}
		chat.Type, chat.Text = "text", in.Text
	default:
		return "", fmt.Errorf("an inbound message needs text, button, list or quick_reply")
	}
	if in.ContextID != "" {
		display := n.DisplayPhoneNumber
		if display == "" {
			display = phoneID
		}
		msg["context"] = map[string]string{"from": display, "id": in.ContextID}
	}
	s.mu.Lock()
	s.rules.lastIn[phoneID+"/"+in.From] = now
	if in.Name != "" {
		s.rules.names[in.From] = in.Name
	}
	name := s.rules.names[in.From]
	s.rules.chats[in.From] = append(s.rules.chats[in.From], chat)
	s.journal.inbound = append(s.journal.inbound, InboundRecord{ID: id, PhoneNumberID: phoneID, From: in.From, Type: chat.Type, Text: chat.Text, At: now})
	s.mu.Unlock()
	contact := map[string]any{"wa_id": in.From, "profile": map[string]string{"name": name}}
	s.postChange(phoneID, n, "messages", map[string]any{"contacts": []any{contact}, "messages": []any{msg}}, false)
	return id, nil
}

func (s *Server) handleInbound(w http.ResponseWriter, r *http.Request) {
	var in Inbound
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decoding body: " + err.Error()})
		return
	}
	id, err := s.SendInbound(in)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

// recordOutbound adds an accepted message to its customer's conversation,
// rendered as the customer would read it.
func (s *Server) recordOutbound(rec Received, req *sendRequest) {
	if rec.WaID == "" {
		return
	}
	m := ChatMessage{ID: rec.ID, Number: rec.PhoneNumberID, Direction: "out", Type: req.Type, At: rec.ReceivedAt, Status: "accepted"}
	switch {
	case req.Text != nil && req.Text.Body != nil:
		m.Text = *req.Text.Body
	case req.Template != nil:
		t := wireTemplate(req.Template)
		var params []string
		for _, p := range t.Body {
			params = append(params, p.Text)
		}
		m.Text = fmt.Sprintf("[template %s] %s", t.Name, strings.Join(params, " · "))
		for _, b := range t.Buttons {
			if b.SubType == messaging.ButtonQuickReply {
				m.QuickReplies = append(m.QuickReplies, Choice{ID: quickReplyPayload(req.Template, b.Index), Title: fmt.Sprintf("Button %d", b.Index+1)})
			}
		}
	case req.Interactive != nil:
		if req.Interactive.Body != nil {
			m.Text = req.Interactive.Body.Text
		}
		if a := req.Interactive.Action; a != nil {
			for _, b := range a.Buttons {
				m.Buttons = append(m.Buttons, Choice{ID: b.Reply.ID, Title: b.Reply.Title})
			}
			for _, sec := range a.Sections {
				for _, row := range sec.Rows {
					m.Buttons = append(m.Buttons, Choice{ID: row.ID, Title: row.Title})
					m.List = true
				}
			}
		}
	case req.Image != nil:
		m.Text = "[image] " + req.Image.Caption
	case req.Document != nil:
		m.Text = "[document] " + req.Document.Caption
	}
	s.mu.Lock()
	s.rules.chats[rec.WaID] = append(s.rules.chats[rec.WaID], m)
	s.mu.Unlock()
}

func quickReplyPayload(t *templateObject, index int) string {
	for _, c := range t.Components {
		if strings.ToLower(c.Type) != "button" {
			continue
		}
		var s string
		i := -1
		if json.Unmarshal(c.Index, &s) == nil {
			i, _ = strconv.Atoi(s)
		}
		if i == index {
			for _, p := range c.Parameters {
				if p.Payload != nil {
					return *p.Payload
				}
			}
		}
	}
	return ""
}

// ConversationSummary is one customer in GET /sandbox/conversations.
type ConversationSummary struct {
	Phone    string    `json:"phone"`
	Name     string    `json:"name,omitempty"`
	Messages int       `json:"messages"`
	Last     time.Time `json:"last"`
	LastText string    `json:"last_text"`
}

// Conversations lists the customers, most recent activity first.
func (s *Server) Conversations() []ConversationSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ConversationSummary, 0, len(s.rules.chats))
	for phone, msgs := range s.rules.chats {
		last := msgs[len(msgs)-1]
		out = append(out, ConversationSummary{Phone: phone, Name: s.rules.names[phone], Messages: len(msgs), Last: last.At, LastText: last.Text})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Last.After(out[j].Last) })
	return out
}

// Conversation returns a customer's messages in order, with the latest
// status of the business's ones.
func (s *Server) Conversation(phone string) []ChatMessage {
	phone = strings.TrimPrefix(phone, "+")
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rules.chats[phone])
}

// Tap taps, as the customer from, the reply button, list row or template
// quick reply choiceID of the business's message messageID, as the chat
// page does: the reply carries that message as its context. It returns the
// new message's id.
func (s *Server) Tap(from, messageID, choiceID string) (string, error) {
	var found *ChatMessage
	for _, m := range s.Conversation(from) {
		if m.ID == messageID && m.Direction == "out" {
			found = &m
			break
		}
	}
	if found == nil {
		return "", fmt.Errorf("no message %s to %s", messageID, from)
	}
	in := Inbound{From: from, ContextID: messageID, PhoneNumberID: found.Number} // to the number that wrote
	for _, c := range found.QuickReplies {
		if c.ID == choiceID {
			in.QuickReply = &struct {
				Payload string `json:"payload"`
				Text    string `json:"text"`
			}{c.ID, c.Title}
			return s.SendInbound(in)
		}
	}
	for _, c := range found.Buttons {
		if c.ID != choiceID {
			continue
		}
		if found.List {
			in.List = &struct {
				ID          string `json:"id"`
				Title       string `json:"title"`
				Description string `json:"description,omitempty"`
			}{ID: c.ID, Title: c.Title}
		} else {
			in.Button = &struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			}{c.ID, c.Title}
		}
		return s.SendInbound(in)
	}
	return "", fmt.Errorf("message %s has no choice %q", messageID, choiceID)
}

// setChatStatus records a status webhook's state on the conversation.
func (s *Server) setChatStatus(waID, id, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs := s.rules.chats[waID]
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].ID == id {
			msgs[i].Status = status
			return
		}
	}
}

// handleNumbers lists the business numbers served, for the chat page to
// write to one of them.
func (s *Server) handleNumbers(w http.ResponseWriter, _ *http.Request) {
	type number struct {
		ID      string `json:"phone_number_id"`
		Display string `json:"display_phone_number"`
	}
	nums := s.numbers()
	out := []number{}
	for _, id := range s.numberIDs() {
		out = append(out, number{ID: id, Display: cmp.Or(nums[id].DisplayPhoneNumber, id)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"numbers": out})
}

func (s *Server) handleConversations(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"conversations": s.Conversations()})
}

func (s *Server) handleConversation(w http.ResponseWriter, r *http.Request) {
	phone := r.URL.Query().Get("phone")
	msgs := s.Conversation(phone)
	if msgs == nil {
		msgs = []ChatMessage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"phone": strings.TrimPrefix(phone, "+"), "messages": msgs})
}
