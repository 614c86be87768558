package simulate

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// PaceOptions configure a pacing run: one campaign to every member, all
// opted in, with the number's throughput at PerSecond.
type PaceOptions struct {
	Members   int // default 100,000
	PerSecond int // default 1,000
	// CampaignRate is the pace the campaign's messages come due at
	// (campaign.Spec.Rate). Default twice PerSecond: due faster than the
	// number sends, so that the sender's limiter alone paces them.
	CampaignRate int
	DataDir      string
	PostgresDSN  string
	Logger       *slog.Logger
	Progress     io.Writer
}

// PaceReport is the rate the sandbox accepted a campaign's messages at,
// against the number's throughput, and the status webhooks that followed.
type PaceReport struct {
	Members   int `json:"members"`
	PerSecond int `json:"per_second"`
	// Accepted counts the campaign's messages the sandbox accepted;
	// Refused the send attempts it refused (130429 over the throughput).
	Accepted int `json:"accepted"`
	Refused  int `json:"refused"`
	// Steady is the rate over the steady part of the run: the accepted
	// messages between the 10th and the 90th percentile of their times,
	// over the time between them. Ratio is Steady / PerSecond.
	Steady float64 `json:"steady_per_second"`
	Ratio  float64 `json:"ratio"`
	// MinSecond and MaxSecond are the fewest and most messages accepted
	// in one whole second of the steady part.
	MinSecond int `json:"min_second"`
	MaxSecond int `json:"max_second"`
	// Sending is from the first accepted message to the last.
	Sending time.Duration `json:"sending_ns"`
	// Statuses counts the status webhooks delivered (sent, delivered,
	// read for each message: 3 × Accepted expected), StatusesDone when
	// the last was, after the first accepted message.
	Statuses     int           `json:"statuses"`
	StatusesDone time.Duration `json:"statuses_done_ns"`
	// Members took MembersElapsed to import.
	MembersElapsed time.Duration `json:"members_elapsed_ns"`
}

// Pace runs the pacing proof.
func Pace(ctx context.Context, po PaceOptions) (*PaceReport, error) {
	o := Options{Members: po.Members, Days: 1, PerSecond: po.PerSecond, DataDir: po.DataDir, PostgresDSN: po.PostgresDSN,
		Logger: po.Logger, Progress: po.Progress, pace: true}
	if o.Members <= 0 {
		o.Members = 100_000
	}
	o = o.withDefaults()
	if o.DataDir == "" {
		return nil, errNoDataDir
	}
	if po.CampaignRate <= 0 {
		po.CampaignRate = 2 * o.PerSecond
	}
	w, err := start(ctx, o)
	if err != nil {
		return nil, err
	}
	defer func() { _ = w.close() }()
	began := time.Now()
	w.logf("importing %d members, all opted in", o.Members)
	if err := w.importMembers(ctx); err != nil {
		return nil, err
	}
	rep := &PaceReport{Members: o.Members, PerSecond: o.PerSecond, MembersElapsed: time.Since(began)}
	w.clock.Set(w.at(0, 10))
	before := w.sb.Stats()
	w.logf("campaign to %d members at %d/s", o.Members, o.PerSecond)
	if err := w.campaign(ctx, "pace", "balance >= 0", "monthly_offer",
		[]string{`data.first_name != "" ? data.first_name : "there"`, "string(member.balance)"}, po.CampaignRate); err != nil {
		return nil, err
	}
	if err := w.settle(ctx); err != nil {
		return nil, err
	}
	done := time.Now()
	after := w.sb.Stats()
	var walls []time.Time
	for _, m := range w.sb.Record().Messages {
		if m.Template == "monthly_offer" {
			walls = append(walls, m.Wall)
		}
	}
	if len(walls) < 10 {
		return nil, fmt.Errorf("the sandbox accepted %d of the campaign's messages", len(walls))
	}
	slices.SortFunc(walls, func(a, b time.Time) int { return a.Compare(b) })
	rep.Accepted = len(walls)
	rep.Refused = (after.Attempts - before.Attempts) - (after.Messages - before.Messages)
	rep.Statuses = after.Statuses - before.Statuses
	rep.Sending = walls[len(walls)-1].Sub(walls[0])
	rep.StatusesDone = done.Sub(walls[0]) - o.Settle
	lo, hi := len(walls)/10, len(walls)*9/10
	if span := walls[hi].Sub(walls[lo]).Seconds(); span > 0 {
		rep.Steady = float64(hi-lo) / span
		rep.Ratio = rep.Steady / float64(o.PerSecond)
	}
	perSecond := map[int64]int{}
	for _, t := range walls[lo:hi] {
		perSecond[t.Unix()]++
	}
	first, last := walls[lo].Unix()+1, walls[hi].Unix()-1 // whole seconds only
	rep.MinSecond = -1
	for s := first; s < last; s++ {
		n := perSecond[s]
		if rep.MinSecond < 0 || n < rep.MinSecond {
			rep.MinSecond = n
		}
		rep.MaxSecond = max(rep.MaxSecond, n)
	}
	rep.MinSecond = max(rep.MinSecond, 0)
	return rep, nil
}

// String renders the report for a terminal and for docs.
func (r *PaceReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "campaign to %d members, number at %d messages/s\n", r.Members, r.PerSecond)
	fmt.Fprintf(&b, "  accepted     %d in %s (refused over the throughput: %d)\n", r.Accepted, r.Sending.Round(time.Millisecond), r.Refused)
	fmt.Fprintf(&b, "  steady rate  %.1f/s = %.2f%% of %d/s (whole seconds: %d to %d)\n", r.Steady, 100*r.Ratio, r.PerSecond, r.MinSecond, r.MaxSecond)
	fmt.Fprintf(&b, "  statuses     %d delivered to the hub's webhook (%d expected), the last %s after the first send\n",
		r.Statuses, 3*r.Accepted, r.StatusesDone.Round(time.Millisecond))
	fmt.Fprintf(&b, "  members      imported in %s\n", r.MembersElapsed.Round(time.Second))
	return b.String()
}
