// Package event holds the envelopes that travel between pipeline stages: the
// raw Delivery a connector accepted, the normalized Event a mapping produced,
// and the Outcome the loyalty stage decided.
package event

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/member"
)

// Event types produced by mappings.
const (
	TypeOrderPaid      = "order.paid"
	TypeOrderRefunded  = "order.refunded"
	TypeOrderCancelled = "order.cancelled"
	TypeMemberJoined   = "member.joined"
	TypeMessageStatus  = "message.status"
	// From a BSP's webhooks, beside message.status.
	TypeMessageReceived = "message.received"
	TypeConsentChanged  = "consent.changed"
	TypeTemplateStatus  = "template.status"
	TypeTemplateQuality = "template.quality"
	TypeNumberQuality   = "number.quality"
	// TypeMessagingLimit is WhatsApp's new messaging limit of a business
	// portfolio (business_capability_update).
	TypeMessagingLimit = "messaging.limit"
	// TypeIdentityChanged is a WhatsApp user's new number or user id, from a system message.
	TypeIdentityChanged = "contact.identity_changed"
	// TypeWebhookError is an error WhatsApp reported for a webhook's value
	// rather than for one message or status (a payload it could not
	// deliver, an app or account problem).
	TypeWebhookError = "webhook.error"
	// From shops, CRMs and POS systems, beside the order events.
	TypeOrderCreated     = "order.created"     // placed, not necessarily paid: no points by itself
	TypeCustomerUpserted = "customer.upserted" // a customer created or changed: the member is created or updated
	TypeCheckoutUpdated  = "checkout.updated"  // a checkout started or changed: an abandoned-cart candidate
	TypePrivacyRedact    = "privacy.redact"    // erase one customer's personal data
	TypePrivacyRequest   = "privacy.data_request"
	TypeShopRedact       = "privacy.shop_redact" // erase the personal data of a shop's customers
)

// Outcome types produced by the loyalty stage.
const (
	OutcomePointsEarned = "points.earned"
)

// Delivery is one request a connector accepted: the raw payload and where it
// came from. It is what the inbound topic carries.
type Delivery struct {
	Tenant     string    `json:"tenant"`
	Connector  string    `json:"connector"`       // connector instance name in the tenant's config
	Kind       string    `json:"kind"`            // connector type, such as "pos_webhook"
	DeliveryID string    `json:"delivery_id"`     // provider's delivery id, or a hash of the body
	Topic      string    `json:"topic,omitempty"` // provider topic when the provider names one
	ReceivedAt time.Time `json:"received_at"`
	// Meta is what the source said of the delivery besides its body (the
	// shop's domain, a setting the mapping needs); mappings see it as
	// $meta.source.
	Meta map[string]string `json:"meta,omitempty"`
	Body []byte            `json:"-"`
}

// Event is a normalized business event. ID is deterministic: the same
// provider object always yields the same ID, which makes every effect of the
// event idempotent.
type Event struct {
	ID         string          `json:"id"`
	Tenant     string          `json:"tenant"`
	Type       string          `json:"type"`
	Connector  string          `json:"connector"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
}

// ID derives a deterministic event id from the tenant, the connector and the
// provider's own id for the object (order id, message id...).
func ID(tenant, connector, providerID string) string {
	return hashID("ev_", tenant, connector, providerID)
}

// ContentID is the hex SHA-256 of b: the id of something known only by
// its bytes (a webhook body, a failed send).
func ContentID(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// DerivedID derives a child id, such as an outcome of an event or a message
// caused by an outcome.
func DerivedID(prefix, parent string, parts ...string) string {
	return hashID(prefix, append([]string{parent}, parts...)...)
}

func hashID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + hex.EncodeToString(h.Sum(nil)[:16])
}

// OrderPaid is the data of an order.paid event. Money amounts are decimal
// strings in the currency's major unit ("257500.00"). Total is what the
// customer paid, net of discounts.
type OrderPaid struct {
	OrderID  string      `json:"order_id"`
	Phone    string      `json:"phone"`
	Email    string      `json:"email,omitempty"`
	Name     string      `json:"name,omitempty"`
	Total    string      `json:"total"`
	Currency string      `json:"currency,omitempty"`
	StoreID  string      `json:"store_id,omitempty"`
	Items    []OrderItem `json:"items,omitempty"`
	// CustomerID is the source's id of the customer, when it has one.
	CustomerID string `json:"customer_id,omitempty"`
	// CheckoutToken links a shop's order to the checkout it completes.
	CheckoutToken string `json:"checkout_token,omitempty"`
	// DiscountCodes are the codes applied to the order.
	DiscountCodes []string `json:"discount_codes,omitempty"`
	ReferralCode  string   `json:"referral_code,omitempty"`
	// Profile is what the source says of the customer beyond identity
	// (store, city, language, tags, attributes), merged into the member's
	// profile (member.MergeProfile).
	Profile *member.Profile `json:"profile,omitempty"`
}

// CustomerUpserted is the data of a customer.upserted event: a customer
// the source created or changed. Phone (any notation; the tenant's region
// applies) names the member; without one the event changes nothing.
type CustomerUpserted struct {
	CustomerID string `json:"customer_id,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Email      string `json:"email,omitempty"`
	Name       string `json:"name,omitempty"`
	Birthday   string `json:"birthday,omitempty"` // "MM-DD" or a date
	// Profile is merged into the member's profile, as OrderPaid's.
	Profile *member.Profile `json:"profile,omitempty"`
}

