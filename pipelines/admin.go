package pipelines

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Metadata the poison queue adds; dropped when a dead letter is replayed.
var poisonMetadata = []string{"reason_poisoned", "topic_poisoned", "handler_poisoned", "subscriber_poisoned"}

func (h *Hub) adminRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET "+p+"/members", h.admin(h.getMemberByIdentity))
	mux.Handle("GET "+p+"/members/{id}", h.admin(h.getMember))
	mux.Handle("GET "+p+"/members/{id}/ledger", h.admin(h.getLedger))
	mux.Handle("GET "+p+"/messages", h.admin(h.listMessages))
	mux.Handle("GET "+p+"/messages/{key}", h.admin(h.getMessage))
	mux.Handle("GET "+p+"/deadletters", h.admin(h.listDeadLetters))
	mux.Handle("GET "+p+"/deadletters/{id}", h.admin(h.getDeadLetter))
	mux.Handle("POST "+p+"/deadletters/{id}/replay", h.admin(h.replayDeadLetter))
	h.messagingRoutes(mux)
	h.loyaltyRoutes(mux)
	h.rewardsRoutes(mux)
	h.conversationRoutes(mux)
	h.privacyRoutes(mux)
}

// admin checks the bearer token and the tenant before calling next.
func (h *Hub) admin(next func(w http.ResponseWriter, r *http.Request, t *runtime.Tenant)) http.Handler {
	return h.adminOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, ok := h.tenants[r.PathValue("tenant")]
		if !ok {
			writeError(w, http.StatusNotFound, "unknown tenant "+r.PathValue("tenant"))
			return
		}
		next(w, r, t)
	}))
}

// adminOnly lets through requests that carry the admin bearer token.
func (h *Hub) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := h.cfg.Server.AdminToken
		if token == "" {
			writeError(w, http.StatusForbidden, "the admin API is disabled: set server.admin_token")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="loyalhub"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// getMemberByIdentity finds a member by one of the query parameters
// phone (any notation; the tenant's region applies), email, or
// customer_id with connector (the connector instance it came from).
func (h *Hub) getMemberByIdentity(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	q := r.URL.Query()
	var id member.Identity
	switch {
	case q.Get("phone") != "":
		phone, err := member.NormalizePhone(q.Get("phone"), t.Config.DefaultRegion)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		id = member.Identity{Kind: member.IdentityPhone, Value: phone}
	case q.Get("email") != "":
		id = member.Identity{Kind: member.IdentityEmail, Value: q.Get("email")}
		if member.NormalizeEmail(id.Value) == "" {
			writeError(w, http.StatusBadRequest, "query parameter email is not an email address")
			return
		}
	case q.Get("customer_id") != "":
		if q.Get("connector") == "" {
			writeError(w, http.StatusBadRequest, "query parameter customer_id needs connector, the connector the id comes from")
			return
		}
		id = member.Identity{Kind: member.IdentityCustomer, Connector: q.Get("connector"), Value: q.Get("customer_id")}
	default:
		writeError(w, http.StatusBadRequest, "one of the query parameters phone, email or customer_id (with connector) is required")
		return
	}
	m, err := h.store.MemberByIdentity(r.Context(), t.ID, id)
	if err != nil {
		h.respond(w, nil, err, "no member with that "+strings.ReplaceAll(id.Kind, "customer", "customer id"))
		return
	}
	d, err := h.detail(r.Context(), t, m)
	h.respond(w, d, err, "")
}

func (h *Hub) getMember(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	m, err := h.store.Member(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		h.respond(w, nil, err, "no member "+r.PathValue("id"))
		return
	}
	d, err := h.detail(r.Context(), t, m)
	h.respond(w, d, err, "")
}

func (h *Hub) getLedger(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	m, err := h.store.Member(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		h.respond(w, nil, err, "no member "+r.PathValue("id"))
		return
	}
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	// A merged member's id shows the ledger of the member it joined.
	entries, err := h.store.Entries(r.Context(), t.ID, m.ID, limit)
	h.respond(w, map[string]any{"member_id": m.ID, "entries": nonNil(entries)}, err, "")
}

func (h *Hub) listMessages(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	msgs, err := h.store.ListMessages(r.Context(), t.ID, store.MessageFilter{
		MemberID: q.Get("member_id"), Status: q.Get("status"), Limit: limit,
	})
	h.respond(w, map[string]any{"messages": nonNil(msgs)}, err, "")
}

func (h *Hub) getMessage(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	m, err := h.store.Message(r.Context(), t.ID, r.PathValue("key"))
	h.respond(w, m, err, "no message "+r.PathValue("key"))
}

// deadLetterView shows a payload as text when it is text.
type deadLetterView struct {
	store.DeadLetter
	Payload       string `json:"payload,omitempty"`
	PayloadBase64 []byte `json:"payload_base64,omitempty"`
}

func viewDeadLetter(d store.DeadLetter) deadLetterView {
	v := deadLetterView{DeadLetter: d}
	if utf8.Valid(d.Payload) {
		v.Payload = string(d.Payload)
	} else {
		v.PayloadBase64 = d.Payload
	}
	return v
}

func (h *Hub) listDeadLetters(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	ds, err := h.store.ListDeadLetters(r.Context(), t.ID, limit)
	views := make([]deadLetterView, 0, len(ds))
	for _, d := range ds {
		views = append(views, viewDeadLetter(d))
	}
	h.respond(w, map[string]any{"deadletters": views}, err, "")
}

func (h *Hub) getDeadLetter(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	d, err := h.store.DeadLetter(r.Context(), t.ID, r.PathValue("id"))
	h.respond(w, viewDeadLetter(d), err, "no dead letter "+r.PathValue("id"))
}

// replayDeadLetter publishes the dead letter's payload back to the topic it
// failed on, under a new message id (the queue would drop the original id
// as a duplicate), for the stage to try again after a fix.
func (h *Hub) replayDeadLetter(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	d, err := h.store.DeadLetter(r.Context(), t.ID, r.PathValue("id"))
	if err != nil {
		h.respond(w, nil, err, "no dead letter "+r.PathValue("id"))
		return
	}
	if d.Topic == "" {
		writeError(w, http.StatusConflict, "dead letter has no source topic to replay to")
		return
	}
	if d.Metadata[store.RedactedMeta] != "" {
		writeError(w, http.StatusConflict, "dead letter's payload was erased on a privacy request: nothing to replay")
		return
	}
	now := h.now().UTC()
	msg := message.NewMessage(event.DerivedID("rp_", d.ID, now.Format(time.RFC3339Nano)), d.Payload)
	for k, v := range d.Metadata {
		msg.Metadata.Set(k, v)
	}
	for _, k := range poisonMetadata {
		delete(msg.Metadata, k)
	}
	msg.Metadata.Set(MetaReplayOf, d.ID)
	topic, err := h.replay(r.Context(), t, d.Topic, msg)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "could not enqueue the replay: "+err.Error())
		return
	}
	if err := h.store.MarkReplayed(r.Context(), t.ID, d.ID, now); err != nil {
		h.respond(w, nil, err, "")
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "replayed", "topic": topic, "message_id": msg.UUID})
}

