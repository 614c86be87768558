// Package event holds the envelopes that travel between pipeline stages: the
// raw Delivery a connector accepted, the normalized Event a mapping produced,
// and the Outcome the loyalty stage decided.
package event

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Event types produced by mappings.
const (
	TypeOrderPaid      = "order.paid"
	TypeOrderRefunded  = "order.refunded"
	TypeOrderCancelled = "order.cancelled"
	TypeMemberJoined   = "member.joined"
	TypeMessageStatus  = "message.status"
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
	Body       []byte    `json:"-"`
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
	ProviderMessageID string        `json:"provider_message_id"`
	Status            string        `json:"status"` // sent, delivered, read, failed
	Timestamp         time.Time     `json:"timestamp"`
	RecipientID       string        `json:"recipient_id,omitempty"`
	CallbackData      string        `json:"callback_data,omitempty"` // our message key, echoed back
	Errors            []StatusError `json:"errors,omitempty"`
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
	Phone   string `json:"phone"` // E.164
	Name    string `json:"name,omitempty"`
	Balance int64  `json:"balance"`
}
