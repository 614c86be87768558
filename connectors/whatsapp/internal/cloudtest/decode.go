// Package cloudtest helps test the connectors that speak the Cloud API wire
// protocol: an httptest fake of the send endpoint, an adapter that runs the
// sender conformance suite against the sandbox, and a decoder that reads a
// send request back into the message model.
package cloudtest

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/loyalhub/loyalhub/connectors/sendertest"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// Decode reads a Cloud API send request body as the conformance suite sees
// it. It is written from Meta's documented shapes, apart from the encoder,
// so that the two check each other.
func Decode(id string, body []byte) (sendertest.Received, error) {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		return sendertest.Received{}, fmt.Errorf("decoding send request: %w", err)
	}
	str := func(m map[string]json.RawMessage, k string) string {
		var s string
		_ = json.Unmarshal(m[k], &s)
		return s
	}
	obj := func(m map[string]json.RawMessage, k string) map[string]json.RawMessage {
		var o map[string]json.RawMessage
		_ = json.Unmarshal(m[k], &o)
		return o
	}
	list := func(m map[string]json.RawMessage, k string) []map[string]json.RawMessage {
		var l []map[string]json.RawMessage
		_ = json.Unmarshal(m[k], &l)
		return l
	}
	r := sendertest.Received{ProviderMessageID: id, To: str(req, "to"), CallbackData: str(req, "biz_opaque_callback_data")}
	msg := messaging.Command{UserID: str(req, "recipient")}
	if ctx := obj(req, "context"); ctx != nil {
		msg.ReplyTo = str(ctx, "message_id")
	}
	header := func(h map[string]json.RawMessage, paramStyle bool) *messaging.Header {
		if h == nil {
			return nil
		}
		out := &messaging.Header{Type: str(h, "type")}
		if out.Type == "text" {
			out.Text = str(h, "text")
			if paramStyle {
				out.Name = str(h, "parameter_name")
			}
			return out
		}
		m := obj(h, out.Type)
		out.Link, out.Filename = str(m, "link"), str(m, "filename")
		return out
	}
	switch typ := str(req, "type"); typ {
	case "text":
		msg.Kind, msg.Text = messaging.KindText, str(obj(req, "text"), "body")
	case "image", "document":
		m := obj(req, typ)
		msg.Kind = typ
		msg.Media = &messaging.Media{Link: str(m, "link"), Caption: str(m, "caption"), Filename: str(m, "filename")}
	case "template":
		t := obj(req, "template")
		msg.Kind = messaging.KindTemplate
		tpl := &messaging.Template{Name: str(t, "name"), Language: str(obj(t, "language"), "code")}
		for _, c := range list(t, "components") {
			params := list(c, "parameters")
			switch str(c, "type") {
			case "header":
				if len(params) == 1 {
					tpl.Header = header(params[0], true)
				}
			case "body":
				for _, p := range params {
					tpl.Body = append(tpl.Body, messaging.Param{Name: str(p, "parameter_name"), Text: str(p, "text")})
				}
			case "button":
				idx, _ := strconv.Atoi(str(c, "index"))
				b := messaging.Button{Index: idx, SubType: str(c, "sub_type")}
				if len(params) == 1 {
					switch str(params[0], "type") {
					case "payload":
						b.Value = str(params[0], "payload")
					case "coupon_code":
						b.Value = str(params[0], "coupon_code")
					default:
						b.Value = str(params[0], "text")
					}
				}
				tpl.Buttons = append(tpl.Buttons, b)
			}
		}
		msg.Template = tpl
	case "interactive":
		in := obj(req, "interactive")
		action := obj(in, "action")
		out := &messaging.Interactive{
			Header: header(obj(in, "header"), false),
			Body:   str(obj(in, "body"), "text"),
			Footer: str(obj(in, "footer"), "text"),
		}
		switch str(in, "type") {
		case "button":
			msg.Kind = messaging.KindButtons
			for _, b := range list(action, "buttons") {
				rep := obj(b, "reply")
				out.Buttons = append(out.Buttons, messaging.ReplyButton{ID: str(rep, "id"), Title: str(rep, "title")})
			}
		case "list":
			msg.Kind = messaging.KindList
			out.ListButton = str(action, "button")
			for _, s := range list(action, "sections") {
				sec := messaging.Section{Title: str(s, "title")}
				for _, row := range list(s, "rows") {
					sec.Rows = append(sec.Rows, messaging.Row{ID: str(row, "id"), Title: str(row, "title"), Description: str(row, "description")})
				}
				out.Sections = append(out.Sections, sec)
			}
		case "cta_url":
			msg.Kind = messaging.KindCTAURL
			p := obj(action, "parameters")
			out.URL, out.URLText = str(p, "url"), str(p, "display_text")
		default:
			return r, fmt.Errorf("decoding send request: interactive type %q", str(in, "type"))
		}
		msg.Interactive = out
	default:
		return r, fmt.Errorf("decoding send request: message type %q", typ)
	}
	r.Message = msg
	return r, nil
}
