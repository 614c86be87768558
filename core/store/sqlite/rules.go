package sqlite

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/store"
)

// List limits.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return defaultLimit
	case n > maxLimit:
		return maxLimit
	}
	return n
}

// statusRank orders message statuses; failed and unknown share a rank.
var statusRank = map[string]int{
	store.MessagePending:   0,
	store.MessageSending:   1,
	store.MessageUnknown:   2,
	store.MessageFailed:    2,
	store.MessageSent:      3,
	store.MessageDelivered: 4,
	store.MessageRead:      5,
}

// advances reports whether a delivery report of status next moves a message
// that is at status cur forward. A failure applies until the message is
// known to have been delivered (a failure after sent is real). A sent report
// does not hide a failure that arrived before it; delivered and read
// override both failed and unknown.
func advances(cur, next string) bool {
	if next == store.MessageFailed {
		switch cur {
		case store.MessagePending, store.MessageSending, store.MessageUnknown, store.MessageSent:
			return true
		}
		return false
	}
	if cur == store.MessageFailed && next == store.MessageSent {
		return false
	}
	return statusRank[next] > statusRank[cur]
}

func checkStatus(status string) error {
	if _, ok := statusRank[status]; !ok {
		return fault.Permanent(fault.ClassRequest, fmt.Errorf("unknown message status %q", status))
	}
	return nil
}

func newMemberID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "mem_" + hex.EncodeToString(b[:])
}

func validateAward(a store.Award) error {
	switch {
	case a.Tenant == "":
		return errors.New("award has no tenant")
	case a.EventID == "":
		return errors.New("award has no event id")
	case a.Rule == "":
		return errors.New("award has no rule")
	case a.Phone == "":
		return errors.New("award has no phone")
	}
	return nil
}

// stamp returns t (or now when t is zero) in UTC at the precision stored.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

func toDB(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromDB(v int64) time.Time { return time.UnixMicro(v).UTC() }
