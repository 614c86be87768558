package gupshup

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/loyalhub/loyalhub/connectors/sendertest"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// fakeTemplate is an approved template the fake's app holds: the hub's
// template it was mapped from, its header's type and its body parameter
// names (for a named template), which Gupshup holds by template id.
type fakeTemplate struct {
	Template
	header string
	named  []string
}

// gupshupCodes is how Gupshup reports the refusals sendertest injects by
// Meta's code (docs.gupshup.io/docs/error-and-status-messages): its own
// code where it has one, else Meta's, passed on.
var gupshupCodes = map[int]struct{ code, status int }{
	131026: {1002, 400},   // number does not exist on WhatsApp
	130429: {4001, 429},   // API rate limited
	131056: {4001, 429},   // Gupshup does not tell the pair limit apart
	131047: {1005, 400},   // outside the window and not a template
	132001: {4003, 400},   // no template match
	131050: {1012, 400},   // number opted out
	131049: {131049, 400}, // Meta's, passed on
}

// fakeGupshup speaks Gupshup's WhatsApp API as documented: form-encoded
// sends with the apikey header, the message and template fields as JSON,
// {"status":"submitted","messageId"} answers and {"status":"error"}
// refusals; read marks by PUT.
type fakeGupshup struct {
	t         testing.TB
	Server    *httptest.Server
	apiKey    string
	appID     string
	source    string
	appName   string
	templates map[string]fakeTemplate // by id

	mu       sync.Mutex
	faults   []sendertest.Fault
	received []sendertest.Received
	reads    []string
	attempts int
}

var _ sendertest.Fake = (*fakeGupshup)(nil)

func newFakeGupshup(t testing.TB, cfg Config, templates ...fakeTemplate) *fakeGupshup {
	f := &fakeGupshup{t: t, apiKey: cfg.APIKey, appID: cfg.AppID, source: strings.TrimPrefix(cfg.Source, "+"),
		appName: cfg.AppName, templates: map[string]fakeTemplate{}}
	for _, tp := range templates {
		f.templates[tp.ID] = tp
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Server.Close)
	return f
}

func (f *fakeGupshup) InjectFault(ft sendertest.Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, ft)
}

func (f *fakeGupshup) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

func (f *fakeGupshup) Received() []sendertest.Received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sendertest.Received(nil), f.received...)
}

func (f *fakeGupshup) Attempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts
}

func (f *fakeGupshup) ReadMarks() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reads...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"status": "error", "message": msg})
}

func (f *fakeGupshup) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("apikey") != f.apiKey {
		writeError(w, http.StatusUnauthorized, "Authentication Failed")
		return
	}
	readPrefix := "/wa/app/" + f.appID + "/msg/"
	if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, readPrefix) && strings.HasSuffix(r.URL.Path, "/read") {
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, readPrefix), "/read")
		f.mu.Lock()
		f.reads = append(f.reads, id)
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		writeError(w, http.StatusBadRequest, "Invalid request: "+r.Method+" "+r.Header.Get("Content-Type"))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid form")
		return
	}
	switch r.URL.Path {
	case "/wa/api/v1/msg", "/wa/api/v1/template/msg":
		f.send(w, r)
	default:
		writeError(w, http.StatusNotFound, "Not Found")
	}
}

func (f *fakeGupshup) send(w http.ResponseWriter, r *http.Request) {
	form := r.PostForm
	f.mu.Lock()
	f.attempts++
	var fault *sendertest.Fault
	for i := range f.faults {
		ft := &f.faults[i]
		if ft.Count > 0 && (ft.To == "" || strings.TrimPrefix(ft.To, "+") == form.Get("destination")) {
			ft.Count--
			fault = ft
			break
		}
	}
	f.mu.Unlock()
	switch {
	case fault != nil && fault.Hang:
		<-r.Context().Done()
		return
	case fault != nil && fault.HTTPStatus != 0:
		http.Error(w, "upstream trouble", fault.HTTPStatus)
		return
	case fault != nil && fault.Code == 190:
		writeError(w, http.StatusUnauthorized, "Authentication Failed")
		return
	case fault != nil:
		gc, ok := gupshupCodes[fault.Code]
		if !ok {
			f.t.Errorf("the fake has no Gupshup code for Meta's %d", fault.Code)
		}
		writeJSON(w, gc.status, map[string]any{"status": "error", "code": gc.code, "message": fmt.Sprintf("refused as Meta's %d", fault.Code)})
		return
	}
	msg, err := f.decode(r.URL.Path, form)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id := rand.Text()
	f.mu.Lock()
	f.received = append(f.received, sendertest.Received{ProviderMessageID: id, To: form.Get("destination"), Message: msg})
	f.mu.Unlock()
	writeJSON(w, http.StatusAccepted, map[string]any{"status": "submitted", "messageId": id})
}

// wireMessage is any message JSON the fake reads.
type wireMessage struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	OriginalURL string `json:"originalUrl"`
	PreviewURL  string `json:"previewUrl"`
	URL         string `json:"url"`
	Filename    string `json:"filename"`
	Caption     string `json:"caption"`
	Content     struct {
		Type    string `json:"type"`
		Header  string `json:"header"`
		Text    string `json:"text"`
		Caption string `json:"caption"`
	} `json:"content"`
	Options       []replyOption `json:"options"`
	Title         string        `json:"title"`
	Body          string        `json:"body"`
	Footer        string        `json:"footer"`
	GlobalButtons []listButton  `json:"globalButtons"`
	Items         []listItem    `json:"items"`
	Image         *mediaRef     `json:"image"`
	Video         *mediaRef     `json:"video"`
	Document      *mediaRef     `json:"document"`
}

