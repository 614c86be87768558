package pipelines

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/cloudapi"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// appRoute is where a Meta app's change goes.
type appRoute struct {
	tenant string
	c      *runtime.Connector
}

// appRoutes indexes the tenants' Cloud API numbers for the shared app
// webhooks.
type appRoutes struct {
	byPhoneID map[string]appRoute
	byWABA    map[string]appRoute
}

func (h *Hub) buildAppRoutes(accounts map[*runtime.Connector]connectors.CloudAccount) error {
	h.routes = appRoutes{byPhoneID: map[string]appRoute{}, byWABA: map[string]appRoute{}}
	if len(h.cfg.WhatsAppApps) == 0 {
		return nil
	}
	for _, id := range h.tenants.IDs() {
		t := h.tenants[id]
		for _, name := range slices.Sorted(maps.Keys(t.Connectors)) {
			c := t.Connectors[name]
			acct, ok := accounts[c]
			if !ok {
				continue
			}
			phoneID, waba := acct.CloudAccount()
			r := appRoute{tenant: id, c: c}
			if phoneID != "" {
				if prev, dup := h.routes.byPhoneID[phoneID]; dup {
					return fmt.Errorf("tenant %s: connector %s: phone_number_id %s is also tenant %s's connector %s",
						id, name, phoneID, prev.tenant, prev.c.Name)
				}
				h.routes.byPhoneID[phoneID] = r
			}
			if waba != "" {
				if _, dup := h.routes.byWABA[waba]; !dup {
					h.routes.byWABA[waba] = r // a WABA's numbers share its template updates
				}
			}
		}
	}
	return nil
}

// appTenant is the dead-letter tenant of an app's unroutable changes.
func appTenant(app string) string { return "app:" + app }

// whatsAppObject is the object of a WhatsApp webhook's envelope.
const whatsAppObject = "whatsapp_business_account"

// errNotEnvelope is a JSON body that is not a WhatsApp webhook's envelope.
var errNotEnvelope = errors.New("not a WhatsApp webhook envelope")

// wireEnvelope is the part of a Cloud API webhook the router reads; the
// changes stay raw.
type wireEnvelope struct {
	Object string      `json:"object"`
	Entry  []wireEntry `json:"entry"`
}

type wireEntry struct {
	ID      string            `json:"id"`
	Time    json.RawMessage   `json:"time,omitempty"`
	Changes []json.RawMessage `json:"changes"`
}

// handleAppHook accepts a Meta app's webhook for many tenants: it verifies
// the app's signature, splits the changes by the number they concern and
// enqueues one delivery per tenant connector, then answers. A change for a
// number no tenant has is dead-lettered with the reason.
func (h *Hub) handleAppHook(w http.ResponseWriter, r *http.Request) {
	app := r.PathValue("app")
	src, ok := h.apps[app]
	if !ok {
		writeError(w, http.StatusNotFound, "unknown whatsapp app "+app)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.Server.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "body exceeds "+strconv.FormatInt(tooBig.Limit, 10)+" bytes")
			return
		}
		writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	if _, err := src.Accept(r, body); err != nil {
		h.metrics.ConnectorSigFailures.WithLabelValues(appTenant(app), "whatsapp").Inc()
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	}
	parts, unrouted, err := h.splitAppHook(body)
	switch {
	case errors.Is(err, errNotEnvelope):
		// JSON, but not a WhatsApp webhook (another product of the app):
		// counted and logged once, nothing to route.
		h.ignored.Count(event.Delivery{Tenant: appTenant(app), Connector: app, Kind: "whatsapp_app"}, []string{"not_an_envelope"})
	case err != nil:
		// Signed but unreadable: keep it for inspection.
		unrouted = []unroutedChange{{reason: "webhook body is not a Cloud API envelope: " + err.Error(), body: body}}
	}
	for _, p := range parts {
		if err := h.enqueue(r.Context(), p.route.tenant, p.route.c, p.body, connectors.Delivery{ID: hashID(p.body)}); err != nil {
			h.logger.Error("enqueueing delivery", "app", app, "tenant", p.route.tenant, "err", err)
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "could not enqueue the delivery; retry later")
			return
		}
	}
	for _, u := range unrouted {
		d := store.DeadLetter{
			ID: "app_" + hashID(u.body), Tenant: appTenant(app), Topic: TopicInboundBSP, Handler: "route",
			Reason: u.reason, Payload: u.body, Metadata: map[string]string{"app": app}, CreatedAt: h.now().UTC(),
		}
		if err := h.store.AddDeadLetter(r.Context(), d); err != nil {
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "could not store the unroutable change; retry later")
			return
		}
		h.metrics.DeadLetters.WithLabelValues("route").Inc()
		h.logger.Warn("webhook change for no tenant", "app", app, "reason", u.reason)
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "accepted", "deliveries": len(parts), "unrouted": len(unrouted)})
}

type routedPart struct {
	route appRoute
	body  []byte
}

