package pipelines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/config"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
	"github.com/loyalhub/loyalhub/pipelines/ingest"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Results of a reload, the result label of loyalhub_config_reloads_total.
const (
	ReloadOK      = "ok"
	ReloadRefused = "refused"
)

// reloadableKey is the one top-level key a reload applies: every tenant's
// settings. Any other key is read once, at start.
const reloadableKey = "tenants"

// Reload applies s, a configuration loaded again, in place of the running
// one, without stopping: from then on each webhook, message and sweep reads
// the new tenants, while what is in flight finishes with the tenants it
// started with. A connector whose block did not change carries over as it
// runs (its HTTP client, breakers, pacing, pause and templates); one that
// changed is built anew, and one removed stops producing and syncing (what
// holds it in flight finishes). Tenants added start receiving webhooks;
// removed ones answer 404.
//
// Only the tenants reload. A change to any other key needs a restart: the
// reload is then refused, naming each such key, and the running
// configuration goes on. The error is a config.Errors.
func (h *Hub) Reload(s *hubconfig.Settings) error {
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	if h.closing {
		return config.Errors{{Msg: "the hub is shutting down"}}
	}
	if errs := restartOnly(h.cfg, s.Config); len(errs) > 0 {
		return errs
	}
	tenants, accounts, err := h.buildTenants(s, h.tenants.Current(), h.accounts)
	if err != nil {
		return config.Errors{{Path: reloadableKey, Msg: err.Error()}}
	}
	apps, err := ingest.NewApps(h.cfg.WhatsAppApps, tenants, accounts)
	if err != nil {
		return config.Errors{{Path: reloadableKey, Msg: err.Error()}}
	}
	if errs := h.templates().Check(tenants); len(errs) > 0 {
		return errs
	}
	prev := h.tenants.Current()
	h.tenants.Store(tenants)
	h.forgetSenders(prev, tenants)
	h.accounts = accounts
	h.apps.Reroute(apps)
	if h.runners != nil {
		h.sources.Update(h.runners)
	}
	if h.syncer != nil {
		h.writeBack.Update(h.syncer)
	}
	for _, w := range s.Warnings {
		h.logger.Warn("config: " + w)
	}
	return nil
}

// forgetSenders drops the gauges of the senders prev ran that next does not
// have, so that a removed sender does not stay paused on a dashboard.
func (h *Hub) forgetSenders(prev, next runtime.Snapshot) {
	m := h.metrics
	for id, t := range prev {
		for name := range t.Connectors {
			if _, ok := next.Connector(id, name); ok {
				continue
			}
			for _, g := range []*prometheus.GaugeVec{m.SenderPaused, m.SenderQualityPaused, m.SenderMessagingLimit, m.Templates} {
				g.DeleteLabelValues(id, name)
			}
		}
	}
}

// carriedOver returns the connector prev runs as tenant's name when its
// block, block, is the same: it carries over into the new tenants.
func carriedOver(prev runtime.Snapshot, tenant, name string, block config.Connector) (*runtime.Connector, bool) {
	t, ok := prev.Tenant(tenant)
	if !ok {
		return nil, false
	}
	c, ok := t.Connectors[name]
	if !ok || !reflect.DeepEqual(t.Config.Connectors[name], block) {
		return nil, false
	}
	return c, true
}

// restartOnly returns an error for each key outside tenants whose value
// differs between the running configuration and next.
func restartOnly(running, next config.Config) config.Errors {
	var errs config.Errors
	for _, key := range changedKeys(reflect.ValueOf(running), reflect.ValueOf(next), "") {
		errs = append(errs, &config.FieldError{Path: key, Msg: "cannot change without a restart; the running value stays"})
	}
	return errs
}

