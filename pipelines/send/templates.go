package send

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// templateRefreshEvery is how old a sender's template list may grow before
// the scheduler fetches it again; template status webhooks update it in
// between.
const templateRefreshEvery = 15 * time.Minute

// Templates lists the senders' templates, which the send decision checks
// messages against, and checks the tenants' notifications against them.
// It needs no store.
type Templates struct {
	Tenants *runtime.Tenants
	// Now is the hub's clock.
	Now    func() time.Time
	Logger *slog.Logger
	// Listed is how many templates each sender lists
	// (loyalhub_templates, by tenant and sender).
	Listed *prometheus.GaugeVec
}

// Load lists every sender's templates at start and checks each
// notification's templates against them. A listing that fails is logged
// and retried by the scheduler (the checks wait for it); a notification
// whose template does not fit is a configuration error.
func (tp *Templates) Load(ctx context.Context) error {
	var errs config.Errors
	tenants := tp.Tenants.Current()
	for _, id := range tenants.IDs() {
		t := tenants[id]
		for name, c := range t.Connectors {
			cat, ok, err := c.Templates.Fetch(ctx, tp.Now())
			if !ok {
				continue
			}
			if err != nil {
				tp.Logger.Warn("listing templates failed; sending goes on unchecked until a listing succeeds",
					"tenant", id, "sender", name, "error", err)
				c.Templates.RefreshSoon()
				continue
			}
			tp.Listed.WithLabelValues(id, name).Set(float64(cat.Len()))
			errs = append(errs, checkNotifications(t, name, cat)...)
		}
	}
	if err := errs.Err(); err != nil {
		return fmt.Errorf("checking notification templates: %w", err)
	}
	return nil
}

// Check checks the notifications and journeys of tenants against the
// template listings their senders hold already, without fetching: a reload
// is refused, as a start is, when one does not fit. A sender without a
// listing yet (new, or one that cannot list) is checked at its first.
func (tp *Templates) Check(tenants runtime.Snapshot) config.Errors {
	var errs config.Errors
	for _, id := range tenants.IDs() {
		t := tenants[id]
		for _, name := range slices.Sorted(maps.Keys(t.Connectors)) {
			if tmpl := t.Connectors[name].Templates; tmpl != nil && tmpl.Catalog() != nil {
				errs = append(errs, checkNotifications(t, name, tmpl.Catalog())...)
			}
		}
	}
	return errs
}

// checkNotifications checks the templates of a tenant's notifications and
// journeys that a sender sends.
func checkNotifications(t *runtime.Tenant, sender string, cat *messaging.Catalog) config.Errors {
	var errs config.Errors
	check := func(at string, templates map[string]*messaging.Template) {
		for key, tmpl := range templates {
			if err := cat.Check(tmpl); err != nil {
				errs = append(errs, &config.FieldError{Path: at + "." + key, Msg: err.Error()})
			}
		}
	}
	for i, n := range t.Notifications {
		if n.Renderer.Notification().Sender == sender {
			check(fmt.Sprintf("tenants.%s.notifications[%d]", t.ID, i), n.Renderer.Templates())
		}
	}
	for i, j := range t.Journeys {
		if j.Config.Sender == sender {
			check(fmt.Sprintf("tenants.%s.journeys[%d]", t.ID, i), j.Templates())
		}
	}
	return errs
}

// Refresh fetches again the template lists that are stale or old.
func (tp *Templates) Refresh(ctx context.Context) {
	tenants := tp.Tenants.Current()
	for _, id := range tenants.IDs() {
		t := tenants[id]
		for name, c := range t.Connectors {
			if !c.Templates.Due(tp.Now(), templateRefreshEvery) {
				continue
			}
			cat, ok, err := c.Templates.Fetch(ctx, tp.Now())
			switch {
			case !ok:
			case err != nil:
				tp.Logger.Warn("listing templates failed", "tenant", id, "sender", name, "error", err)
			default:
				tp.Listed.WithLabelValues(id, name).Set(float64(cat.Len()))
				for _, fe := range checkNotifications(t, name, cat) {
					tp.Logger.Error("a notification's template no longer fits the account's", "tenant", id,
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

// List lists every sender's templates now, per tenant, with the
// notifications that do not fit them. Senders that cannot list templates
// are left out.
func (tp *Templates) List(ctx context.Context) []TenantTemplates {
	var out []TenantTemplates
	tenants := tp.Tenants.Current()
	for _, id := range tenants.IDs() {
		t := tenants[id]
		names := make([]string, 0, len(t.Connectors))
		for name := range t.Connectors {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			c := t.Connectors[name]
			cat, ok, err := c.Templates.Fetch(ctx, tp.Now())
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