// decode reads a send form back into the message it carries, as the
// recipient would see it.
func (f *fakeGupshup) decode(path string, form map[string][]string) (messaging.Command, error) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	switch {
	case get("channel") != "whatsapp":
		return messaging.Command{}, fmt.Errorf("channel %q is not whatsapp", get("channel"))
	case get("source") != f.source:
		return messaging.Command{}, fmt.Errorf("source %q is not the app's number", get("source"))
	case get("src.name") != f.appName:
		return messaging.Command{}, fmt.Errorf("src.name %q is not the app", get("src.name"))
	case get("destination") == "" || strings.HasPrefix(get("destination"), "+"):
		return messaging.Command{}, fmt.Errorf("destination %q is not a number with its country code", get("destination"))
	}
	var m wireMessage
	if raw := get("message"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return messaging.Command{}, fmt.Errorf("message is not JSON: %v", err)
		}
	}
	if path == "/wa/api/v1/template/msg" {
		return f.template(get("template"), m)
	}
	switch m.Type {
	case "text":
		return messaging.Command{Kind: messaging.KindText, Text: m.Text}, nil
	case "image":
		if m.OriginalURL == "" || m.PreviewURL == "" {
			return messaging.Command{}, fmt.Errorf("an image needs originalUrl and previewUrl")
		}
		return messaging.Command{Kind: messaging.KindImage, Media: &messaging.Media{Link: m.OriginalURL, Caption: m.Caption}}, nil
	case "file":
		return messaging.Command{Kind: messaging.KindDocument, Media: &messaging.Media{Link: m.URL, Caption: m.Caption, Filename: m.Filename}}, nil
	case "quick_reply":
		in := &messaging.Interactive{Body: m.Content.Text, Footer: m.Content.Caption}
		if m.Content.Header != "" {
			in.Header = &messaging.Header{Type: messaging.HeaderText, Text: m.Content.Header}
		}
		for _, o := range m.Options {
			in.Buttons = append(in.Buttons, messaging.ReplyButton{ID: o.PostbackText, Title: o.Title})
		}
		return messaging.Command{Kind: messaging.KindButtons, Interactive: in}, nil
	case "list":
		if len(m.GlobalButtons) != 1 {
			return messaging.Command{}, fmt.Errorf("a list needs one global button")
		}
		in := &messaging.Interactive{Body: m.Body, Footer: m.Footer, ListButton: m.GlobalButtons[0].Title}
		if m.Title != "" {
			in.Header = &messaging.Header{Type: messaging.HeaderText, Text: m.Title}
		}
		for _, it := range m.Items {
			s := messaging.Section{Title: it.Title}
			for _, o := range it.Options {
				s.Rows = append(s.Rows, messaging.Row{ID: o.PostbackText, Title: o.Title, Description: o.Description})
			}
			in.Sections = append(in.Sections, s)
		}
		return messaging.Command{Kind: messaging.KindList, Interactive: in}, nil
	}
	return messaging.Command{}, fmt.Errorf("message type %q is not one the fake knows", m.Type)
}

// template renders a template send into the template the recipient sees.
func (f *fakeGupshup) template(raw string, m wireMessage) (messaging.Command, error) {
	var ref struct {
		ID     string   `json:"id"`
		Params []string `json:"params"`
	}
	if err := json.Unmarshal([]byte(raw), &ref); err != nil {
		return messaging.Command{}, fmt.Errorf("template is not JSON: %v", err)
	}
	tp, ok := f.templates[ref.ID]
	if !ok {
		return messaging.Command{}, fmt.Errorf("template %s is not one of the app's", ref.ID)
	}
	t := &messaging.Template{Name: tp.Name, Language: tp.Language}
	if len(tp.named) > 0 {
		if len(ref.Params) != len(tp.named) {
			return messaging.Command{}, fmt.Errorf("template %s takes %d params, got %d", ref.ID, len(tp.named), len(ref.Params))
		}
		for i, name := range tp.named {
			t.Body = append(t.Body, messaging.Param{Name: name, Text: ref.Params[i]})
		}
	} else if len(ref.Params) > 0 {
		t.Body = messaging.Positional(ref.Params...)
	}
	if tp.header != "" {
		var media *mediaRef
		switch {
		case m.Type != tp.header:
			return messaging.Command{}, fmt.Errorf("template %s has a %s header, the message is %q", ref.ID, tp.header, m.Type)
		case m.Type == "image":
			media = m.Image
		case m.Type == "video":
			media = m.Video
		case m.Type == "document":
			media = m.Document
		}
		if media == nil || media.Link == "" {
			return messaging.Command{}, fmt.Errorf("template %s: the %s header has no link", ref.ID, tp.header)
		}
		t.Header = &messaging.Header{Type: tp.header, Link: media.Link, Filename: media.Filename}
	}
	return messaging.Command{Kind: messaging.KindTemplate, Template: t}, nil
}
