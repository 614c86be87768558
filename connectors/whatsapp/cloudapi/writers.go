package cloudapi

import (
	"bytes"
	"encoding/json"
)

// Writers lists the customers whose own messages or marketing
// preferences a Cloud API webhook body carries, in every form the webhook
// names them: the from (wa_id, digits) and from_user_id (business-scoped
// user id) of each change's messages, and the wa_id and user_id of its
// user_preferences. System messages (a customer's new number) are
// WhatsApp's, not the customer's words, and delivery reports name no
// writer. A body that is not the webhook's JSON lists no one (the lanes
// dead-letter it).
func Writers(body []byte) []string {
	if !bytes.Contains(body, []byte(`"messages"`)) && !bytes.Contains(body, []byte(`"user_preferences"`)) {
		return nil // delivery reports, most of the traffic: not decoded
	}
	var w struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages []struct {
						From       string `json:"from"`
						FromUserID string `json:"from_user_id"`
						Type       string `json:"type"`
					} `json:"messages"`
					UserPreferences []struct {
						WAID   string `json:"wa_id"`
						UserID string `json:"user_id"`
					} `json:"user_preferences"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if json.Unmarshal(body, &w) != nil {
		return nil
	}
	var out []string
	add := func(forms ...string) {
		for _, f := range forms {
			if f != "" {
				out = append(out, f)
			}
		}
	}
	for _, e := range w.Entry {
		for _, c := range e.Changes {
			for _, m := range c.Value.Messages {
				if m.Type != "system" {
					add(m.From, m.FromUserID)
				}
			}
			for _, p := range c.Value.UserPreferences {
				add(p.WAID, p.UserID)
			}
		}
	}
	return out
}
