package cloud

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// Encode renders a command as a Cloud API send request body. 360dialog's
// Cloud API takes the same body.
func Encode(cmd messaging.Command) ([]byte, error) {
	if err := cmd.Validate(); err != nil {
		return nil, err
	}
	req := sendRequest{
		MessagingProduct:      "whatsapp",
		RecipientType:         "individual",
		BizOpaqueCallbackData: cmd.Key,
	}
	if cmd.To != "" {
		to := member.WhatsAppID(cmd.To)
		if !isDigits(to) {
			return nil, fmt.Errorf("recipient %q is not an E.164 phone number", member.MaskPhone(cmd.To))
		}
		req.To = to
	} else {
		req.Recipient = cmd.UserID
	}
	if cmd.ReplyTo != "" {
		req.Context = &replyContext{MessageID: cmd.ReplyTo}
	}
	switch cmd.Kind {
	case messaging.KindTemplate:
		req.Type = "template"
		req.Template = encodeTemplate(cmd.Template)
	case messaging.KindText:
		req.Type = "text"
		req.Text = &text{Body: cmd.Text, PreviewURL: strings.Contains(cmd.Text, "https://")}
	case messaging.KindButtons, messaging.KindList, messaging.KindCTAURL:
		req.Type = "interactive"
		req.Interactive = encodeInteractive(cmd.Kind, cmd.Interactive)
	case messaging.KindImage:
		req.Type = "image"
		req.Image = &media{Link: cmd.Media.Link, Caption: cmd.Media.Caption}
	case messaging.KindDocument:
		req.Type = "document"
		req.Document = &media{Link: cmd.Media.Link, Caption: cmd.Media.Caption, Filename: cmd.Media.Filename}
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding send request: %w", err)
	}
	return b, nil
}

func encodeTemplate(t *messaging.Template) *template {
	out := &template{Name: t.Name, Language: language{Code: t.Language, Policy: "deterministic"}}
	if h := t.Header; h != nil {
		p := parameter{Type: h.Type}
		switch h.Type {
		case messaging.HeaderText:
			p.Text, p.ParameterName = h.Text, h.Name
		case messaging.HeaderImage:
			p.Image = &media{Link: h.Link}
		case messaging.HeaderDocument:
			p.Document = &media{Link: h.Link, Filename: h.Filename}
		case messaging.HeaderVideo:
			p.Video = &media{Link: h.Link}
		}
		out.Components = append(out.Components, component{Type: "header", Parameters: []parameter{p}})
	}
	if len(t.Body) > 0 {
		params := make([]parameter, len(t.Body))
		for i, p := range t.Body {
			params[i] = parameter{Type: "text", Text: p.Text, ParameterName: p.Name}
		}
		out.Components = append(out.Components, component{Type: "body", Parameters: params})
	}
	for _, b := range t.Buttons {
		var p parameter
		switch b.SubType {
		case messaging.ButtonQuickReply:
			p = parameter{Type: "payload", Payload: b.Value}
		case messaging.ButtonCopyCode:
			p = parameter{Type: "coupon_code", CouponCode: b.Value}
		default:
			p = parameter{Type: "text", Text: b.Value}
		}
		out.Components = append(out.Components, component{
			Type: "button", SubType: b.SubType, Index: strconv.Itoa(b.Index), Parameters: []parameter{p},
		})
	}
	return out
}

func encodeInteractive(kind string, in *messaging.Interactive) *interactive {
	out := &interactive{Body: textOnly{Text: in.Body}}
	if in.Footer != "" {
		out.Footer = &textOnly{Text: in.Footer}
	}
	if h := in.Header; h != nil {
		ih := &interactiveHeader{Type: h.Type}
		switch h.Type {
		case messaging.HeaderText:
			ih.Text = h.Text
		case messaging.HeaderImage:
			ih.Image = &media{Link: h.Link}
		case messaging.HeaderDocument:
			ih.Document = &media{Link: h.Link, Filename: h.Filename}
		case messaging.HeaderVideo:
			ih.Video = &media{Link: h.Link}
		}
		out.Header = ih
	}
	switch kind {
	case messaging.KindButtons:
		out.Type = "button"
		for _, b := range in.Buttons {
			out.Action.Buttons = append(out.Action.Buttons, replyButton{Type: "reply", Reply: reply{ID: b.ID, Title: b.Title}})
		}
	case messaging.KindList:
		out.Type = "list"
		out.Action.Button = in.ListButton
		for _, s := range in.Sections {
			sec := section{Title: s.Title}
			for _, r := range s.Rows {
				sec.Rows = append(sec.Rows, row{ID: r.ID, Title: r.Title, Description: r.Description})
			}
			out.Action.Sections = append(out.Action.Sections, sec)
		}
	case messaging.KindCTAURL:
		out.Type = "cta_url"
		out.Action.Name = "cta_url"
		out.Action.Parameters = &ctaURL{DisplayText: in.URLText, URL: in.URL}
	}
	return out
}

// EncodeRead renders a mark-as-read request for an inbound message.
func EncodeRead(messageID string) ([]byte, error) {
	if messageID == "" {
		return nil, fmt.Errorf("marking as read: no message id")
	}
	return json.Marshal(readRequest{MessagingProduct: "whatsapp", Status: "read", MessageID: messageID})
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}
