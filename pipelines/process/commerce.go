package process

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/journey"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/ledger"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// OutcomeCheckoutAbandoned announces a checkout left unfinished for the
// tenant's checkouts.abandon_after; its data has token, url, total,
// currency, email and name.
const OutcomeCheckoutAbandoned = "checkout.abandoned"

// isCommerceEvent tells the events commerceEvent handles.
func isCommerceEvent(typ string) bool {
	switch typ {
	case event.TypeConsentChanged, event.TypeCheckoutUpdated,
		event.TypePrivacyRedact, event.TypePrivacyRequest, event.TypeShopRedact:
		return true
	}
	return false
}

// commerceEvent handles the events of shops, CRMs and POS systems that
// change no points: consent, checkouts and privacy requests. It reports
// whether ev was one of them.
func (l *Lanes) commerceEvent(ctx context.Context, t *runtime.Tenant, ev event.Event) (bool, error) {
	switch ev.Type {
	case event.TypeConsentChanged:
		return true, l.changeConsent(ctx, t, ev)
	case event.TypeCheckoutUpdated:
		return true, l.recordCheckout(ctx, t, ev)
	case event.TypePrivacyRedact, event.TypePrivacyRequest, event.TypeShopRedact:
		return true, l.privacyRequest(ctx, t, ev)
	}
	return false, nil
}

// tenantPhone returns raw's canonical key (member.NormalizePhone), read
// with country (the country of the address it came from, when known) then
// the tenant's region, or "" when it is not a phone number.
func tenantPhone(t *runtime.Tenant, raw, country string) string {
	if strings.TrimSpace(raw) == "" {
		return ""
	}
	p, err := normalizePhone(raw, country, t.Config.DefaultRegion)
	if err != nil {
		return ""
	}
	return p
}

// changeConsent records a user's stop or resume of marketing messages:
// WhatsApp's own marketing_messages, from a BSP or a shop, and a shop's or
// CRM's sms_marketing where the tenant counts it (messaging.sms_consent).
func (l *Lanes) changeConsent(ctx context.Context, t *runtime.Tenant, ev event.Event) error {
	var c event.ConsentChanged
	if err := json.Unmarshal(ev.Data, &c); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding consent.changed data: %w", err))
	}
	switch {
	case c.Category == event.ConsentMarketingMessages:
	case c.Category == event.ConsentSMSMarketing && t != nil && t.Config.Messaging.SMSConsent:
	default:
		l.Metrics.ConsentChanges.WithLabelValues(ev.Tenant, "ignored").Inc()
		return nil
	}
	var state string
	switch c.Value {
	case "stop":
		state = member.ConsentOptedOut
	case "resume":
		state = member.ConsentOptedIn
	default:
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("consent change %q: want stop or resume", c.Value))
	}
	region := ""
	if t != nil {
		region = t.Config.DefaultRegion
	}
	phone := c.Phone
	switch {
	case c.Source == "" && strings.HasPrefix(phone, "+"):
		// WhatsApp's own report names the user by wa_id ("+" and the
		// digits): never refused for the number.
		if id, err := member.ParseWhatsAppID(phone); err == nil {
			phone = id.Key
		} else {
			phone = ""
		}
	case phone != "":
		p, err := normalizePhone(phone, c.PhoneCountry, region)
		if err != nil {
			return fault.Permanent(fault.ClassRequest, fmt.Errorf("consent change: %w", err))
		}
		phone = p
	}
	ref := store.ContactRef{Phone: phone, UserID: c.UserID}
	if ref.Empty() {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("consent change: %w", store.ErrNoContact))
	}
	source := "whatsapp"
	if c.Source != "" {
		source = c.Source + ":" + c.Category
	}
	at := c.Timestamp
	if at.IsZero() {
		at = ev.OccurredAt
	}
	if _, err := l.Store.UpdateContact(ctx, ev.Tenant, ref, member.SetConsent(state, source, at)); err != nil {
		return fmt.Errorf("recording consent: %w", err)
	}
	l.Metrics.ConsentChanges.WithLabelValues(ev.Tenant, c.Value).Inc()
	return nil
}

