package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/webhook"
)

// Webhook is an endpoint of another system (a CRM, an automation tool)
// that the hub posts the tenant's outcomes to, signed as Standard Webhooks
// specifies (docs/webhooks.md).
type Webhook struct {
	// Name identifies the endpoint in the admin API, its delivery log and
	// metrics: lower case letters, digits, - and _. Required, unique
	// within the tenant.
	Name string `koanf:"name"`
	// URL is where deliveries are POSTed: http or https. Required.
	URL string `koanf:"url"`
	// Secret signs the deliveries: whsec_ and the base64 of 24 to 64
	// random bytes. Required.
	Secret string `koanf:"secret"`
	// Events are the outcome types sent: exact types (points.earned),
	// families (tier.*) or * for all. Required.
	Events []string `koanf:"events"`
	// Enabled, when false, writes no new deliveries for the endpoint.
	// Default true.
	Enabled *bool `koanf:"enabled"`
}

// On reports whether the endpoint takes new deliveries.
func (w Webhook) On() bool { return w.Enabled == nil || *w.Enabled }

var webhookName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// webhooks checks a tenant's webhook endpoints.
func (v *validator) webhooks(base string, t Tenant) {
	seen := map[string]int{}
	for i, w := range t.Webhooks {
		p := fmt.Sprintf("%s.webhooks[%d]", base, i)
		switch {
		case !webhookName.MatchString(w.Name):
			v.add(p+".name", "%q is not a name of lower case letters, digits, - and _ (up to 63)", w.Name)
		default:
			if k, dup := seen[w.Name]; dup {
				v.add(p+".name", "%q is already the name of webhooks[%d]", w.Name, k)
			}
			seen[w.Name] = i
		}
		if u, err := url.Parse(w.URL); w.URL == "" {
			v.add(p+".url", "required")
		} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(p+".url", "%q is not an http or https URL", w.URL)
		}
		if w.Secret == "" {
			v.add(p+".secret", "required: whsec_ and the base64 of 24 to 64 random bytes")
		} else if _, err := webhook.ParseSecret(w.Secret); err != nil {
			v.add(p+".secret", "%v", err)
		}
		if len(w.Events) == 0 {
			v.add(p+".events", "at least one outcome type (points.earned), family (tier.*) or * is needed")
		}
		for k, e := range w.Events {
			if !webhook.PatternMatchesAny(e, event.OutcomeTypes()) {
				v.add(fmt.Sprintf("%s.events[%d]", p, k), "%q matches no outcome type; known types: %s",
					e, strings.Join(event.OutcomeTypes(), ", "))
			}
		}
	}
}