// replay sends a dead letter's message back to where it failed, and returns
// where that is: a topic, or the outbox for a send the sender gave up on.
// Dead letters of earlier versions' topics take the path that replaced
// theirs.
func (h *Hub) replay(ctx context.Context, t *runtime.Tenant, topic string, msg *message.Message) (string, error) {
	switch topic {
	case TopicOutbox, oldTopicOutbound:
		return TopicOutbox, h.requeueCommand(ctx, msg.Payload)
	case oldTopicOutcomes:
		var o event.Outcome
		if err := json.Unmarshal(msg.Payload, &o); err != nil {
			return "", fmt.Errorf("decoding the outcome: %w", err)
		}
		cmds, err := h.notify(t, o)
		if err != nil {
			return "", err
		}
		return TopicOutbox, h.enqueueCommands(ctx, cmds)
	case oldTopicEvents:
		msg.Metadata.Set(MetaMappedEvent, "true")
		topic = TopicInbound
	case oldTopicEventsBSP:
		msg.Metadata.Set(MetaMappedEvent, "true")
		topic = TopicInboundBSP
	}
	return topic, h.queue.Publisher().Publish(topic, msg)
}

// requeueCommand puts a message command back in the outbox, due now: a new
// key is queued, and a message held for a replay is deferred until now.
func (h *Hub) requeueCommand(ctx context.Context, payload []byte) error {
	var cmd messaging.Command
	if err := json.Unmarshal(payload, &cmd); err != nil {
		return fmt.Errorf("decoding the message command: %w", err)
	}
	m, err := outboxMessage(cmd)
	if err != nil {
		return err
	}
	now := h.now()
	m.Command, m.DueAt = payload, now
	if err := h.store.EnqueueMessages(ctx, []store.Message{m}); err != nil {
		return err
	}
	if err := h.store.DeferMessage(ctx, cmd.Key, now, payload, "replayed", now); err != nil {
		return err
	}
	h.wakeSender()
	return nil
}

func (h *Hub) respond(w http.ResponseWriter, v any, err error, notFound string) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, v)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, notFound)
	default:
		h.logger.Error("admin API", "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

func limitParam(w http.ResponseWriter, r *http.Request) (int, bool) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 100, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		writeError(w, http.StatusBadRequest, "limit must be an integer from 1 to 1000")
		return 0, false
	}
	return n, true
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