// recordCheckout keeps a shop's checkout for the abandoned-cart sweep.
func (l *Lanes) recordCheckout(ctx context.Context, t *runtime.Tenant, ev event.Event) error {
	var c event.CheckoutUpdated
	if err := json.Unmarshal(ev.Data, &c); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding checkout.updated data: %w", err))
	}
	if c.Token == "" {
		return fault.Permanent(fault.ClassRequest, errors.New("checkout.updated without a token"))
	}
	if c.Completed {
		return l.completeCheckout(ctx, ev.Tenant, c.Token, ev.OccurredAt)
	}
	err := l.Store.UpsertCheckout(ctx, store.Checkout{
		Tenant: ev.Tenant, Token: c.Token, Phone: tenantPhone(t, c.Phone, c.PhoneCountry), Email: c.Email, Name: member.CleanName(c.Name),
		Total: c.Total, Currency: c.Currency, URL: c.URL, UpdatedAt: ev.OccurredAt,
	})
	if err != nil {
		return fmt.Errorf("recording checkout: %w", err)
	}
	return nil
}

func (l *Lanes) completeCheckout(ctx context.Context, tenant, token string, at time.Time) error {
	if err := l.Store.CompleteCheckout(ctx, tenant, token, at); err != nil {
		return fmt.Errorf("completing checkout: %w", err)
	}
	return nil
}

// checkoutOf reads the checkout token of an order event, if any.
func checkoutOf(ev event.Event) string {
	if ev.Type != event.TypeOrderPaid && ev.Type != event.TypeOrderCreated ||
		!bytes.Contains(ev.Data, []byte(`"checkout_token"`)) {
		return "" // most sales come from no checkout: no decoding for them
	}
	var o struct {
		CheckoutToken string `json:"checkout_token"`
	}
	if json.Unmarshal(ev.Data, &o) != nil {
		return ""
	}
	return o.CheckoutToken
}

// privacyRequest acts on a shop's privacy request: a customer's personal
// data is erased (the member found by phone, else by the shop's customer
// id, else by email) with every dead letter that holds it, a data request is
// logged for the operator with the member to export, and a shop's redaction
// erases every member of the tenant and the payloads of its dead letters.
func (l *Lanes) privacyRequest(ctx context.Context, t *runtime.Tenant, ev event.Event) error {
	var p event.PrivacyRequest
	if err := json.Unmarshal(ev.Data, &p); err != nil {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("decoding %s data: %w", ev.Type, err))
	}
	count := func(result string) { l.Metrics.PrivacyRequests.WithLabelValues(ev.Tenant, ev.Type, result).Inc() }
	if ev.Type == event.TypeShopRedact {
		n, err := l.redactAll(ctx, ev.Tenant)
		if err != nil {
			return err
		}
		letters, err := l.Store.RedactDeadLetters(ctx, ev.Tenant, func([]byte) bool { return true }, l.Now())
		if err != nil {
			return fmt.Errorf("erasing dead letters: %w", err)
		}
		l.Logger.Warn("shop redaction: every member's personal data erased", "tenant", ev.Tenant, "shop", p.ShopDomain,
			"members", n, "dead_letters", letters)
		count("erased")
		return nil
	}
	phone := tenantPhone(t, p.Phone, "")
	ms, err := l.MembersOf(ctx, ev.Tenant, store.AccountRef{Phone: phone, Connector: ev.Connector,
		CustomerID: p.CustomerID, Email: p.Email})
	if err != nil {
		return err
	}
	if ev.Type == event.TypePrivacyRequest {
		if len(ms) == 0 {
			count("no_member")
			return nil
		}
		for _, m := range ms {
			l.Logger.Warn("customer data request: export the member with the admin API",
				"tenant", ev.Tenant, "member", m.ID, "customer", p.CustomerID, "request", p.RequestID,
				"export", "/api/v1/tenants/"+ev.Tenant+"/members/"+m.ID)
		}
		count("logged")
		return nil
	}
	named := member.Person{Phones: []string{phone}, Emails: []string{p.Email}, CustomerIDs: []string{p.CustomerID}}
	if _, err := l.ErasePerson(ctx, ev.Tenant, p.RequestID, named, ms); err != nil {
		return err
	}
	if len(ms) == 0 {
		count("no_member")
		return nil
	}
	count("erased")
	return nil
}

