package twilio

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalhub/loyalhub/connectors/sendertest"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// content is a Content template the fake knows: the hub's template it was
// mapped from, and the shape of its message (header, named body
// parameters, buttons), which a Content template holds at Twilio.
type content struct {
	Template
	header  *messaging.Header // Type and Name
	named   []string          // body parameter names, for a named template
	buttons []messaging.Button
}

// twilioCodes is how Twilio reports the refusals sendertest injects by
// Meta's code (Twilio's error code mapping, twilio.com/docs/whatsapp/api/error-code-mapping).
var twilioCodes = map[int]struct{ code, status int }{
	131026: {63024, 400}, // undeliverable: invalid message recipient
	130429: {63018, 400}, // throughput: rate limit exceeded for the channel
	131056: {63018, 400}, // pair rate limit: Twilio does not tell it apart
	131047: {63016, 400}, // outside the window
	132001: {63027, 400}, // template does not exist
	131050: {21610, 400}, // the user stopped: unsubscribed recipient
	131049: {63049, 400}, // Meta chose not to deliver
	190:    {20003, 401}, // bad credentials
}

// fakeTwilio speaks Twilio's Messages API and typing indicators as
// documented: form-encoded requests with Basic auth, Message resources and
// error objects as JSON answers.
type fakeTwilio struct {
	t        testing.TB
	Server   *httptest.Server
	account  string
	user     string
	password string
	contents map[string]content // by Content SID

	mu       sync.Mutex
	faults   []sendertest.Fault
	received []sendertest.Received
	reads    []string
	attempts int
}

var _ sendertest.Fake = (*fakeTwilio)(nil)

func newFakeTwilio(t testing.TB, account, user, password string, contents ...content) *fakeTwilio {
	f := &fakeTwilio{t: t, account: account, user: user, password: password, contents: map[string]content{}}
	for _, c := range contents {
		f.contents[c.ContentSID] = c
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Server.Close)
	return f
}

func (f *fakeTwilio) InjectFault(ft sendertest.Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, ft)
}

func (f *fakeTwilio) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

func (f *fakeTwilio) Received() []sendertest.Received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sendertest.Received(nil), f.received...)
}

func (f *fakeTwilio) Attempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts
}

func (f *fakeTwilio) ReadMarks() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reads...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{
		"code": code, "message": msg, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status,
	})
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	if user, password, ok := r.BasicAuth(); !ok || user != f.user || password != f.password {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		writeError(w, http.StatusBadRequest, 20001, "Invalid request: "+r.Method+" "+r.Header.Get("Content-Type"))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Invalid form")
		return
	}
	switch r.URL.Path {
	case "/v2/Indicators/Typing.json":
		if r.PostForm.Get("channel") != "whatsapp" || r.PostForm.Get("messageId") == "" {
			writeError(w, http.StatusBadRequest, 20001, "channel and messageId are required")
			return
		}
		f.mu.Lock()
		f.reads = append(f.reads, r.PostForm.Get("messageId"))
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
	case "/2010-04-01/Accounts/" + f.account + "/Messages.json":
		f.send(w, r)
	default:
		writeError(w, http.StatusNotFound, 20404, "The requested resource was not found")
	}
}

