package process

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
)

// Quality events of WhatsApp's phone_number_quality_update that pause a
// sender's marketing messages, and those that lift the pause. Others
// (ONBOARDING, THROUGHPUT_UPGRADE…) leave it as it is.
var (
	qualityDrops = map[string]bool{"FLAGGED": true, "DOWNGRADE": true}
	qualityLifts = map[string]bool{"UNFLAGGED": true, "UPGRADE": true}
)

// tierLimits are the messaging limits of phone_number_quality_update's
// current_limit on payloads from before the limit moved to the business
// portfolio.
var tierLimits = map[string]int{
	"TIER_50": 50, "TIER_250": 250, "TIER_1K": 1000, "TIER_2K": 2000, "TIER_10K": 10000,
	"TIER_100K": 100000, "TIER_UNLIMITED": -1,
}

// numberQuality records a sender's quality event and the messaging limit
// it carries: a drop (FLAGGED, DOWNGRADE) pauses the sender's marketing
// messages, an upgrade (UNFLAGGED, UPGRADE) lifts the pause.
func (l *Lanes) numberQuality(ctx context.Context, ev event.Event) error {
	var q event.NumberQuality
	if err := json.Unmarshal(ev.Data, &q); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding number.quality data: %w", err))
	}
	at := cmp.Or(ev.OccurredAt, l.Now())
	log := l.Logger.With("tenant", ev.Tenant, "sender", ev.Connector, "number", maskNumber(q.DisplayPhoneNumber))
	limit, ok := 0, false
	if q.MaxDailyConversations != nil {
		limit, ok = *q.MaxDailyConversations, true
	} else {
		limit, ok = tierLimits[strings.ToUpper(q.CurrentLimit)]
	}
	if ok {
		if err := l.setLimit(ctx, ev, limit, at); err != nil {
			return err
		}
	}
	kind := strings.ToUpper(q.Event)
	drop, lift := qualityDrops[kind], qualityLifts[kind]
	if !drop && !lift {
		log.Info("whatsapp number quality update", "event", q.Event, "current_limit", q.CurrentLimit)
		return nil
	}
	reason := ""
	if drop {
		reason = "WhatsApp reported the number " + kind
	}
	if err := l.Store.SetQuality(ctx, ev.Tenant, ev.Connector, kind, drop, reason, at); err != nil {
		return fmt.Errorf("recording the number's quality: %w", err)
	}
	if l.Metrics.SenderQualityPaused != nil {
		paused := 0.0
		if drop {
			paused = 1
		}
		l.Metrics.SenderQualityPaused.WithLabelValues(ev.Tenant, ev.Connector).Set(paused)
	}
	if drop {
		log.Warn("whatsapp lowered the number's quality: the sender's marketing messages are paused until an upgrade or a resume",
			"event", q.Event, "current_limit", q.CurrentLimit)
		return nil
	}
	n, err := l.Store.ResumeDeferred(ctx, ev.Tenant, ev.Connector, messaging.CodeQualityPaused, l.Now())
	if err != nil {
		return fmt.Errorf("resuming the paused marketing messages: %w", err)
	}
	log.Info("whatsapp raised the number's quality: the sender's marketing messages go again", "event", q.Event, "resumed", n)
	return nil
}

// messagingLimit records the business portfolio's messaging limit
// (business_capability_update) for the sender that received it.
func (l *Lanes) messagingLimit(ctx context.Context, ev event.Event) error {
	var m event.MessagingLimit
	if err := json.Unmarshal(ev.Data, &m); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding messaging.limit data: %w", err))
	}
	return l.setLimit(ctx, ev, m.MaxDailyConversations, cmp.Or(m.Timestamp, ev.OccurredAt, l.Now()))
}

func (l *Lanes) setLimit(ctx context.Context, ev event.Event, limit int, at time.Time) error {
	if limit == 0 || limit < -1 {
		return nil // TIER_NOT_SET, or nothing WhatsApp documents
	}
	before, err := l.Store.SenderState(ctx, ev.Tenant, ev.Connector)
	if err != nil {
		return fmt.Errorf("reading the sender's state: %w", err)
	}
	was := before.MessagingLimit
	if t, ok := l.Tenants.Tenant(ev.Tenant); ok && was == 0 {
		was = t.Policy.MessagingLimit
	}
	if err := l.Store.SetMessagingLimit(ctx, ev.Tenant, ev.Connector, limit, at); err != nil {
		return fmt.Errorf("recording the messaging limit: %w", err)
	}
	after, err := l.Store.SenderState(ctx, ev.Tenant, ev.Connector)
	if err != nil {
		return fmt.Errorf("reading the sender's state: %w", err)
	}
	if raised(was, after.MessagingLimit) {
		// The messages waiting for a place go again now: as many as the
		// new limit has room for are sent, the others take new turns.
		n, err := l.Store.ResumeDeferred(ctx, ev.Tenant, ev.Connector, messaging.CodeMessagingLimit, l.Now())
		if err != nil {
			return fmt.Errorf("resuming the messages waiting for the messaging limit: %w", err)
		}
		l.Logger.Info("whatsapp raised the messaging limit: the messages waiting for it go again",
			"tenant", ev.Tenant, "sender", ev.Connector, "from", was, "to", after.MessagingLimit, "resumed", n)
	}
	if l.Metrics.SenderMessagingLimit != nil {
		l.Metrics.SenderMessagingLimit.WithLabelValues(ev.Tenant, ev.Connector).Set(float64(limit))
	}
	l.Logger.Info("whatsapp messaging limit", "tenant", ev.Tenant, "sender", ev.Connector, "limit", limit)
	return nil
}

// statusPricing is a status's pricing as the message log records it, with
// its cost from the tenant's rate card by the recipient's country.
func (l *Lanes) statusPricing(tenant string, st event.MessageStatus) *store.StatusPricing {
	if st.Pricing == nil {
		return nil
	}
	var rc messaging.RateCard
	if t, ok := l.Tenants.Tenant(tenant); ok {
		rc = t.Rates
	}
	p := messaging.Pricing{Billable: st.Pricing.Billable, Model: st.Pricing.Model, Type: st.Pricing.Type, Category: st.Pricing.Category}
	region, _ := messaging.Region(st.RecipientID)
	return &store.StatusPricing{
		Category: strings.ToLower(st.Pricing.Category), Type: st.Pricing.Type, Billable: st.Pricing.Billable,
		Country: region, Cost: rc.Charge(p, st.RecipientID),
	}
}

// maskNumber keeps a business number's last four digits for logs.
func maskNumber(n string) string {
	if len(n) <= 4 {
		return n
	}
	return strings.Repeat("*", len(n)-4) + n[len(n)-4:]
}

// raised reports whether a messaging limit went from was to now up: -1 is
// unlimited, 0 none known (nothing waited for it).
func raised(was, now int) bool {
	switch {
	case was == 0 || was == -1 || now == 0:
		return false
	case now == -1:
		return true
	}
	return now > was
}
