// Package messaging is the outbound message model: the commands the notify
// stage produces and the send stage hands to a BSP connector, and the send
// decision (Decide) that applies a tenant's messaging policy to each one.
package messaging

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of outbound message.
const (
	KindTemplate = "template" // an approved template: the only kind allowed outside the 24-hour window
	KindText     = "text"
	KindButtons  = "buttons"  // interactive reply buttons
	KindList     = "list"     // interactive list
	KindCTAURL   = "cta_url"  // interactive call-to-action URL button
	KindImage    = "image"    // image by link
	KindDocument = "document" // document by link
)

// FreeForm reports whether a kind is a session message, allowed only inside
// the customer's 24-hour window.
func FreeForm(kind string) bool { return kind != KindTemplate }

// Categories, as WhatsApp bills and polices them.
const (
	CategoryUtility        = "utility"
	CategoryMarketing      = "marketing"
	CategoryAuthentication = "authentication"
	CategoryService        = "service"
)

// Limits WhatsApp sets on outbound messages.
const (
	MaxTextBody        = 4096
	MaxInteractiveBody = 1024
	MaxFooter          = 60
	MaxHeaderText      = 60
	MaxReplyButtons    = 3
	MaxButtonTitle     = 20
	MaxButtonID        = 256
	MaxListRows        = 10
	MaxListSections    = 10
	MaxRowID           = 200
	MaxRowTitle        = 24
	MaxRowDescription  = 72
	MaxSectionTitle    = 24
	MaxCaption         = 1024
	MaxTemplateButtons = 10
	MaxTemplateParam   = 1024
	MaxCallbackData    = 512
)

// Command asks the send stage to deliver one message. Key is deterministic
// (derived from the outcome and the notification rule, or from the inbound
// message a reply answers), so a redelivered command is recognised and never
// sent twice.
type Command struct {
	Key      string `json:"key"`
	Tenant   string `json:"tenant"`
	Sender   string `json:"sender"` // connector instance name of the tenant's BSP
	MemberID string `json:"member_id,omitempty"`
	// To is the recipient's phone number in international form ("+" and
	// digits): a member's canonical key (member.NormalizePhone), or the
	// wa_id WhatsApp gave for the person after a plus. It may be empty
	// when UserID is set.
	To string `json:"to,omitempty"`
	// UserID is the recipient's business-scoped user id, used when there
	// is no phone number.
	UserID   string `json:"user_id,omitempty"`
	Kind     string `json:"kind"`
	Category string `json:"category"`
	// ReplyTo quotes an earlier message (its provider message id).
	ReplyTo     string       `json:"reply_to,omitempty"`
	Template    *Template    `json:"template,omitempty"`
	Text        string       `json:"text,omitempty"` // the body of a text message
	Interactive *Interactive `json:"interactive,omitempty"`
	Media       *Media       `json:"media,omitempty"`
	// Fallback is sent instead when the BSP refuses a free-form message
	// because the 24-hour window is closed.
	Fallback *Template `json:"fallback,omitempty"`
	// WindowOnly marks a free-form message only worth sending inside the
	// customer's 24-hour window (a survey's invitation): outside it,
	// without a fallback, it is skipped (CodeWindowClosed) instead of held
	// for an operator.
	WindowOnly bool   `json:"window_only,omitempty"`
	OutcomeID  string `json:"outcome_id,omitempty"`
	Rule       string `json:"rule,omitempty"` // notification rule that produced it
	// Origin is what wrote the message, kept in the message log for
	// analytics: RuleOrigin of a notification rule, OriginChat,
	// OriginAgent.
	Origin string `json:"origin,omitempty"`
	// NotBefore, when set, is the earliest the message is sent: the
	// outbox holds it until then.
	NotBefore time.Time `json:"not_before,omitzero"`

	fitted int // texts Render changed to fit WhatsApp's limits
}

// Origins of messages other than notification rules'.
const (
	OriginChat  = "chat"  // the chatbot's replies and its notices
	OriginAgent = "agent" // a person's reply from the admin API during a handoff
)

// RuleOrigin is the origin of the messages of notification rule name.
func RuleOrigin(name string) string { return "rule:" + name }

