package cloudtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/loyalhub/loyalhub/connectors/sendertest"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
)

// Fake is a minimal httptest server speaking the Cloud API send endpoint:
// it checks one credential header and the path, records messages and read
// marks, and fails sends as told. It implements sendertest.Fake.
type Fake struct {
	Server *httptest.Server

	path, header, credential string

	mu       sync.Mutex
	received []sendertest.Received
	reads    []string
	faults   []sendertest.Fault
	attempts int
	done     chan struct{}
}

// NewFake starts a fake that accepts POST path with header set to
// credential. It is closed with t.Cleanup.
func NewFake(t testing.TB, path, header, credential string) *Fake {
	f := &Fake{path: path, header: header, credential: credential, done: make(chan struct{})}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		close(f.done)
		f.Server.Close()
	})
	return f
}

func graphError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"error":{"message":"(#%d) %s","type":"OAuthException","code":%d,"error_data":{"messaging_product":"whatsapp","details":%q},"fbtrace_id":"AbCdEf"}}`, code, msg, code, msg)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != f.path {
		graphError(w, http.StatusBadRequest, 100, "Unsupported request: "+r.Method+" "+r.URL.Path)
		return
	}
	if r.Header.Get(f.header) != f.credential {
		graphError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var probe struct {
		To        string `json:"to"`
		Status    string `json:"status"`
		MessageID string `json:"message_id"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		graphError(w, http.StatusBadRequest, 100, "Invalid JSON")
		return
	}
	if probe.Status == "read" {
		f.mu.Lock()
		f.reads = append(f.reads, probe.MessageID)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"success":true}`)
		return
	}
	f.mu.Lock()
	f.attempts++
	var fault *sendertest.Fault
	for i := range f.faults {
		x := &f.faults[i]
		if x.Count > 0 && (x.To == "" || strings.TrimPrefix(x.To, "+") == strings.TrimPrefix(probe.To, "+")) {
			x.Count--
			c := *x
			fault = &c
			break
		}
	}
	f.mu.Unlock()
	if fault != nil {
		switch {
		case fault.Hang:
			select {
			case <-r.Context().Done():
			case <-f.done:
			}
		case fault.Code != 0:
			status := http.StatusBadRequest
			if fault.HTTPStatus != 0 {
				status = fault.HTTPStatus
			}
			graphError(w, status, fault.Code, "injected fault")
		default:
			http.Error(w, http.StatusText(fault.HTTPStatus), fault.HTTPStatus)
		}
		return
	}
	f.mu.Lock()
	id := fmt.Sprintf("wamid.fake%06d", len(f.received)+1)
	rec, err := Decode(id, body)
	if err == nil {
		f.received = append(f.received, rec)
	}
	f.mu.Unlock()
	if err != nil {
		graphError(w, http.StatusBadRequest, 100, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []map[string]string{{"input": probe.To, "wa_id": probe.To}},
		"messages":          []map[string]string{{"id": id}},
	})
}

// InjectFault implements sendertest.Fake.
func (f *Fake) InjectFault(x sendertest.Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, x)
}

// ClearFaults implements sendertest.Fake.
func (f *Fake) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// Received implements sendertest.Fake.
func (f *Fake) Received() []sendertest.Received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sendertest.Received(nil), f.received...)
}

// Attempts implements sendertest.Fake.
func (f *Fake) Attempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts
}

// ReadMarks implements sendertest.Fake.
func (f *Fake) ReadMarks() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reads...)
}

// Sandbox adapts a sandbox server to sendertest.Fake.
type Sandbox struct{ S *sandbox.Server }

// InjectFault implements sendertest.Fake.
func (f Sandbox) InjectFault(x sendertest.Fault) {
	f.S.InjectFault(sandbox.Fault{Count: x.Count, HTTPStatus: x.HTTPStatus, Code: x.Code, To: x.To, Hang: x.Hang})
}

// ClearFaults implements sendertest.Fake.
func (f Sandbox) ClearFaults() { f.S.ClearFaults() }

// Attempts implements sendertest.Fake.
func (f Sandbox) Attempts() int { return f.S.Attempts() }

// ReadMarks implements sendertest.Fake.
func (f Sandbox) ReadMarks() []string { return f.S.ReadMarks() }

// Received implements sendertest.Fake.
func (f Sandbox) Received() []sendertest.Received {
	var out []sendertest.Received
	for _, m := range f.S.Messages() {
		r, err := Decode(m.ID, m.Body)
		if err != nil {
			panic(err)
		}
		out = append(out, r)
	}
	return out
}

// Start runs a sandbox over loopback, closed with t.Cleanup.
func Start(t testing.TB, cfg sandbox.Config) (*sandbox.Server, *httptest.Server) {
	t.Helper()
	sb := sandbox.New(cfg, nil)
	hs := httptest.NewServer(sb.Handler())
	t.Cleanup(func() {
		_ = sb.Close(context.Background())
		hs.Close()
	})
	return sb, hs
}
