package messaging

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Template statuses, as WhatsApp reports them (upper case).
const (
	TemplateApproved = "APPROVED"
	TemplatePending  = "PENDING"
	TemplateRejected = "REJECTED"
	TemplatePaused   = "PAUSED"
	TemplateDisabled = "DISABLED"
)

// TemplateInfo is one template of a WhatsApp Business Account, in one
// language, as the BSP lists it: what a message using it must supply.
type TemplateInfo struct {
	Name     string `json:"name"`
	Language string `json:"language"`
	// Category is lower case: marketing, utility or authentication.
	Category string `json:"category"`
	// Status is upper case: APPROVED, PENDING, REJECTED, PAUSED, DISABLED…
	Status string `json:"status"`
	// Named is true for templates with named parameters ({{first_name}}).
	Named bool `json:"named,omitempty"`
	// HeaderFormat is TEXT, IMAGE, DOCUMENT, VIDEO or LOCATION, or empty
	// for no header.
	HeaderFormat string `json:"header_format,omitempty"`
	// HeaderParams lists the header's text parameters: names, or "1".
	HeaderParams []string `json:"header_params,omitempty"`
	// BodyParams lists the body's parameters: names for a named template,
	// "1", "2"… for a positional one.
	BodyParams []string `json:"body_params,omitempty"`
	// Buttons are the template's buttons in order.
	Buttons []TemplateButton `json:"buttons,omitempty"`
}

// TemplateButton is one button of a listed template.
type TemplateButton struct {
	// Type is WhatsApp's upper-case button type: QUICK_REPLY, URL,
	// COPY_CODE, PHONE_NUMBER, FLOW…
	Type string `json:"type"`
	// Dynamic is true when the button takes a parameter: a URL with a
	// {{1}} suffix, or a code to copy.
	Dynamic bool `json:"dynamic,omitempty"`
}

// TemplateLister is implemented by senders that can list their account's
// templates. Templates returns every template in every language; an error
// wrapping ErrTemplatesUnavailable means this sender's configuration does
// not allow listing (templates are then not checked).
type TemplateLister interface {
	Templates(ctx context.Context) ([]TemplateInfo, error)
}

// ErrTemplatesUnavailable says a sender cannot list its templates as
// configured.
var ErrTemplatesUnavailable = errors.New("template listing not configured")

// WithStatus returns a copy of the catalog where the template of that name
// and language has a new status; the copy is unchanged when it is unknown.
func (c *Catalog) WithStatus(name, lang, status string) *Catalog {
	out := &Catalog{byKey: make(map[string]TemplateInfo, c.Len())}
	if c != nil {
		for k, v := range c.byKey {
			out.byKey[k] = v
		}
	}
	if t, ok := out.byKey[catalogKey(name, lang)]; ok {
		t.Status = status
		out.byKey[catalogKey(name, lang)] = t
	}
	return out
}

// Template check failures; each carries WhatsApp's error code for the same
// refusal, so a message refused here and one refused by WhatsApp are
// handled alike.
const (
	CodeTemplateParams   = "132000" // parameter count or kind does not match
	CodeTemplateMissing  = "132001" // no such template in that language, or not approved
	CodeTemplateFormat   = "132012" // parameter format does not match
	CodeTemplatePaused   = "132015"
	CodeTemplateDisabled = "132016"
)

// TemplateError is a template message that does not fit the account's
// template.
type TemplateError struct {
	Code string // one of the CodeTemplate… values
	Msg  string
}

func (e *TemplateError) Error() string { return e.Msg + " (" + e.Code + ")" }

// Catalog holds an account's templates by name and language.
type Catalog struct {
	byKey map[string]TemplateInfo
}

// NewCatalog indexes templates; a later duplicate replaces an earlier one.
func NewCatalog(ts []TemplateInfo) *Catalog {
	c := &Catalog{byKey: make(map[string]TemplateInfo, len(ts))}
	for _, t := range ts {
		c.byKey[catalogKey(t.Name, t.Language)] = t
	}
	return c
}

func catalogKey(name, lang string) string { return name + "\x00" + lang }

// Lookup returns the template of that name and language.
func (c *Catalog) Lookup(name, lang string) (TemplateInfo, bool) {
	if c == nil {
		return TemplateInfo{}, false
	}
	t, ok := c.byKey[catalogKey(name, lang)]
	return t, ok
}

// Len is the number of templates held.
func (c *Catalog) Len() int {
	if c == nil {
		return 0
	}
	return len(c.byKey)
}

// All returns the templates sorted by name, then language.
func (c *Catalog) All() []TemplateInfo {
	if c == nil {
		return nil
	}
	out := make([]TemplateInfo, 0, len(c.byKey))
	for _, t := range c.byKey {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b TemplateInfo) int {
		if n := strings.Compare(a.Name, b.Name); n != 0 {
			return n
		}
		return strings.Compare(a.Language, b.Language)
	})
	return out
}

