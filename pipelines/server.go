package pipelines

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/loyalhub/loyalhub/pipelines/account"
	"github.com/loyalhub/loyalhub/pipelines/admin"
	"github.com/loyalhub/loyalhub/pipelines/chat"
	"github.com/loyalhub/loyalhub/pipelines/console"
	"github.com/loyalhub/loyalhub/pipelines/ingest"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/links"
	"github.com/loyalhub/loyalhub/pipelines/process"
)

// Handler returns the hub's single HTTP handler: webhooks (package ingest),
// short links (package links), health, metrics, the admin API (package
// admin) and the operator console on it (package console). It serves the queue
// and store Start opened: build it once started.
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	h.hooks().Routes(mux)
	h.redirect().Routes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		respond.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", h.handleReady)
	mux.Handle("GET /metrics", metricsGuard(h.cfg.Server.MetricsToken,
		promhttp.HandlerFor(h.metrics.Registry, promhttp.HandlerOpts{})))
	h.adminAPI().Routes(mux)
	console.New().Routes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		respond.Error(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// metricsGuard serves next to the requests that carry token as their
// bearer token, or to every request when token is empty.
func metricsGuard(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="loyalhub metrics"`)
			respond.Error(w, http.StatusUnauthorized, "missing or wrong bearer token: set server.metrics_token's")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hooks accepts webhooks onto the hub's queue for its tenants and apps,
// with its store's dead letters and its clock.
func (h *Hub) hooks() *ingest.Hooks {
	m := h.metrics
	return ingest.New(ingest.Deps{
		Tenants: h.tenants, Apps: h.apps, Publisher: h.queue.Publisher(), Store: h.store, Ignore: h.ignored.Count,
		Now: h.now, Logger: h.logger, Tracing: h.tracing, Unread: &h.unread,
		Metrics: ingest.Metrics{
			Requests: m.ConnectorRequests, AcceptSeconds: m.ConnectorAcceptSeconds,
			SigFailures: m.ConnectorSigFailures, DeadLetters: m.DeadLetters,
		},
	}, ingest.Config{MaxBodyBytes: h.cfg.Server.MaxBodyBytes, BSPTopic: TopicInboundBSP})
}

// redirect serves the short links of the hub's store, recording clicks by
// its clock.
func (h *Hub) redirect() *links.Redirect {
	return &links.Redirect{Store: h.store, Now: h.now, Logger: h.logger,
		Metrics: links.Metrics{Clicks: h.metrics.LinkClicks, Previews: h.metrics.LinkPreviews}}
}

// adminAPI is the admin API on the hub's store, tenants and clock.
func (h *Hub) adminAPI() *admin.API {
	apps := make(map[string]string, len(h.cfg.WhatsAppApps))
	for name := range h.cfg.WhatsAppApps {
		apps[name] = ingest.AppTenant(name)
	}
	return &admin.API{
		Store: h.store, Tenants: h.tenants, Token: h.cfg.Server.AdminToken, Pprof: h.cfg.Server.Pprof, Apps: apps,
		Keys: h.store, Audit: h.store, RateLimit: h.cfg.Server.APIRateLimit,
		Requests: h.metrics.AdminRequests, AuditFailures: h.metrics.AuditFailures,
		Now: h.now, Logger: h.logger, PrivacyRequests: h.metrics.PrivacyRequests, MembersImported: h.metrics.MembersImported, QualityPaused: h.metrics.SenderQualityPaused,
		Redeemer: h.redeemer(), Transact: h.ledger.Transact, AccountRef: process.AccountRef, Enqueue: h.ledger.Enqueue,
		Replay: h.replayDeadLetter, MembersOf: h.lanes.MembersOf, Erase: h.lanes.ErasePerson, HandoffReleased: h.responder().HandoffReleased,
		Campaigns: h.campaigns, WakeWebhooks: h.webhooks.Wake,
		Segments: h.Segments(), Reload: h.reloadFunc(),
	}
}

// reloadFunc is the admin API's reload: the reloader's, or nil.
func (h *Hub) reloadFunc() func() error {
	if h.reloader == nil {
		return nil
	}
	return h.reloader.Reload
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
		EnqueueDue: h.ledger.EnqueueDue, Now: h.now, Logger: h.logger,
		BotReplies: h.metrics.BotReplies, ConsentChanges: h.metrics.ConsentChanges, HandoffEvents: h.metrics.HandoffEvents,
		SurveyResponses: h.metrics.SurveyResponses,
	}
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
	respond.JSON(w, code, checks)
}
