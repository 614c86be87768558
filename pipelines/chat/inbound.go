package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// inboundColumns are the keys of message.received data the inbound message
// log keeps apart (its columns, and the contact's profile name): the rest is
// the message's content.
var inboundColumns = []string{"message_id", "phone", "user_id", "type", "text", "timestamp", "name"}

// InboundContent is what a customer sent besides its type and text: the
// message.received data without the keys the log keeps apart, as a JSON
// object, every field the mapping gave (custom mappings' own ones too);
// nil when nothing is left.
func InboundContent(data json.RawMessage) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("reading the message's content: %w", err)
	}
	for _, k := range inboundColumns {
		delete(fields, k)
	}
	for k, v := range fields {
		if string(v) == "null" {
			delete(fields, k)
		}
	}
	if len(fields) == 0 {
		return nil, nil
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encoding the message's content: %w", err)
	}
	if !utf8.Valid(out) {
		// Raw values keep the bytes they came with; decoded and encoded
		// again, what is not UTF-8 becomes U+FFFD, as in the text.
		var v map[string]any
		d := json.NewDecoder(bytes.NewReader(out))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("reading the message's content: %w", err)
		}
		if out, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("encoding the message's content: %w", err)
		}
	}
	return out, nil
}
