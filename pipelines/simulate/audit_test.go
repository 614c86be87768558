package simulate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
)

var t0 = time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)

const number = "100"

func tmpl(id, to, category string, at time.Time) sandbox.Received {
	return sandbox.Received{ID: id, PhoneNumberID: number, WaID: to, Type: "template", Template: "t_" + category,
		Category: category, ReceivedAt: at, Wall: at}
}

func text(id, to string, at time.Time) sandbox.Received {
	return sandbox.Received{ID: id, PhoneNumberID: number, WaID: to, Type: "text", ReceivedAt: at, Wall: at}
}

func wrote(from, words string, at time.Time) sandbox.InboundRecord {
	return sandbox.InboundRecord{PhoneNumberID: number, From: from, Type: "text", Text: words, At: at}
}

func TestJudge(t *testing.T) {
	optedIn := map[string]time.Time{"1": t0.Add(-time.Hour), "2": t0.Add(-time.Hour), "3": t0.Add(2 * time.Hour)}
	truth := Truth{OptedIn: optedIn, PerSecond: map[string]int{number: 2}}
	limit := func(n int) []sandbox.LimitChange {
		return []sandbox.LimitChange{{Limit: n, At: t0.Add(-48 * time.Hour)}}
	}
	tests := []struct {
		name   string
		record sandbox.Record
		want   map[string]int
	}{
		{"clean: replies in the window, marketing to the opted in, utility to anyone", sandbox.Record{
			Inbound: []sandbox.InboundRecord{wrote("1", "points", t0)},
			Messages: []sandbox.Received{
				text("a", "1", t0.Add(time.Minute)),
				text("b", "1", t0.Add(23*time.Hour)),
				tmpl("c", "2", "marketing", t0.Add(time.Second)),
				tmpl("d", "4", "utility", t0.Add(2*time.Second)),
				tmpl("e", "3", "marketing", t0.Add(3*time.Hour)),
			},
			Limits: limit(250),
		}, nil},
		{"free-form outside the window", sandbox.Record{
			Inbound: []sandbox.InboundRecord{wrote("1", "hi", t0)},
			Messages: []sandbox.Received{
				text("a", "1", t0.Add(24*time.Hour)),                // the window has just closed
				text("b", "2", t0.Add(time.Minute)),                 // never wrote
				text("c", "1", t0.Add(-time.Minute)),                // before writing
				text("d", "1", t0.Add(23*time.Hour+59*time.Minute)), // still open
			},
		}, map[string]int{FreeFormOutsideWindow: 3}},
		{"marketing without opt-in", sandbox.Record{
			Messages: []sandbox.Received{
				tmpl("a", "9", "marketing", t0),                // never opted in
				tmpl("b", "3", "marketing", t0.Add(time.Hour)), // opts in later
				tmpl("c", "9", "utility", t0),                  // utility needs none
			},
		}, map[string]int{MarketingWithoutOptIn: 2}},
		{"marketing after STOP, written or in WhatsApp", sandbox.Record{
			Inbound:     []sandbox.InboundRecord{wrote("1", " Stop ", t0), wrote("2", "stop please", t0)},
			Preferences: []sandbox.Preference{{WaID: "2", Stop: true, At: t0.Add(time.Hour)}},
			Messages: []sandbox.Received{
				tmpl("a", "1", "marketing", t0.Add(-time.Second)), // before it
				tmpl("b", "1", "marketing", t0),
				tmpl("c", "1", "utility", t0.Add(time.Minute)),
				tmpl("d", "2", "marketing", t0.Add(30*time.Minute)), // not a STOP yet
				tmpl("e", "2", "marketing", t0.Add(2*time.Hour)),
			},
		}, map[string]int{MarketingAfterStop: 2}},
		{"over the number's throughput in one second", sandbox.Record{
			Inbound: []sandbox.InboundRecord{wrote("1", "hi", t0.Add(-time.Hour))},
			Messages: []sandbox.Received{
				text("a", "1", t0), text("b", "1", t0.Add(300*time.Millisecond)), text("c", "1", t0.Add(600*time.Millisecond)),
				text("d", "1", t0.Add(time.Second)), text("e", "1", t0.Add(1500*time.Millisecond)),
			},
		}, map[string]int{OverThroughput: 1}},
		{"over the messaging limit in a moving 24 hours", sandbox.Record{
			Inbound: []sandbox.InboundRecord{wrote("5", "hi", t0)},
			Messages: []sandbox.Received{
				tmpl("a", "4", "utility", t0),
				tmpl("b", "6", "utility", t0.Add(time.Hour)),
				tmpl("c", "4", "utility", t0.Add(2*time.Hour)),                 // reached already: no new one
				tmpl("d", "5", "utility", t0.Add(3*time.Hour)),                 // in their window: not counted
				tmpl("e", "7", "utility", t0.Add(4*time.Hour)),                 // a third: over
				tmpl("f", "8", "utility", t0.Add(25*time.Hour+30*time.Minute)), // 6 has left; 4 (again at +2h) and 7 remain: over
				tmpl("g", "9", "utility", t0.Add(29*time.Hour)),                // 4 and 7 have left
			},
			Limits: limit(2),
		}, map[string]int{OverMessagingLimit: 2}},
		{"a raised limit lets more through", sandbox.Record{
			Messages: []sandbox.Received{
				tmpl("a", "4", "utility", t0),
				tmpl("b", "6", "utility", t0.Add(time.Hour)),
				tmpl("c", "7", "utility", t0.Add(3*time.Hour)),
			},
			Limits: []sandbox.LimitChange{{Limit: 2, At: t0.Add(-time.Hour)}, {Limit: 10000, At: t0.Add(2 * time.Hour)}},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Judge(tt.record, truth)
			want := map[string]int{}
			for _, k := range Kinds {
				want[k] = tt.want[k]
			}
			assert.Equal(t, want, a.Counts, "%+v", a.Violations)
			assert.Equal(t, len(tt.record.Messages), a.Messages)
			assert.Len(t, a.Violations, a.Total())
		})
	}
}