// ErasePerson erases the personal data of one person's members ms and
// every dead letter's payload that names the person: by what the request
// named and by every identity of the members, read before they are
// erased. It returns the ids of the members erased and how many dead
// letters were. A shop's privacy request and the operator's erasure
// through the admin API both come here.
func (l *Lanes) ErasePerson(ctx context.Context, tenant, requestID string, named member.Person, ms []member.Member) (store.Erasure, error) {
	done := store.Erasure{Tenant: tenant, RequestID: requestID, Members: []string{}}
	person := named
	for _, m := range ms {
		person.Phones = append(person.Phones, m.Phone)
		person.Emails = append(person.Emails, m.Email)
		for _, id := range m.Identities {
			switch id.Kind {
			case member.IdentityEmail:
				person.Emails = append(person.Emails, id.Value)
			case member.IdentityCustomer:
				person.CustomerIDs = append(person.CustomerIDs, id.Value)
			}
		}
		if err := l.Store.RedactMember(ctx, tenant, m.ID); err != nil {
			return done, fmt.Errorf("erasing member %s: %w", m.ID, err)
		}
		done.Members = append(done.Members, m.ID)
		l.Logger.Info("member's personal data erased", "tenant", tenant, "member", m.ID, "request", requestID)
	}
	letters, err := l.Store.RedactDeadLetters(ctx, tenant, person.Matcher(), l.Now())
	if err != nil {
		return done, fmt.Errorf("erasing dead letters: %w", err)
	}
	done.DeadLetters = letters
	l.Logger.Info("dead letters of a privacy request erased", "tenant", tenant, "request", requestID,
		"members", len(ms), "dead_letters", letters)
	return done, nil
}

// MembersOf finds the members of one person a privacy request names: those
// its phone, customer id and email find, as one event naming them would
// merge them (a member with another phone than the request's is someone
// else).
func (l *Lanes) MembersOf(ctx context.Context, tenant string, ref store.AccountRef) ([]member.Member, error) {
	found, _, err := store.FindMembers(ref, nil, func(id member.Identity) (member.Member, error) {
		return l.Store.MemberByIdentity(ctx, tenant, id)
	})
	if err != nil {
		return nil, fmt.Errorf("finding the member: %w", err)
	}
	if len(found) == 0 {
		return nil, nil
	}
	first, others, _ := store.PlanMerge(found)
	return append([]member.Member{first}, others...), nil
}

// redactAll erases the personal data of every member of the tenant.
func (l *Lanes) redactAll(ctx context.Context, tenant string) (int, error) {
	n, after, batch := 0, "", max(l.SweepBatch, 1)
	for {
		ids, err := l.Store.MemberIDs(ctx, tenant, after, batch)
		if err != nil {
			return n, fmt.Errorf("listing members: %w", err)
		}
		for _, id := range ids {
			if err := l.Store.RedactMember(ctx, tenant, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return n, fmt.Errorf("erasing member %s: %w", id, err)
			}
			n++
		}
		if len(ids) < batch {
			return n, nil
		}
		after = ids[len(ids)-1]
	}
}

