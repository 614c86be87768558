package pipelines

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// templateRefreshEvery is how old a sender's template list may grow before
// the scheduler fetches it again; template status webhooks update it in
// between.
const templateRefreshEvery = 15 * time.Minute

// templateFetchTimeout bounds one listing of an account's templates.
const templateFetchTimeout = 20 * time.Second

// templates is a sender's view of its account's templates.
type templates struct {
	lister  messaging.TemplateLister // nil: the sender cannot list them
	cat     atomic.Pointer[messaging.Catalog]
	fetched atomic.Int64 // unix nanoseconds of the last good listing
	stale   atomic.Bool
}

// catalog returns the templates, or nil when they are not known (the
// sender cannot list them, or the listing failed so far).
func (t *templates) catalog() *messaging.Catalog { return t.cat.Load() }

// refreshSoon asks for a new listing at the scheduler's next tick.
func (t *templates) refreshSoon() { t.stale.Store(true) }

// fetch lists the account's templates, fetched at now. ok is false when this sender cannot
// list them.
func (t *templates) fetch(ctx context.Context, now time.Time) (cat *messaging.Catalog, ok bool, err error) {
	if t.lister == nil {
		return nil, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, templateFetchTimeout)
	defer cancel()
	list, err := t.lister.Templates(ctx)
	if errors.Is(err, messaging.ErrTemplatesUnavailable) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	cat = messaging.NewCatalog(list)
	t.cat.Store(cat)
	t.fetched.Store(now.UnixNano())
	t.stale.Store(false)
	return cat, true, nil
}

// loadTemplates lists every sender's templates at start and checks each
// notification's templates against them. A listing that fails is logged
// and retried by the scheduler (the checks wait for it); a notification
// whose template does not fit is a configuration error.
func (h *Hub) loadTemplates(ctx context.Context) error {
	var errs config.Errors
	for _, id := range h.tenantIDs() {
		t := h.tenants[id]
		for name, c := range t.connectors {
			cat, ok, err := c.fetch(ctx, h.now())
			if !ok {
				continue
			}
			if err != nil {
				h.logger.Warn("listing templates failed; sending goes on unchecked until a listing succeeds",
					"tenant", id, "sender", name, "error", err)
				c.refreshSoon()
				continue
			}
			h.metrics.Templates.WithLabelValues(id, name).Set(float64(cat.Len()))
			errs = append(errs, checkNotifications(t, name, cat)...)
		}
	}
	if err := errs.Err(); err != nil {
		return fmt.Errorf("checking notification templates: %w", err)
	}
	return nil
}

// checkNotifications checks the templates of a tenant's notifications that
// a sender sends.
func checkNotifications(t *tenantRuntime, sender string, cat *messaging.Catalog) config.Errors {
	var errs config.Errors
	for i, n := range t.notifications {
		if n.renderer.Notification().Sender != sender {
			continue
		}
		for key, tmpl := range n.renderer.Templates() {
			if err := cat.Check(tmpl); err != nil {
				errs = append(errs, &config.FieldError{
					Path: fmt.Sprintf("tenants.%s.notifications[%d].%s", t.id, i, key),
					Msg:  err.Error(),
				})
			}
		}
	}
	return errs
}

// refreshTemplates fetches again the template lists that are stale or old.
func (h *Hub) refreshTemplates(ctx context.Context) {
	for _, id := range h.tenantIDs() {
		t := h.tenants[id]
		for name, c := range t.connectors {
			if c.lister == nil {
				continue
			}
			age := h.now().Sub(time.Unix(0, c.fetched.Load()))
			if !c.stale.Load() && age < templateRefreshEvery {
				continue
			}
			cat, ok, err := c.fetch(ctx, h.now())
			switch {
			case !ok:
			case err != nil:
				h.logger.Warn("listing templates failed", "tenant", id, "sender", name, "error", err)
			default:
				h.metrics.Templates.WithLabelValues(id, name).Set(float64(cat.Len()))
				for _, fe := range checkNotifications(t, name, cat) {
					h.logger.Error("a notification's template no longer fits the account's", "tenant", id,
						"sender", name, "error", fe.Error())
				}
			}
		}
	}
}

// TenantTemplates is one sender's template listing, for `loyalhub templates`.
type TenantTemplates struct {
	Tenant    string
	Sender    string
	Templates []messaging.TemplateInfo
	// Problems are the notifications whose templates do not fit.
	Problems []string
	// Err is the listing's failure, if any.
	Err error
}

// ListTemplates lists every sender's templates now, per tenant, with the
// notifications that do not fit them. Senders that cannot list templates
// are left out. It needs no store or queue: call it on a hub that was not
// started.
func (h *Hub) ListTemplates(ctx context.Context) []TenantTemplates {
	var out []TenantTemplates
	for _, id := range h.tenantIDs() {
		t := h.tenants[id]
		names := make([]string, 0, len(t.connectors))
		for name := range t.connectors {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			c := t.connectors[name]
			cat, ok, err := c.fetch(ctx, h.now())
			if !ok {
				continue
			}
			tt := TenantTemplates{Tenant: id, Sender: name, Err: err}
			if err == nil {
				tt.Templates = cat.All()
				for _, fe := range checkNotifications(t, name, cat) {
					tt.Problems = append(tt.Problems, fe.Error())
				}
			}
			out = append(out, tt)
		}
	}
	return out
}