// Template is an approved WhatsApp template with its parameters.
type Template struct {
	Name     string `json:"name"`
	Language string `json:"language"`
	// Header is the header's parameter, for templates whose header has one.
	Header *Header `json:"header,omitempty"`
	// Body holds the body parameters in order. A template with named
	// parameters gives each one its name; a positional template none.
	Body    []Param  `json:"body,omitempty"`
	Buttons []Button `json:"buttons,omitempty"`
}

// Named reports whether the template uses named parameters.
func (t *Template) Named() bool {
	for _, p := range t.Body {
		if p.Name != "" {
			return true
		}
	}
	return t.Header != nil && t.Header.Type == HeaderText && t.Header.Name != ""
}

// Param is one text parameter.
type Param struct {
	Name string `json:"name,omitempty"` // for named templates: lower case letters, digits and _
	Text string `json:"text"`
}

// Positional returns positional text parameters.
func Positional(texts ...string) []Param {
	if len(texts) == 0 {
		return nil
	}
	out := make([]Param, len(texts))
	for i, t := range texts {
		out[i] = Param{Text: t}
	}
	return out
}

// Header types.
const (
	HeaderText     = "text"
	HeaderImage    = "image"
	HeaderDocument = "document"
	HeaderVideo    = "video"
)

// Header is a template's or interactive message's header: text, or media
// by link.
type Header struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	Name     string `json:"name,omitempty"` // a named template's header parameter
	Link     string `json:"link,omitempty"`
	Filename string `json:"filename,omitempty"` // documents
}

// Template button sub-types.
const (
	ButtonQuickReply = "quick_reply" // Value is the payload returned when tapped
	ButtonURL        = "url"         // Value is appended to the template's base URL
	ButtonCopyCode   = "copy_code"   // Value is the code copied
)

// Button is the parameter of one of a template's buttons.
type Button struct {
	Index   int    `json:"index"` // position of the button in the template, from 0
	SubType string `json:"sub_type"`
	Value   string `json:"value"`
}

// Interactive is the content of a buttons, list or CTA URL message.
type Interactive struct {
	Header  *Header       `json:"header,omitempty"`
	Body    string        `json:"body"`
	Footer  string        `json:"footer,omitempty"`
	Buttons []ReplyButton `json:"buttons,omitempty"` // KindButtons
	// ListButton labels the button that opens a list (KindList).
	ListButton string    `json:"list_button,omitempty"`
	Sections   []Section `json:"sections,omitempty"` // KindList
	// URL and URLText are the call-to-action button (KindCTAURL).
	URL     string `json:"url,omitempty"`
	URLText string `json:"url_text,omitempty"`
}

// ReplyButton is one reply button; its ID comes back when tapped.
type ReplyButton struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Section groups rows of a list.
type Section struct {
	Title string `json:"title,omitempty"`
	Rows  []Row  `json:"rows"`
}

// Row is one choice of a list; its ID comes back when chosen.
type Row struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Media is an image or document by link.
type Media struct {
	Link     string `json:"link"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"` // documents
}

var paramNamePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Validate checks the command is complete and within WhatsApp's limits.
func (c Command) Validate() error {
	switch {
	case c.Key == "":
		return errors.New("message has no idempotency key")
	case c.To == "" && c.UserID == "":
		return errors.New("message has no recipient")
	case utf8.RuneCountInString(c.Key) > MaxCallbackData:
		return fmt.Errorf("idempotency key is longer than %d characters", MaxCallbackData)
	}
	switch c.Kind {
	case KindTemplate:
		if err := c.Template.validate("template"); err != nil {
			return err
		}
	case KindText:
		if err := checkText("text", c.Text, MaxTextBody, true); err != nil {
			return err
		}
	case KindButtons, KindList, KindCTAURL:
		if err := c.Interactive.validate(c.Kind); err != nil {
			return err
		}
	case KindImage, KindDocument:
		if err := c.Media.validate(c.Kind); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown message kind %q", c.Kind)
	}
	if c.Fallback != nil {
		if !FreeForm(c.Kind) {
			return errors.New("fallback: only a free-form message can have a fallback template")
		}
		if err := c.Fallback.validate("fallback"); err != nil {
			return err
		}
	}
	return nil
}