func TestJudgeCountsByCategory(t *testing.T) {
	r := sandbox.Record{
		Inbound:  []sandbox.InboundRecord{wrote("1", "hi", t0)},
		Messages: []sandbox.Received{text("a", "1", t0), tmpl("b", "1", "utility", t0), tmpl("c", "1", "marketing", t0), tmpl("d", "1", "", t0)},
	}
	a := Judge(r, Truth{OptedIn: map[string]time.Time{"1": t0}})
	assert.Equal(t, map[string]int{"service": 1, "utility": 1, "marketing": 1, "unknown": 1}, a.ByCategory)
	assert.Zero(t, a.Total())
}

// A message WhatsApp accepted and then refused is judged like any other:
// the hub sent it. Marketing refused with 131050 after the customer
// stopped marketing in WhatsApp is a marketing message after STOP.
func TestJudgeRefusedMessages(t *testing.T) {
	refused := tmpl("b", "1", "marketing", t0.Add(time.Minute))
	refused.Refused = 131050
	r := sandbox.Record{
		Preferences: []sandbox.Preference{{WaID: "1", Stop: true, At: t0}},
		Messages:    []sandbox.Received{tmpl("a", "1", "marketing", t0.Add(-time.Minute)), refused},
	}
	a := Judge(r, Truth{OptedIn: map[string]time.Time{"1": t0.Add(-time.Hour)}})
	assert.Equal(t, map[string]int{"marketing": 2}, a.ByCategory)
	assert.Equal(t, map[int]int{131050: 1}, a.Refused)
	assert.Equal(t, 1, a.Counts[MarketingAfterStop])
}

func TestReportShowsRefusals(t *testing.T) {
	rep := Report{Audit: Audit{Counts: map[string]int{}, ByCategory: map[string]int{"marketing": 3}, Refused: map[int]int{131050: 2, 131049: 1}}}
	assert.Contains(t, rep.Markdown(), "refused by WhatsApp with a failed status (judged like the rest): 1 × 131049, 2 × 131050.")
	rep.Audit.Refused = nil
	assert.NotContains(t, rep.Markdown(), "refused by WhatsApp")
}
