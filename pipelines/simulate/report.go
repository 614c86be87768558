package simulate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
)

// Report is what a simulation did and what the audit found.
type Report struct {
	Members   int       `json:"members"`
	Days      int       `json:"days"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Store     string    `json:"store"`
	PerSecond int       `json:"per_second"`
	// Limits are the messaging limits the sandbox announced, in order.
	Limits []int `json:"messaging_limits"`
	// Activity counts what the simulation did: members imported, sales,
	// orders, chats, STOPs, campaigns, quality drops, tier changes.
	Activity map[string]int `json:"activity"`
	// Audit is the auditor's verdict on the sandbox's record.
	Audit Audit `json:"audit"`
	// Funnel is the hub's funnel by origin over the simulated month.
	Funnel []store.FunnelRow `json:"funnel"`
	// Cost is what the month cost: actual from the pricing of the status
	// webhooks, at the rate card; estimated from what the sandbox
	// accepted, at the same card.
	Cost Cost `json:"cost"`
	// Elapsed is the run's wall time; MembersElapsed its part creating
	// the members.
	Elapsed        time.Duration `json:"elapsed_ns"`
	MembersElapsed time.Duration `json:"members_elapsed_ns"`
}

// Cost is the month's spend in the rate card's currency.
type Cost struct {
	Currency       string             `json:"currency"`
	Actual         float64            `json:"actual"`
	ActualByCat    map[string]float64 `json:"actual_by_category"`
	Estimated      float64            `json:"estimated"`
	EstimatedByCat map[string]float64 `json:"estimated_by_category"`
}

// Run plays the simulation and returns its report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	if o.DataDir == "" {
		return nil, errNoDataDir
	}
	began := time.Now()
	w, err := start(ctx, o)
	if err != nil {
		return nil, err
	}
	defer func() { _ = w.close() }()
	w.logf("importing %d members", o.Members)
	if err := w.importMembers(ctx); err != nil {
		return nil, err
	}
	membersTook := time.Since(began)
	w.logf("%d members in %s", w.counts["members_imported"], membersTook.Round(time.Second))
	if err := w.settle(ctx); err != nil {
		return nil, err
	}
	for d := range o.Days {
		if err := w.day(ctx, d); err != nil {
			return nil, fmt.Errorf("day %d: %w", d+1, err)
		}
		w.auditSoFar(d)
	}
	w.clock.Set(w.at(o.Days, 10))
	if err := w.settle(ctx); err != nil {
		return nil, err
	}
	rep, err := w.report(ctx)
	if err != nil {
		return nil, err
	}
	rep.Elapsed, rep.MembersElapsed = time.Since(began), membersTook
	return rep, nil
}

// truth is what the auditor knows beyond the sandbox's record.
func (w *world) truth() Truth {
	return Truth{OptedIn: w.optedIn, PerSecond: map[string]int{phoneNumberID: w.o.PerSecond}}
}

// auditSoFar judges what the sandbox accepted up to the end of day d and
// reports it with the progress, so that a run stopped before the month's
// end still has a verdict on the days it played.
func (w *world) auditSoFar(d int) {
	if w.o.Progress == io.Discard {
		return
	}
	a := Judge(w.sb.Record(), w.truth())
	if a.Total() == 0 {
		w.logf("day %d played: %d messages judged, 0 violations", d+1, a.Messages)
		return
	}
	w.logf("day %d played: %d messages judged, %d violations %v", d+1, a.Messages, a.Total(), a.Counts)
}

// report audits the sandbox's record and reads the hub's funnel and costs.
func (w *world) report(ctx context.Context) (*Report, error) {
	rec := w.sb.Record()
	from, to := w.at(-1, 0), w.at(w.o.Days, 12)
	rep := &Report{Members: w.o.Members, Days: w.o.Days, From: from, To: to, Store: "sqlite", PerSecond: w.o.PerSecond,
		Activity: w.counts}
	if w.o.PostgresDSN != "" {
		rep.Store = "postgres"
	}
	for _, l := range rec.Limits {
		rep.Limits = append(rep.Limits, l.Limit)
	}
	rep.Audit = Judge(rec, w.truth())
	funnel, err := w.hub.Store().Funnel(ctx, store.FunnelQuery{Tenant: Tenant, From: from, To: to, Window: 7 * 24 * time.Hour})
	if err != nil {
		return nil, fmt.Errorf("reading the funnel: %w", err)
	}
	rep.Funnel = funnel
	costs, err := w.hub.Store().Costs(ctx, Tenant, from, to)
	if err != nil {
		return nil, fmt.Errorf("reading the costs: %w", err)
	}
	rep.Cost = Cost{Currency: w.pricing.Currency, ActualByCat: map[string]float64{}, EstimatedByCat: map[string]float64{}}
	for _, c := range costs {
		v := float64(c.Cost) / 1e6
		rep.Cost.Actual += v
		rep.Cost.ActualByCat[c.Category] += v
	}
	card := messaging.NewRateCard(w.pricing)
	for _, m := range rec.Messages {
		if m.Type != "template" || m.Refused != 0 {
			continue // WhatsApp bills neither a session message nor one it refused
		}
		v := float64(card.Rate(messaging.BillingCategory(m.Category), "+"+m.WaID)) / 1e6
		rep.Cost.Estimated += v
		rep.Cost.EstimatedByCat[m.Category] += v
	}
	return rep, nil
}

// WriteFiles writes the report as JSON and Markdown beside each other:
// path.json and path.md.
func (r *Report) WriteFiles(path string) error {
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".json", append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if err := os.WriteFile(path+".md", []byte(r.Markdown()), 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// Markdown renders the report as Markdown tables.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Simulated %d days (%s to %s) of a %d-member tenant on %s, the number at %d messages/s; run in %s (members created in %s).\n\n",
		r.Days, r.From.Format("2006-01-02"), r.To.Format("2006-01-02"), r.Members, r.Store, r.PerSecond,
		r.Elapsed.Round(time.Second), r.MembersElapsed.Round(time.Second))
	fmt.Fprintf(&b, "**Policy violations: %d** (the auditor judged %d messages the sandbox accepted).\n\n", r.Audit.Total(), r.Audit.Messages)
	b.WriteString("| violation | count |\n| --- | --- |\n")
	for _, k := range Kinds {
		fmt.Fprintf(&b, "| %s | %d |\n", k, r.Audit.Counts[k])
	}
	fmt.Fprintf(&b, "\nPeak messages in one second: %d (limit %d). Peak unique customers reached outside their window in 24 hours: %d (limits announced: %v).\n\n",
		r.Audit.PeakPerSecond, r.PerSecond, r.Audit.PeakReach, r.Limits)
	b.WriteString("| activity | count |\n| --- | --- |\n")
	for _, k := range sortedKeys(r.Activity) {
		fmt.Fprintf(&b, "| %s | %d |\n", k, r.Activity[k])
	}
	b.WriteString("\n| messages accepted by category | count |\n| --- | --- |\n")
	for _, k := range sortedKeys(r.Audit.ByCategory) {
		fmt.Fprintf(&b, "| %s | %d |\n", k, r.Audit.ByCategory[k])
	}
	if len(r.Audit.Refused) > 0 {
		var codes []string
		for _, c := range slices.Sorted(maps.Keys(r.Audit.Refused)) {
			codes = append(codes, fmt.Sprintf("%d × %d", r.Audit.Refused[c], c))
		}
		fmt.Fprintf(&b, "\nAccepted, then refused by WhatsApp with a failed status (judged like the rest): %s.\n", strings.Join(codes, ", "))
	}
	b.WriteString("\n| origin | targeted | skipped | failed | waiting | sent | delivered | read | replied | converted |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, f := range r.Funnel {
		var skipped []string
		for _, k := range sortedKeys(f.Skipped) {
			skipped = append(skipped, fmt.Sprintf("%s %d", k, f.Skipped[k]))
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %d | %d | %d | %d | %d | %d | %d |\n", f.Origin, f.Targeted, strings.Join(skipped, ", "),
			f.Failed, f.Waiting, f.Sent, f.Delivered, f.Read, f.Replied, f.Converted)
	}
	fmt.Fprintf(&b, "\n| cost (%s) | actual | estimated |\n| --- | --- | --- |\n", r.Cost.Currency)
	cats := sortedKeys(r.Cost.ActualByCat)
	for _, k := range sortedKeys(r.Cost.EstimatedByCat) {
		if !slices.Contains(cats, k) {
			cats = append(cats, k)
		}
	}
	for _, k := range cats {
		fmt.Fprintf(&b, "| %s | %.2f | %.2f |\n", k, r.Cost.ActualByCat[k], r.Cost.EstimatedByCat[k])
	}
	fmt.Fprintf(&b, "| total | %.2f | %.2f |\n", r.Cost.Actual, r.Cost.Estimated)
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
