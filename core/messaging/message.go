// Package messaging is the outbound message model: the commands the notify
// stage produces and the send stage hands to a BSP connector.
package messaging

import "errors"

// Kinds of outbound message.
const (
	KindTemplate = "template"
	KindText     = "text"
)

// Categories, as WhatsApp bills and polices them.
const (
	CategoryUtility   = "utility"
	CategoryMarketing = "marketing"
	CategoryService   = "service"
)

// Command asks the send stage to deliver one message. Key is deterministic
// (derived from the outcome and the notification rule), so a redelivered
// command is recognised and never sent twice.
type Command struct {
	Key       string    `json:"key"`
	Tenant    string    `json:"tenant"`
	Sender    string    `json:"sender"` // connector instance name of the tenant's BSP
	MemberID  string    `json:"member_id,omitempty"`
	To        string    `json:"to"` // E.164
	Kind      string    `json:"kind"`
	Category  string    `json:"category"`
	Template  *Template `json:"template,omitempty"`
	Text      string    `json:"text,omitempty"`
	OutcomeID string    `json:"outcome_id,omitempty"`
	Rule      string    `json:"rule,omitempty"` // notification rule that produced it
}

// Template is an approved WhatsApp template with its positional body
// parameters.
type Template struct {
	Name       string   `json:"name"`
	Language   string   `json:"language"`
	BodyParams []string `json:"body_params,omitempty"`
}

// Validate checks the command is complete enough to send.
func (c Command) Validate() error {
	switch {
	case c.Key == "":
		return errors.New("message has no idempotency key")
	case c.To == "":
		return errors.New("message has no recipient")
	}
	switch c.Kind {
	case KindTemplate:
		if c.Template == nil || c.Template.Name == "" || c.Template.Language == "" {
			return errors.New("template message needs a template name and language")
		}
	case KindText:
		if c.Text == "" {
			return errors.New("text message has no body")
		}
	default:
		return errors.New("unknown message kind " + c.Kind)
	}
	return nil
}

// Result is a BSP's answer to an accepted send.
type Result struct {
	ProviderMessageID string `json:"provider_message_id"` // the wamid
	WaID              string `json:"wa_id,omitempty"`
}
