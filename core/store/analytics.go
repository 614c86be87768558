package store

import (
	"context"
	"time"
)

// Analytics reads what became of the messages the hub wrote, and what a
// loyalty program achieved.
type Analytics interface {
	// Funnel follows the messages written in a period, by origin (see
	// Message.Origin): how many were written, skipped by reason, failed,
	// sent, delivered and read, and how many were followed by a reply
	// from the recipient within a day of being sent, by a click on one of
	// their short links, or by an order of the member within the
	// attribution window, with those orders' revenue, and what the
	// messages cost. Rows come sorted by origin.
	Funnel(ctx context.Context, q FunnelQuery) ([]FunnelRow, error)
	// FunnelStatuses counts the same messages as Funnel by status alone:
	// targeted, skipped by reason, failed, waiting, sent, delivered and
	// read, and their cost, without following replies, clicks and orders
	// (q.Window is unused). It reads only the messages' rows, for a
	// running campaign's watch.
	FunnelStatuses(ctx context.Context, q FunnelQuery) ([]FunnelRow, error)
	// LinkClicks reports the short links of the same messages as Funnel
	// (q.Window is unused) by URL and origin: how many messages carried
	// the URL, the clicks on it (by people, not previews), of them from
	// mobile devices, and how many of the messages were clicked. Rows come
	// sorted by clicks, most first, then URL and origin.
	LinkClicks(ctx context.Context, q FunnelQuery) ([]LinkRow, error)
	// Program reads a loyalty program's KPIs for a period: its members,
	// repeat purchases, redemptions, points and retention cohorts (see
	// ProgramKPIs).
	Program(ctx context.Context, q ProgramQuery) (ProgramKPIs, error)
}

// FunnelQuery chooses the messages of a funnel: a tenant's, written from
// From (inclusive) to To (exclusive), and how long after a message was sent
// an order counts as its conversion.
type FunnelQuery struct {
	Tenant   string
	From, To time.Time
	Window   time.Duration
	// OriginPrefix, when set, keeps only the messages whose origin starts
	// with it (a campaign's, campaign.OriginPrefix).
	OriginPrefix string
}

// ReplyWindow is how long after a message a recipient's message counts as
// a reply to it: WhatsApp's customer service window.
const ReplyWindow = 24 * time.Hour

// FunnelRow is one origin's funnel.
type FunnelRow struct {
	Origin string `json:"origin"`
	// Targeted counts every message written; the stages below count those
	// that reached them.
	Targeted int64 `json:"targeted"`
	// Skipped counts the messages the send decision refused, by reason
	// (no_consent, opted_out, daily_cap…).
	Skipped map[string]int64 `json:"skipped,omitempty"`
	Failed  int64            `json:"failed"`
	// Waiting counts the messages not yet sent, skipped or failed:
	// queued, deferred, being sent, or with an unknown outcome.
	Waiting   int64 `json:"waiting"`
	Sent      int64 `json:"sent"`
	Delivered int64 `json:"delivered"`
	Read      int64 `json:"read"`
	Replied   int64 `json:"replied"`
	// Clicked counts the messages with at least one click on a short
	// link they carried (link previews are not clicks).
	Clicked   int64 `json:"clicked"`
	Converted int64 `json:"converted"`
	// Redeemed counts the messages whose member redeemed a reward within
	// the attribution window after them (a released redemption does not
	// count).
	Redeemed int64 `json:"redeemed"`
	// Revenue sums the totals, less refunds, of the orders that converted
	// each message (an order following two messages counts for both), in
	// the orders' currency.
	Revenue float64 `json:"revenue"`
	// Cost sums what WhatsApp charged for the messages, as their status
	// webhooks' pricing recorded it (MessagePricing.Cost), in micros of
	// the tenant's pricing currency.
	Cost int64 `json:"cost_micros"`
}

// FunnelStatusRow is what an adapter's grouped query returns: the
// messages of one origin in one status (and skip or error code), those
// of them followed by a reply, a click, an order or a redemption, and
// their cost.
type FunnelStatusRow struct {
	Origin, Status, Code        string
	Messages                    int64
	Replied, Clicked, Converted int64
	Redeemed                    int64
	Revenue                     float64
	Cost                        int64
}

// FoldFunnel folds an adapter's rows, sorted by origin, into funnels.
func FoldFunnel(rows []FunnelStatusRow) []FunnelRow {
	var out []FunnelRow
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Origin != r.Origin {
			out = append(out, FunnelRow{Origin: r.Origin})
		}
		f := &out[len(out)-1]
		f.Targeted += r.Messages
		f.Replied += r.Replied
		f.Clicked += r.Clicked
		f.Converted += r.Converted
		f.Redeemed += r.Redeemed
		f.Revenue += r.Revenue
		f.Cost += r.Cost
		switch r.Status {
		case MessageSkipped:
			if f.Skipped == nil {
				f.Skipped = map[string]int64{}
			}
			f.Skipped[r.Code] += r.Messages
		case MessageFailed:
			f.Failed += r.Messages
		case MessageRead:
			f.Read += r.Messages
			fallthrough
		case MessageDelivered:
			f.Delivered += r.Messages
			fallthrough
		case MessageSent:
			f.Sent += r.Messages
		default:
			f.Waiting += r.Messages
		}
	}
	return out
}

// LinkRow is one URL's short links among one origin's messages.
type LinkRow struct {
	URL      string `json:"url"`
	Origin   string `json:"origin"`
	Messages int64  `json:"messages"` // messages that carried the URL
	Clicks   int64  `json:"clicks"`
	Mobile   int64  `json:"mobile_clicks"`
	Clicked  int64  `json:"clicked"` // messages whose link was clicked
}
