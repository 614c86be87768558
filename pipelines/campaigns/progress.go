package campaigns

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/campaign"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Alpha is the significance level of variant comparisons.
const Alpha = 0.05

// Progress is where a campaign stands: its record, each variant's funnel
// (targeted → skipped by reason → sent → delivered → read → replied →
// converted, with revenue), the holdout's conversions, and each variant
// compared with the holdout and with the first variant.
type Progress struct {
	store.Campaign
	Spec     campaign.Spec       `json:"spec"`
	Totals   store.FunnelRow     `json:"totals"`
	Variants []VariantProgress   `json:"variants"`
	Holdout  store.HoldoutResult `json:"holdout"`
}

// VariantProgress is one variant's funnel and comparisons. Conversion
// rates are of the members targeted, so that they compare with the
// holdout's, which nobody messaged.
type VariantProgress struct {
	Name string `json:"name"`
	store.FunnelRow
	// VsHoldout compares the variant's conversion with the holdout's:
	// the campaign's lift.
	VsHoldout *campaign.Comparison `json:"vs_holdout,omitempty"`
	// VsFirst compares the variant's conversion with the first
	// variant's: the A/B test.
	VsFirst *campaign.Comparison `json:"vs_first,omitempty"`
}

// Progress reports a campaign's progress.
func (r *Runner) Progress(ctx context.Context, t *runtime.Tenant, name string) (Progress, error) {
	c, err := r.Store.Campaign(ctx, t.ID, name)
	if err != nil {
		return Progress{}, err
	}
	spec, err := Spec(c)
	if err != nil {
		return Progress{}, err
	}
	comp, err := spec.Compile(t.ID)
	window := campaign.DefaultWindow
	if err == nil {
		window = comp.Window
	}
	rows, err := r.funnel(ctx, c, window)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{Campaign: c, Spec: spec, Totals: store.FunnelRow{Origin: campaign.OriginPrefix(name)}}
	if p.Holdout, err = r.Store.CampaignHoldout(ctx, t.ID, name, window); err != nil {
		return Progress{}, err
	}
	byOrigin := map[string]store.FunnelRow{}
	for _, row := range rows {
		byOrigin[row.Origin] = row
		add(&p.Totals, row)
	}
	holdout := campaign.Rate{Hits: p.Holdout.Converted, Total: p.Holdout.Members}
	var first campaign.Rate
	for i, v := range spec.Variants {
		row := byOrigin[campaign.Origin(name, v.Name)]
		row.Origin = campaign.Origin(name, v.Name)
		vp := VariantProgress{Name: v.Name, FunnelRow: row}
		rate := campaign.Rate{Hits: row.Converted, Total: row.Targeted}
		if holdout.Total > 0 {
			cmp := campaign.Compare(holdout, rate, Alpha)
			vp.VsHoldout = &cmp
		}
		if i == 0 {
			first = rate
		} else {
			cmp := campaign.Compare(first, rate, Alpha)
			vp.VsFirst = &cmp
		}
		p.Variants = append(p.Variants, vp)
	}
	return p, nil
}

// funnel reads a campaign's funnel from its creation on.
func (r *Runner) funnel(ctx context.Context, c store.Campaign, window time.Duration) ([]store.FunnelRow, error) {
	return r.Store.Funnel(ctx, store.FunnelQuery{Tenant: c.Tenant, From: c.CreatedAt, To: r.Now().Add(window + 1),
		Window: window, OriginPrefix: campaign.OriginPrefix(c.Name)})
}

// add adds a variant's funnel to the campaign's totals.
func add(to *store.FunnelRow, r store.FunnelRow) {
	to.Targeted += r.Targeted
	to.Failed += r.Failed
	to.Waiting += r.Waiting
	to.Sent += r.Sent
	to.Delivered += r.Delivered
	to.Read += r.Read
	to.Replied += r.Replied
	to.Clicked += r.Clicked
	to.Converted += r.Converted
	to.Redeemed += r.Redeemed
	to.Revenue += r.Revenue
	to.Cost += r.Cost
	for code, n := range r.Skipped {
		if to.Skipped == nil {
			to.Skipped = map[string]int64{}
		}
		to.Skipped[code] += n
	}
}

// watch looks at a tenant's running campaigns: one whose sends fail too
// often is paused, one with nothing left waiting is completed. It counts
// the campaign's messages by status only, which a million-message
// campaign's rows answer without following replies and orders.
func (r *Runner) watch(ctx context.Context, tenant string) error {
	cs, err := r.Store.ListCampaigns(ctx, tenant)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.State != store.CampaignRunning {
			continue
		}
		rows, err := r.Store.FunnelStatuses(ctx, store.FunnelQuery{Tenant: c.Tenant, From: c.CreatedAt,
			To: r.Now().Add(time.Microsecond), OriginPrefix: campaign.OriginPrefix(c.Name)})
		if err != nil {
			return err
		}
		var total store.FunnelRow
		for _, row := range rows {
			add(&total, row)
		}
		r.show(c, total)
		if reason := Spike(total); reason != "" {
			if err := r.pause(ctx, c, reason); err != nil {
				return err
			}
			r.Logger.Warn("campaign paused on failures", "tenant", tenant, "campaign", c.Name, "reason", reason)
			continue
		}
		if total.Waiting == 0 {
			from := c.State
			c.State = store.CampaignCompleted
			if _, err := r.Store.UpdateCampaign(ctx, c, from); err != nil {
				return err
			}
		}
	}
	return nil
}

// Spike says why a campaign's failures call for a pause: at least 50
// attempts, a fifth or more of them failed. It is empty otherwise.
func Spike(f store.FunnelRow) string {
	attempts := f.Sent + f.Failed
	if attempts < spikeMin || float64(f.Failed) < spikeShare*float64(attempts) {
		return ""
	}
	return fmt.Sprintf("failures spiked: %d of %d attempts failed (%s)", f.Failed, attempts,
		strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.1f", 100*float64(f.Failed)/float64(attempts)), "0"), ".")+"%")
}

// show sets a campaign's messages gauges, when the runner has them.
func (r *Runner) show(c store.Campaign, f store.FunnelRow) {
	if r.Messages == nil {
		return
	}
	var skipped int64
	for _, n := range f.Skipped {
		skipped += n
	}
	for stage, n := range map[string]int64{"targeted": f.Targeted, "waiting": f.Waiting, "sent": f.Sent,
		"delivered": f.Delivered, "read": f.Read, "failed": f.Failed, "skipped": skipped} {
		r.Messages.WithLabelValues(c.Tenant, c.Name, stage).Set(float64(n))
	}
}
