package gupshup

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// ErrUnsupported is wrapped by the error of a command Gupshup cannot carry.
var ErrUnsupported = errors.New("not supported by Gupshup's WhatsApp API")

// protocol is Gupshup's WhatsApp API: form-encoded requests whose message
// and template fields hold JSON, JSON answers.
type protocol struct {
	messagesURL string // {base_url}/wa/api/v1/msg
	templateURL string // {base_url}/wa/api/v1/template/msg
	readURL     string // {base_url}/wa/app/{app_id}/msg/, "" without an app id
	source      string // the app's number, digits only
	appName     string
	templates   map[string]string // template id by templateKey
}

var _ cloud.Router = (*protocol)(nil)

func newProtocol(cfg Config) (*protocol, error) {
	messagesURL, err := url.JoinPath(cfg.BaseURL, "wa", "api", "v1", "msg")
	if err != nil {
		return nil, fmt.Errorf("building endpoint URL: %w", err)
	}
	templateURL, err := url.JoinPath(cfg.BaseURL, "wa", "api", "v1", "template", "msg")
	if err != nil {
		return nil, fmt.Errorf("building endpoint URL: %w", err)
	}
	p := &protocol{
		messagesURL: messagesURL,
		templateURL: templateURL,
		source:      strings.TrimPrefix(cfg.Source, "+"),
		appName:     cfg.AppName,
		templates:   make(map[string]string, len(cfg.Templates)),
	}
	if cfg.AppID != "" {
		if p.readURL, err = url.JoinPath(cfg.BaseURL, "wa", "app", cfg.AppID, "msg"); err != nil {
			return nil, fmt.Errorf("building endpoint URL: %w", err)
		}
	}
	for _, t := range cfg.Templates {
		p.templates[templateKey(t.Name, t.Language)] = t.ID
	}
	return p, nil
}

// Wire forms of Gupshup's message JSON (the message field).
type (
	textMessage struct {
		Type string `json:"type"` // text
		Text string `json:"text"`
	}
	imageMessage struct {
		Type        string `json:"type"` // image
		OriginalURL string `json:"originalUrl"`
		PreviewURL  string `json:"previewUrl"`
		Caption     string `json:"caption,omitempty"`
	}
	fileMessage struct {
		Type     string `json:"type"` // file
		URL      string `json:"url"`
		Filename string `json:"filename,omitempty"`
		Caption  string `json:"caption,omitempty"`
	}
	quickReply struct {
		Type    string        `json:"type"` // quick_reply
		MsgID   string        `json:"msgid"`
		Content quickContent  `json:"content"`
		Options []replyOption `json:"options"`
	}
	quickContent struct {
		Type    string `json:"type"` // text
		Header  string `json:"header,omitempty"`
		Text    string `json:"text"`
		Caption string `json:"caption,omitempty"` // the footer
	}
	replyOption struct {
		Type         string `json:"type"` // text
		Title        string `json:"title"`
		Description  string `json:"description,omitempty"`
		PostbackText string `json:"postbackText"` // comes back when chosen: the hub's id
	}
	listMessage struct {
		Type          string       `json:"type"` // list
		Title         string       `json:"title,omitempty"`
		Body          string       `json:"body"`
		Footer        string       `json:"footer,omitempty"`
		MsgID         string       `json:"msgid"`
		GlobalButtons []listButton `json:"globalButtons"`
		Items         []listItem   `json:"items"`
	}
	listButton struct {
		Type  string `json:"type"` // text
		Title string `json:"title"`
	}
	listItem struct {
		Title    string        `json:"title"`
		Subtitle string        `json:"subtitle,omitempty"`
		Options  []replyOption `json:"options"`
	}
	// templateRef is the template field of a template send.
	templateRef struct {
		ID     string   `json:"id"`
		Params []string `json:"params"`
	}
	// headerMedia is the message field of a template send with a media
	// header.
	headerMedia struct {
		Type     string    `json:"type"` // image, video, document
		Image    *mediaRef `json:"image,omitempty"`
		Video    *mediaRef `json:"video,omitempty"`
		Document *mediaRef `json:"document,omitempty"`
	}
	mediaRef struct {
		Link     string `json:"link"`
		Filename string `json:"filename,omitempty"`
	}
)

