package admin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

func (a *API) conversationRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET "+p+"/conversations/handoffs", a.tenant(a.listHandoffs))
	mux.Handle("POST "+p+"/conversations/messages", a.tenant(a.postAgentMessage))
	mux.Handle("POST "+p+"/conversations/release", a.tenant(a.postRelease))
	mux.Handle("GET "+p+"/join-link", a.tenant(a.getJoinLink))
	mux.Handle("GET "+p+"/join-qr.png", a.tenant(a.getJoinQR))
}

func (a *API) listHandoffs(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	list, err := a.Store.Handoffs(r.Context(), t.ID, a.Now(), limit)
	a.respond(w, map[string]any{"handoffs": nonNil(list)}, err, "")
}

// agentMessage is an agent's answer in a handed-off conversation.
type agentMessage struct {
	Phone  string `json:"phone"`
	UserID string `json:"user_id"`
	Text   string `json:"text"`
	// RequestID makes the request idempotent: the same id sends once.
	RequestID string `json:"request_id"`
}

// postAgentMessage sends an agent's text to the customer, inside the
// customer's 24-hour window only (409 outside it).
func (a *API) postAgentMessage(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var req agentMessage
	if !decodeBody(w, r, &req) {
		return
	}
	if req.RequestID == "" {
		req.RequestID = r.Header.Get("Idempotency-Key")
	}
	if !required(w, map[string]string{"text": req.Text, "request_id": req.RequestID}) {
		return
	}
	ref, ok := contactRefParams(w, r, t, req.Phone, req.UserID)
	if !ok {
		return
	}
	if t.Config.Conversation.Sender == "" {
		respond.Error(w, http.StatusConflict, "tenant "+t.ID+" has no conversation.sender to answer through")
		return
	}
	c, err := a.Store.Contact(r.Context(), t.ID, ref)
	if err != nil {
		a.respond(w, nil, err, "no contact with that phone or user id")
		return
	}
	if !c.WindowOpen(a.Now()) {
		respond.Error(w, http.StatusConflict, "the customer's 24-hour window is closed: free-form messages cannot be sent until they write again")
		return
	}
	cmd := messaging.Command{
		Key:    event.DerivedID("msg_", t.ID, "agent", req.RequestID),
		Tenant: t.ID, Sender: t.Config.Conversation.Sender, To: c.Phone,
		Kind: messaging.KindText, Category: messaging.CategoryService, Text: req.Text, Rule: "agent",
		Origin: messaging.OriginAgent,
	}
	if c.Phone == "" {
		cmd.UserID = c.UserID
	}
	if m, err := a.Store.MemberByPhone(r.Context(), t.ID, c.Phone); err == nil {
		cmd.MemberID = m.ID
	}
	if err := cmd.Validate(); err != nil {
		respond.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := a.Enqueue(r.Context(), []messaging.Command{cmd}); err != nil {
		a.respond(w, nil, err, "")
		return
	}
	respond.JSON(w, http.StatusAccepted, map[string]string{"key": cmd.Key, "status": "queued"})
}

// postRelease gives a handed-off conversation back to the bot, which says
// so to the customer when their window is open.
func (a *API) postRelease(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var req agentMessage
	if !decodeBody(w, r, &req) {
		return
	}
	ref, ok := contactRefParams(w, r, t, req.Phone, req.UserID)
	if !ok {
		return
	}
	conv, err := a.Store.Conversation(r.Context(), t.ID, ref)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	now := a.Now()
	if !conv.InHandoff(now) {
		respond.Error(w, http.StatusConflict, "the conversation is not handed off")
		return
	}
	conv.HandoffUntil, conv.HandoffReason = time.Time{}, ""
	if err := a.Store.SaveConversation(r.Context(), conv); err != nil {
		a.respond(w, nil, err, "")
		return
	}
	if err := a.HandoffReleased(r.Context(), t, conv, now); err != nil {
		a.Logger.Warn("telling the inbox a handoff ended", "tenant", t.ID, "err", err)
	}
	if c, err := a.Store.Contact(r.Context(), t.ID, ref); err == nil && c.WindowOpen(now) && t.Config.Conversation.Sender != "" {
		lang := conv.Lang
		if lang == "" {
			lang = t.Config.Conversation.DefaultLanguage
		}
		cmd := messaging.Command{
			Key:    event.DerivedID("msg_", t.ID, "release", conv.Phone+conv.UserID, strconv.FormatInt(now.UnixNano(), 10)),
			Tenant: t.ID, Sender: t.Config.Conversation.Sender, To: c.Phone,
			Kind: messaging.KindText, Category: messaging.CategoryService, Rule: "conversation",
			Origin: messaging.OriginChat, Text: t.Bot.Catalog.Text(lang, conversation.MsgHandoffEnded, map[string]string{"brand": t.Config.Conversation.Brand}),
		}
		if c.Phone == "" {
			cmd.UserID = c.UserID
		}
		if err := a.Enqueue(r.Context(), []messaging.Command{cmd}); err != nil {
			a.respond(w, nil, err, "")
			return
		}
	}
	respond.JSON(w, http.StatusOK, map[string]string{"status": "released"})
}

// joinLink is the tenant's join message with a referral code and source,
// and its wa.me link.
func joinLink(t *runtime.Tenant, code, source string) (text, link string) {
	c := t.Config.Conversation
	text = conversation.JoinText(c.JoinKeyword, code, source)
	return text, conversation.JoinLink(c.PhoneNumber, text)
}

// getJoinLink answers the wa.me link that opens the chat with the join
// message prefilled: ?code= a member's referral code, ?source=qr or ad.
func (a *API) getJoinLink(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	if t.Config.Conversation.PhoneNumber == "" {
		respond.Error(w, http.StatusConflict, "tenant "+t.ID+" has no conversation.phone_number")
		return
	}
	q := r.URL.Query()
	text, link := joinLink(t, q.Get("code"), q.Get("source"))
	respond.JSON(w, http.StatusOK, map[string]string{"text": text, "url": link})
}

// getJoinQR answers a PNG QR code of the join link (?size= pixels, default
// 512).
func (a *API) getJoinQR(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	if t.Config.Conversation.PhoneNumber == "" {
		respond.Error(w, http.StatusConflict, "tenant "+t.ID+" has no conversation.phone_number")
		return
	}
	size := 512
	if s := r.URL.Query().Get("size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 64 || n > 4096 {
			respond.Error(w, http.StatusBadRequest, "size must be a number of pixels from 64 to 4096")
			return
		}
		size = n
	}
	q := r.URL.Query()
	source := q.Get("source")
	if source == "" {
		source = conversation.SourceQR
	}
	_, link := joinLink(t, q.Get("code"), source)
	png, err := conversation.QRCode(link, size)
	if err != nil {
		respond.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(png)
}