func (t *Template) validate(at string) error {
	if t == nil || t.Name == "" || t.Language == "" {
		return fmt.Errorf("%s: a template message needs a template name and language", at)
	}
	named := t.Named()
	seen := map[string]bool{}
	checkName := func(where, name string) error {
		switch {
		case named && name == "":
			return fmt.Errorf("%s: a template with named parameters needs a name for every parameter", where)
		case !named:
			return nil
		case !paramNamePattern.MatchString(name):
			return fmt.Errorf("%s: parameter name %q must be lower case letters, digits and _", where, name)
		case seen[name]:
			return fmt.Errorf("%s: parameter name %q is used twice", where, name)
		}
		seen[name] = true
		return nil
	}
	if h := t.Header; h != nil {
		where := at + ".header"
		if h.Type == HeaderText {
			if err := checkName(where, h.Name); err != nil {
				return err
			}
			if err := checkText(where, h.Text, MaxHeaderText, true); err != nil {
				return err
			}
		} else if err := h.validate(where); err != nil {
			return err
		}
	}
	for i, p := range t.Body {
		where := fmt.Sprintf("%s.body[%d]", at, i)
		if err := checkName(where, p.Name); err != nil {
			return err
		}
		if err := checkText(where, p.Text, MaxTemplateParam, false); err != nil {
			return err
		}
	}
	if len(t.Buttons) > MaxTemplateButtons {
		return fmt.Errorf("%s.buttons: at most %d buttons", at, MaxTemplateButtons)
	}
	indexes := map[int]bool{}
	for i, b := range t.Buttons {
		where := fmt.Sprintf("%s.buttons[%d]", at, i)
		switch {
		case b.Index < 0 || b.Index >= MaxTemplateButtons:
			return fmt.Errorf("%s: index must be 0 to %d, got %d", where, MaxTemplateButtons-1, b.Index)
		case indexes[b.Index]:
			return fmt.Errorf("%s: index %d is given twice", where, b.Index)
		}
		indexes[b.Index] = true
		switch b.SubType {
		case ButtonQuickReply, ButtonURL, ButtonCopyCode:
			if err := checkText(where, b.Value, MaxTemplateParam, true); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: sub_type must be quick_reply, url or copy_code, got %q", where, b.SubType)
		}
	}
	return nil
}

func (h *Header) validate(at string) error {
	switch h.Type {
	case HeaderText:
		return checkText(at, h.Text, MaxHeaderText, true)
	case HeaderImage, HeaderDocument, HeaderVideo:
		return checkLink(at, h.Link)
	default:
		return fmt.Errorf("%s: type must be text, image, document or video, got %q", at, h.Type)
	}
}