type unroutedChange struct {
	reason string
	body   []byte
}

// splitAppHook groups an envelope's changes by tenant connector, each
// group re-wrapped as an envelope of its own.
func (h *Hub) splitAppHook(body []byte) ([]routedPart, []unroutedChange, error) {
	var env wireEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		var probe struct {
			Object string `json:"object"`
		}
		if json.Valid(body) && (json.Unmarshal(body, &probe) != nil || probe.Object != whatsAppObject) {
			return nil, nil, errNotEnvelope
		}
		return nil, nil, err
	}
	if env.Entry == nil || (env.Object != "" && env.Object != whatsAppObject) {
		return nil, nil, errNotEnvelope
	}
	type key struct{ tenant, connector, entry string }
	groups := map[key]*wireEntry{}
	routes := map[key]appRoute{}
	var order []key
	var unrouted []unroutedChange
	for _, e := range env.Entry {
		for _, raw := range e.Changes {
			var ch struct {
				Field string `json:"field"`
				Value struct {
					Metadata struct {
						PhoneNumberID string `json:"phone_number_id"`
					} `json:"metadata"`
				} `json:"value"`
			}
			_ = json.Unmarshal(raw, &ch)
			route, ok := h.routes.byPhoneID[ch.Value.Metadata.PhoneNumberID]
			reason := ""
			switch {
			case ok:
			case ch.Value.Metadata.PhoneNumberID != "":
				reason = fmt.Sprintf("no tenant has phone_number_id %s (change %q of WABA %s)", ch.Value.Metadata.PhoneNumberID, ch.Field, e.ID)
			default:
				route, ok = h.routes.byWABA[e.ID]
				if !ok {
					reason = fmt.Sprintf("no tenant has waba_id %s (change %q carries no phone_number_id)", e.ID, ch.Field)
				}
			}
			if !ok {
				one, _ := json.Marshal(wireEnvelope{Object: env.Object, Entry: []wireEntry{{ID: e.ID, Time: e.Time, Changes: []json.RawMessage{raw}}}})
				unrouted = append(unrouted, unroutedChange{reason: reason, body: one})
				continue
			}
			k := key{route.tenant, route.c.Name, e.ID}
			g, seen := groups[k]
			if !seen {
				g = &wireEntry{ID: e.ID, Time: e.Time}
				groups[k], routes[k] = g, route
				order = append(order, k)
			}
			g.Changes = append(g.Changes, raw)
		}
	}
	// One delivery per tenant connector, its entries in the order received.
	type bucket struct {
		route   appRoute
		entries []wireEntry
	}
	var buckets []*bucket
	index := map[[2]string]*bucket{}
	for _, k := range order {
		bk := [2]string{k.tenant, k.connector}
		b, ok := index[bk]
		if !ok {
			b = &bucket{route: routes[k]}
			index[bk] = b
			buckets = append(buckets, b)
		}
		b.entries = append(b.entries, *groups[k])
	}
	parts := make([]routedPart, 0, len(buckets))
	for _, b := range buckets {
		out, err := json.Marshal(wireEnvelope{Object: env.Object, Entry: b.entries})
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, routedPart{route: b.route, body: out})
	}
	return parts, unrouted, nil
}

func (h *Hub) handleAppHandshake(w http.ResponseWriter, r *http.Request) {
	src, ok := h.apps[r.PathValue("app")]
	if !ok {
		writeError(w, http.StatusNotFound, "unknown whatsapp app "+r.PathValue("app"))
		return
	}
	src.Handshake(w, r)
}

func hashID(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// newAppSources builds the shared webhooks' authenticators.
func newAppSources(h *Hub) {
	h.apps = map[string]*cloudapi.Source{}
	for name, a := range h.cfg.WhatsAppApps {
		h.apps[name] = cloudapi.NewSource(cloudapi.Config{AppSecret: a.AppSecret, VerifyToken: a.VerifyToken})
	}
}

// enqueue publishes one accepted delivery for a tenant connector.
func (h *Hub) enqueue(ctx context.Context, tenant string, c *runtime.Connector, body []byte, d connectors.Delivery) error {
	msg := message.NewMessage(event.DerivedID("in_", tenant, c.Name, d.ID), body)
	msg.Metadata.Set(MetaTenant, tenant)
	msg.Metadata.Set(MetaConnector, c.Name)
	msg.Metadata.Set(MetaKind, c.Spec.Name)
	msg.Metadata.Set(MetaDeliveryID, d.ID)
	msg.Metadata.Set(MetaReceivedAt, h.now().UTC().Format(time.RFC3339Nano))
	if d.Topic != "" {
		msg.Metadata.Set(MetaTopic, d.Topic)
	}
	for k, v := range d.Meta {
		msg.Metadata.Set(MetaSourcePrefix+k, v)
	}
	msg.SetContext(ctx)
	return h.queue.Publisher().Publish(c.Topic, msg)
}