func (f *fakeTwilio) send(w http.ResponseWriter, r *http.Request) {
	form := r.PostForm
	f.mu.Lock()
	f.attempts++
	var fault *sendertest.Fault
	for i := range f.faults {
		ft := &f.faults[i]
		if ft.Count > 0 && (ft.To == "" || "whatsapp:"+ft.To == form.Get("To")) {
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
	case fault != nil:
		tc, ok := twilioCodes[fault.Code]
		if !ok {
			f.t.Errorf("the fake has no Twilio code for Meta's %d", fault.Code)
		}
		writeError(w, tc.status, tc.code, fmt.Sprintf("refused as Meta's %d", fault.Code))
		return
	}
	msg, err := f.decode(form)
	if err != nil {
		writeError(w, http.StatusBadRequest, 21602, err.Error())
		return
	}
	sid := "SM" + randomHex(16)
	var key string
	if cb, err := url.Parse(form.Get("StatusCallback")); err == nil {
		key = cb.Query().Get(KeyParam)
	}
	f.mu.Lock()
	f.received = append(f.received, sendertest.Received{ProviderMessageID: sid, To: form.Get("To"), CallbackData: key, Message: msg})
	f.mu.Unlock()
	now := time.Now().UTC().Format(time.RFC1123Z)
	writeJSON(w, http.StatusCreated, map[string]any{
		"account_sid": f.account, "api_version": "2010-04-01", "body": form.Get("Body"),
		"date_created": now, "date_sent": nil, "date_updated": now, "direction": "outbound-api",
		"error_code": nil, "error_message": nil, "from": form.Get("From"),
		"messaging_service_sid": nil, "num_media": "0", "num_segments": "1", "price": nil, "price_unit": nil,
		"sid": sid, "status": "queued", "subresource_uris": map[string]string{"media": "/2010-04-01/Accounts/" + f.account + "/Messages/" + sid + "/Media.json"},
		"to": form.Get("To"), "uri": "/2010-04-01/Accounts/" + f.account + "/Messages/" + sid + ".json",
	})
}

// decode reads a send form back into the message it carries, as the
// recipient would see it.
func (f *fakeTwilio) decode(form url.Values) (messaging.Command, error) {
	if !strings.HasPrefix(form.Get("To"), "whatsapp:+") {
		return messaging.Command{}, fmt.Errorf("To %q is not a WhatsApp address", form.Get("To"))
	}
	if form.Get("From") == "" && form.Get("MessagingServiceSid") == "" {
		return messaging.Command{}, fmt.Errorf("a From or a MessagingServiceSid is required")
	}
	if sid := form.Get("ContentSid"); sid != "" {
		c, ok := f.contents[sid]
		if !ok {
			return messaging.Command{}, fmt.Errorf("ContentSid %s is not a content of the account", sid)
		}
		vars := map[string]string{}
		if v := form.Get("ContentVariables"); v != "" {
			if err := json.Unmarshal([]byte(v), &vars); err != nil {
				return messaging.Command{}, fmt.Errorf("ContentVariables is not a JSON object of strings: %v", err)
			}
		}
		tpl, err := c.fill(vars)
		return messaging.Command{Kind: messaging.KindTemplate, Template: tpl}, err
	}
	if link := form.Get("MediaUrl"); link != "" {
		u, err := url.Parse(link)
		if err != nil {
			return messaging.Command{}, err
		}
		// Twilio fetches the media and sends it by its type; the fake
		// goes by the name's extension.
		if path.Ext(u.Path) == ".pdf" {
			return messaging.Command{Kind: messaging.KindDocument, Media: &messaging.Media{Link: link, Caption: form.Get("Body"), Filename: path.Base(u.Path)}}, nil
		}
		return messaging.Command{Kind: messaging.KindImage, Media: &messaging.Media{Link: link, Caption: form.Get("Body")}}, nil
	}
	if form.Get("Body") == "" {
		return messaging.Command{}, fmt.Errorf("a Body, MediaUrl or ContentSid is required")
	}
	return messaging.Command{Kind: messaging.KindText, Text: form.Get("Body")}, nil
}

// fill renders a Content template with its variables into the template
// the recipient sees.
func (c content) fill(vars map[string]string) (*messaging.Template, error) {
	t := &messaging.Template{Name: c.Name, Language: c.Language}
	sources := c.Variables
	if len(sources) == 0 {
		sources = map[string]string{}
		for i := 1; i <= len(vars); i++ {
			sources[strconv.Itoa(i)] = "body." + strconv.Itoa(i)
		}
	}
	body := map[string]string{}
	for key, v := range vars {
		src, ok := sources[key]
		if !ok {
			return nil, fmt.Errorf("variable %s is not in the content", key)
		}
		part, name, _ := strings.Cut(src, ".")
		switch part {
		case "header":
			h := *c.header
			if h.Type == messaging.HeaderText {
				h.Text = v
			} else {
				h.Link = v
			}
			t.Header = &h
		case "body":
			body[name] = v
		case "button":
			n, _ := strconv.Atoi(name)
			for _, b := range c.buttons {
				if b.Index == n {
					b.Value = v
					t.Buttons = append(t.Buttons, b)
				}
			}
		}
	}
	slices.SortFunc(t.Buttons, func(a, b messaging.Button) int { return a.Index - b.Index })
	if len(c.named) > 0 {
		for _, name := range c.named {
			t.Body = append(t.Body, messaging.Param{Name: name, Text: body[name]})
		}
	} else {
		var texts []string
		for i := 1; i <= len(body); i++ {
			texts = append(texts, body[strconv.Itoa(i)])
		}
		t.Body = messaging.Positional(texts...)
	}
	return t, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