// submitted is Gupshup's answer to an accepted send.
type submitted struct {
	Status    string `json:"status"`
	MessageID string `json:"messageId"`
}

// apiError is Gupshup's error answer: {"status":"error","message":…}, the
// message a string or an object, with a code when one is given.
type apiError struct {
	Status  string          `json:"status"`
	Message json.RawMessage `json:"message"`
	Code    json.Number     `json:"code"`
}

// Encode renders a command as the form of a send; see EncodeTo.
func (p *protocol) Encode(cmd messaging.Command) ([]byte, error) {
	_, body, err := p.EncodeTo(cmd)
	return body, err
}

// EncodeTo renders a command as the form of POST /wa/api/v1/msg, or of
// POST /wa/api/v1/template/msg for a template.
func (p *protocol) EncodeTo(cmd messaging.Command) (string, []byte, error) {
	if err := cmd.Validate(); err != nil {
		return "", nil, err
	}
	if cmd.To == "" {
		return "", nil, fmt.Errorf("sending to a business-scoped user id: %w: it sends to phone numbers", ErrUnsupported)
	}
	if !e164Pattern.MatchString(cmd.To) {
		return "", nil, fmt.Errorf("recipient %q is not an E.164 phone number", member.MaskPhone(cmd.To))
	}
	if cmd.ReplyTo != "" {
		return "", nil, fmt.Errorf("quoting a message: %w", ErrUnsupported)
	}
	f := url.Values{
		"channel":     {"whatsapp"},
		"source":      {p.source},
		"destination": {strings.TrimPrefix(cmd.To, "+")},
		"src.name":    {p.appName},
	}
	endpoint := p.messagesURL
	var msg any
	switch cmd.Kind {
	case messaging.KindText:
		msg = textMessage{Type: "text", Text: cmd.Text}
	case messaging.KindImage:
		msg = imageMessage{Type: "image", OriginalURL: cmd.Media.Link, PreviewURL: cmd.Media.Link, Caption: cmd.Media.Caption}
	case messaging.KindDocument:
		msg = fileMessage{Type: "file", URL: cmd.Media.Link, Filename: cmd.Media.Filename, Caption: cmd.Media.Caption}
	case messaging.KindButtons:
		in := cmd.Interactive
		qr := quickReply{Type: "quick_reply", MsgID: cmd.Key, Content: quickContent{Type: "text", Text: in.Body, Caption: in.Footer}}
		if in.Header != nil {
			if in.Header.Type != messaging.HeaderText {
				return "", nil, fmt.Errorf("reply buttons with a %s header: %w: only a text header", in.Header.Type, ErrUnsupported)
			}
			qr.Content.Header = in.Header.Text
		}
		for _, b := range in.Buttons {
			qr.Options = append(qr.Options, replyOption{Type: "text", Title: b.Title, PostbackText: b.ID})
		}
		msg = qr
	case messaging.KindList:
		in := cmd.Interactive
		l := listMessage{Type: "list", Body: in.Body, Footer: in.Footer, MsgID: cmd.Key,
			GlobalButtons: []listButton{{Type: "text", Title: in.ListButton}}}
		if in.Header != nil {
			if in.Header.Type != messaging.HeaderText {
				return "", nil, fmt.Errorf("a list with a %s header: %w: only a text header", in.Header.Type, ErrUnsupported)
			}
			l.Title = in.Header.Text
		}
		for _, s := range in.Sections {
			item := listItem{Title: s.Title}
			for _, r := range s.Rows {
				item.Options = append(item.Options, replyOption{Type: "text", Title: r.Title, Description: r.Description, PostbackText: r.ID})
			}
			l.Items = append(l.Items, item)
		}
		msg = l
	case messaging.KindTemplate:
		ref, header, err := p.template(cmd.Template)
		if err != nil {
			return "", nil, err
		}
		b, err := json.Marshal(ref)
		if err != nil {
			return "", nil, fmt.Errorf("encoding template: %w", err)
		}
		f.Set("template", string(b))
		endpoint = p.templateURL
		if header == nil {
			return endpoint, []byte(f.Encode()), nil
		}
		msg = header
	default:
		return "", nil, fmt.Errorf("sending a %s message: %w", cmd.Kind, ErrUnsupported)
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return "", nil, fmt.Errorf("encoding message: %w", err)
	}
	f.Set("message", string(b))
	return endpoint, []byte(f.Encode()), nil
}

