package admin

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/access"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// keyRoutes mounts key management and the audit log: a tenant's routes
// for its admin keys (and integrator ones), the routes across tenants for
// the admin token and integrator admin keys.
func (a *API) keyRoutes(mux *http.ServeMux) {
	const p = "/api/v1/tenants/{tenant}"
	mux.Handle("GET "+p+"/keys", a.tenantAdmin(a.listTenantKeys))
	mux.Handle("POST "+p+"/keys", a.tenantAdmin(a.createTenantKey))
	mux.Handle("DELETE "+p+"/keys/{id}", a.tenantAdmin(a.revokeTenantKey))
	mux.Handle("GET "+p+"/audit", a.tenantAdmin(a.getAudit))
	mux.Handle("GET /api/v1/keys", a.guard(access.Admin, http.HandlerFunc(a.listAllKeys)))
	mux.Handle("POST /api/v1/keys", a.guard(access.Admin, http.HandlerFunc(a.createAnyKey)))
	mux.Handle("DELETE /api/v1/keys/{id}", a.guard(access.Admin, http.HandlerFunc(a.revokeAnyKey)))
	mux.Handle("GET /api/v1/audit", a.guard(access.Admin, http.HandlerFunc(a.getGlobalAudit)))
}

// KeyRequest is the body that creates a key: a name, a scope (read, write
// or admin) and, optionally, a lifetime ("90d", "720h"). Tenant is read
// on the routes across tenants only: a tenant's id, or "*" for an
// integrator key.
type KeyRequest struct {
	Tenant  string `json:"tenant,omitempty"`
	Name    string `json:"name"`
	Scope   string `json:"scope"`
	Expires string `json:"expires,omitempty"`
}

// CreatedKey is a new key and its token, shown this once.
type CreatedKey struct {
	Key   store.APIKey `json:"key"`
	Token string       `json:"token"`
}

func (a *API) keysOnly(w http.ResponseWriter) bool {
	if a.Keys == nil {
		respond.Error(w, http.StatusNotFound, "no api keys: the hub keeps none")
		return false
	}
	return true
}

func (a *API) listTenantKeys(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	if !a.keysOnly(w) {
		return
	}
	ks, err := a.Keys.ListAPIKeys(r.Context(), t.ID)
	a.respond(w, map[string]any{"keys": nonNil(ks)}, err, "")
}

func (a *API) listAllKeys(w http.ResponseWriter, r *http.Request) {
	if !a.keysOnly(w) {
		return
	}
	ks, err := a.Keys.ListAPIKeys(r.Context(), r.URL.Query().Get("tenant"))
	a.respond(w, map[string]any{"keys": nonNil(ks)}, err, "")
}

func (a *API) createTenantKey(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	var body KeyRequest
	if !a.keysOnly(w) || !decodeBody(w, r, &body) {
		return
	}
	if body.Tenant != "" && body.Tenant != t.ID {
		respond.Error(w, http.StatusBadRequest, "tenant: a tenant's route creates keys of that tenant only")
		return
	}
	body.Tenant = t.ID
	a.createKey(w, r, body)
}

func (a *API) createAnyKey(w http.ResponseWriter, r *http.Request) {
	var body KeyRequest
	if !a.keysOnly(w) || !decodeBody(w, r, &body) || !required(w, map[string]string{"tenant": body.Tenant}) {
		return
	}
	if _, ok := a.Tenants.Tenant(body.Tenant); !ok && body.Tenant != access.AllTenants {
		respond.Error(w, http.StatusBadRequest, "tenant: unknown tenant "+body.Tenant+` (or "*" for every tenant)`)
		return
	}
	a.createKey(w, r, body)
}

// createKey stores a new key of body's tenant and answers 201 with its
// token.
func (a *API) createKey(w http.ResponseWriter, r *http.Request, body KeyRequest) {
	if !required(w, map[string]string{"name": body.Name, "scope": body.Scope}) {
		return
	}
	k, token, err := NewAPIKey(body, a.Now())
	if err != nil {
		respond.Error(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := a.Keys.CreateAPIKey(r.Context(), k); err != nil {
		a.respond(w, nil, err, "")
		return
	}
	respond.JSON(w, http.StatusCreated, CreatedKey{Key: k, Token: token})
}

func (a *API) revokeTenantKey(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	a.revokeKey(w, r, t.ID)
}

func (a *API) revokeAnyKey(w http.ResponseWriter, r *http.Request) {
	a.revokeKey(w, r, "")
}

// revokeKey revokes the path's key, of tenant unless tenant is empty; a
// key of another tenant is not found.
func (a *API) revokeKey(w http.ResponseWriter, r *http.Request, tenant string) {
	if !a.keysOnly(w) {
		return
	}
	id := r.PathValue("id")
	k, err := a.Keys.APIKey(r.Context(), id)
	if err == nil && tenant != "" && k.Tenant != tenant {
		err = store.ErrNotFound
	}
	if err != nil {
		a.respond(w, nil, err, "unknown key "+id)
		return
	}
	noteBefore(r, func() (store.APIKey, error) { return k, nil })
	k, err = a.Keys.RevokeAPIKey(r.Context(), id, a.Now())
	a.respond(w, k, err, "unknown key "+id)
}

// NewAPIKey makes the key req asks for, created at now, and its token: an
// error names the field that is not valid.
func NewAPIKey(req KeyRequest, now time.Time) (store.APIKey, string, error) {
	scope, err := access.ParseScope(req.Scope)
	if err != nil {
		return store.APIKey{}, "", errors.New("scope: " + err.Error())
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		return store.APIKey{}, "", errors.New("name: required")
	}
	k := access.NewKey()
	key := store.APIKey{ID: k.ID, Name: name, Tenant: req.Tenant, Scope: scope.String(), Hash: k.Hash, CreatedAt: store.Stamp(now)}
	if req.Expires != "" {
		ttl, err := access.ParseTTL(req.Expires)
		if err != nil {
			return store.APIKey{}, "", errors.New("expires: " + err.Error())
		}
		key.ExpiresAt = store.Stamp(now.Add(ttl))
	}
	return key, k.Token, nil
}
