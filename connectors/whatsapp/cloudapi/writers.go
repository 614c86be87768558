package cloudapi

import (
	"bytes"
	"encoding/json"
)

// Writers lists the customers (wa_id, digits) whose own messages or
// marketing preferences a Cloud API webhook body carries: the from of
// each change's messages and the wa_id of its user_preferences. Delivery
// reports name no writer. A body that is not the webhook's JSON lists no
// one (the lanes dead-letter it).
func Writers(body []byte) []string {
	if !bytes.Contains(body, []byte(`"messages"`)) && !bytes.Contains(body, []byte(`"user_preferences"`)) {
		return nil // delivery reports, most of the traffic: not decoded
	}
	var w struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct {
						From string `json:"from"`
					} `json:"messages"`
					UserPreferences []struct {
						WAID string `json:"wa_id"`
					} `json:"user_preferences"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if json.Unmarshal(body, &w) != nil {
		return nil
	}
	var out []string
	for _, e := range w.Entry {
		for _, c := range e.Changes {
			for _, m := range c.Value.Messages {
				out = append(out, m.From)
			}
			for _, p := range c.Value.UserPreferences {
				out = append(out, p.WAID)
			}
		}
	}
	return out
}
