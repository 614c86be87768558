package sandbox

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits Meta enforces on sends.
const (
	maxTextBody     = 4096
	maxCallbackData = 512
	maxReplyButtons = 3
	maxListRows     = 10
	maxButtonTitle  = 20
)

var messageTypes = map[string]bool{
	"text": true, "template": true, "interactive": true, "image": true, "document": true,
	"audio": true, "video": true, "sticker": true, "location": true, "contacts": true, "reaction": true,
}

const messageTypeList = "{AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO}"

// validateEnvelope checks the fields every request shares.
func validateEnvelope(req *sendRequest) *apiError {
	if req.MessagingProduct == nil || *req.MessagingProduct == "" {
		return invalidParameter("The parameter messaging_product is required.")
	}
	if *req.MessagingProduct != "whatsapp" {
		return invalidParameter(fmt.Sprintf("Param messaging_product must be one of {WHATSAPP} - got %q.", *req.MessagingProduct))
	}
	return nil
}

// validateMessage checks a message send; it fills in the default type.
func validateMessage(req *sendRequest) *apiError {
	if req.RecipientType != "" && req.RecipientType != "individual" && req.RecipientType != "group" {
		return invalidParameter(fmt.Sprintf("Param recipient_type must be one of {GROUP, INDIVIDUAL} - got %q.", req.RecipientType))
	}
	switch {
	case req.To == "" && req.Recipient == "":
		return missingParameter("to")
	case req.To != "" && !validPhone(req.To):
		return invalidValue(fmt.Sprintf("Invalid phone number %q: use the country code and digits only.", maskDigits(req.To)))
	}
	if req.Type == "" {
		req.Type = "text" // Meta's default
	}
	if !messageTypes[req.Type] {
		return invalidParameter(fmt.Sprintf("Param type must be one of %s - got %q.", messageTypeList, req.Type))
	}
	if utf8.RuneCountInString(req.BizOpaqueCallbackData) > maxCallbackData {
		return invalidValue(fmt.Sprintf("Param biz_opaque_callback_data must be at most %d characters long.", maxCallbackData))
	}
	if req.Context != nil && req.Context.MessageID == "" {
		return missingParameter("context['message_id']")
	}
	switch req.Type {
	case "text":
		return validateText(req.Text)
	case "template":
		return validateTemplate(req.Template)
	case "interactive":
		return validateInteractive(req.Interactive)
	case "image":
		return validateMedia("image", req.Image)
	case "document":
		return validateMedia("document", req.Document)
	case "audio":
		return validateMedia("audio", req.Audio)
	case "video":
		return validateMedia("video", req.Video)
	case "sticker":
		return validateMedia("sticker", req.Sticker)
	case "location":
		switch {
		case req.Location == nil:
			return missingParameter("location")
		case req.Location.Latitude == nil:
			return missingParameter("location['latitude']")
		case req.Location.Longitude == nil:
			return missingParameter("location['longitude']")
		}
	case "contacts":
		if len(req.Contacts) == 0 {
			return missingParameter("contacts")
		}
	case "reaction":
		if req.Reaction == nil {
			return missingParameter("reaction")
		}
		if req.Reaction.MessageID == "" {
			return missingParameter("reaction['message_id']")
		}
	}
	return nil
}

func validateText(t *textObject) *apiError {
	switch {
	case t == nil:
		return missingParameter("text")
	case t.Body == nil || *t.Body == "":
		return missingParameter("text['body']")
	case utf8.RuneCountInString(*t.Body) > maxTextBody:
		return invalidValue(fmt.Sprintf("Param text['body'] must be at most %d characters long.", maxTextBody))
	}
	return nil
}

var componentTypes = map[string]bool{"header": true, "body": true, "footer": true, "button": true}

var parameterTypes = map[string]bool{
	"text": true, "currency": true, "date_time": true, "image": true, "document": true, "video": true,
	"location": true, "payload": true, "coupon_code": true, "action": true,
}

func validateTemplate(t *templateObject) *apiError {
	switch {
	case t == nil:
		return missingParameter("template")
	case t.Name == "":
		return missingParameter("template['name']")
	case t.Language == nil:
		return missingParameter("template['language']")
	case t.Language.Code == "":
		return missingParameter("template['language']['code']")
	case t.Language.Policy != "" && t.Language.Policy != "deterministic":
		return invalidValue(fmt.Sprintf("Param template['language']['policy'] must be deterministic - got %q.", t.Language.Policy))
	}
	for i, c := range t.Components {
		at := fmt.Sprintf("template['components'][%d]", i)
		if c.Type == "" {
			return missingParameter(at + "['type']")
		}
		if !componentTypes[strings.ToLower(c.Type)] {
			return invalidValue(fmt.Sprintf("Param %s['type'] must be one of {BODY, BUTTON, FOOTER, HEADER} - got %q.", at, c.Type))
		}
		if strings.EqualFold(c.Type, "button") {
			if c.SubType == "" {
				return missingParameter(at + "['sub_type']")
			}
			if len(c.Index) == 0 {
				return missingParameter(at + "['index']")
			}
		}
		for j, p := range c.Parameters {
			pat := fmt.Sprintf("%s['parameters'][%d]", at, j)
			if p.Type == "" {
				return missingParameter(pat + "['type']")
			}
			if !parameterTypes[p.Type] {
				return invalidValue(fmt.Sprintf("Param %s['type'] is not a valid parameter type - got %q.", pat, p.Type))
			}
			if e := validateParameter(pat, p); e != nil {
				return e
			}
		}
	}
	return nil
}