// changedKeys lists the key paths, by their koanf names, whose values
// differ between a and b, values of one type, leaving out tenants.
func changedKeys(a, b reflect.Value, path string) []string {
	switch a.Kind() {
	case reflect.Struct:
		var keys []string
		for i := range a.NumField() {
			tag, _, _ := strings.Cut(a.Type().Field(i).Tag.Get("koanf"), ",")
			if tag == "" || tag == "-" || (path == "" && tag == reloadableKey) {
				continue
			}
			keys = append(keys, changedKeys(a.Field(i), b.Field(i), config.Join(path, tag))...)
		}
		return keys
	case reflect.Map:
		names := map[string]bool{}
		for _, k := range append(a.MapKeys(), b.MapKeys()...) {
			names[k.String()] = true
		}
		var keys []string
		for _, name := range slices.Sorted(maps.Keys(names)) {
			k := reflect.ValueOf(name).Convert(a.Type().Key())
			av, bv := a.MapIndex(k), b.MapIndex(k)
			switch {
			case !av.IsValid() || !bv.IsValid():
				keys = append(keys, config.Join(path, name))
			default:
				keys = append(keys, changedKeys(av, bv, config.Join(path, name))...)
			}
		}
		return keys
	default:
		if reflect.DeepEqual(a.Interface(), b.Interface()) {
			return nil
		}
		return []string{path}
	}
}

// Reloader reloads the hub's configuration from where it was loaded: on
// request (SIGHUP, POST /admin/reload) and, with Watch, when the file
// changes. A configuration with errors is refused and the running one goes
// on; each error is logged with its key path and counted
// (loyalhub_config_reloads_total{result="refused"}).
type Reloader struct {
	Hub *Hub
	// Load loads the configuration again, as serve loaded it at start.
	Load   func() (*hubconfig.Settings, error)
	Logger *slog.Logger

	mu sync.Mutex // one reload at a time, from first loading to last log
}

// Reload loads the configuration and applies it. It returns the errors of
// a refused configuration, as config.Errors when they have key paths.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.Hub.metrics
	s, err := r.Load()
	if err == nil {
		err = r.Hub.Reload(s)
	}
	if err != nil {
		m.ConfigReloads.WithLabelValues(ReloadRefused).Inc()
		var errs config.Errors
		if !errors.As(err, &errs) {
			errs = config.Errors{{Msg: err.Error()}}
		}
		for _, e := range errs {
			r.Logger.Error("config reload refused; the running configuration goes on", "key", e.Path, "error", e.Msg)
		}
		return err
	}
	m.ConfigReloads.WithLabelValues(ReloadOK).Inc()
	m.ConfigLastReload.Set(float64(r.Hub.now().Unix()))
	r.Logger.Info("config reloaded", "tenants", len(s.Config.Tenants))
	return nil
}

// DefaultReloadDebounce is how long Watch waits after the last change to the
// file before it reloads: an editor or a deploy writes a file in several
// steps.
const DefaultReloadDebounce = 500 * time.Millisecond

// Watch reloads when the file at path changes, debounce after the last of
// a burst of changes, until ctx ends. It watches the file's directory, so
// that a file replaced by a rename (editors, Kubernetes ConfigMaps, which
// swap a symbolic link) is seen too. It returns once ctx ends, or at once
// when the directory cannot be watched.
func (r *Reloader) Watch(ctx context.Context, path string, debounce time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching config: %w", err)
	}
	defer w.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("watching config: %w", err)
	}
	dir := filepath.Dir(abs)
	if err := w.Add(dir); err != nil {
		return fmt.Errorf("watching config directory %s: %w", dir, err)
	}
	target := resolved(abs)
	timer := time.NewTimer(debounce)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			// A ConfigMap's update renames a hidden directory the file's
			// link resolves through, so a change that moves the link's
			// target counts as well as one to the file itself.
			if filepath.Clean(ev.Name) == abs || resolved(abs) != target || ev.Has(fsnotify.Create) && filepath.Base(ev.Name) == "..data" {
				target = resolved(abs)
				timer.Reset(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			r.Logger.Warn("watching config", "error", err)
		case <-timer.C:
			_ = r.Reload() // logged and counted
		}
	}
}

// resolved is path with its symbolic links followed, or path when it
// cannot be.
func resolved(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return p
	}
	if _, err := os.Lstat(path); err != nil {
		return ""
	}
	return path
}
