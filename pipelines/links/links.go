// Package links serves the hub's short links: GET /r/{code} redirects to
// the URL a message carried (the send stage replaced it by the link; see
// the tenant's links.base_url) and records the click, for the funnel's
// clicked stage. Link previews (WhatsApp's fetcher, Meta's crawlers, HEAD
// requests) get the same redirect but are not clicks. It depends on the
// store's links and the hub's clock.
package links

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
)

// Classes of the user agents that open a link.
const (
	AgentMobile  = "mobile"
	AgentDesktop = "desktop"
	AgentOther   = "other"
	// AgentPreview is a link preview: WhatsApp's fetcher, Meta's
	// crawlers, or any HEAD request. It is not a click.
	AgentPreview = "preview"
)

// previewAgents are, lower-cased, the user agents of the fetchers that
// build link previews in WhatsApp and Meta's apps.
var previewAgents = []string{"whatsapp", "facebookexternalhit", "facebot"}

// Agent classes the user agent of a request for a link.
func Agent(r *http.Request) string {
	if r.Method == http.MethodHead {
		return AgentPreview
	}
	ua := strings.ToLower(r.UserAgent())
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(ua, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has(previewAgents...):
		return AgentPreview
	case has("mobi", "android", "iphone", "ipad"):
		return AgentMobile
	case has("windows", "macintosh", "x11", "cros", "linux"):
		return AgentDesktop
	default:
		return AgentOther
	}
}

// Store is what the redirect reads and writes.
type Store interface {
	Link(ctx context.Context, code string) (store.Link, error)
	RecordClick(ctx context.Context, c store.Click) (store.Link, error)
}

// Metrics are the redirect's instruments.
type Metrics struct {
	// Clicks counts the clicks recorded, by agent class; Previews the
	// redirects given to link previews.
	Clicks   *prometheus.CounterVec // tenant, agent
	Previews *prometheus.CounterVec // tenant
}

// Redirect answers GET /r/{code}. Its fields must be set before Routes.
type Redirect struct {
	Store   Store
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics Metrics
}

// Routes mounts the redirect on mux, without authentication: the links
// go to customers.
func (d *Redirect) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /r/{code}", d.serve) // GET patterns match HEAD too
}

// serve redirects to a link's URL with 302 Found, recording the click
// first (one write) unless the request is a preview. An unknown code is
// 404. When the click cannot be recorded the customer still gets the
// redirect if the link can be read.
func (d *Redirect) serve(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !messaging.ValidLinkCode(code) {
		notFound(w)
		return
	}
	agent := Agent(r)
	var l store.Link
	var err error
	counted := false
	if agent == AgentPreview {
		l, err = d.Store.Link(r.Context(), code)
	} else {
		l, err = d.Store.RecordClick(r.Context(), store.Click{Code: code, At: d.Now(), Agent: agent})
		counted = err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			d.Logger.Warn("recording a short link's click failed; redirecting uncounted", "code", code, "error", err)
			l, err = d.Store.Link(r.Context(), code)
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		notFound(w)
		return
	case err != nil:
		d.Logger.Error("reading a short link failed", "code", code, "error", err)
		w.Header().Set("Retry-After", "5")
		plain(w, http.StatusServiceUnavailable, "This link cannot be opened right now. Please try again in a moment.")
		return
	case agent == AgentPreview:
		d.Metrics.Previews.WithLabelValues(l.Tenant).Inc()
	case counted:
		d.Metrics.Clicks.WithLabelValues(l.Tenant, agent).Inc()
	}
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, l.URL, http.StatusFound)
}

func notFound(w http.ResponseWriter) {
	plain(w, http.StatusNotFound, "This link does not exist.")
}

func plain(w http.ResponseWriter, code int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(text + "\n"))
}
