package pipelines

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/chat"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// The message log is the outbox. Whatever causes a message (a loyalty
// transaction, a chat answer, an admin action, a sweep) writes it as a
// queued row with its command in its own store transaction; the sender takes
// the rows as they come due. Nothing is published after a commit, so nothing
// decided can be lost between the decision and the sender.

// TopicOutbox names the outbox in dead letters: a send the sender gave up on
// is replayed by queueing its command again.
const TopicOutbox = "outbox"

// outcomes turns what a loyalty transaction decided into the outcomes the
// notification rules read. Their ids derive from the event and the
// outcome's position, so a replayed transaction yields the same ones. via
// marks the reward.redeemed outcomes with where the member asked for the
// reward (markVia).
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

// effects is the hook of a loyalty transaction of tenant t (event eventID
// at at): it renders the tenant's notifications of the outcomes into the
// outbox and queues the member for every write-back connector. via is as
// for outcomes.
func (h *Hub) effects(t *runtime.Tenant, eventID string, at time.Time, via string) func(store.AccountResult) (store.Effects, error) {
	return func(res store.AccountResult) (store.Effects, error) {
		var e store.Effects
		now := h.now()
		ocs := outcomes(t.ID, eventID, at, res, via)
		for _, o := range ocs {
			cmds, err := h.notify(t, o)
			if err != nil {
				return store.Effects{}, err
			}
			for _, cmd := range cmds {
				m, err := outboxMessage(cmd)
				if err != nil {
					return store.Effects{}, err
				}
				m.CreatedAt = now.Add(time.Duration(len(e.Messages)) * time.Microsecond)
				m.DueAt = m.CreatedAt
				e.Messages = append(e.Messages, m)
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

// ledger is the store as one tenant's loyalty transactions use it: every
// transaction writes its notifications and write-backs with it (effects)
// and wakes the sender once committed.
type ledger struct {
	store.Store
	h   *Hub
	t   *runtime.Tenant
	via string
}

// ledger returns tenant t's ledger; via is as for outcomes.
func (h *Hub) ledger(t *runtime.Tenant, via string) ledger {
	return ledger{Store: h.store, h: h, t: t, via: via}
}

// Transact runs a loyalty transaction with the tenant's effects; see
// store.Accounts.
func (l ledger) Transact(ctx context.Context, tenant, eventID string, ref store.AccountRef, at time.Time,
	fn func(a *loyalty.Account) error) (store.AccountResult, error) {
	if ref.Effects == nil {
		ref.Effects = l.h.effects(l.t, eventID, at, l.via)
	}
	res, err := l.Store.Transact(ctx, tenant, eventID, ref, at, fn)
	if err == nil {
		l.h.sender.Wake()
	}
	return res, err
}

// notify renders the commands the tenant's notification rules make of an
// outcome.
func (h *Hub) notify(t *runtime.Tenant, o event.Outcome) ([]messaging.Command, error) {
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
			h.metrics.MessagesSkipped.WithLabelValues(o.Tenant, skipNoPhone).Inc()
			h.logger.Debug("notification skipped: the member has no phone", "tenant", o.Tenant,
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
			h.metrics.ParamsFitted.WithLabelValues(cmd.Tenant, n.Name).Add(float64(fitted))
		}
		out = append(out, cmd)
	}
	return out, nil
}

// outboxMessage is the queued row of a command.
func outboxMessage(cmd messaging.Command) (store.Message, error) {
	b, err := json.Marshal(cmd)
	if err != nil {
		return store.Message{}, fault.Permanent(fault.ClassRequest, fmt.Errorf("encoding message %s: %w", cmd.Key, err))
	}
	m := store.Message{
		Key: cmd.Key, Tenant: cmd.Tenant, MemberID: cmd.MemberID, Sender: cmd.Sender,
		Recipient: firstNonEmpty(cmd.To, cmd.UserID), Kind: cmd.Kind, Category: cmd.Category, Command: b,
	}
	if cmd.Template != nil {
		m.Template = cmd.Template.Name
	}
	return m, nil
}

// transact runs a loyalty transaction of tenant t on its ledger (via as
// for outcomes), then its follow-ups (a referrer's reward, say), each a
// transaction of its own on the ledger. A follow-up that ran before
// replays and changes nothing, so a caller that failed midway runs it all
// again.
func (h *Hub) transact(ctx context.Context, t *runtime.Tenant, via, eventID string, ref store.AccountRef, at time.Time,
	fn func(a *loyalty.Account) error) (store.AccountResult, error) {
	l := h.ledger(t, via)
	res, err := l.Transact(ctx, t.ID, eventID, ref, at, fn)
	if err != nil || len(res.FollowUps) == 0 {
		return res, err
	}
	_, err = RunFollowUps(ctx, l, t.ID, t.Program, res.FollowUps, nil)
	return res, err
}

// enqueueCommands writes commands to the outbox in one transaction and
// wakes the sender.
func (h *Hub) enqueueCommands(ctx context.Context, cmds []messaging.Command) error {
	ms := make([]store.Message, 0, len(cmds))
	now := h.now()
	for _, cmd := range cmds {
		if err := cmd.Validate(); err != nil {
			return fmt.Errorf("message %s: %w", cmd.Key, err)
		}
		m, err := outboxMessage(cmd)
		if err != nil {
			return err
		}
		// One microsecond apart: a recipient gets them in this order.
		m.CreatedAt = now.Add(time.Duration(len(ms)) * time.Microsecond)
		m.DueAt = m.CreatedAt
		ms = append(ms, m)
	}
	if err := h.store.EnqueueMessages(ctx, ms); err != nil {
		return fmt.Errorf("queueing messages: %w", err)
	}
	h.sender.Wake()
	return nil
}
