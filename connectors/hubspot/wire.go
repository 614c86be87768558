package hubspot

import (
	"bytes"
	"encoding/json"
)

// flex is a JSON scalar read as text: a string as is, a number as written
// (HubSpot sends ids as numbers in webhooks and as strings in its API).
// Anything else reads as empty rather than failing the whole batch.
type flex string

func (f *flex) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flex(s)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*f = flex(b)
	default:
		*f = ""
	}
	return nil
}

// webhookEvent is what Enrich reads of one event of a webhook batch; the
// event itself is passed on as received.
type webhookEvent struct {
	EventID          flex `json:"eventId"`
	PortalID         flex `json:"portalId"`
	ObjectID         flex `json:"objectId"`
	OccurredAt       flex `json:"occurredAt"`
	SubscriptionType flex `json:"subscriptionType"`
	ObjectTypeID     flex `json:"objectTypeId"`
	PropertyName     flex `json:"propertyName"`
	PropertyValue    flex `json:"propertyValue"`
	// EventType is SubscriptionType under the name HubSpot's webhook
	// documentation gives it in its example payload; read when
	// subscriptionType is absent.
	EventType flex `json:"eventType"`
}

// Object type ids of the generic ("object.*") subscriptions.
const (
	objectTypeContact = "0-1"
	objectTypeDeal    = "0-3"
)

// object returns "contact", "deal" or another object's name, and the action
// ("creation", "propertyChange", "privacyDeletion"…) of the event, for the
// classic ("contact.creation") and generic ("object.creation" with an
// objectTypeId) subscription types alike.
func (e *webhookEvent) object() (object, action string) {
	kind := e.SubscriptionType
	if kind == "" {
		kind = e.EventType
	}
	object, action, ok := cutDot(string(kind))
	if !ok {
		return "", ""
	}
	if object == "object" {
		switch e.ObjectTypeID {
		case objectTypeContact:
			object = "contact"
		case objectTypeDeal:
			object = "deal"
		default:
			object = "object:" + string(e.ObjectTypeID)
		}
	}
	return object, action
}

func cutDot(s string) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// batchReadRequest is the body of POST /crm/v3/objects/{type}/batch/read.
type batchReadRequest struct {
	Properties []string  `json:"properties"`
	Inputs     []idInput `json:"inputs"`
}

// associationsRequest is the body of POST
// /crm/v4/associations/{from}/{to}/batch/read.
type associationsRequest struct {
	Inputs []idInput `json:"inputs"`
}

// idInput names one record (or one record whose associations are read).
type idInput struct {
	ID string `json:"id"`
}

// batchObjectsResponse is the answer of a batch read or update (200, or 207
// when some inputs failed).
type batchObjectsResponse struct {
	Status  string       `json:"status"`
	Results []crmObject  `json:"results"`
	Errors  []batchError `json:"errors"`
}

// crmObject is one record as the CRM API returns it. Unset properties are
// null.
type crmObject struct {
	ID         flex               `json:"id"`
	Properties map[string]*string `json:"properties"`
}

// batchError is one entry of a batch answer's errors: category
// OBJECT_NOT_FOUND with context.ids for records that do not exist.
type batchError struct {
	Status   string                     `json:"status"`
	Category string                     `json:"category"`
	Message  string                     `json:"message"`
	Context  map[string]json.RawMessage `json:"context"`
}

// contextIDs returns the ids an error's context names (context.ids, or
// context.fromObjectId for associations).
func (e batchError) contextIDs() []string {
	var out []string
	for _, key := range []string{"ids", "fromObjectId"} {
		var ids []flex
		if raw, ok := e.Context[key]; ok && json.Unmarshal(raw, &ids) == nil {
			for _, id := range ids {
				if id != "" {
					out = append(out, string(id))
				}
			}
		}
	}
	return out
}

// associationsResponse is the answer of POST
// /crm/v4/associations/{from}/{to}/batch/read.
type associationsResponse struct {
	Status  string              `json:"status"`
	Results []associationResult `json:"results"`
	Errors  []batchError        `json:"errors"`
}

type associationResult struct {
	From struct {
		ID flex `json:"id"`
	} `json:"from"`
	To []struct {
		ToObjectID flex `json:"toObjectId"`
	} `json:"to"`
}

// batchUpdateRequest is the body of POST
// /crm/v3/objects/contacts/batch/update.
type batchUpdateRequest struct {
	Inputs []updateInput `json:"inputs"`
}

// updateInput updates one record, named by its id or, with IDProperty, by
// the value of a unique property.
type updateInput struct {
	ID         string            `json:"id"`
	IDProperty string            `json:"idProperty,omitempty"`
	Properties map[string]string `json:"properties"`
}

// errorBody is HubSpot's error answer; every field may be missing.
type errorBody struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	CorrelationID string `json:"correlationId"`
	Category      string `json:"category"`
	PolicyName    string `json:"policyName"` // on 429: TEN_SECONDLY_ROLLING, DAILY…
}

// Error categories acted upon.
const (
	categoryObjectNotFound = "OBJECT_NOT_FOUND"
)
