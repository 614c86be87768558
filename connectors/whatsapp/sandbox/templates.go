package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/internal/cloud"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// maxTemplatesBody caps a POST /sandbox/templates body.
const maxTemplatesBody = 4 << 20

// ParseTemplates reads templates in Meta's message_templates shape: the
// Graph API's listing ({"data": [{name, language, status, category,
// parameter_format, components}, …]}), as GET
// /{waba_id}/message_templates answers it, or a bare array of those
// objects. Each needs a name and a language; a template without a status
// is APPROVED. Fields the sandbox does not use (id, quality_score…) are
// ignored.
func ParseTemplates(body []byte) ([]messaging.TemplateInfo, error) {
	body = bytes.TrimSpace(body)
	var wire []cloud.WireTemplate
	switch {
	case len(body) == 0:
		return nil, errors.New("no templates: the body is empty")
	case body[0] == '[':
		if err := json.Unmarshal(body, &wire); err != nil {
			return nil, fmt.Errorf("reading templates: %w", err)
		}
	default:
		var listing struct {
			Data *[]cloud.WireTemplate `json:"data"`
		}
		if err := json.Unmarshal(body, &listing); err != nil {
			return nil, fmt.Errorf("reading templates: %w", err)
		}
		if listing.Data == nil {
			return nil, errors.New(`reading templates: want Meta's listing {"data": [...]} or an array of templates`)
		}
		wire = *listing.Data
	}
	out := make([]messaging.TemplateInfo, 0, len(wire))
	for i, w := range wire {
		if strings.TrimSpace(w.Name) == "" || strings.TrimSpace(w.Language) == "" {
			return nil, fmt.Errorf("template %d: name and language are required", i)
		}
		info := w.Info()
		if info.Status == "" {
			info.Status = messaging.TemplateApproved
		}
		out = append(out, info)
	}
	return out, nil
}

// AddTemplates adds templates to the shared registry, the one of every
// account without templates of its own, each replacing the one of the same
// name and language. A registry that was empty accepted any template; from
// now on it checks sends against its entries.
func (s *Server) AddTemplates(ts []messaging.TemplateInfo) {
	s.AddAccountTemplates("", ts)
}

// AddAccountTemplates adds templates to the registry of the account with
// WABA id waba (the shared one for ""), creating it: the numbers of that
// account are checked against it alone, and its listing shows it.
func (s *Server) AddAccountTemplates(waba string, ts []messaging.TemplateInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reg := s.rules.shared
	if waba != "" {
		if reg = s.rules.accounts[waba]; reg == nil {
			reg = &templateRegistry{}
			s.rules.accounts[waba] = reg
		}
	}
	reg.add(ts)
}

// handleAddTemplates serves POST /sandbox/templates[?waba_id=ID]: a body
// as ParseTemplates reads it, for the shared registry or the account's.
func (s *Server) handleAddTemplates(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxTemplatesBody)); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "reading body: " + err.Error()})
		return
	}
	ts, err := ParseTemplates(buf.Bytes())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	waba := r.URL.Query().Get("waba_id")
	s.AddAccountTemplates(waba, ts)
	s.mu.Lock()
	total := len(s.rules.registryFor(waba).templates)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]int{"added": len(ts), "templates": total})
}
