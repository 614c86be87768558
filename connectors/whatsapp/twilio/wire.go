package twilio

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// KeyParam is the query parameter of the status callback URL that carries
// the message's key, so that a status Twilio reports before the hub has
// recorded the message's SID still finds the message.
const KeyParam = "loyalhub_key"

// ErrUnsupported is wrapped by the error of a command Twilio cannot carry.
var ErrUnsupported = errors.New("not supported by Twilio's WhatsApp API")

// protocol is Twilio's Programmable Messaging API: form-encoded requests,
// JSON answers.
type protocol struct {
	messagesURL string // {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json
	typingURL   string // {messaging_base_url}/v2/Indicators/Typing.json
	from        string
	service     string
	webhookURL  string
	templates   map[string]Template // by templateKey
}

// message is the part of Twilio's Message resource the sender reads.
type message struct {
	SID       string `json:"sid"`
	Status    string `json:"status"`
	ErrorCode *int   `json:"error_code"`
}

// apiError is Twilio's error answer.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Encode renders a command as the form of POST …/Messages.json.
func (p *protocol) Encode(cmd messaging.Command) ([]byte, error) {
	if err := cmd.Validate(); err != nil {
		return nil, err
	}
	if cmd.To == "" {
		return nil, fmt.Errorf("sending to a business-scoped user id: %w: it sends to phone numbers", ErrUnsupported)
	}
	if !e164Pattern.MatchString(cmd.To) {
		return nil, fmt.Errorf("recipient %q is not an E.164 phone number", member.MaskPhone(cmd.To))
	}
	f := url.Values{"To": {"whatsapp:" + cmd.To}}
	if p.from != "" {
		f.Set("From", "whatsapp:"+p.from)
	}
	if p.service != "" {
		f.Set("MessagingServiceSid", p.service)
	}
	if p.webhookURL != "" {
		f.Set("StatusCallback", statusCallback(p.webhookURL, cmd.Key))
	}
	switch cmd.Kind {
	case messaging.KindText:
		f.Set("Body", cmd.Text)
	case messaging.KindImage, messaging.KindDocument:
		if err := checkFilename(cmd.Media.Link, cmd.Media.Filename); err != nil {
			return nil, err
		}
		f.Set("MediaUrl", cmd.Media.Link)
		if cmd.Media.Caption != "" {
			f.Set("Body", cmd.Media.Caption)
		}
	case messaging.KindTemplate:
		sid, vars, err := p.content(cmd.Template)
		if err != nil {
			return nil, err
		}
		f.Set("ContentSid", sid)
		if vars != "" {
			f.Set("ContentVariables", vars)
		}
	default:
		return nil, fmt.Errorf("sending a %s message: %w: interactive messages need a Content template", cmd.Kind, ErrUnsupported)
	}
	return []byte(f.Encode()), nil
}

// statusCallback is the webhook URL with the message's key in KeyParam.
func statusCallback(webhookURL, key string) string {
	u, err := url.Parse(webhookURL)
	if err != nil || key == "" {
		return webhookURL
	}
	q := u.Query()
	q.Set(KeyParam, key)
	u.RawQuery = q.Encode()
	return u.String()
}

// checkFilename refuses a document filename Twilio would not show: WhatsApp
// names a document Twilio sends after the last segment of its URL.
func checkFilename(link, filename string) error {
	if filename == "" {
		return nil
	}
	u, err := url.Parse(link)
	if err != nil || path.Base(u.Path) != filename {
		return fmt.Errorf("naming a document %q: %w: the name is the last segment of the media URL", filename, ErrUnsupported)
	}
	return nil
}

// content finds the Content template of a hub template and fills its
// variables. Every parameter of the template must fill a variable: one
// left out would be lost.
func (p *protocol) content(t *messaging.Template) (sid, variables string, err error) {
	ct, ok := p.templates[templateKey(t.Name, t.Language)]
	if !ok {
		return "", "", fmt.Errorf("template %s in %s: no Content SID in the connector's templates", t.Name, t.Language)
	}
	if t.Header != nil && t.Header.Type != messaging.HeaderText {
		if err := checkFilename(t.Header.Link, t.Header.Filename); err != nil {
			return "", "", err
		}
	}
	vars := ct.variables(len(t.Body))
	values := make(map[string]string, len(vars))
	used := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		v, ok := lookup(t, vars[k])
		if !ok {
			return "", "", fmt.Errorf("template %s in %s: variable %s takes %s, which the message does not have", t.Name, t.Language, k, vars[k])
		}
		values[k] = v
		used[vars[k]] = true
	}
	for _, src := range sources(t) {
		if !used[src[0]] && (len(src) < 2 || !used[src[1]]) {
			return "", "", fmt.Errorf("template %s in %s: %s fills none of the Content template's variables", t.Name, t.Language, src[0])
		}
	}
	if len(values) == 0 {
		return ct.ContentSID, "", nil
	}
	b, err := json.Marshal(values)
	if err != nil {
		return "", "", fmt.Errorf("encoding content variables: %w", err)
	}
	return ct.ContentSID, string(b), nil
}

// lookup returns the value of a variable source in a template.
func lookup(t *messaging.Template, src string) (string, bool) {
	part, name, _ := strings.Cut(src, ".")
	switch part {
	case "header":
		if t.Header == nil {
			return "", false
		}
		if t.Header.Type == messaging.HeaderText {
			return t.Header.Text, true
		}
		return t.Header.Link, true
	case "body":
		if n, err := strconv.Atoi(name); err == nil {
			if n < 1 || n > len(t.Body) {
				return "", false
			}
			return t.Body[n-1].Text, true
		}
		for _, prm := range t.Body {
			if prm.Name == name {
				return prm.Text, true
			}
		}
	case "button":
		n, _ := strconv.Atoi(name)
		for _, b := range t.Buttons {
			if b.Index == n {
				return b.Value, true
			}
		}
	}
	return "", false
}

// sources lists the parts of a template that carry a value, each by the
// sources that may name it (a named body parameter by position or name).
func sources(t *messaging.Template) [][]string {
	var out [][]string
	if t.Header != nil {
		out = append(out, []string{"header"})
	}
	for i, prm := range t.Body {
		s := []string{"body." + strconv.Itoa(i+1)}
		if prm.Name != "" {
			s = append(s, "body."+prm.Name)
		}
		out = append(out, s)
	}
	for _, b := range t.Buttons {
		out = append(out, []string{"button." + strconv.Itoa(b.Index)})
	}
	return out
}

// EncodeRead renders a typing indicator, which marks the message read.
func (p *protocol) EncodeRead(messageID string) (string, []byte, error) {
	if messageID == "" {
		return "", nil, errors.New("marking a message read: no message SID")
	}
	f := url.Values{"channel": {"whatsapp"}, "messageId": {messageID}}
	return p.typingURL, []byte(f.Encode()), nil
}

// Decode reads the Message resource of an accepted send.
func (p *protocol) Decode(body []byte) (messaging.Result, bool) {
	var m message
	if err := json.Unmarshal(body, &m); err != nil || m.SID == "" {
		return messaging.Result{}, false
	}
	return messaging.Result{ProviderMessageID: m.SID}, true
}

// Classify classifies an answer other than 2xx.
func (p *protocol) Classify(status int, header http.Header, body []byte, now time.Time) *fault.Error {
	var ae apiError
	if err := json.Unmarshal(body, &ae); err != nil || ae.Code == 0 {
		return classify(status, 0, "", header, now)
	}
	return classify(status, ae.Code, ae.Message, header, now)
}
