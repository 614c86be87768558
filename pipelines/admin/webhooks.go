package admin

import (
	"net/http"
	"slices"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

func (a *API) webhookRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}/webhooks"
	mux.Handle("GET "+p, a.tenant(a.listWebhooks))
	mux.Handle("GET "+p+"/{name}/deliveries", a.tenant(a.listWebhookDeliveries))
	mux.Handle("GET "+p+"/{name}/deliveries/{id}", a.tenant(a.getWebhookDelivery))
	mux.Handle("POST "+p+"/{name}/deliveries/{id}/replay", a.tenant(a.replayWebhook))
	mux.Handle("POST "+p+"/{name}/enable", a.tenant(a.enableWebhook))
}

// webhookView is an endpoint as configured (without its secret), with its
// health.
type webhookView struct {
	Name    string   `json:"name"`
	URL     string   `json:"url"`
	Events  []string `json:"events"`
	Enabled bool     `json:"enabled"`
	// Disabled is true when the hub disabled the endpoint after it
	// answered 410 or kept failing; see Health.DisabledReason.
	Disabled bool                  `json:"disabled"`
	Health   store.WebhookEndpoint `json:"health"`
}

// webhookEndpoint returns the tenant's endpoint named in the path, or
// answers 404.
func webhookEndpoint(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) (config.Webhook, bool) {
	name := r.PathValue("name")
	i := slices.IndexFunc(t.Config.Webhooks, func(h config.Webhook) bool { return h.Name == name })
	if i < 0 {
		respond.Error(w, http.StatusNotFound, "no webhook endpoint "+name)
		return config.Webhook{}, false
	}
	return t.Config.Webhooks[i], true
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	health, err := a.Store.WebhookEndpoints(r.Context(), t.ID)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	out := make([]webhookView, 0, len(t.Config.Webhooks))
	for _, h := range t.Config.Webhooks {
		v := webhookView{Name: h.Name, URL: h.URL, Events: h.Events, Enabled: h.On(), Health: store.WebhookEndpoint{Name: h.Name}}
		if i := slices.IndexFunc(health, func(e store.WebhookEndpoint) bool { return e.Name == h.Name }); i >= 0 {
			v.Health = health[i]
			v.Disabled = health[i].Disabled()
		}
		out = append(out, v)
	}
	respond.JSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

var webhookStatuses = []string{"", store.WebhookPending, store.WebhookDelivered, store.WebhookFailed, store.WebhookHeld}

func (a *API) listWebhookDeliveries(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	h, ok := webhookEndpoint(w, r, t)
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	if !slices.Contains(webhookStatuses, status) {
		respond.Error(w, http.StatusBadRequest, "status must be pending, delivered, failed or held")
		return
	}
	limit, ok := limitParam(w, r)
	if !ok {
		return
	}
	ds, err := a.Store.ListWebhookDeliveries(r.Context(), t.ID, h.Name, store.WebhookFilter{Status: status, Limit: limit})
	a.respond(w, map[string]any{"deliveries": nonNil(ds)}, err, "")
}

func (a *API) getWebhookDelivery(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	h, ok := webhookEndpoint(w, r, t)
	if !ok {
		return
	}
	d, attempts, err := a.Store.WebhookDelivery(r.Context(), t.ID, h.Name, r.PathValue("id"))
	a.respond(w, map[string]any{"delivery": d, "attempts": nonNil(attempts)}, err, "no delivery "+r.PathValue("id"))
}

// replayWebhook sends a delivery again, whatever its status, under its
// webhook-id: receivers recognise it by that id.
func (a *API) replayWebhook(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	h, ok := webhookEndpoint(w, r, t)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := a.Store.ReplayWebhook(r.Context(), t.ID, h.Name, id, a.Now()); err != nil {
		a.respond(w, nil, err, "no delivery "+id)
		return
	}
	a.wakeWebhooks()
	d, _, err := a.Store.WebhookDelivery(r.Context(), t.ID, h.Name, id)
	a.respond(w, d, err, "no delivery "+id)
}

// enableWebhook enables an endpoint the hub disabled: its held
// deliveries are sent again.
func (a *API) enableWebhook(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	h, ok := webhookEndpoint(w, r, t)
	if !ok {
		return
	}
	if err := a.Store.EnableWebhookEndpoint(r.Context(), t.ID, h.Name, a.Now()); err != nil {
		a.respond(w, nil, err, "")
		return
	}
	a.wakeWebhooks()
	health, err := a.Store.WebhookEndpoints(r.Context(), t.ID)
	if err != nil {
		a.respond(w, nil, err, "")
		return
	}
	v := store.WebhookEndpoint{Name: h.Name}
	if i := slices.IndexFunc(health, func(e store.WebhookEndpoint) bool { return e.Name == h.Name }); i >= 0 {
		v = health[i]
	}
	respond.JSON(w, http.StatusOK, v)
}

func (a *API) wakeWebhooks() {
	if a.WakeWebhooks != nil {
		a.WakeWebhooks()
	}
}
