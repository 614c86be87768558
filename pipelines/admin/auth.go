package admin

import (
	"context"
	"crypto/subtle"
	"errors"
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Token == "" && a.Keys == nil {
			respond.Error(w, http.StatusForbidden, "the admin API is disabled: set server.admin_token")
			return
		}
		c, ok := a.authenticate(w, r)
		if !ok {
			return
		}
		if need == 0 {
			need = access.MethodScope(r.Method)
		}
		tenant := r.PathValue("tenant")
		switch {
		case !c.Scope.Allows(need):
			respond.Error(w, http.StatusForbidden, "this key's scope is "+c.Scope.String()+": the route needs "+need.String())
			return
		case tenant != "" && !c.Opens(tenant):
			respond.Error(w, http.StatusForbidden, "this key does not open tenant "+tenant)
			return
		case tenant == "" && !c.AllTenants():
			respond.Error(w, http.StatusForbidden, "the route spans tenants: it needs the admin token or a key of --all-tenants")
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
		if access.MethodScope(r.Method) == access.Write && a.Audit != nil {
			a.audited(w, r, c, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate finds the caller of the request's bearer token, answering
// 401 (unknown, revoked or expired key) or 429 (a key over its rate) when
// there is none to let through.
func (a *API) authenticate(w http.ResponseWriter, r *http.Request) (Caller, bool) {
	unauthorized := func(msg string) (Caller, bool) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="loyalhub"`)
		respond.Error(w, http.StatusUnauthorized, msg)
		return Caller{}, false
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || got == "" {
		return unauthorized("missing or wrong bearer token")
	}
	if a.Token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(a.Token)) == 1 {
		return Caller{KeyID: TokenCaller, Name: TokenCaller, Tenant: access.AllTenants, Scope: access.Admin}, true
	}
	id, secret, err := access.Parse(got)
	if err != nil || a.Keys == nil {
		return unauthorized("missing or wrong bearer token")
	}
	k, err := a.Keys.APIKey(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return unauthorized("missing or wrong bearer token")
	}
	if err != nil {
		a.Logger.Error("admin API: reading api key", "key", id, "err", err)
		respond.Error(w, http.StatusInternalServerError, "internal error")
		return Caller{}, false
	}
	scope, err := access.ParseScope(k.Scope)
	if !access.Verify(secret, k.Hash) || err != nil {
		return unauthorized("missing or wrong bearer token")
	}
	now := a.Now()
	switch {
	case !k.RevokedAt.IsZero():
		return unauthorized("api key " + id + " is revoked")
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return unauthorized("api key " + id + " expired")
	}
	if wait, ok := a.limits.allow(id, a.rate(), a.burst(), now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		respond.Error(w, http.StatusTooManyRequests, "api key "+id+" is over its rate limit")
		return Caller{}, false
	}
	if a.limits.touch(id, now) {
		if err := a.Keys.TouchAPIKey(context.WithoutCancel(r.Context()), id, now); err != nil {
			a.Logger.Warn("admin API: recording an api key's use", "key", id, "err", err)
		}
	}
	return Caller{KeyID: k.ID, Name: k.Name, Tenant: k.Tenant, Scope: scope}, true
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