// CheckoutUpdated is the data of a checkout.updated event: a shop's
// checkout, keyed by its token, which becomes checkout.abandoned when it is
// not completed in time. Total is a decimal string; URL takes the customer
// back to it.
type CheckoutUpdated struct {
	Token     string `json:"token"`
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
	Name      string `json:"name,omitempty"`
	Total     string `json:"total,omitempty"`
	Currency  string `json:"currency,omitempty"`
	URL       string `json:"url,omitempty"`
	Completed bool   `json:"completed,omitempty"`

	// PhoneCountry is the ISO 3166 alpha-2 country of the address the
	// phone came from, read before the tenant's region.
	PhoneCountry string `json:"phone_country,omitempty"`
}

// PrivacyRequest is the data of the privacy events: a shop's request to
// erase (privacy.redact) or report (privacy.data_request) one customer's
// personal data, or to erase a whole shop's (privacy.shop_redact, with
// ShopDomain only).
type PrivacyRequest struct {
	ShopDomain string   `json:"shop_domain,omitempty"`
	CustomerID string   `json:"customer_id,omitempty"`
	Phone      string   `json:"phone,omitempty"`
	Email      string   `json:"email,omitempty"`
	Orders     []string `json:"orders,omitempty"`
	RequestID  string   `json:"request_id,omitempty"`
}

// OrderItem is one order line. Quantity and Price are decimals; Total, when
// present, is the line's amount after its discounts and wins over
// Quantity × Price.
type OrderItem struct {
	SKU      string `json:"sku,omitempty"`
	Name     string `json:"name,omitempty"`
	Category string `json:"category,omitempty"`
	Quantity string `json:"quantity,omitempty"`
	Price    string `json:"price,omitempty"`
	Total    string `json:"total,omitempty"`
}

