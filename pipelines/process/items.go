package process

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/mappings"
	"github.com/loyalhub/loyalhub/pipelines/queue"
)

// MetaFailedOutput names, on an item's dead letter, the mapping output that
// failed it.
const MetaFailedOutput = "failed_output"

// deadLetterItems stores each item the mapping failed as a dead letter of
// its own: the reason, the item as payload (a body the mapping maps to that
// item alone, for a replay to the delivery's topic), and the delivery's
// metadata. Its id derives from the connector and the item, so the same item
// delivered again is not stored twice, and from the dead letter a replay
// came from, so a replay that fails again stores a new one.
func (l *Lanes) deadLetterItems(msg *message.Message, d event.Delivery, stage, topic string, failed []mappings.Failure) error {
	for _, f := range failed {
		meta := maps.Clone(map[string]string(msg.Metadata))
		if meta == nil {
			meta = map[string]string{}
		}
		meta[MetaFailedOutput] = fmt.Sprint(f.Output)
		dl := store.DeadLetter{
			ID:     event.DerivedID("item_", d.Tenant, d.Connector, msg.Metadata.Get(queue.MetaReplayOf), string(f.Item)),
			Tenant: d.Tenant, Topic: topic, Handler: stage,
			Reason:   fmt.Sprintf("mapping delivery %s: item %d: %s", d.DeliveryID, f.Output, f.Reason),
			Payload:  f.Item,
			Metadata: meta, CreatedAt: l.Now().UTC(),
		}
		if err := l.DeadLetter(msg.Context(), dl); err != nil {
			return fmt.Errorf("storing the dead letter of a failed item: %w", err)
		}
	}
	return nil
}

// Ignored counts the parts of deliveries their mappings left aside on
// purpose, and logs the first of each connector kind and label at info.
// Set its fields; it is safe for concurrent use.
type Ignored struct {
	// Parts is loyalhub_mapping_parts_ignored_total (tenant, connector,
	// field).
	Parts  *prometheus.CounterVec
	Logger *slog.Logger
	// labels holds the labels seen so far, so that each is logged once
	// and the metric's labels stay bounded.
	labels ignoredLabels
}

// Count counts the parts of delivery d its mapping left aside.
func (ig *Ignored) Count(d event.Delivery, ignored []string) {
	for _, label := range ignored {
		label, first := ig.labels.see(d.Kind, metricLabel(label))
		ig.Parts.WithLabelValues(d.Tenant, d.Connector, label).Inc()
		if first {
			ig.Logger.Info("delivery part ignored: the hub does not handle it (counted in loyalhub_mapping_parts_ignored_total)",
				"tenant", d.Tenant, "connector", d.Connector, "kind", d.Kind, "field", label)
		}
	}
}

// maxIgnoredLabels bounds the distinct labels of ignored parts: they come
// from outside input (a webhook's field names), and every one is a metric
// series. Beyond it, a new label counts as "other".
const maxIgnoredLabels = 100

// ignoredLabels are the labels of ignored parts seen so far, per connector
// kind. Its zero value is ready; it is safe for concurrent use.
type ignoredLabels struct {
	mu   sync.Mutex
	seen map[string]bool
}

// see returns the label to count a part under (label, or "other" once
// maxIgnoredLabels are known) and whether it is the first of its kind.
func (l *ignoredLabels) see(kind, label string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	key := kind + "\x00" + label
	if l.seen[key] {
		return label, false
	}
	if len(l.seen) >= maxIgnoredLabels {
		label, key = "other", kind+"\x00other"
		if l.seen[key] {
			return label, false
		}
	}
	l.seen[key] = true
	return label, true
}

// metricLabel keeps a label that comes from outside input fit for a
// metric: at most 64 letters, digits and "_.:-", else "other".
func metricLabel(s string) string {
	if s == "" || len(s) > 64 {
		return "other"
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.:-", r))
	}) >= 0 {
		return "other"
	}
	return s
}

// webhookError records errors a BSP put on a webhook's value rather than on
// a message or status (Meta's value-level errors: a payload it could not
// deliver, an app or account problem): counted by code and logged, for
// there is nothing to retry.
func (l *Lanes) webhookError(ev event.Event) error {
	var we event.WebhookError
	if err := json.Unmarshal(ev.Data, &we); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding webhook.error data: %w", err))
	}
	for _, e := range we.Errors {
		l.Metrics.WebhookErrors.WithLabelValues(ev.Tenant, fmt.Sprint(e.Code)).Inc()
		l.Logger.Warn("whatsapp reported an error on a webhook", "tenant", ev.Tenant, "connector", ev.Connector,
			"phone_number_id", we.PhoneNumberID, "code", e.Code, "title", e.Title, "details", e.Details)
	}
	return nil
}
