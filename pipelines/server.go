package pipelines

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/pipelines/account"
	"github.com/loyalhub/loyalhub/pipelines/admin"
	"github.com/loyalhub/loyalhub/pipelines/chat"
	"github.com/loyalhub/loyalhub/pipelines/process"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Handler returns the hub's single HTTP handler: webhooks, health, metrics
// and the admin API (package admin).
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/{tenant}/{connector}", h.handleHook)
	mux.HandleFunc("GET /hooks/{tenant}/{connector}", h.handleHandshake)
	mux.HandleFunc("POST /apps/{app}/whatsapp", h.handleAppHook)
	mux.HandleFunc("GET /apps/{app}/whatsapp", h.handleAppHandshake)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", h.handleReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(h.metrics.Registry, promhttp.HandlerOpts{}))
	h.adminAPI().Routes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// adminAPI is the admin API on the hub's store, tenants and clock.
func (h *Hub) adminAPI() *admin.API {
	apps := make(map[string]string, len(h.apps))
	for name := range h.apps {
		apps[name] = appTenant(name)
	}
	lanes := h.lanes()
	return &admin.API{
		Store: h.store, Tenants: h.tenants, Token: h.cfg.Server.AdminToken, Pprof: h.cfg.Server.Pprof, Apps: apps,
		Now: h.now, Logger: h.logger, PrivacyRequests: h.metrics.PrivacyRequests,
		Redeemer: h.redeemer(), Transact: h.ledger.Transact, AccountRef: process.AccountRef, Enqueue: h.ledger.Enqueue,
		Replay: h.replayDeadLetter, MembersOf: lanes.MembersOf, Erase: lanes.ErasePerson, HandoffReleased: h.responder().HandoffReleased,
	}
}

// redeemer redeems rewards on the hub's store, with the effects of the
// tenants' loyalty transactions.
func (h *Hub) redeemer() *account.Redeemer {
	return &account.Redeemer{
		Store: h.store, Transact: h.ledger.Transact, Ledger: h.ledger.Tenant,
		CodesIssued: h.metrics.CodesIssued, Logger: h.logger, Now: h.now,
	}
}

// responder answers customers' messages with the tenants' chatbots on the
// hub's store, outbox and clock.
func (h *Hub) responder() *chat.Responder {
	return &chat.Responder{
		Store: h.store, Inbox: h.inbox, Redeemer: h.redeemer(), Transact: h.ledger.Transact, Enqueue: h.ledger.Enqueue,
		Now: h.now, Logger: h.logger,
		BotReplies: h.metrics.BotReplies, ConsentChanges: h.metrics.ConsentChanges, HandoffEvents: h.metrics.HandoffEvents,
	}
}

// handleHook authenticates a provider's webhook, enqueues it durably and
// only then answers 2xx. A bad signature gets 401 and nothing is stored; a
// payload that cannot be parsed is still enqueued (the mapping stage
// dead-letters it with the reason).
func (h *Hub) handleHook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	tenant, name := r.PathValue("tenant"), r.PathValue("connector")
	c, ok := h.tenants.Connector(tenant, name)
	if !ok || c.Source == nil {
		h.metrics.ConnectorRequests.WithLabelValues("", "", "404").Inc()
		writeError(w, http.StatusNotFound, "unknown tenant or connector: "+tenant+"/"+name)
		return
	}
	code := h.acceptHook(w, r, tenant, c)
	h.metrics.ConnectorRequests.WithLabelValues(tenant, name, strconv.Itoa(code)).Inc()
	if code < 300 {
		h.metrics.ConnectorAcceptSeconds.Observe(time.Since(start).Seconds())
	}
}

func (h *Hub) acceptHook(w http.ResponseWriter, r *http.Request, tenant string, c *runtime.Connector) int {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.Server.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return writeError(w, http.StatusRequestEntityTooLarge, "body exceeds "+strconv.FormatInt(tooBig.Limit, 10)+" bytes")
		}
		return writeError(w, http.StatusBadRequest, "reading body: "+err.Error())
	}
	d, err := c.Source.Accept(r, body)
	if err != nil {
		if errors.Is(err, connectors.ErrUnauthorized) {
			h.metrics.ConnectorSigFailures.WithLabelValues(tenant, c.Name).Inc()
			return writeError(w, http.StatusUnauthorized, err.Error())
		}
		return writeError(w, http.StatusBadRequest, err.Error())
	}
	if err := h.enqueue(r.Context(), tenant, c, body, d); err != nil {
		h.logger.Error("enqueueing delivery", "tenant", tenant, "connector", c.Name, "err", err)
		w.Header().Set("Retry-After", "5")
		return writeError(w, http.StatusServiceUnavailable, "could not enqueue the delivery; retry later")
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "accepted", "delivery_id": d.ID})
}

func (h *Hub) handleHandshake(w http.ResponseWriter, r *http.Request) {
	c, ok := h.tenants.Connector(r.PathValue("tenant"), r.PathValue("connector"))
	if !ok {
		writeError(w, http.StatusNotFound, "unknown tenant or connector")
		return
	}
	if c.Handshaker == nil {
		writeError(w, http.StatusMethodNotAllowed, "this connector takes POST only")
		return
	}
	c.Handshaker.Handshake(w, r)
}

func (h *Hub) handleReady(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{"queue": "ok", "store": "ok"}
	code := http.StatusOK
	if h.queue == nil || h.queue.Ping(r.Context()) != nil {
		checks["queue"], code = "unreachable", http.StatusServiceUnavailable
	}
	if h.store == nil || h.store.Ping(r.Context()) != nil {
		checks["store"], code = "unreachable", http.StatusServiceUnavailable
	}
	writeJSON(w, code, checks)
}

func writeJSON(w http.ResponseWriter, code int, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
	return code
}

func writeError(w http.ResponseWriter, code int, msg string) int {
	return writeJSON(w, code, map[string]string{"error": msg})
}