func validateParameter(at string, p templateParameter) *apiError {
	missing := false
	switch p.Type {
	case "text":
		missing = p.Text == nil
	case "payload":
		missing = p.Payload == nil
	case "currency":
		missing = len(p.Currency) == 0
	case "date_time":
		missing = len(p.DateTime) == 0
	case "image":
		missing = p.Image == nil || (p.Image.ID == "" && p.Image.Link == "")
	case "document":
		missing = p.Document == nil || (p.Document.ID == "" && p.Document.Link == "")
	case "video":
		missing = p.Video == nil || (p.Video.ID == "" && p.Video.Link == "")
	case "location":
		missing = p.Location == nil
	case "coupon_code":
		missing = p.CouponCode == nil
	}
	if missing {
		return missingParameter(fmt.Sprintf("%s['%s']", at, p.Type))
	}
	if p.Type == "text" {
		return validateParamText(at, *p.Text)
	}
	return nil
}

// validateParamText refuses a template's text parameter as Meta does: an
// empty one with 100 ("Parameter 'text' is mandatory"), one with a line
// break, a tab or more than four consecutive spaces with 132018.
func validateParamText(at, text string) *apiError {
	switch {
	case text == "":
		e := invalidParameter("Invalid parameter")
		e.details = fmt.Sprintf("Parameter 'text' is mandatory for component parameter type 'text' (%s)", at)
		return e
	case strings.ContainsAny(text, "\n\t") || strings.Contains(text, "     "):
		return codeError(132018, fmt.Sprintf("Param %s['text'] cannot have new-line/tab characters or more than 4 consecutive spaces", at))
	}
	return nil
}

func validateInteractive(in *interactiveObj) *apiError {
	if in == nil {
		return missingParameter("interactive")
	}
	if in.Type == "" {
		return missingParameter("interactive['type']")
	}
	switch in.Type {
	case "button", "list", "cta_url", "product", "product_list", "flow", "location_request_message", "address_message", "catalog_message":
	default:
		return invalidValue(fmt.Sprintf("Param interactive['type'] is not a valid interactive type - got %q.", in.Type))
	}
	if in.Type == "button" || in.Type == "list" || in.Type == "cta_url" {
		if in.Body == nil || in.Body.Text == "" {
			return missingParameter("interactive['body']['text']")
		}
		if in.Action == nil {
			return missingParameter("interactive['action']")
		}
	}
	switch in.Type {
	case "button":
		n := len(in.Action.Buttons)
		if n == 0 {
			return missingParameter("interactive['action']['buttons']")
		}
		if n > maxReplyButtons {
			return invalidValue(fmt.Sprintf("Param interactive['action']['buttons'] must have at most %d items.", maxReplyButtons))
		}
		for i, b := range in.Action.Buttons {
			if b.Reply.ID == "" || b.Reply.Title == "" {
				return missingParameter(fmt.Sprintf("interactive['action']['buttons'][%d]['reply']", i))
			}
			if utf8.RuneCountInString(b.Reply.Title) > maxButtonTitle {
				return invalidValue(fmt.Sprintf("Param interactive['action']['buttons'][%d]['reply']['title'] must be at most %d characters long.", i, maxButtonTitle))
			}
		}
	case "list":
		if in.Action.Button == "" {
			return missingParameter("interactive['action']['button']")
		}
		rows := 0
		for _, s := range in.Action.Sections {
			rows += len(s.Rows)
		}
		if len(in.Action.Sections) == 0 || rows == 0 {
			return missingParameter("interactive['action']['sections']")
		}
		if rows > maxListRows {
			return invalidValue(fmt.Sprintf("Total row count exceed max allowed count: %d", maxListRows))
		}
	}
	return nil
}

func validateMedia(kind string, m *mediaObject) *apiError {
	switch {
	case m == nil:
		return missingParameter(kind)
	case m.ID == "" && m.Link == "":
		return missingParameter(kind + "['link'] or " + kind + "['id']")
	case m.ID != "" && m.Link != "":
		return invalidValue(fmt.Sprintf("Param %s must have either link or id, not both.", kind))
	}
	return nil
}

// validPhone reports whether to is a phone number in international form:
// an optional plus sign and 6 to 15 digits.
func validPhone(to string) bool {
	d := strings.TrimPrefix(to, "+")
	if len(d) < 6 || len(d) > 15 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// maskDigits hides all but the last three characters, for logs and errors.
func maskDigits(p string) string {
	if len(p) <= 3 {
		return "***"
	}
	return strings.Repeat("*", len(p)-3) + p[len(p)-3:]
}
