package sandbox

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRecordOnItsClock: the record keeps what was accepted, written,
// stopped and announced, at the sandbox's clock, with the template's
// category and the machine's time of each acceptance beside it.
func TestRecordOnItsClock(t *testing.T) {
	sim := time.Date(2027, 1, 5, 10, 0, 0, 0, time.UTC)
	cfg := testConfig()
	cfg.Templates = registry
	cfg.Clock = func() time.Time { return sim }
	cfg.MessagingLimit = 2000
	cfg.EnforceWindow = true
	s, hs := newTestServer(t, cfg)

	_, err := s.SendInbound(Inbound{From: "6281234567890", Text: "STOP"})
	require.NoError(t, err)
	tmpl := `{"messaging_product":"whatsapp","to":"6281234567890","type":"template","template":{"name":"points_earned","language":{"code":"id"},"components":[{"type":"body","parameters":[{"type":"text","text":"Sari"},{"type":"text","text":"120"}]}]}}`
	text := `{"messaging_product":"whatsapp","to":"6281234567890","type":"text","text":{"body":"hi"}}`
	before := time.Now()
	require.Equal(t, http.StatusOK, send(t, hs.URL, testToken, testPhoneID, tmpl).status)
	require.Equal(t, http.StatusOK, send(t, hs.URL, testToken, testPhoneID, text).status)
	s.SetMarketing("6281234567890", true)
	s.SetMessagingLimit(10000)
	require.True(t, s.SetQuality(testPhoneID, QualityUpdate{Event: "FLAGGED", CurrentLimit: "TIER_2K"}))

	// A day later the window is closed on the sandbox's clock, whatever
	// the machine's says.
	sim = sim.Add(25 * time.Hour)
	a := send(t, hs.URL, testToken, testPhoneID, text)
	assert.Equal(t, 131047, a.code(), "%v", a.body)

	r := s.Record()
	require.Len(t, r.Messages, 2)
	assert.Equal(t, "points_earned", r.Messages[0].Template)
	assert.Equal(t, "utility", r.Messages[0].Category)
	assert.Equal(t, "", r.Messages[1].Category)
	assert.Equal(t, sim.Add(-25*time.Hour), r.Messages[0].ReceivedAt)
	assert.False(t, r.Messages[0].Wall.Before(before), "the wall time is the machine's")
	require.Len(t, r.Inbound, 1)
	assert.Equal(t, InboundRecord{ID: r.Inbound[0].ID, PhoneNumberID: testPhoneID, From: "6281234567890", Type: "text", Text: "STOP", At: sim.Add(-25 * time.Hour)}, r.Inbound[0])
	assert.Equal(t, []Preference{{WaID: "6281234567890", Stop: true, At: sim.Add(-25 * time.Hour)}}, r.Preferences)
	assert.Equal(t, []int{2000, 10000, 2000}, limitsOf(r.Limits), fmt.Sprint(r.Limits))
}

func limitsOf(ls []LimitChange) []int {
	out := make([]int, len(ls))
	for i, l := range ls {
		out[i] = l.Limit
	}
	return out
}
