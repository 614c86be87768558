package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/access"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// maxAuditBody caps the request and response bodies an audit entry keeps.
const maxAuditBody = 16 << 10

// redacted replaces the values of secret fields in audited bodies.
const redacted = "[redacted]"

// secretFields are the parts of a field name whose value an audit entry
// never keeps.
var secretFields = []string{"secret", "token", "password", "passphrase", "api_key", "apikey", "authorization", "credential"}

// auditNote is where a handler leaves what a write changed, for the audit
// entry of its request.
type auditNote struct{ before json.RawMessage }

type auditNoteKey struct{}

// noteBefore records what get returns as what the request's write
// changes, before it changes it; get runs only when the request is
// audited, and an error from it (nothing there before) records nothing.
func noteBefore[T any](r *http.Request, get func() (T, error)) {
	n, ok := r.Context().Value(auditNoteKey{}).(*auditNote)
	if !ok {
		return
	}
	v, err := get()
	if err != nil {
		return
	}
	if b, err := json.Marshal(v); err == nil {
		n.before = redactJSON(b)
	}
}

// auditWriter keeps the status and the start of the body of a response.
type auditWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	cut    bool
}

func (w *auditWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *auditWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if room := maxAuditBody - w.body.Len(); room > 0 {
		w.body.Write(b[:min(room, len(b))])
	}
	if w.body.Len()+len(b) > maxAuditBody {
		w.cut = true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *auditWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// audited serves the write r with next and records it in the audit log,
// whether it succeeds, fails or panics: the request body (secrets
// redacted), the answer as after, and what the handler noted as before.
func (a *API) audited(w http.ResponseWriter, r *http.Request, c Caller, next http.Handler) {
	head, _ := io.ReadAll(io.LimitReader(r.Body, maxAuditBody+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	note := &auditNote{}
	r = r.WithContext(context.WithValue(r.Context(), auditNoteKey{}, note))
	aw := &auditWriter{ResponseWriter: w}
	tenant := r.PathValue("tenant")
	if tenant == "" {
		tenant = access.AllTenants
	}
	defer func() {
		p := recover()
		status := aw.status
		switch {
		case p != nil:
			status = http.StatusInternalServerError
		case status == 0:
			status = http.StatusOK // what net/http answers for a handler that wrote nothing
		}
		e := store.AuditEntry{
			Tenant: tenant, KeyID: c.KeyID, KeyName: c.Name, Method: r.Method, Route: r.Pattern, Path: r.URL.Path,
			Status: status, At: a.Now(), Before: note.before,
			Request: auditBody(head, len(head) > maxAuditBody, r.Header.Get("Content-Type")),
			After:   auditBody(aw.body.Bytes(), aw.cut, aw.Header().Get("Content-Type")),
		}
		if _, err := a.Audit.RecordAudit(context.WithoutCancel(r.Context()), e); err != nil {
			a.log().Error("admin API: recording audit entry", "key", c.KeyID, "route", r.Pattern, "status", status, "err", err)
			if a.AuditFailures != nil {
				a.AuditFailures.Inc()
			}
		}
		if p != nil {
			panic(p)
		}
	}()
	next.ServeHTTP(aw, r)
}

// auditBody is what an audit entry keeps of a body: the JSON with its
// secrets redacted, or a note of what was left out (a body that is not
// JSON, or longer than maxAuditBody).
func auditBody(b []byte, cut bool, contentType string) json.RawMessage {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return nil
	case cut:
		out, _ := json.Marshal(map[string]any{"omitted": "longer than " + strconv.Itoa(maxAuditBody) + " bytes", "content_type": contentType})
		return out
	case !json.Valid(b):
		out, _ := json.Marshal(map[string]any{"omitted": "not JSON", "bytes": len(b), "content_type": contentType})
		return out
	}
	return redactJSON(b)
}

// redactJSON replaces the values of secret fields, at any depth, with
// "[redacted]".
func redactJSON(b []byte) json.RawMessage {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // "points > 100" reads as written
	if err := enc.Encode(redactValue(v)); err != nil {
		return nil
	}
	return bytes.TrimSpace(out.Bytes())
}

func redactValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if secretField(k) {
				v[k] = redacted
			} else {
				v[k] = redactValue(x)
			}
		}
	case []any:
		for i, x := range v {
			v[i] = redactValue(x)
		}
	}
	return v
}

func secretField(name string) bool {
	name = strings.ToLower(name)
	for _, s := range secretFields {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// getAudit lists the tenant's audit log, newest first, a page at a time:
// from and to (RFC 3339 or a date in the tenant's time zone) bound the
// time, key selects one key's writes ("admin_token" the token's), limit
// (100 by default) and after (the previous page's next) page.
func (a *API) getAudit(w http.ResponseWriter, r *http.Request, t *runtime.Tenant) {
	a.listAudit(w, r, t.ID, t.Location)
}

// getGlobalAudit lists the audit log of the writes on routes across
// tenants (key management of every tenant).
func (a *API) getGlobalAudit(w http.ResponseWriter, r *http.Request) {
	a.listAudit(w, r, access.AllTenants, nil)
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request, tenant string, loc *time.Location) {
	if a.Audit == nil {
		respond.Error(w, http.StatusNotFound, "no audit log: the hub keeps none")
		return
	}
	q := r.URL.Query()
	aq := store.AuditQuery{Tenant: tenant, KeyID: q.Get("key")}
	var ok bool
	if aq.From, ok = timeParam(w, q.Get("from"), "from", time.Time{}, loc); !ok {
		return
	}
	if aq.To, ok = timeParam(w, q.Get("to"), "to", time.Time{}, loc); !ok {
		return
	}
	if aq.Limit, ok = limitParam(w, r); !ok {
		return
	}
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			respond.Error(w, http.StatusBadRequest, "after must be the next of a previous page")
			return
		}
		aq.Before = n
	}
	es, err := a.Audit.ListAudit(r.Context(), aq)
	next := ""
	if len(es) == aq.Limit {
		next = strconv.FormatInt(es[len(es)-1].ID, 10)
	}
	a.respond(w, map[string]any{"entries": nonNil(es), "next": next}, err, "")
}
