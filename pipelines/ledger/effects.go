package ledger

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/journey"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/chat"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// skipNoPhone is the reason counted for a notification not written for a
// member without a phone (loyalhub_messages_skipped_total).
const skipNoPhone = "no_phone"

// outcomes turns what a loyalty transaction decided into the outcomes the
// notification rules read. Their ids derive from the event and the
// outcome's position, so a replayed transaction yields the same ones. via
// marks the reward.redeemed outcomes with where the member asked for the
// reward.
func outcomes(tenant, eventID string, at time.Time, res store.AccountResult, via string) []event.Outcome {
	out := make([]event.Outcome, 0, len(res.Outcomes))
	for i, oc := range res.Outcomes {
		data := maps.Clone(oc.Data)
		if data == nil {
			data = map[string]any{}
		}
		data["balance"] = res.Member.Balance
		if via != "" && oc.Type == loyalty.OutcomeRewardRedeemed {
			data["via"] = via
		}
		out = append(out, event.Outcome{
			ID:         event.DerivedID("out_", eventID, oc.Type, fmt.Sprint(i)),
			Tenant:     tenant,
			Type:       oc.Type,
			EventID:    eventID,
			OccurredAt: at,
			Member:     event.MemberRef{ID: res.Member.ID, Phone: res.Member.Phone, Name: res.Member.Name, Balance: res.Member.Balance},
			Data:       data,
		})
	}
	return out
}

// Effects is the hook of a loyalty transaction of tenant t (event eventID
// at at; store.AccountRef.Effects): it renders the tenant's notifications
// of the outcomes into the outbox, enters the member into the journeys the
// outcomes trigger and ends those whose goal they are, writes their
// deliveries to the tenant's webhook endpoints, and queues the member for
// every write-back connector. via is as for Transact.
func (l *Ledger) Effects(t *runtime.Tenant, eventID string, at time.Time, via string) func(store.AccountResult) (store.Effects, error) {
	return func(res store.AccountResult) (store.Effects, error) {
		var e store.Effects
		now := l.d.Now()
		ocs := outcomes(t.ID, eventID, at, res, via)
		for _, o := range ocs {
			cmds, err := l.Notify(t, o)
			if err != nil {
				return store.Effects{}, err
			}
			goals, entries, err := journey.Effects(t.Journeys, o, now)
			if err != nil {
				l.d.Logger.Warn("a journey's trigger failed on an outcome; the member is not entered", "tenant", t.ID,
					"member", o.Member.ID, "outcome", o.Type, "error", err)
			}
			e.JourneyGoals = append(e.JourneyGoals, goals...)
			e.Journeys = append(e.Journeys, entries...)
			hooks, err := Webhooks(t.Config.Webhooks, o, now)
			if err != nil {
				return store.Effects{}, err
			}
			e.Webhooks = append(e.Webhooks, hooks...)
			for _, cmd := range cmds {
				if e.Messages, err = appendQueued(e.Messages, cmd, now); err != nil {
					return store.Effects{}, err
				}
			}
		}
		if len(ocs) > 0 && res.Member.ID != "" {
			for _, c := range t.Connectors {
				if c.Syncer != nil {
					e.Sync = append(e.Sync, store.SyncRef{Connector: c.Name, MemberID: res.Member.ID})
				}
			}
		}
		return e, nil
	}
}

// Notify renders the commands tenant t's notification rules make of an
// outcome.
func (l *Ledger) Notify(t *runtime.Tenant, o event.Outcome) ([]messaging.Command, error) {
	if strings.HasPrefix(o.Member.Phone, store.RedactedPrefix) {
		return nil, nil // an erased member: nobody to write to
	}
	if chat.SentInChat(o) {
		return nil, nil // the chat's answer carried it
	}
	var out []messaging.Command
	for _, n := range t.Notifications {
		if n.On != o.Type {
			continue
		}
		if o.Member.Phone == "" {
			// A member a shop knows by customer id or email alone:
			// nobody to write to on WhatsApp until a phone joins them.
			l.d.Metrics.Skipped.WithLabelValues(o.Tenant, skipNoPhone).Inc()
			l.d.Logger.Debug("notification skipped: the member has no phone", "tenant", o.Tenant,
				"notification", n.Name, "member", o.Member.ID, "outcome", o.Type)
			continue
		}
		cmd, ok, err := n.Renderer.Render(o)
		if err != nil {
			return nil, fmt.Errorf("rendering notification %q: %w", n.Name, err)
		}
		if !ok {
			continue
		}
		if fitted := cmd.Fitted(); fitted > 0 {
			l.d.Metrics.ParamsFitted.WithLabelValues(cmd.Tenant, n.Name).Add(float64(fitted))
		}
		out = append(out, cmd)
	}
	return out, nil
}

// OutboxMessage is the queued row of a command.
func OutboxMessage(cmd messaging.Command) (store.Message, error) {
	b, err := json.Marshal(cmd)
	if err != nil {
		return store.Message{}, fault.Permanent(fault.ClassRequest, fmt.Errorf("encoding message %s: %w", cmd.Key, err))
	}
	m := store.Message{
		Key: cmd.Key, Tenant: cmd.Tenant, MemberID: cmd.MemberID, Sender: cmd.Sender,
		Recipient: cmp.Or(cmd.To, cmd.UserID), Kind: cmd.Kind, Category: cmd.Category, Command: b,
		Origin: cmd.Origin,
	}
	if cmd.Template != nil {
		m.Template = cmd.Template.Name
	}
	return m, nil
}

// appendQueued appends cmd's queued row to ms, created and due one
// microsecond after the one before it (the first at now): a recipient gets
// them in this order.
func appendQueued(ms []store.Message, cmd messaging.Command, now time.Time) ([]store.Message, error) {
	m, err := OutboxMessage(cmd)
	if err != nil {
		return ms, err
	}
	m.CreatedAt = now.Add(time.Duration(len(ms)) * time.Microsecond)
	m.DueAt = m.CreatedAt
	if cmd.NotBefore.After(m.DueAt) {
		m.DueAt = cmd.NotBefore
	}
	return append(ms, m), nil
}
