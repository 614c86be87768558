package admin

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/loyalhub/loyalhub/core/access"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
)

// TokenCaller is the key id and name the bootstrap admin token acts as
// in the audit log and the logs.
const TokenCaller = "admin_token"

// Caller is who made a request: the admin token or an API key.
type Caller struct {
	// KeyID and Name are the key's, or TokenCaller for the admin token.
	KeyID string
	Name  string
	// Tenant is the tenant the key opens, or access.AllTenants.
	Tenant string
	Scope  access.Scope
}

// AllTenants reports whether the caller may open every tenant.
func (c Caller) AllTenants() bool { return c.Tenant == access.AllTenants }

// Opens reports whether the caller may act on tenant.
func (c Caller) Opens(tenant string) bool { return c.AllTenants() || c.Tenant == tenant }

type callerKey struct{}

// CallerFrom returns who made the request of ctx, once the admin API let
// it through.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// limiters holds a token bucket per API key id, and when each key's use
// was last recorded.
type limiters struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	touched map[string]time.Time
}

// allow takes a token from id's bucket at now, or returns how long until
// one is there.
func (l *limiters) allow(id string, limit rate.Limit, burst int, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*rate.Limiter{}
	}
	b, ok := l.buckets[id]
	if !ok {
		b = rate.NewLimiter(limit, burst)
		l.buckets[id] = b
	}
	r := b.ReserveN(now, 1)
	if !r.OK() {
		return time.Second, false
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

// touch reports whether id's use at now is to be recorded: at most once a
// minute.
func (l *limiters) touch(id string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.touched == nil {
		l.touched = map[string]time.Time{}
	}
	if last, ok := l.touched[id]; ok && now.Sub(last) < time.Minute {
		return false
	}
	l.touched[id] = now
	return true
}

// guard lets next serve the requests of a caller allowed to: one that
// carries the admin token, or a valid API key whose scope includes need
// (the method's scope when need is 0: access.MethodScope) and that opens
// the path's {tenant}; a route without {tenant} spans tenants and needs
// the admin token or an integrator key. A key over its rate gets 429.
// Every write let through is recorded in the audit log, however it ends.
func (a *API) guard(need access.Scope, next http.Handler) http.Handler {
	return a.guardAs(need, false, next)
}

// self is guard for a read route about the caller itself, without
// {tenant}, that every valid key may call: it shows no other tenant's data.
func (a *API) self(next http.Handler) http.Handler { return a.guardAs(access.Read, true, next) }

func (a *API) guardAs(need access.Scope, anyKey bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Token == "" && a.Keys == nil {
			respond.Error(w, http.StatusForbidden, "the admin API is disabled: set server.admin_token")
			return
		}
		c, result := a.authenticate(w, r)
		if result == "" {
			result = a.authorize(w, r, c, need, anyKey)
		}
		a.count(result)
		if result != allowed {
			a.log().Debug("admin API: refused", "key", c.KeyID, "method", r.Method, "route", r.Pattern, "result", result)
			return
		}
		a.log().Debug("admin API", "key", c.KeyID, "key_name", c.Name, "method", r.Method, "route", r.Pattern)
		r = r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
		if access.MethodScope(r.Method) == access.Write && a.Audit != nil {
			a.audited(w, r, c, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// What the guard decided, as loyalhub_admin_requests_total counts it.
const (
	allowed      = "allowed"
	unauthorized = "unauthorized"
	forbidden    = "forbidden"
	rateLimited  = "rate_limited"
	failed       = "error"
)

// authorize answers 403 unless c's scope includes need (the method's
// when 0) and c opens the path's tenant, or every tenant on a route
// without one unless anyKey.
func (a *API) authorize(w http.ResponseWriter, r *http.Request, c Caller, need access.Scope, anyKey bool) string {
	if need == 0 {
		need = access.MethodScope(r.Method)
	}
	tenant := r.PathValue("tenant")
	switch {
	case !c.Scope.Allows(need):
		respond.Error(w, http.StatusForbidden, "this key's scope is "+c.Scope.String()+": the route needs "+need.String())
	case tenant != "" && !c.Opens(tenant):
		respond.Error(w, http.StatusForbidden, "this key does not open tenant "+tenant)
	case tenant == "" && !c.AllTenants() && !anyKey:
		respond.Error(w, http.StatusForbidden, "the route spans tenants: it needs the admin token or a key of --all-tenants")
	default:
		return allowed
	}
	return forbidden
}

func (a *API) count(result string) {
	if a.Requests != nil {
		a.Requests.WithLabelValues(result).Inc()
	}
}

// log is the API's logger, or one that discards.
func (a *API) log() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

// authenticate finds the caller of the request's bearer token. When there
// is none to let through it answers 401 (unknown, revoked or expired
// key), 429 (a key over its rate) or 500, and returns what it decided;
// otherwise "".
func (a *API) authenticate(w http.ResponseWriter, r *http.Request) (Caller, string) {
	refuse := func(msg string) (Caller, string) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="loyalhub"`)
		respond.Error(w, http.StatusUnauthorized, msg)
		return Caller{}, unauthorized
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || got == "" {
		return refuse("missing or wrong bearer token")
	}
	if a.Token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) == 1 {
		return Caller{KeyID: TokenCaller, Name: TokenCaller, Tenant: access.AllTenants, Scope: access.Admin}, ""
	}
	id, secret, err := access.Parse(got)
	if err != nil || a.Keys == nil {
		return refuse("missing or wrong bearer token")
	}
	k, err := a.Keys.APIKey(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return refuse("missing or wrong bearer token")
	}
	if err != nil {
		a.log().Error("admin API: reading api key", "key", id, "err", err)
		respond.Error(w, http.StatusInternalServerError, "internal error")
		return Caller{}, failed
	}
	scope, err := access.ParseScope(k.Scope)
	if !access.Verify(secret, k.Hash) || err != nil {
		return refuse("missing or wrong bearer token")
	}
	c := Caller{KeyID: k.ID, Name: k.Name, Tenant: k.Tenant, Scope: scope}
	now := a.Now()
	switch {
	case !k.RevokedAt.IsZero():
		_, result := refuse("api key " + id + " is revoked")
		return c, result
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		_, result := refuse("api key " + id + " expired")
		return c, result
	}
	if wait, ok := a.limits.allow(id, a.rate(), a.burst(), now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		respond.Error(w, http.StatusTooManyRequests, "api key "+id+" is over its rate limit")
		return c, rateLimited
	}
	if a.limits.touch(id, now) {
		if err := a.Keys.TouchAPIKey(context.WithoutCancel(r.Context()), id, now); err != nil {
			a.log().Warn("admin API: recording an api key's use", "key", id, "err", err)
		}
	}
	return c, ""
}

func (a *API) rate() rate.Limit {
	if a.RateLimit.PerSecond > 0 {
		return rate.Limit(a.RateLimit.PerSecond)
	}
	return rate.Limit(config.DefaultAPIRatePerSec)
}

func (a *API) burst() int {
	if a.RateLimit.Burst > 0 {
		return a.RateLimit.Burst
	}
	return config.DefaultAPIRateBurst
}