// SweepCheckouts announces the tenant's checkouts left unfinished for
// checkouts.abandon_after, each once, as checkout.abandoned outcomes: a
// batch at a time, its notifications queued in the outbox in one store
// transaction, its members entered into the journeys it triggers in
// another, its webhook deliveries written in a third, and then its
// checkouts marked in a fourth. A crash in between
// announces them again under the same keys, which the outbox keeps once.
func (l *Lanes) SweepCheckouts(ctx context.Context, t *runtime.Tenant, now time.Time) (int, error) {
	announced, batch := 0, max(l.SweepBatch, 1)
	for {
		due, err := l.Store.DueCheckouts(ctx, t.ID, now.Add(-t.Config.Checkouts.AbandonAfter), batch)
		if err != nil {
			return announced, fmt.Errorf("listing due checkouts: %w", err)
		}
		marks := make([]store.CheckoutMark, len(due))
		var queued []messaging.Command
		var goals []store.JourneyGoal
		var entries []store.JourneyEntry
		var hooks []store.WebhookDelivery
		n := 0 // checkouts announced
		for i, c := range due {
			marks[i] = store.CheckoutMark{Token: c.Token, UpdatedAt: c.UpdatedAt}
			if c.Phone == "" {
				continue // nobody to remind on WhatsApp: only marked
			}
			o := l.checkoutAbandoned(ctx, t.ID, c, now)
			cmds, err := l.Notify(t, o)
			if err != nil {
				return announced, err
			}
			queued = append(queued, cmds...)
			g, e, err := journey.Effects(t.Journeys, o, now)
			if err != nil {
				l.Logger.Warn("a journey's trigger failed on an abandoned checkout; the member is not entered",
					"tenant", t.ID, "member", o.Member.ID, "error", err)
			}
			goals, entries = append(goals, g...), append(entries, e...)
			ds, err := ledger.Webhooks(t.Config.Webhooks, o, now)
			if err != nil {
				return announced, err
			}
			hooks = append(hooks, ds...)
			n++
		}
		if err := l.Enqueue(ctx, queued); err != nil {
			return announced, fmt.Errorf("queueing checkout.abandoned: %w", err)
		}
		if err := l.Store.EnterJourneys(ctx, t.ID, goals, entries); err != nil {
			return announced, fmt.Errorf("entering checkout.abandoned journeys: %w", err)
		}
		if err := l.Store.EnqueueWebhooks(ctx, hooks); err != nil {
			return announced, fmt.Errorf("queueing checkout.abandoned webhooks: %w", err)
		}
		if _, err := l.Store.MarkAbandoned(ctx, t.ID, marks, now); err != nil {
			return announced, fmt.Errorf("marking checkouts abandoned: %w", err)
		}
		announced += n
		l.Metrics.CheckoutsAbandoned.WithLabelValues(t.ID).Add(float64(n))
		if len(due) < batch || ctx.Err() != nil {
			return announced, nil
		}
	}
}

// checkoutAbandoned is the checkout.abandoned outcome of checkout c.
func (l *Lanes) checkoutAbandoned(ctx context.Context, tenant string, c store.Checkout, now time.Time) event.Outcome {
	ref := event.MemberRef{Phone: c.Phone, Name: c.Name}
	if m, err := l.Store.MemberByPhone(ctx, tenant, c.Phone); err == nil {
		ref = event.MemberRef{ID: m.ID, Phone: m.Phone, Name: m.Name, Balance: m.Balance}
		if ref.Name == "" {
			ref.Name = c.Name
		}
	}
	return event.Outcome{
		ID:     event.DerivedID("out_", "checkout", tenant, c.Token, OutcomeCheckoutAbandoned),
		Tenant: tenant, Type: OutcomeCheckoutAbandoned, EventID: event.DerivedID("ev_", "checkout", tenant, c.Token),
		OccurredAt: now, Member: ref,
		Data: map[string]any{
			"token": c.Token, "url": c.URL, "total": c.Total, "currency": c.Currency,
			"email": c.Email, "name": c.Name, "updated_at": c.UpdatedAt.Format(time.RFC3339),
		},
	}
}