// template finds the Gupshup template of a hub template and fills its
// params: the body parameters in order (Gupshup's templates are
// positional), and a media header as the message field. A text header's
// parameter and button values have no place in Gupshup's template send and
// are refused rather than lost.
func (p *protocol) template(t *messaging.Template) (templateRef, *headerMedia, error) {
	id, ok := p.templates[templateKey(t.Name, t.Language)]
	if !ok {
		return templateRef{}, nil, fmt.Errorf("template %s in %s: no Gupshup template id in the connector's templates", t.Name, t.Language)
	}
	if len(t.Buttons) > 0 {
		return templateRef{}, nil, fmt.Errorf("template %s: button parameters: %w", t.Name, ErrUnsupported)
	}
	ref := templateRef{ID: id, Params: make([]string, 0, len(t.Body))}
	for _, prm := range t.Body {
		ref.Params = append(ref.Params, prm.Text)
	}
	if t.Header == nil {
		return ref, nil, nil
	}
	m := &mediaRef{Link: t.Header.Link, Filename: t.Header.Filename}
	switch t.Header.Type {
	case messaging.HeaderImage:
		return ref, &headerMedia{Type: "image", Image: m}, nil
	case messaging.HeaderVideo:
		return ref, &headerMedia{Type: "video", Video: m}, nil
	case messaging.HeaderDocument:
		return ref, &headerMedia{Type: "document", Document: m}, nil
	}
	return templateRef{}, nil, fmt.Errorf("template %s: a %s header parameter: %w", t.Name, t.Header.Type, ErrUnsupported)
}

// EncodeRead renders PUT /wa/app/{app_id}/msg/{message id}/read.
func (p *protocol) EncodeRead(messageID string) (string, []byte, error) {
	switch {
	case messageID == "":
		return "", nil, errors.New("marking a message read: no message id")
	case p.readURL == "":
		return "", nil, errors.New("marking a message read: no app_id configured")
	}
	endpoint, err := url.JoinPath(p.readURL, messageID, "read")
	if err != nil {
		return "", nil, fmt.Errorf("marking a message read: %w", err)
	}
	return endpoint, []byte{}, nil
}

// ReadMethod is PUT: Gupshup marks a message read by PUT.
func (p *protocol) ReadMethod() string { return http.MethodPut }

// Decode reads {"status":"submitted","messageId":…}.
func (p *protocol) Decode(body []byte) (messaging.Result, bool) {
	var s submitted
	if err := json.Unmarshal(body, &s); err != nil || s.MessageID == "" || s.Status != "submitted" {
		return messaging.Result{}, false
	}
	return messaging.Result{ProviderMessageID: s.MessageID}, true
}

// Classify classifies an answer other than 2xx.
func (p *protocol) Classify(status int, header http.Header, body []byte, now time.Time) *fault.Error {
	var ae apiError
	if err := json.Unmarshal(body, &ae); err != nil {
		return classify(status, 0, "", header, now)
	}
	code, _ := ae.Code.Int64()
	msg := string(ae.Message)
	var s string
	if json.Unmarshal(ae.Message, &s) == nil {
		msg = s
	}
	return classify(status, int(code), msg, header, now)
}
