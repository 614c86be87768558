// Package admin serves the operator's HTTP API under /api/v1 (and the
// profiler's /debug/pprof when enabled), behind API keys of read, write
// or admin scope per tenant or across tenants, or the bootstrap admin
// token, each key paced, every write recorded in the audit log:
// members, their ledger, lots, adjustments, tiers and a program
// simulation; rewards, their codes and redemptions; the message log,
// contacts, consent and senders' pauses; dead letters and their replay;
// handed-off conversations and the join link; erasure on a person's
// request; the funnel of the messages written, by origin; a loyalty
// program's KPIs, and a report of them for a person to read; member
// segments, their previews and exports; campaigns; surveys' responses;
// the connectors' health and the senders' templates, for the operator
// console; who a key is; the keys themselves and the audit log.
//
// It depends on the store's sub-interfaces it uses, the tenants' runtime,
// the hub's clock, and functions for what the hub does around it: running
// a loyalty transaction with its effects, queueing messages in the outbox,
// replaying a dead letter, erasing a person, telling an inbox a handoff
// ended.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/access"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/account"
	"github.com/loyalhub/loyalhub/pipelines/campaigns"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/segments"
)

// Store is what the admin API reads and writes.
type Store interface {
	store.Members
	store.Ledger
	store.Accounts
	store.Rewards
	store.Messages
	store.Senders
	store.Contacts
	store.Conversations
	store.DeadLetters
	store.Privacy
	store.Analytics
	store.Campaigns
	store.Segments
	store.Surveys
	store.MemberLists
	store.Journeys
	store.Webhooks
}

// API is the admin API. Set its fields, then mount it with Routes; it is
// safe for concurrent use.
type API struct {
	Store   Store
	Tenants *runtime.Tenants
	// Token is the bootstrap bearer token (server.admin_token): full
	// access to every route.
	Token string
	// Keys holds the API keys that open the API by scope and tenant; nil,
	// only Token does. With neither, the API answers 403.
	Keys store.APIKeys
	// RateLimit paces each API key (server.api_rate_limit); zero fields
	// take the defaults.
	RateLimit config.RateLimit
	// Audit records every write let through; nil records nothing.
	Audit store.Audit
	// Requests counts requests by what the guard decided
	// (loyalhub_admin_requests_total); AuditFailures counts audit entries
	// not stored (loyalhub_admin_audit_failures_total). Nil counts nothing.
	Requests      *prometheus.CounterVec
	AuditFailures prometheus.Counter
	// Pprof mounts the profiler (server.pprof), for the admin token and
	// integrator keys of admin scope.
	Pprof bool
	// Apps are the dead-letter tenants of the shared Meta app webhooks'
	// unroutable changes, by app name.
	Apps map[string]string
	// Now is the hub's clock: every time the API decides by or records.
	Now    func() time.Time
	Logger *slog.Logger
	// PrivacyRequests counts erasures (loyalhub_privacy_requests_total).
	PrivacyRequests *prometheus.CounterVec
	// MembersImported counts member import rows by result
	// (loyalhub_members_imported_total); nil counts nothing.
	MembersImported *prometheus.CounterVec
	// QualityPaused is loyalhub_sender_quality_paused, which a resume
	// sets to 0.
	QualityPaused *prometheus.GaugeVec

	// WakeWebhooks tells the webhook runner that deliveries are due (a
	// replay, an endpoint enabled); nil: it finds them at its next poll.
	WakeWebhooks func()

	// Campaigns runs the tenants' broadcasts.
	Campaigns *campaigns.Runner

	// Redeemer redeems rewards; Transact runs a loyalty transaction with
	// its effects (adjustments, tiers).
	Redeemer *account.Redeemer
	Transact account.Transact
	// AccountRef is the account an event names (a simulation's).
	AccountRef func(region string, ev event.Event) (store.AccountRef, error)
	// Enqueue writes commands to the outbox in one transaction.
	Enqueue func(ctx context.Context, cmds []messaging.Command) error
	// Replay sends dead letter d of tenant t back to where it failed, as
	// a new message at at, and returns where that is (a topic, or the
	// outbox) and the new message's id.
	Replay func(ctx context.Context, t *runtime.Tenant, d store.DeadLetter, at time.Time) (topic, messageID string, err error)
	// MembersOf finds the members of the person ref names; Erase erases
	// the personal data of that person's members ms and of every dead
	// letter's payload that names them (named, or any of ms's identities).
	MembersOf func(ctx context.Context, tenant string, ref store.AccountRef) ([]member.Member, error)
	Erase     func(ctx context.Context, tenant, requestID string, named member.Person, ms []member.Member) (store.Erasure, error)
	// Segments evaluates the tenants' member segments.
	Segments *segments.Segments
	// HandoffReleased tells tenant t's inbox that conversation conv was
	// given back to the bot at at.
	HandoffReleased func(ctx context.Context, t *runtime.Tenant, conv store.Conversation, at time.Time) error
	// Reload loads the configuration file again and applies it, returning
	// why it was refused (config.Errors when the errors have key paths);
	// nil, POST /api/v1/config/reload answers 501.
	Reload func() error

	// erasing runs the operator's erasures one at a time, so that a
	// request sent twice at once is answered by its first run's record.
	erasing sync.Mutex
	// limits pace the API keys and record their use.
	limits limiters
}

