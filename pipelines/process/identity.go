package process

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"

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
	identityUnchanged = "unchanged" // no new number or user id: at most another form of the same number
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
func (l *Lanes) changeIdentity(ctx context.Context, ev event.Event) error {
	var d event.IdentityChanged
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding %s data: %w", ev.Type, err))
	}
	ch := store.IdentityChange{
		Tenant: ev.Tenant, MessageID: cmp.Or(d.MessageID, ev.ID), Kind: d.Kind, At: d.Timestamp,
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
		if res, err = l.Store.ChangeIdentity(ctx, ch); err != nil {
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
	l.Metrics.IdentityChanges.WithLabelValues(ev.Tenant, result).Inc()
	log := l.Logger.With("tenant", ev.Tenant, "connector", ev.Connector, "kind", d.Kind, "message", ch.MessageID,
		"old", member.MaskPhone(cmp.Or(d.OldWAID, d.OldUserID)), "new", member.MaskPhone(cmp.Or(d.NewWAID, d.NewUserID)))
	if result == identityConflict {
		log.Warn("a customer's new number belongs to another member: both members were left as they are; merge them by hand if they are one person",
			"member", res.MemberID, "other_member", res.ConflictMemberID)
		return nil
	}
	log.Info("whatsapp user changed identity", "result", result, "member", res.MemberID)
	return nil
}

// messageTypeSystem is the type of WhatsApp's system messages, which a
// mapping may pass on as message.received rather than
// contact.identity_changed.
const messageTypeSystem = "system"

// Forms of the numbers customers write from, as counted by
// loyalhub_whatsapp_inbound_numbers_total.
const (
	numberListed   = "listed"   // a number phonenumbers' metadata knows, as given
	numberJoined   = "joined"   // another form of one (Brazil's mobile without its 9, Mexico's 521)
	numberUnlisted = "unlisted" // a number the metadata does not know (fictional, newly allocated)
)

// senderIdentity reads who sent a customer's message: its wa_id as
// WhatsApp gave it (data.wa_id, else data.phone without its plus, from
// mappings that do not emit wa_id), kept in m.WAID, and the canonical key
// the contact and the member are found by, returned with the number's
// form. A number is never a reason to refuse a customer's message: one
// phonenumbers calls invalid is still the customer's identity, and a value
// that is not a number at all leaves the message to its user id (without
// one, it names nobody and is dead-lettered for that).
func (l *Lanes) senderIdentity(ev event.Event, m *event.MessageReceived) (key, form string) {
	waID := m.WAID
	if waID == "" {
		waID = strings.TrimPrefix(strings.TrimSpace(m.Phone), "+")
	}
	if waID == "" {
		return "", ""
	}
	id, err := member.ParseWhatsAppID(waID)
	if err != nil {
		l.Logger.Warn("a customer's message names its sender by something that is not a number; using its user id",
			"tenant", ev.Tenant, "connector", ev.Connector, "message", m.MessageID, "wa_id", member.MaskPhone(waID))
		m.WAID = ""
		return "", ""
	}
	m.WAID = id.WAID
	switch {
	case !id.Listed:
		form = numberUnlisted
	case id.Key != "+"+id.WAID:
		form = numberJoined
	default:
		form = numberListed
	}
	return id.Key, form
}
