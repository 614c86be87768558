package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
)

// enrichedBody is what Enrich returns, and what the bundled mapping reads.
type enrichedBody struct {
	// Events are the batch's events that may matter, as received.
	Events []json.RawMessage `json:"events"`
	// Contacts are the contacts the events name, by id: the properties
	// read that are set. Contacts that no longer exist are absent.
	Contacts map[string]map[string]string `json:"contacts"`
	// Deals are the deals of paid-stage events, by id.
	Deals    map[string]enrichedDeal `json:"deals"`
	Settings enrichedSettings        `json:"settings"`
	// Countries are the ISO 3166 alpha-2 codes of the contacts' country
	// property, by contact id, for the contacts whose country is a code or
	// a country's English name: the country their phone is read with.
	Countries map[string]string `json:"countries,omitempty"`
}

// countryProperty is HubSpot's free-text "Country/Region" contact property.
// It is always read; its changes count only when it is configured in
// contact_properties.
const countryProperty = "country"

// enrichedDeal is a deal's properties and associated contacts.
type enrichedDeal struct {
	Properties map[string]string `json:"properties"`
	ContactIDs []string          `json:"contact_ids"`
}

// enrichedSettings are the connector settings the mapping needs.
type enrichedSettings struct {
	ConsentProperty string   `json:"consent_property"`
	OptInValues     []string `json:"opt_in_values"`
	ConsentCategory string   `json:"consent_category"`
	Currency        string   `json:"currency"`
}

// eventsOnly is what Enrich returns with enrich off.
type eventsOnly struct {
	Events []json.RawMessage `json:"events"`
}

// Enrich turns a delivery's batch of HubSpot events into the body the
// bundled mapping reads:
//
//	{"events":   [...the events that may matter, as received...],
//	 "contacts": {"<id>": {"phone": "…", "email": "…", …}},
//	 "deals":    {"<id>": {"properties": {"amount": "…", …}, "contact_ids": ["…"]}},
//	 "settings": {"consent_property": "…", "opt_in_values": […],
//	              "consent_category": "…", "currency": "…"},
//	 "countries": {"<contact id>": "GB"}}
//
// It drops the events nothing maps: property changes of contact properties
// it does not read or that it writes back itself (so its own write-back
// does not loop), and deal changes other than a dealstage entering a paid
// stage. It then batch-reads the deals of paid-stage events with the ids
// of their associated contacts, and the contacts that the contact events
// and those deals name, 100 records per call. Records deleted meanwhile
// are left out. A contact whose country property is an ISO 3166 alpha-2
// code or a country's English name gets its code in countries.
//
// A body that is not a JSON array of event objects is a permanent error of
// class request. API errors are classified: 429 (after Retry-After), 423,
// 5xx and failures to connect are retryable; 401 and 403 are permanent
// auth errors; other 4xx are permanent. With enrich off, it returns
// {"events": [...]} and calls nothing.
func (s *Source) Enrich(ctx context.Context, d connectors.Delivery, body []byte) ([]byte, error) {
	raws, events, err := parseBatch(body)
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("enriching hubspot delivery %s: %w", d.ID, err))
	}
	plan := s.plan(raws, events)
	if !s.cfg.Enrich {
		return marshal(eventsOnly{Events: plan.events})
	}
	if s.api == nil {
		return nil, fault.Permanent(fault.ClassAuth, fmt.Errorf("enriching hubspot delivery %s: no access_token configured", d.ID))
	}
	out, err := s.fetch(ctx, plan)
	if err != nil {
		return nil, fmt.Errorf("enriching hubspot delivery %s: %w", d.ID, err)
	}
	return marshal(out)
}

// parseBatch splits a webhook body into its events, raw and read.
func parseBatch(body []byte) ([]json.RawMessage, []webhookEvent, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, nil, errors.New("empty body, want a JSON array of HubSpot events")
	}
	if trimmed[0] != '[' {
		if !json.Valid(trimmed) {
			return nil, nil, errors.New("body is not JSON, want a JSON array of HubSpot events")
		}
		return nil, nil, fmt.Errorf("body is a JSON %s, want an array of HubSpot events", jsonKind(trimmed[0]))
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(trimmed, &raws); err != nil {
		return nil, nil, fmt.Errorf("body is not a JSON array of HubSpot events: %w", err)
	}
	events := make([]webhookEvent, len(raws))
	for i, raw := range raws {
		if raw[0] != '{' { // Unmarshal yields no empty or padded element
			return nil, nil, fmt.Errorf("event %d is a JSON %s, want an object", i, jsonKind(raw[0]))
		}
		if err := json.Unmarshal(raw, &events[i]); err != nil {
			return nil, nil, fmt.Errorf("reading event %d: %w", i, err)
		}
	}
	return raws, events, nil
}

