package hubspot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const fakeToken = "pat-na1-11111111-2222-3333-4444-555555555555"

// crm is a portal's records, as the fake serves them.
type crm struct {
	Contacts     map[string]map[string]string `json:"contacts"`
	Deals        map[string]map[string]string `json:"deals"`
	DealContacts map[string][]string          `json:"deal_contacts"`
}

// fakeHubSpot speaks the slice of HubSpot's CRM API the connector uses:
// batch read of contacts and deals, v4 batch read of deal-to-contact
// associations, and batch update of contacts by a unique property. It
// answers like HubSpot: 207 with OBJECT_NOT_FOUND errors for missing
// records, 401 for a wrong token, 400 for malformed input.
type fakeHubSpot struct {
	t      testing.TB
	server *httptest.Server

	mu       sync.Mutex
	crm      crm
	requests []fakeRequest
	queued   map[string][]fakeAnswer // path → answers given before the real one
	// writable are the contact properties a batch update may set.
	writable []string
}

type fakeRequest struct {
	Path string
	Body json.RawMessage
	At   time.Time
}

type fakeAnswer struct {
	status int
	header map[string]string
	body   string
}

func newFake(t testing.TB, data crm) *fakeHubSpot {
	t.Helper()
	f := &fakeHubSpot{t: t, crm: data, queued: map[string][]fakeAnswer{},
		writable: []string{"loyalty_points", "loyalty_tier"}}
	if f.crm.Contacts == nil {
		f.crm.Contacts = map[string]map[string]string{}
	}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

func loadCRM(t testing.TB) crm {
	t.Helper()
	b, err := os.ReadFile("testdata/crm.json")
	require.NoError(t, err)
	var data crm
	require.NoError(t, json.Unmarshal(b, &data))
	return data
}

// queue makes the next request to path get answer instead of the real one.
func (f *fakeHubSpot) queue(path string, a fakeAnswer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queued[path] = append(f.queued[path], a)
}

func (f *fakeHubSpot) calls() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakeHubSpot) contact(id string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.crm.Contacts[id]
}

func (f *fakeHubSpot) serve(w http.ResponseWriter, r *http.Request) {
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, fakeRequest{Path: r.URL.Path, Body: bytes.Clone(body.Bytes()), At: time.Now()})

	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	if r.Header.Get("Authorization") != "Bearer "+fakeToken {
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"status": "error", "category": "INVALID_AUTHENTICATION",
			"message":       "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
			"correlationId": "c0a3f2e1-0000-4000-8000-000000000401",
		})
		return
	}
	if q := f.queued[r.URL.Path]; len(q) > 0 {
		f.queued[r.URL.Path] = q[1:]
		for k, v := range q[0].header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(q[0].status)
		_, _ = w.Write([]byte(q[0].body))
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"status": "error", "message": "want POST application/json"})
		return
	}
	switch r.URL.Path {
	case pathContactsRead:
		f.batchRead(w, body.Bytes(), "CONTACT", f.crm.Contacts)
	case pathDealsRead:
		f.batchRead(w, body.Bytes(), "DEAL", f.crm.Deals)
	case pathDealContacts:
		f.associations(w, body.Bytes())
	case pathContactsUpdate:
		f.batchUpdate(w, body.Bytes())
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"status": "error", "message": "no route " + r.URL.Path, "category": "OBJECT_NOT_FOUND"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func validationError(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"status": "error", "category": "VALIDATION_ERROR", "message": msg,
		"correlationId": "c0a3f2e1-0000-4000-8000-000000000400",
	})
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

const stamp = "2026-11-23T03:00:00.000Z"

func (f *fakeHubSpot) batchRead(w http.ResponseWriter, body []byte, kind string, records map[string]map[string]string) {
	var in struct {
		Properties []string `json:"properties"`
		Inputs     []struct {
			ID string `json:"id"`
		} `json:"inputs"`
	}
	if err := decodeStrict(body, &in); err != nil {
		validationError(w, "Invalid input JSON: "+err.Error())
		return
	}
	if len(in.Inputs) == 0 || len(in.Inputs) > maxBatch {
		validationError(w, fmt.Sprintf("batch size %d out of range 1..100", len(in.Inputs)))
		return
	}
	var results []map[string]any
	var missing []string
	for _, input := range in.Inputs {
		rec, ok := records[input.ID]
		if !ok {
			missing = append(missing, input.ID)
			continue
		}
		props := map[string]any{"hs_object_id": input.ID, "createdate": stamp, "lastmodifieddate": stamp}
		for _, p := range in.Properties {
			if v, ok := rec[p]; ok {
				props[p] = v
			} else {
				props[p] = nil
			}
		}
		results = append(results, map[string]any{
			"id": input.ID, "properties": props, "createdAt": stamp, "updatedAt": stamp, "archived": false,
		})
	}
	answer := map[string]any{"status": "COMPLETE", "results": results, "startedAt": stamp, "completedAt": stamp}
	status := http.StatusOK
	if len(missing) > 0 {
		status = http.StatusMultiStatus
		answer["numErrors"] = 1
		answer["errors"] = []any{map[string]any{
			"status": "error", "category": "OBJECT_NOT_FOUND",
			"message": "Could not get some " + kind + " objects, they may be deleted or not exist. Check that ids are valid.",
			"context": map[string]any{"ids": missing},
		}}
	}
	if results == nil {
		answer["results"] = []any{}
	}
	writeJSON(w, status, answer)
}

