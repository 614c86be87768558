package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
)

// QualityUpdate is Meta's phone_number_quality_update for one number:
// Event is FLAGGED, UNFLAGGED, DOWNGRADE, UPGRADE, ONBOARDING or
// THROUGHPUT_UPGRADE; CurrentLimit and OldLimit are the TIER_* names older
// payloads carry (empty: left out); MaxDailyConversations is the business
// portfolio's limit newer payloads carry (250, 2000, 10000, 100000, -1
// unlimited; 0: left out).
type QualityUpdate struct {
	Event                 string `json:"event"`
	CurrentLimit          string `json:"current_limit,omitempty"`
	OldLimit              string `json:"old_limit,omitempty"`
	MaxDailyConversations int    `json:"max_daily_conversations_per_business,omitempty"`
}

// SetQuality posts Meta's phone_number_quality_update webhook for the
// number with phoneID. It reports whether the number exists.
func (s *Server) SetQuality(phoneID string, q QualityUpdate) bool {
	n, ok := s.numbers()[phoneID]
	if !ok {
		return false
	}
	display := n.DisplayPhoneNumber
	if display == "" {
		display = phoneID
	}
	value := map[string]any{"display_phone_number": display, "event": strings.ToUpper(q.Event)}
	if q.CurrentLimit != "" {
		value["current_limit"] = q.CurrentLimit
	}
	if q.OldLimit != "" {
		value["old_limit"] = q.OldLimit
	}
	if q.MaxDailyConversations != 0 {
		value["max_daily_conversations_per_business"] = q.MaxDailyConversations
	}
	if limit, ok := qualityLimit(q); ok {
		s.recordLimit(limit)
	}
	s.postChange(phoneID, n, "phone_number_quality_update", value, true)
	return true
}

// SetMessagingLimit posts Meta's business_capability_update webhook with
// the business portfolio's new messaging limit (250, 2000, 10000, 100000,
// -1 unlimited), once to each webhook URL of the sandbox's numbers.
func (s *Server) SetMessagingLimit(limit int) {
	s.recordLimit(limit)
	seen := map[string]bool{}
	for _, phoneID := range s.numberIDs() {
		n := s.numbers()[phoneID]
		url, _ := s.webhookOf(n)
		if seen[url+"|"+n.WABAID] {
			continue
		}
		seen[url+"|"+n.WABAID] = true
		s.postChange(phoneID, n, "business_capability_update",
			map[string]any{"max_daily_conversations_per_business": limit}, true)
	}
}

func (s *Server) handleQuality(w http.ResponseWriter, r *http.Request) {
	var q QualityUpdate
	if err := json.NewDecoder(r.Body).Decode(&q); err != nil || q.Event == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"event": "FLAGGED", "current_limit": "TIER_2K"}`})
		return
	}
	if !s.SetQuality(r.PathValue("id"), q) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such number"})
		return
	}
	writeJSON(w, http.StatusOK, q)
}

func (s *Server) handleMessagingLimit(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Limit int `json:"max_daily_conversations_per_business"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Limit == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"max_daily_conversations_per_business": 2000}`})
		return
	}
	s.SetMessagingLimit(body.Limit)
	writeJSON(w, http.StatusOK, body)
}