// Routes mounts the API on mux.
func (a *API) Routes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET "+p+"/members", a.tenant(a.getMembers))
	mux.Handle("GET "+p+"/members/export", a.tenant(a.exportMembers))
	mux.Handle("POST "+p+"/members/import", a.tenant(a.importMembers))
	mux.Handle("GET "+p+"/members/{id}", a.tenant(a.getMember))
	mux.Handle("GET "+p+"/members/{id}/ledger", a.tenant(a.getLedger))
	mux.Handle("GET "+p+"/messages", a.tenant(a.listMessages))
	mux.Handle("GET "+p+"/messages/{key}", a.tenant(a.getMessage))
	mux.Handle("GET "+p+"/deadletters", a.tenant(a.listDeadLetters))
	mux.Handle("GET "+p+"/deadletters/{id}", a.tenant(a.getDeadLetter))
	mux.Handle("POST "+p+"/deadletters/{id}/replay", a.tenant(a.replayDeadLetter))
	a.messagingRoutes(mux)
	a.loyaltyRoutes(mux)
	a.rewardsRoutes(mux)
	a.conversationRoutes(mux)
	a.privacyRoutes(mux)
	a.analyticsRoutes(mux)
	a.campaignRoutes(mux)
	a.segmentRoutes(mux)
	a.surveyRoutes(mux)
	a.journeyRoutes(mux)
	a.webhookRoutes(mux)
	a.healthRoutes(mux)
	a.keyRoutes(mux)
	a.reloadRoutes(mux)
	mux.Handle("GET /api/v1/apps/{app}/deadletters", a.only(http.HandlerFunc(a.listAppDeadLetters)))
	if a.Pprof {
		mux.Handle("/debug/pprof/", a.guard(access.Admin, http.HandlerFunc(pprof.Index)))
		mux.Handle("/debug/pprof/profile", a.guard(access.Admin, http.HandlerFunc(pprof.Profile)))
		mux.Handle("/debug/pprof/trace", a.guard(access.Admin, http.HandlerFunc(pprof.Trace)))
	}
}

// tenantHandler serves a route of one tenant.
type tenantHandler func(w http.ResponseWriter, r *http.Request, t *runtime.Tenant)

// tenant serves a route of the path's tenant to callers whose scope
// includes the method's (see guard), answering 404 for an unknown tenant.
func (a *API) tenant(next tenantHandler) http.Handler { return a.tenantAs(0, next) }

// tenantAdmin is tenant for the routes that need the admin scope.
func (a *API) tenantAdmin(next tenantHandler) http.Handler { return a.tenantAs(access.Admin, next) }

func (a *API) tenantAs(need access.Scope, next tenantHandler) http.Handler {
	return a.guard(need, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, ok := a.Tenants.Tenant(r.PathValue("tenant"))
		if !ok {
			respond.Error(w, http.StatusNotFound, "unknown tenant "+r.PathValue("tenant"))
			return
		}
		next(w, r, t)
	}))
}

// only serves a route across tenants to the admin token and integrator
// keys whose scope includes the method's.
func (a *API) only(next http.Handler) http.Handler { return a.guard(0, next) }

func (a *API) respond(w http.ResponseWriter, v any, err error, notFound string) {
	switch {
	case err == nil:
		respond.JSON(w, http.StatusOK, v)
	case errors.Is(err, store.ErrNotFound):
		respond.Error(w, http.StatusNotFound, notFound)
	default:
		a.Logger.Error("admin API", "err", err)
		respond.Error(w, http.StatusInternalServerError, "internal error")
	}
}

func limitParam(w http.ResponseWriter, r *http.Request) (int, bool) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 100, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		respond.Error(w, http.StatusBadRequest, "limit must be an integer from 1 to 1000")
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

// required answers 400 naming the fields that are empty, and reports
// whether all were given.
func required(w http.ResponseWriter, fields map[string]string) bool {
	var missing []string
	for name, v := range fields {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return true
	}
	slices.Sort(missing)
	respond.Error(w, http.StatusBadRequest, "required: "+strings.Join(missing, ", "))
	return false
}

// decodeBody reads a JSON request body into v, answering 400 when it is not
// one.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		respond.Error(w, http.StatusBadRequest, fmt.Sprintf("request body: %v", err))
		return false
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
