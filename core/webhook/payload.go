package webhook

import (
	"encoding/json"
	"fmt"
	"time"
)

// Payload is the body of a message as the specification shapes it: the
// outcome's type, when it happened and its data.
type Payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data is what an outcome tells another system.
type Data struct {
	// ID is the outcome's id, the same for every endpoint; EventID the
	// event that caused it.
	ID      string         `json:"id"`
	EventID string         `json:"event_id,omitempty"`
	Tenant  string         `json:"tenant"`
	Member  Member         `json:"member"`
	Outcome map[string]any `json:"outcome"`
}

// Member is the member an outcome is about.
type Member struct {
	ID      string `json:"id,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Name    string `json:"name,omitempty"`
	Balance int64  `json:"balance"`
}

// Encode returns p as the bytes that are signed and sent.
func (p Payload) Encode() ([]byte, error) {
	p.Timestamp = p.Timestamp.UTC()
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encoding webhook payload: %w", err)
	}
	return b, nil
}

// MessageID is the webhook-id of an outcome's message: msg_ and the
// outcome's id. Every attempt and replay of it, to any endpoint, carries
// the same id, by which receivers recognise a message they had.
func MessageID(outcomeID string) string { return "msg_" + outcomeID }
