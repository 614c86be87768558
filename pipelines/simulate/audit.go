package simulate

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// Kinds of policy violation the auditor finds.
const (
	// FreeFormOutsideWindow: a free-form message to a customer who had not
	// written to the number in the 24 hours before it.
	FreeFormOutsideWindow = "free_form_outside_window"
	// MarketingWithoutOptIn: a marketing template to a customer who never
	// opted in.
	MarketingWithoutOptIn = "marketing_without_opt_in"
	// MarketingAfterStop: a marketing template to a customer after they
	// wrote STOP or stopped marketing messages in WhatsApp.
	MarketingAfterStop = "marketing_after_stop"
	// OverThroughput: more messages accepted in one second than the
	// number's throughput.
	OverThroughput = "over_throughput"
	// OverMessagingLimit: a template to a new customer outside their
	// window while the unique customers so reached in the 24 hours before
	// it were already at the messaging limit.
	OverMessagingLimit = "over_messaging_limit"
)

// Kinds lists every kind of violation, in the report's order.
var Kinds = []string{FreeFormOutsideWindow, MarketingWithoutOptIn, MarketingAfterStop, OverThroughput, OverMessagingLimit}

// window is WhatsApp's customer service window.
const window = 24 * time.Hour

// Truth is what the simulation knows and the BSP does not: which
// customers opted in to marketing, and each number's throughput.
type Truth struct {
	// OptedIn holds the customers (digits, as wa_id) who gave their
	// marketing opt-in, and when.
	OptedIn map[string]time.Time
	// PerSecond is each number's throughput by phone number id; a number
	// not listed is not judged on it.
	PerSecond map[string]int
	// IsStop reports whether a customer's message says STOP. Default
	// StopWord.
	IsStop func(text string) bool
}

// Violation is one message that broke a rule.
type Violation struct {
	Kind      string    `json:"kind"`
	MessageID string    `json:"message_id,omitempty"`
	To        string    `json:"to,omitempty"`
	At        time.Time `json:"at"`
	Detail    string    `json:"detail"`
}

// Audit is the auditor's verdict.
type Audit struct {
	// Messages counts the accepted messages judged; ByCategory splits
	// them by category (service for free-form).
	Messages   int            `json:"messages"`
	ByCategory map[string]int `json:"by_category"`
	// Refused counts, by error code, the judged messages WhatsApp refused
	// after accepting them: the hub tried to send them all the same.
	Refused map[int]int `json:"refused,omitempty"`
	// Counts has every kind, 0 when none was found.
	Counts     map[string]int `json:"violations"`
	Violations []Violation    `json:"examples"` // at most 20 of each kind
	// PeakPerSecond is the most messages one number had accepted in one
	// second of the machine's clock.
	PeakPerSecond int `json:"peak_per_second"`
	// PeakReach is the most unique customers reached outside their window
	// in any 24 hours, against the limit then.
	PeakReach int `json:"peak_reach"`
}

// Total is the number of violations of every kind.
func (a Audit) Total() int {
	n := 0
	for _, c := range a.Counts {
		n += c
	}
	return n
}

const examplesPerKind = 20

func (a *Audit) add(v Violation) {
	a.Counts[v.Kind]++
	if a.Counts[v.Kind] <= examplesPerKind {
		a.Violations = append(a.Violations, v)
	}
}

// StopWord reports whether text is STOP, the stop word every language of
// the bot shares and the one the simulation's customers write. An audit of
// customers who write other stop words needs Truth.IsStop.
func StopWord(text string) bool {
	return strings.EqualFold(strings.TrimSpace(text), "stop")
}

