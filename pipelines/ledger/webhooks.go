package ledger

import (
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/webhook"
)

// Webhooks returns the deliveries of an outcome to the enabled endpoints
// of hooks that subscribe to its type, created at now: one per endpoint,
// all with the outcome's message id, so that the outcome written again is
// not delivered again.
func Webhooks(hooks []config.Webhook, o event.Outcome, now time.Time) ([]store.WebhookDelivery, error) {
	var out []store.WebhookDelivery
	var body []byte
	for _, h := range hooks {
		if !h.On() || !webhook.Matches(h.Events, o.Type) {
			continue
		}
		if body == nil {
			var err error
			body, err = OutcomePayload(o).Encode()
			if err != nil {
				return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("outcome %s: %w", o.ID, err))
			}
		}
		out = append(out, store.WebhookDelivery{ID: webhook.MessageID(o.ID), Tenant: o.Tenant, Endpoint: h.Name,
			MemberID: o.Member.ID, Type: o.Type, Payload: body, CreatedAt: now})
	}
	return out, nil
}

// OutcomePayload is the webhook payload of an outcome.
func OutcomePayload(o event.Outcome) webhook.Payload {
	return webhook.Payload{Type: o.Type, Timestamp: o.OccurredAt, Data: webhook.Data{
		ID: o.ID, EventID: o.EventID, Tenant: o.Tenant, Outcome: o.Data,
		Member: webhook.Member{ID: o.Member.ID, Phone: o.Member.Phone, Name: o.Member.Name, Balance: o.Member.Balance},
	}}
}