// OrderRefunded is the data of an order.refunded event: Amount (a decimal)
// of the order was refunded. An order.cancelled event has the same shape
// and takes back the whole order; its Amount is ignored.
type OrderRefunded struct {
	OrderID  string `json:"order_id"`
	RefundID string `json:"refund_id,omitempty"`
	Amount   string `json:"amount,omitempty"`
	Currency string `json:"currency,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// MessageStatus is the data of a message.status event: a BSP's delivery
// report for a message we sent.
type MessageStatus struct {
	ProviderMessageID string    `json:"provider_message_id"`
	Status            string    `json:"status"` // sent, delivered, read, failed
	Timestamp         time.Time `json:"timestamp"`
	RecipientID       string    `json:"recipient_id,omitempty"`
	// RecipientUserID is the business-scoped user id, when the message was
	// sent to one.
	RecipientUserID string `json:"recipient_user_id,omitempty"`
	PricingCategory string `json:"pricing_category,omitempty"`
	// Pricing is what WhatsApp says it charges for the message, when the
	// status carries it.
	Pricing      *Pricing      `json:"pricing,omitempty"`
	CallbackData string        `json:"callback_data,omitempty"` // our message key, echoed back
	Errors       []StatusError `json:"errors,omitempty"`

	// RecipientParentUserID is the recipient's parent business-scoped user
	// id, when WhatsApp gives one.
	RecipientParentUserID string `json:"recipient_parent_user_id,omitempty"`
}

// MessageReceived is the data of a message.received event: a customer's
// message to the business. WAID is the sender's wa_id exactly as WhatsApp
// gave it and Phone is "+" and the same digits, unchecked (the hub derives
// the canonical key from them, member.ParseWhatsAppID); both may be empty
// when WhatsApp withholds the number, and UserID (the business-scoped user
// id) is then set.
type MessageReceived struct {
	MessageID          string          `json:"message_id"`
	Phone              string          `json:"phone,omitempty"`
	WAID               string          `json:"wa_id,omitempty"`
	UserID             string          `json:"user_id,omitempty"`
	ParentUserID       string          `json:"parent_user_id,omitempty"` // the parent business-scoped user id
	Username           string          `json:"username,omitempty"`
	Name               string          `json:"name,omitempty"`
	Type               string          `json:"type"`
	Text               string          `json:"text,omitempty"`
	Reply              *Reply          `json:"reply,omitempty"`
	Flow               *FlowReply      `json:"flow,omitempty"`
	Media              *Media          `json:"media,omitempty"`
	Location           json.RawMessage `json:"location,omitempty"`
	Contacts           json.RawMessage `json:"contacts,omitempty"` // shared contact cards, as WhatsApp gave them
	Reaction           *Reaction       `json:"reaction,omitempty"`
	Order              json.RawMessage `json:"order,omitempty"` // a cart sent from a catalog, as WhatsApp gave it
	Referral           json.RawMessage `json:"referral,omitempty"`
	Context            *ReplyContext   `json:"context,omitempty"`
	GroupID            string          `json:"group_id,omitempty"` // set when written in a group the business is in
	Edit               *MessageRef     `json:"edit,omitempty"`     // the message an edit changes (Text is its new text)
	Revoke             *MessageRef     `json:"revoke,omitempty"`   // the message the customer deleted
	Errors             []StatusError   `json:"errors,omitempty"`
	Timestamp          time.Time       `json:"timestamp"`
	PhoneNumberID      string          `json:"phone_number_id,omitempty"`
	DisplayPhoneNumber string          `json:"display_phone_number,omitempty"`
}

// MessageRef names an earlier message of the customer's: the one an edit
// changes or a revoke deletes.
type MessageRef struct {
	OriginalMessageID string `json:"original_message_id,omitempty"`
}

// Reply is a tapped reply button, list row or template quick-reply button.
type Reply struct {
	Kind        string `json:"kind"` // button_reply, list_reply, quick_reply
	ID          string `json:"id"`   // button or row id, or the quick-reply payload
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}

// FlowReply is a customer's answer to a WhatsApp Flow (an interactive
// nfm_reply): the flow's name, the body WhatsApp shows, and the answers as
// the JSON text the flow returned.
type FlowReply struct {
	Name         string `json:"name,omitempty"`
	Body         string `json:"body,omitempty"`
	ResponseJSON string `json:"response_json,omitempty"`
}

// Reaction is a customer's emoji reaction to a message. An empty Emoji is
// the customer taking their reaction back.
type Reaction struct {
	MessageID string `json:"message_id,omitempty"` // the message reacted to
	Emoji     string `json:"emoji,omitempty"`
}

// Media is an inbound media message's metadata (the file stays at the BSP).
type Media struct {
	ID       string `json:"id,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
	Voice    bool   `json:"voice,omitempty"`
}

// ReplyContext names the message a customer replied to.
type ReplyContext struct {
	ID   string `json:"id,omitempty"`
	From string `json:"from,omitempty"`
	// Forwarded and FrequentlyForwarded mark a message the customer
	// forwarded rather than wrote (frequently: through five chats or more).
	Forwarded           bool `json:"forwarded,omitempty"`
	FrequentlyForwarded bool `json:"frequently_forwarded,omitempty"`
}

// IdentityChanged is the data of a contact.identity_changed event: WhatsApp said a customer
// changed number (user_changed_number) or business-scoped user id (user_changed_user_id).
type IdentityChanged struct {
	Kind               string    `json:"kind"`
	MessageID          string    `json:"message_id,omitempty"`
	OldWAID            string    `json:"old_wa_id,omitempty"`
	NewWAID            string    `json:"new_wa_id,omitempty"`
	OldUserID          string    `json:"old_user_id,omitempty"`
	NewUserID          string    `json:"new_user_id,omitempty"`
	ParentUserID       string    `json:"parent_user_id,omitempty"`
	Body               string    `json:"body,omitempty"`
	Timestamp          time.Time `json:"timestamp"`
	PhoneNumberID      string    `json:"phone_number_id,omitempty"`
	DisplayPhoneNumber string    `json:"display_phone_number,omitempty"`
}

// WebhookError is the data of a webhook.error event: errors WhatsApp put on
// a webhook's value instead of on a message or status.
type WebhookError struct {
	WABAID             string        `json:"waba_id,omitempty"`
	PhoneNumberID      string        `json:"phone_number_id,omitempty"`
	DisplayPhoneNumber string        `json:"display_phone_number,omitempty"`
	Errors             []StatusError `json:"errors"`
	Timestamp          time.Time     `json:"timestamp"`
}

