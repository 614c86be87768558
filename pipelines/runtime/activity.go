package runtime

import (
	"strings"
	"sync"
	"time"
)

// maxActivityError is how much of a failure's text Activity keeps.
const maxActivityError = 300

// Activity counts one direction of a connector's traffic since the process
// started (webhooks accepted or refused, sends accepted or failed) and
// remembers when the last of each happened, for the operator's health view.
// It is kept in memory, per replica. A nil *Activity records nothing. It is
// safe for concurrent use.
type Activity struct {
	mu sync.Mutex
	s  ActivityStats
}

// ActivityStats is what an Activity saw.
type ActivityStats struct {
	OK         int64     `json:"ok"`
	Failed     int64     `json:"failed"`
	LastOK     time.Time `json:"last_ok,omitzero"`
	LastFailed time.Time `json:"last_failed,omitzero"`
	// LastError is the last failure's text, cut to 300 bytes.
	LastError string `json:"last_error,omitempty"`
}

// ErrorRate is the share of failures among everything seen, 0 when
// nothing was.
func (s ActivityStats) ErrorRate() float64 {
	if s.OK+s.Failed == 0 {
		return 0
	}
	return float64(s.Failed) / float64(s.OK+s.Failed)
}

// Succeeded records a success at at.
func (a *Activity) Succeeded(at time.Time) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.s.OK++
	a.s.LastOK = at
}

// Failed records a failure at at, and why.
func (a *Activity) Failed(at time.Time, reason string) {
	if a == nil {
		return
	}
	if len(reason) > maxActivityError {
		reason = strings.ToValidUTF8(reason[:maxActivityError], "")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.s.Failed++
	a.s.LastFailed, a.s.LastError = at, reason
}

// Stats returns what was recorded so far.
func (a *Activity) Stats() ActivityStats {
	if a == nil {
		return ActivityStats{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.s
}