func jsonKind(first byte) string {
	switch first {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// plan is what a batch needs: the events kept and the records to read.
type plan struct {
	events   []json.RawMessage
	contacts []string // ids, in order of first mention
	deals    []string
}

// plan keeps the events that may map to something and lists the records
// they name.
func (s *Source) plan(raws []json.RawMessage, events []webhookEvent) plan {
	var p plan
	seenContacts, seenDeals := map[string]bool{}, map[string]bool{}
	for i := range events {
		e := &events[i]
		object, action := e.object()
		id := string(e.ObjectID)
		switch {
		case object == "contact" && action == "creation":
			addID(&p.contacts, seenContacts, id)
		case object == "contact" && action == "propertyChange":
			if !s.contactPropertyCounts(string(e.PropertyName)) {
				continue
			}
			addID(&p.contacts, seenContacts, id)
		case object == "deal":
			if action != "propertyChange" || e.PropertyName != "dealstage" ||
				!slices.Contains(s.cfg.Deals.PaidStages, string(e.PropertyValue)) {
				continue
			}
			addID(&p.deals, seenDeals, id)
		}
		p.events = append(p.events, raws[i])
	}
	if p.events == nil {
		p.events = []json.RawMessage{}
	}
	return p
}

// contactPropertyCounts reports whether a change of the contact property
// name matters: a property read, or the consent property, but never one
// the connector writes back itself.
func (s *Source) contactPropertyCounts(name string) bool {
	if w := s.cfg.WriteBack; w.Enabled && (name == w.PointsProperty || name == w.TierProperty) {
		return false
	}
	return slices.Contains(s.cfg.ContactProperties, name) || (name != "" && name == s.cfg.Consent.Property)
}

// addID appends a record id once; ids that are not HubSpot record ids
// (digits) are not read.
func addID(ids *[]string, seen map[string]bool, id string) {
	if !isRecordID(id) || seen[id] {
		return
	}
	seen[id] = true
	*ids = append(*ids, id)
}

func isRecordID(id string) bool { return len(id) <= 20 && isDigits(id) }

// fetch reads the records a plan names.
func (s *Source) fetch(ctx context.Context, p plan) (enrichedBody, error) {
	out := enrichedBody{
		Events:   p.events,
		Contacts: map[string]map[string]string{},
		Deals:    map[string]enrichedDeal{},
		Settings: enrichedSettings{
			ConsentProperty: s.cfg.Consent.Property,
			OptInValues:     s.cfg.Consent.OptInValues,
			ConsentCategory: s.cfg.Consent.Category,
			Currency:        s.cfg.Deals.Currency,
		},
	}
	if out.Settings.OptInValues == nil {
		out.Settings.OptInValues = []string{}
	}
	contactIDs := p.contacts
	if len(p.deals) > 0 {
		deals, err := s.api.readObjects(ctx, pathDealsRead, "deals", p.deals, dealProperties)
		if err != nil {
			return enrichedBody{}, err
		}
		found := make([]string, 0, len(deals))
		for _, id := range p.deals {
			if _, ok := deals[id]; ok {
				found = append(found, id)
			}
		}
		var associated map[string][]string
		if len(found) > 0 {
			if associated, err = s.api.readDealContacts(ctx, found); err != nil {
				return enrichedBody{}, err
			}
		}
		seen := map[string]bool{}
		for _, id := range contactIDs {
			seen[id] = true
		}
		contactIDs = slices.Clone(contactIDs)
		for _, id := range found {
			ids := associated[id]
			if ids == nil {
				ids = []string{}
			}
			out.Deals[id] = enrichedDeal{Properties: deals[id], ContactIDs: ids}
			for _, c := range ids {
				addID(&contactIDs, seen, c)
			}
		}
	}
	if len(contactIDs) > 0 {
		contacts, err := s.api.readObjects(ctx, pathContactsRead, "contacts", contactIDs, s.contactProperties())
		if err != nil {
			return enrichedBody{}, err
		}
		out.Contacts = contacts
		for id, props := range contacts {
			if code := countryCode(props[countryProperty]); code != "" {
				if out.Countries == nil {
					out.Countries = map[string]string{}
				}
				out.Countries[id] = code
			}
		}
	}
	return out, nil
}

// contactProperties are the properties read for a contact: the configured
// ones, the consent property and the country.
func (s *Source) contactProperties() []string {
	props := slices.Clone(s.cfg.ContactProperties)
	for _, p := range []string{s.cfg.Consent.Property, countryProperty} {
		if p != "" && !slices.Contains(props, p) {
			props = append(props, p)
		}
	}
	return props
}

// marshal encodes an enriched body, keeping <, > and & as they are.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("encoding enriched hubspot delivery: %w", err))
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