// ConsentChanged is the data of a consent.changed event: a user stopped or
// resumed a category of messages: WhatsApp's marketing_messages, or a
// shop's or CRM's sms_marketing, which counts for WhatsApp only where the
// tenant says so.
type ConsentChanged struct {
	Phone     string    `json:"phone,omitempty"`
	UserID    string    `json:"user_id,omitempty"`
	Category  string    `json:"category"`
	Value     string    `json:"value"` // stop or resume
	Detail    string    `json:"detail,omitempty"`
	Source    string    `json:"source,omitempty"` // where it was given, such as "shopify"
	Timestamp time.Time `json:"timestamp"`

	// PhoneCountry is the ISO 3166 alpha-2 country of the address the
	// phone came from, read before the tenant's default_region.
	PhoneCountry string `json:"phone_country,omitempty"`
}

// Consent categories.
const (
	ConsentMarketingMessages = "marketing_messages" // WhatsApp marketing messages
	ConsentSMSMarketing      = "sms_marketing"      // a shop's or CRM's SMS marketing consent
)

// TemplateStatus is the data of a template.status event.
type TemplateStatus struct {
	WABAID     string `json:"waba_id,omitempty"`
	TemplateID string `json:"template_id,omitempty"`
	Name       string `json:"name"`
	Language   string `json:"language"`
	Event      string `json:"event"` // APPROVED, REJECTED, PAUSED, DISABLED…
	Reason     string `json:"reason,omitempty"`
}

// StatusError is an error reported with a failed status.
type StatusError struct {
	Code    int    `json:"code"`
	Title   string `json:"title,omitempty"`
	Message string `json:"message,omitempty"`
	Details string `json:"details,omitempty"`
}

// Outcome is what the loyalty stage decided for an event, the input of
// notification rules. ID is derived from the event id, so a redelivered event
// yields the same outcome.
type Outcome struct {
	ID         string         `json:"id"`
	Tenant     string         `json:"tenant"`
	Type       string         `json:"type"`
	EventID    string         `json:"event_id"`
	OccurredAt time.Time      `json:"occurred_at"`
	Member     MemberRef      `json:"member"`
	Data       map[string]any `json:"data"`
}

// MemberRef is the part of a member that notifications need.
type MemberRef struct {
	ID      string `json:"id"`
	Phone   string `json:"phone"` // canonical key (member.NormalizePhone); "" for a member without one
	Name    string `json:"name,omitempty"`
	Balance int64  `json:"balance"`
}

// Pricing is a status's pricing: {billable, pricing_model, type, category}.
// billable is slated for removal; type and category say what is charged.
type Pricing struct {
	Billable *bool  `json:"billable,omitempty"`
	Model    string `json:"pricing_model,omitempty"`
	Type     string `json:"type,omitempty"`
	Category string `json:"category,omitempty"`
}

// NumberQuality is the data of a number.quality event: WhatsApp's
// phone_number_quality_update.
type NumberQuality struct {
	WABAID             string `json:"waba_id,omitempty"`
	DisplayPhoneNumber string `json:"display_phone_number,omitempty"`
	Event              string `json:"event,omitempty"`
	CurrentLimit       string `json:"current_limit,omitempty"`
	OldLimit           string `json:"old_limit,omitempty"`
	// MaxDailyConversations is the portfolio's messaging limit, -1
	// unlimited; nil when the payload has none.
	MaxDailyConversations *int `json:"max_daily_conversations_per_business,omitempty"`
}

// MessagingLimit is the data of a messaging.limit event: WhatsApp's
// business_capability_update.
type MessagingLimit struct {
	WABAID                string    `json:"waba_id,omitempty"`
	MaxDailyConversations int       `json:"max_daily_conversations_per_business"`
	Timestamp             time.Time `json:"timestamp,omitzero"`
}

// Writer returns the forms under which an event of a customer's own words
// names them (a message they sent, a marketing consent they changed): the
// phone without its plus, the wa_id and the business-scoped user id, each
// when given. Any other event has no writer.
func Writer(ev Event) []string {
	if ev.Type != TypeMessageReceived && ev.Type != TypeConsentChanged {
		return nil
	}
	var who struct {
		Phone  string `json:"phone"`
		WAID   string `json:"wa_id"`
		UserID string `json:"user_id"`
	}
	if json.Unmarshal(ev.Data, &who) != nil {
		return nil
	}
	var forms []string
	for _, f := range []string{strings.TrimPrefix(who.Phone, "+"), who.WAID, who.UserID} {
		if f != "" {
			forms = append(forms, f)
		}
	}
	return forms
}