func (in *Interactive) validate(kind string) error {
	at := kind
	if in == nil {
		return fmt.Errorf("%s: the message has no interactive content", at)
	}
	if err := checkText(at+".body", in.Body, MaxInteractiveBody, true); err != nil {
		return err
	}
	if err := checkText(at+".footer", in.Footer, MaxFooter, false); err != nil {
		return err
	}
	if in.Header != nil {
		if err := in.Header.validate(at + ".header"); err != nil {
			return err
		}
	}
	switch kind {
	case KindButtons:
		if len(in.Buttons) == 0 || len(in.Buttons) > MaxReplyButtons {
			return fmt.Errorf("%s.buttons: 1 to %d reply buttons, got %d", at, MaxReplyButtons, len(in.Buttons))
		}
		ids, titles := map[string]bool{}, map[string]bool{}
		for i, b := range in.Buttons {
			where := fmt.Sprintf("%s.buttons[%d]", at, i)
			if err := checkText(where+".id", b.ID, MaxButtonID, true); err != nil {
				return err
			}
			if err := checkText(where+".title", b.Title, MaxButtonTitle, true); err != nil {
				return err
			}
			if ids[b.ID] || titles[b.Title] {
				return fmt.Errorf("%s: ids and titles must be unique in the message", where)
			}
			ids[b.ID], titles[b.Title] = true, true
		}
	case KindList:
		if err := checkText(at+".list_button", in.ListButton, MaxButtonTitle, true); err != nil {
			return err
		}
		if len(in.Sections) == 0 || len(in.Sections) > MaxListSections {
			return fmt.Errorf("%s.sections: 1 to %d sections, got %d", at, MaxListSections, len(in.Sections))
		}
		rows := 0
		ids := map[string]bool{}
		for i, s := range in.Sections {
			where := fmt.Sprintf("%s.sections[%d]", at, i)
			if err := checkText(where+".title", s.Title, MaxSectionTitle, len(in.Sections) > 1); err != nil {
				return err
			}
			if len(s.Rows) == 0 {
				return fmt.Errorf("%s.rows: a section needs at least one row", where)
			}
			for j, r := range s.Rows {
				rw := fmt.Sprintf("%s.rows[%d]", where, j)
				if err := checkText(rw+".id", r.ID, MaxRowID, true); err != nil {
					return err
				}
				if ids[r.ID] {
					return fmt.Errorf("%s.id: %q is used twice", rw, r.ID)
				}
				ids[r.ID] = true
				if err := checkText(rw+".title", r.Title, MaxRowTitle, true); err != nil {
					return err
				}
				if err := checkText(rw+".description", r.Description, MaxRowDescription, false); err != nil {
					return err
				}
			}
			rows += len(s.Rows)
		}
		if rows > MaxListRows {
			return fmt.Errorf("%s.sections: at most %d rows in all, got %d", at, MaxListRows, rows)
		}
	case KindCTAURL:
		if err := checkText(at+".url_text", in.URLText, MaxButtonTitle, true); err != nil {
			return err
		}
		if err := checkLink(at+".url", in.URL); err != nil {
			return err
		}
	}
	return nil
}

func (m *Media) validate(kind string) error {
	if m == nil {
		return fmt.Errorf("%s: the message has no media", kind)
	}
	if err := checkLink(kind+".link", m.Link); err != nil {
		return err
	}
	return checkText(kind+".caption", m.Caption, MaxCaption, false)
}

func checkText(at, s string, maxRunes int, required bool) error {
	n := utf8.RuneCountInString(s)
	switch {
	case required && s == "":
		return fmt.Errorf("%s: required", at)
	case n > maxRunes:
		return fmt.Errorf("%s: at most %d characters, got %d", at, maxRunes, n)
	}
	return nil
}

func checkLink(at, link string) error {
	u, err := url.Parse(link)
	if link == "" {
		return fmt.Errorf("%s: a link is required", at)
	}
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s: %q is not an http or https URL", at, link)
	}
	return nil
}

// Result is a BSP's answer to an accepted send.
type Result struct {
	ProviderMessageID string `json:"provider_message_id"` // the wamid
	WaID              string `json:"wa_id,omitempty"`
	UserID            string `json:"user_id,omitempty"` // the recipient's business-scoped user id, when the BSP reports it
}

// FallbackKey is the idempotency key of the fallback template sent for the
// free-form message with key when the BSP reports, after accepting it, that
// the customer's window had closed. It is derived, so that sending it is as
// idempotent as the message itself.
func FallbackKey(key string) string { return key + "~fallback" }

// ResendKey is the idempotency key under which a free-form message the BSP
// refused after accepting it, with no fallback template, may be sent again
// (from the dead letter that keeps it).
func ResendKey(key string) string { return key + "~resend" }

// retrySuffix marks the key of a message sent again after Meta's
// ecosystem limit (131049).
const retrySuffix = "~retry"

// EcosystemRetry is the message to send again after WhatsApp did not
// deliver c to maintain healthy ecosystem engagement (131049, a
// per-person limit on marketing): the same message under a key of its
// own, not before EcosystemHold from now. A retry is not retried again:
// ok is false for one.
func (c Command) EcosystemRetry(now time.Time) (retry Command, ok bool) {
	if strings.HasSuffix(c.Key, retrySuffix) {
		return Command{}, false
	}
	c.Key += retrySuffix
	// A minute past the hold, so that the retry does not find the
	// recipient still held (the hold starts when the refusal is read).
	c.NotBefore = now.Add(EcosystemHold + time.Minute)
	c.fitted = 0
	return c, true
}