func (f *fakeHubSpot) associations(w http.ResponseWriter, body []byte) {
	var in struct {
		Inputs []struct {
			ID string `json:"id"`
		} `json:"inputs"`
	}
	if err := decodeStrict(body, &in); err != nil {
		validationError(w, "Invalid input JSON: "+err.Error())
		return
	}
	results := []any{}
	var errs []any
	for _, input := range in.Inputs {
		ids := f.crm.DealContacts[input.ID]
		if len(ids) == 0 {
			errs = append(errs, map[string]any{
				"status": "error", "category": "OBJECT_NOT_FOUND", "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
				"message": "No contact is associated with deal " + input.ID + ".",
				"context": map[string]any{"fromObjectId": []string{input.ID}},
			})
			continue
		}
		var to []any
		for _, id := range ids {
			n, _ := strconv.ParseInt(id, 10, 64)
			to = append(to, map[string]any{
				"toObjectId":       n, // a number, as HubSpot sends it
				"associationTypes": []any{map[string]any{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": nil}},
			})
		}
		results = append(results, map[string]any{"from": map[string]any{"id": input.ID}, "to": to})
	}
	answer := map[string]any{"status": "COMPLETE", "results": results, "startedAt": stamp, "completedAt": stamp}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusMultiStatus
		answer["numErrors"] = len(errs)
		answer["errors"] = errs
	}
	writeJSON(w, status, answer)
}

func (f *fakeHubSpot) batchUpdate(w http.ResponseWriter, body []byte) {
	var in struct {
		Inputs []struct {
			ID         string            `json:"id"`
			IDProperty string            `json:"idProperty"`
			Properties map[string]string `json:"properties"`
		} `json:"inputs"`
	}
	if err := decodeStrict(body, &in); err != nil {
		validationError(w, "Invalid input JSON: "+err.Error())
		return
	}
	if len(in.Inputs) == 0 || len(in.Inputs) > maxBatch {
		validationError(w, fmt.Sprintf("batch size %d out of range 1..100", len(in.Inputs)))
		return
	}
	seen := map[string]bool{}
	for _, input := range in.Inputs {
		if seen[input.ID] {
			validationError(w, "Duplicate IDs found in batch input: ["+input.ID+"]. IDs must be unique")
			return
		}
		seen[input.ID] = true
		for p := range input.Properties {
			if !slices.Contains(f.writable, p) {
				validationError(w, "Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\""+p+"\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\""+p+"\"}]")
				return
			}
		}
	}
	results := []any{}
	var missing []string
	for _, input := range in.Inputs {
		id := f.find(input.IDProperty, input.ID)
		if id == "" {
			missing = append(missing, input.ID)
			continue
		}
		for k, v := range input.Properties {
			f.crm.Contacts[id][k] = v
		}
		results = append(results, map[string]any{"id": id, "properties": input.Properties, "createdAt": stamp, "updatedAt": stamp, "archived": false})
	}
	answer := map[string]any{"status": "COMPLETE", "results": results, "startedAt": stamp, "completedAt": stamp}
	status := http.StatusOK
	if len(missing) > 0 {
		status = http.StatusMultiStatus
		answer["numErrors"] = 1
		answer["errors"] = []any{map[string]any{
			"status": "error", "category": "OBJECT_NOT_FOUND",
			"message": "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
			"context": map[string]any{"ids": missing},
		}}
	}
	writeJSON(w, status, answer)
}

// find returns the id of the contact whose property prop is value (by id
// when prop is empty).
func (f *fakeHubSpot) find(prop, value string) string {
	if prop == "" {
		if _, ok := f.crm.Contacts[value]; ok {
			return value
		}
		return ""
	}
	for id, c := range f.crm.Contacts {
		v := c[prop]
		if v == value || (prop == "email" && strings.EqualFold(v, value)) {
			return id
		}
	}
	return ""
}
