package twilio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/fault"
)

// Form reads Twilio's webhooks for the whatsapp_twilio mapping, which maps
// JSON: Enrich turns a form-encoded body into a JSON object of its
// parameters, a parameter given once as a string and one repeated as a list
// of strings. A JSON object (a failed item's body, replayed) passes as it
// is. It calls nothing and is safe for concurrent use.
type Form struct{}

var _ connectors.Enricher = Form{}

// Enrich converts body; a body that is not form-encoded is a permanent
// error, dead-lettered with the reason.
func (Form) Enrich(ctx context.Context, _ connectors.Delivery, body []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		return body, nil
	}
	params, err := ParseForm(body)
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, err)
	}
	obj := make(map[string]any, len(params))
	for k, vs := range params {
		if len(vs) == 1 {
			obj[k] = vs[0]
		} else {
			obj[k] = vs
		}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fault.Permanent(fault.ClassRequest, fmt.Errorf("encoding webhook parameters: %w", err))
	}
	return b, nil
}

// ParseForm reads a form-encoded webhook body. Unlike url.ParseQuery it
// refuses a body it cannot read whole, so that no parameter is dropped
// unseen.
func ParseForm(body []byte) (url.Values, error) {
	params, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("reading form-encoded webhook: %w", err)
	}
	return params, nil
}
