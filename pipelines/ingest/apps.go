package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/cloudapi"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// appRoute is where a Meta app's change goes.
type appRoute struct {
	tenant string
	c      *runtime.Connector
}

// Apps are the shared webhooks of Meta apps: each app's authenticator,
// and the tenants' Cloud API numbers its changes are routed to.
// A reload of the configuration replaces the routes (Reroute); the apps
// themselves change only with a restart.
type Apps struct {
	sources map[string]*cloudapi.Source
	routes  atomic.Pointer[appRoutes]
}

// appRoutes are the apps' routes as one configuration built them.
type appRoutes struct {
	byPhoneID map[string]appRoute
	byWABA    map[string]appRoute
}

// NewApps indexes the Cloud API accounts of the tenants' connectors
// (accounts) for the apps' webhooks (whatsapp_apps). Two connectors with
// the same phone_number_id are an error. It does no I/O.
func NewApps(apps map[string]config.WhatsAppApp, tenants runtime.Snapshot, accounts map[*runtime.Connector]connectors.CloudAccount) (*Apps, error) {
	rs := &appRoutes{byPhoneID: map[string]appRoute{}, byWABA: map[string]appRoute{}}
	a := &Apps{sources: map[string]*cloudapi.Source{}}
	a.routes.Store(rs)
	if len(apps) == 0 {
		return a, nil
	}
	for _, id := range tenants.IDs() {
		t := tenants[id]
		for _, name := range slices.Sorted(maps.Keys(t.Connectors)) {
			c := t.Connectors[name]
			acct, ok := accounts[c]
			if !ok {
				continue
			}
			phoneID, waba := acct.CloudAccount()
			r := appRoute{tenant: id, c: c}
			if phoneID != "" {
				if prev, dup := rs.byPhoneID[phoneID]; dup {
					return nil, fmt.Errorf("tenant %s: connector %s: phone_number_id %s is also tenant %s's connector %s",
						id, name, phoneID, prev.tenant, prev.c.Name)
				}
				rs.byPhoneID[phoneID] = r
			}
			if waba != "" {
				if _, dup := rs.byWABA[waba]; !dup {
					rs.byWABA[waba] = r // a WABA's numbers share its template updates
				}
			}
		}
	}
	for name, app := range apps {
		a.sources[name] = cloudapi.NewSource(cloudapi.Config{AppSecret: app.AppSecret, VerifyToken: app.VerifyToken})
	}
	return a, nil
}

// Reroute replaces a's routes with those of b, built from a reloaded
// configuration: a change already split keeps its route.
func (a *Apps) Reroute(b *Apps) { a.routes.Store(b.routes.Load()) }

// AppTenant is the dead-letter tenant of an app's unroutable changes.
func AppTenant(app string) string { return "app:" + app }

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
func (hs *Hooks) handleAppHook(w http.ResponseWriter, r *http.Request) {
	app := r.PathValue("app")
	src, ok := hs.Apps.sources[app]
	if !ok {
		respond.Error(w, http.StatusNotFound, "unknown whatsapp app "+app)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, hs.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			respond.Error(w, http.StatusRequestEntityTooLarge, "body exceeds "+strconv.FormatInt(tooBig.Limit, 10)+" bytes")
			return
		}
		respond.Error(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	if _, err := src.Accept(r, body); err != nil {
		hs.Metrics.SigFailures.WithLabelValues(AppTenant(app), "whatsapp").Inc()
		respond.Error(w, http.StatusUnauthorized, err.Error())
		return
	}
	parts, unrouted, err := hs.Apps.split(body)
	switch {
	case errors.Is(err, errNotEnvelope):
		// JSON, but not a WhatsApp webhook (another product of the app):
		// counted and logged once, nothing to route.
		hs.Ignore(event.Delivery{Tenant: AppTenant(app), Connector: app, Kind: "whatsapp_app"}, []string{"not_an_envelope"})
	case err != nil:
		// Signed but unreadable: keep it for inspection.
		unrouted = []unroutedChange{{reason: "webhook body is not a Cloud API envelope: " + err.Error(), body: body}}
	}
	for _, p := range parts {
		if err := hs.Enqueue(r.Context(), p.route.tenant, p.route.c, p.body, connectors.Delivery{ID: event.ContentID(p.body), Writers: cloudapi.Writers(p.body)}); err != nil {
			hs.Logger.Error("enqueueing delivery", "app", app, "tenant", p.route.tenant, "err", err)
			p.route.c.Deliveries.Failed(hs.Now(), "enqueueing from app "+app+": "+err.Error())
			w.Header().Set("Retry-After", "5")
			respond.Error(w, http.StatusServiceUnavailable, "could not enqueue the delivery; retry later")
			return
		}
		p.route.c.Deliveries.Succeeded(hs.Now())
	}
	for _, u := range unrouted {
		d := store.DeadLetter{
			ID: "app_" + event.ContentID(u.body), Tenant: AppTenant(app), Topic: hs.cfg.BSPTopic, Handler: "route",
			Reason: u.reason, Payload: u.body, Metadata: map[string]string{"app": app}, CreatedAt: hs.Now().UTC(),
		}
		if err := hs.Store.AddDeadLetter(r.Context(), d); err != nil {
			w.Header().Set("Retry-After", "5")
			respond.Error(w, http.StatusServiceUnavailable, "could not store the unroutable change; retry later")
			return
		}
		hs.Metrics.DeadLetters.WithLabelValues("route").Inc()
		hs.Logger.Warn("webhook change for no tenant", "app", app, "reason", u.reason)
	}
	respond.JSON(w, http.StatusOK, map[string]any{"status": "accepted", "deliveries": len(parts), "unrouted": len(unrouted)})
}

type routedPart struct {
	route appRoute
	body  []byte
}

type unroutedChange struct {
	reason string
	body   []byte
}

// split groups an envelope's changes by tenant connector, each
// group re-wrapped as an envelope of its own.
func (a *Apps) split(body []byte) ([]routedPart, []unroutedChange, error) {
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
	rs := a.routes.Load()
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
			route, ok := rs.byPhoneID[ch.Value.Metadata.PhoneNumberID]
			reason := ""
			switch {
			case ok:
			case ch.Value.Metadata.PhoneNumberID != "":
				reason = fmt.Sprintf("no tenant has phone_number_id %s (change %q of WABA %s)", ch.Value.Metadata.PhoneNumberID, ch.Field, e.ID)
			default:
				route, ok = rs.byWABA[e.ID]
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

func (hs *Hooks) handleAppHandshake(w http.ResponseWriter, r *http.Request) {
	src, ok := hs.Apps.sources[r.PathValue("app")]
	if !ok {
		respond.Error(w, http.StatusNotFound, "unknown whatsapp app "+r.PathValue("app"))
		return
	}
	src.Handshake(w, r)
}
