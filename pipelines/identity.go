package pipelines

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/store"
)

// Results of an identity change, as counted by
// loyalhub_whatsapp_identity_changes_total.
const (
	identityApplied   = "applied"   // the contact, conversation and member moved to the new identity
	identityConflict  = "conflict"  // the new number belongs to another member: the members were left alone
	identityUnknown   = "unknown"   // nobody is known by the old identity: nothing to move
	identityUnchanged = "unchanged" // the message names no new number or user id
	identityDuplicate = "duplicate" // the message was applied before
)

// changeIdentity applies WhatsApp's word that a customer changed number or
// business-scoped user id (a system message, mapped to
// contact.identity_changed) to their contact, their conversation with the
// bot and their member, once per message (see store.Contacts
// ChangeIdentity for the rules, and for a new number that already belongs
// to another member). It never answers the customer, and never refuses the
// event for the numbers it names: a wa_id phonenumbers calls invalid is
// still the customer's identity.
func (h *Hub) changeIdentity(ctx context.Context, ev event.Event) error {
	var d event.IdentityChanged
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding %s data: %w", ev.Type, err))
	}
	ch := store.IdentityChange{
		Tenant: ev.Tenant, MessageID: firstNonEmpty(d.MessageID, ev.ID), Kind: d.Kind, At: d.Timestamp,
		Old: store.ContactRef{UserID: d.OldUserID}, New: store.ContactRef{UserID: d.NewUserID},
	}
	if ch.At.IsZero() {
		ch.At = ev.OccurredAt
	}
	if id, err := member.ParseWhatsAppID(d.OldWAID); err == nil {
		ch.Old.Phone = id.Key
	}
	if id, err := member.ParseWhatsAppID(d.NewWAID); err == nil {
		ch.New.Phone, ch.NewWAID = id.Key, id.WAID
	}
	result := identityUnknown
	var res store.IdentityResult
	if !ch.Old.Empty() {
		var err error
		if res, err = h.store.ChangeIdentity(ctx, ch); err != nil {
			return fmt.Errorf("applying the identity change: %w", err)
		}
		switch {
		case res.Duplicate:
			result = identityDuplicate
		case res.ConflictMemberID != "":
			result = identityConflict
		case res.Contact == nil && res.MemberID == "":
			result = identityUnknown
		case !ch.Moves():
			result = identityUnchanged
		default:
			result = identityApplied
		}
	}
	h.metrics.IdentityChanges.WithLabelValues(ev.Tenant, result).Inc()
	log := h.logger.With("tenant", ev.Tenant, "connector", ev.Connector, "kind", d.Kind, "message", ch.MessageID,
		"old", member.MaskPhone(firstNonEmpty(d.OldWAID, d.OldUserID)), "new", member.MaskPhone(firstNonEmpty(d.NewWAID, d.NewUserID)))
	if result == identityConflict {
		log.Warn("a customer's new number belongs to another member: both members were left as they are; merge them by hand if they are one person",
			"member", res.MemberID, "other_member", res.ConflictMemberID)
		return nil
	}
	log.Info("whatsapp user changed identity", "result", result, "member", res.MemberID)
	return nil
}