// Judge audits what the sandbox accepted, from its own record, against
// WhatsApp's rules and the simulation's truth. The window, opt-in, STOP
// and messaging-limit rules are judged on the record's clock (the
// simulated one); the per-second throughput on the machine's clock of each
// acceptance (Received.Wall).
func Judge(r sandbox.Record, truth Truth) Audit {
	isStop := truth.IsStop
	if isStop == nil {
		isStop = StopWord
	}
	a := Audit{ByCategory: map[string]int{}, Counts: map[string]int{}}
	for _, k := range Kinds {
		a.Counts[k] = 0
	}
	msgs := slices.Clone(r.Messages)
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].ReceivedAt.Before(msgs[j].ReceivedAt) })

	// Customers' messages by number and customer, in time order; the
	// first STOP of each customer.
	inbound := map[string][]time.Time{}
	stops := map[string]time.Time{}
	noteStop := func(waID string, at time.Time) {
		if first, ok := stops[waID]; !ok || at.Before(first) {
			stops[waID] = at
		}
	}
	for _, in := range r.Inbound {
		key := in.PhoneNumberID + "/" + in.From
		inbound[key] = append(inbound[key], in.At)
		if isStop(in.Text) {
			noteStop(in.From, in.At)
		}
	}
	for _, k := range inbound {
		slices.SortFunc(k, func(x, y time.Time) int { return x.Compare(y) })
	}
	for _, p := range r.Preferences {
		if p.Stop {
			noteStop(p.WaID, p.At)
		}
	}
	windowOpen := func(phoneID, waID string, at time.Time) bool {
		times := inbound[phoneID+"/"+waID]
		// the last message at or before at
		i := sort.Search(len(times), func(i int) bool { return times[i].After(at) })
		return i > 0 && at.Sub(times[i-1]) < window
	}
	limits := slices.Clone(r.Limits)
	sort.SliceStable(limits, func(i, j int) bool { return limits[i].At.Before(limits[j].At) })
	limitAt := func(at time.Time) int {
		l := -1
		for _, c := range limits {
			if c.At.After(at) {
				break
			}
			l = c.Limit
		}
		return l
	}

	perSecond := map[string]map[int64]int{}
	// reached is the customers reached outside their window in the
	// moving 24 hours: the last such message to each, and the queue of
	// reaches in time order to let them leave.
	type reach struct {
		waID string
		at   time.Time
	}
	lastReach := map[string]time.Time{}
	var reaches []reach
	for _, m := range msgs {
		a.Messages++
		category := m.Category
		if m.Type != "template" {
			category = "service"
		} else if category == "" {
			category = "unknown"
		}
		a.ByCategory[category]++
		if m.Refused != 0 {
			if a.Refused == nil {
				a.Refused = map[int]int{}
			}
			a.Refused[m.Refused]++
		}
		if limit, ok := truth.PerSecond[m.PhoneNumberID]; ok && limit > 0 {
			secs := perSecond[m.PhoneNumberID]
			if secs == nil {
				secs = map[int64]int{}
				perSecond[m.PhoneNumberID] = secs
			}
			sec := m.Wall.Unix()
			secs[sec]++
			a.PeakPerSecond = max(a.PeakPerSecond, secs[sec])
			if secs[sec] == limit+1 {
				a.add(Violation{Kind: OverThroughput, MessageID: m.ID, To: m.WaID, At: m.ReceivedAt,
					Detail: fmt.Sprintf("number %s: more than %d messages accepted in the second %s", m.PhoneNumberID, limit, m.Wall.UTC().Format(time.RFC3339))})
			}
		}
		open := windowOpen(m.PhoneNumberID, m.WaID, m.ReceivedAt)
		if m.Type != "template" {
			if !open {
				a.add(Violation{Kind: FreeFormOutsideWindow, MessageID: m.ID, To: m.WaID, At: m.ReceivedAt,
					Detail: fmt.Sprintf("a %s message without a message from the customer in the 24 hours before", m.Type)})
			}
			continue
		}
		if category == messaging.CategoryMarketing {
			if in, ok := truth.OptedIn[m.WaID]; !ok || in.After(m.ReceivedAt) {
				a.add(Violation{Kind: MarketingWithoutOptIn, MessageID: m.ID, To: m.WaID, At: m.ReceivedAt,
					Detail: fmt.Sprintf("marketing template %s to a customer without an opt-in", m.Template)})
			}
			if stop, ok := stops[m.WaID]; ok && !stop.After(m.ReceivedAt) {
				a.add(Violation{Kind: MarketingAfterStop, MessageID: m.ID, To: m.WaID, At: m.ReceivedAt,
					Detail: fmt.Sprintf("marketing template %s %s after the customer's STOP", m.Template, m.ReceivedAt.Sub(stop))})
			}
		}
		if open {
			continue
		}
		for len(reaches) > 0 && m.ReceivedAt.Sub(reaches[0].at) >= window {
			if last := lastReach[reaches[0].waID]; !last.After(reaches[0].at) {
				delete(lastReach, reaches[0].waID)
			}
			reaches = reaches[1:]
		}
		_, known := lastReach[m.WaID]
		limit := limitAt(m.ReceivedAt)
		if !known && limit >= 0 && len(lastReach) >= limit {
			a.add(Violation{Kind: OverMessagingLimit, MessageID: m.ID, To: m.WaID, At: m.ReceivedAt,
				Detail: fmt.Sprintf("a new customer outside the window with %d already reached in 24 hours, limit %d", len(lastReach), limit)})
		}
		lastReach[m.WaID] = m.ReceivedAt
		reaches = append(reaches, reach{m.WaID, m.ReceivedAt})
		a.PeakReach = max(a.PeakReach, len(lastReach))
	}
	return a
}