// Languages lists the languages a template name exists in.
func (c *Catalog) Languages(name string) []string {
	var out []string
	for _, t := range c.All() {
		if t.Name == name {
			out = append(out, t.Language)
		}
	}
	return out
}

// Check reports whether a template message fits the catalog: the template
// exists in that language, is approved, and the message gives exactly the
// parameters it takes. The error is a *TemplateError.
func (c *Catalog) Check(t *Template) error {
	info, ok := c.Lookup(t.Name, t.Language)
	if !ok {
		msg := fmt.Sprintf("template %q does not exist in language %q", t.Name, t.Language)
		if langs := c.Languages(t.Name); len(langs) > 0 {
			msg += fmt.Sprintf(" (it exists in %s)", strings.Join(langs, ", "))
		}
		return &TemplateError{Code: CodeTemplateMissing, Msg: msg}
	}
	return info.Fits(t)
}

// Fits reports whether a template message supplies what this template
// takes. The error is a *TemplateError.
func (info TemplateInfo) Fits(t *Template) error {
	name := fmt.Sprintf("template %q (%s)", info.Name, info.Language)
	switch info.Status {
	case TemplateApproved:
	case TemplatePaused:
		return &TemplateError{Code: CodeTemplatePaused, Msg: name + " is paused"}
	case TemplateDisabled:
		return &TemplateError{Code: CodeTemplateDisabled, Msg: name + " is disabled"}
	default:
		return &TemplateError{Code: CodeTemplateMissing, Msg: fmt.Sprintf("%s is not approved: its status is %s", name, info.Status)}
	}
	if len(info.BodyParams) > 0 || len(t.Body) > 0 {
		if info.Named != t.Named() && len(t.Body) > 0 {
			want := "positional"
			if info.Named {
				want = "named"
			}
			return &TemplateError{Code: CodeTemplateFormat, Msg: fmt.Sprintf("%s takes %s parameters", name, want)}
		}
	}
	if len(t.Body) != len(info.BodyParams) {
		return &TemplateError{Code: CodeTemplateParams, Msg: fmt.Sprintf("%s takes %d body parameters, the message gives %d", name, len(info.BodyParams), len(t.Body))}
	}
	if info.Named {
		for _, p := range t.Body {
			if !slices.Contains(info.BodyParams, p.Name) {
				return &TemplateError{Code: CodeTemplateParams, Msg: fmt.Sprintf("%s has no body parameter %q (it has %s)", name, p.Name, strings.Join(info.BodyParams, ", "))}
			}
		}
	}
	if err := info.fitsHeader(name, t.Header); err != nil {
		return err
	}
	given := map[int]Button{}
	for _, b := range t.Buttons {
		given[b.Index] = b
	}
	for i, b := range info.Buttons {
		g, ok := given[i]
		delete(given, i)
		switch {
		case b.Dynamic && !ok:
			return &TemplateError{Code: CodeTemplateParams, Msg: fmt.Sprintf("%s: button %d (%s) needs a parameter", name, i, b.Type)}
		case !ok:
		case !buttonFits(b.Type, g.SubType):
			return &TemplateError{Code: CodeTemplateParams, Msg: fmt.Sprintf("%s: button %d is %s, the message gives a %s parameter", name, i, b.Type, g.SubType)}
		case !b.Dynamic && g.SubType != ButtonQuickReply:
			return &TemplateError{Code: CodeTemplateParams, Msg: fmt.Sprintf("%s: button %d (%s) takes no parameter", name, i, b.Type)}
		}
	}
	for i := range given {
		return &TemplateError{Code: CodeTemplateParams, Msg: fmt.Sprintf("%s has no button %d", name, i)}
	}
	return nil
}

func (info TemplateInfo) fitsHeader(name string, h *Header) error {
	switch info.HeaderFormat {
	case "TEXT":
		if len(info.HeaderParams) == 0 {
			if h != nil {
				return &TemplateError{Code: CodeTemplateParams, Msg: name + "'s header takes no parameter"}
			}
			return nil
		}
		if h == nil || h.Type != HeaderText {
			return &TemplateError{Code: CodeTemplateParams, Msg: name + "'s header needs a text parameter"}
		}
	case "IMAGE", "DOCUMENT", "VIDEO":
		if h == nil || !strings.EqualFold(h.Type, info.HeaderFormat) {
			return &TemplateError{Code: CodeTemplateParams, Msg: fmt.Sprintf("%s's header needs a %s link", name, strings.ToLower(info.HeaderFormat))}
		}
	case "":
		if h != nil {
			return &TemplateError{Code: CodeTemplateParams, Msg: name + " has no header"}
		}
	}
	return nil
}

func buttonFits(kind, subType string) bool {
	switch kind {
	case "URL":
		return subType == ButtonURL
	case "COPY_CODE":
		return subType == ButtonCopyCode
	case "QUICK_REPLY":
		return subType == ButtonQuickReply
	}
	return false
}

var templateVar = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// TemplateVars lists the distinct {{…}} variables of a template text in the
// order they first appear.
func TemplateVars(text string) []string {
	var out []string
	for _, m := range templateVar.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}
