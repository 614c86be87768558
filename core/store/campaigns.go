package store

import (
	"context"
	"errors"
	"time"
)

// Campaign states.
const (
	CampaignDraft     = "draft"     // written, not started
	CampaignScheduled = "scheduled" // started, waiting for its start time or being prepared
	CampaignRunning   = "running"   // prepared: its messages are in the outbox
	CampaignPaused    = "paused"    // its queued messages are held
	CampaignCompleted = "completed" // every message was sent, skipped or failed; final
	CampaignCancelled = "cancelled" // its queued messages were skipped; final
)

// CodeCancelled is the skip code of a cancelled campaign's messages.
const CodeCancelled = "cancelled"

// ErrExists is returned for a campaign name its tenant already has.
var ErrExists = errors.New("already exists")

// Campaign is a broadcast and where it stands. Spec is the campaign's
// spec (campaign.Spec) as JSON; the counts are those of its last complete
// preparation.
type Campaign struct {
	Tenant  string    `json:"tenant"`
	Name    string    `json:"name"`
	Spec    []byte    `json:"-"`
	State   string    `json:"state"`
	StartAt time.Time `json:"start_at,omitzero"`
	// Reason says why the campaign was paused or cancelled, and by whom.
	Reason string `json:"reason,omitempty"`
	// Prepared is when its whole audience was last written to the outbox.
	Prepared *time.Time `json:"prepared_at,omitempty"`
	// Audience counts the segment's members; HeldOut those kept out;
	// NoPhone those no WhatsApp message can reach; OverBudget those past
	// the campaign's budget; Failed those whose message failed to render.
	Audience   int64 `json:"audience"`
	HeldOut    int64 `json:"held_out"`
	NoPhone    int64 `json:"no_phone"`
	OverBudget int64 `json:"over_budget"`
	Failed     int64 `json:"render_failed"`
	// Cost is the estimated cost of the messages queued, in micros of the
	// rate card's currency.
	Cost int64 `json:"cost_micros"`
	// PausedAt is when a paused campaign's messages were held.
	PausedAt  *time.Time `json:"paused_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// CampaignChunk is one transaction of a campaign's preparation: messages
// for the outbox (their keys make a member's message unique per
// campaign) and members held out, at a time.
type CampaignChunk struct {
	Tenant, Campaign string
	Messages         []Message
	HeldOut          []string
	At               time.Time
}

// HoldoutResult is what became of a campaign's held-out members: how
// many ordered within the attribution window after they were held out,
// and those orders' revenue.
type HoldoutResult struct {
	Members   int64   `json:"members"`
	Converted int64   `json:"converted"`
	Revenue   float64 `json:"revenue"`
}

// Campaigns keeps broadcasts, the members they held out, and acts on
// their queued messages (those whose origin starts with the campaign's
// prefix, campaign.OriginPrefix).
type Campaigns interface {
	// CreateCampaign writes a new campaign; ErrExists when its tenant has
	// one of that name.
	CreateCampaign(ctx context.Context, c Campaign) error
	// Campaign returns one campaign; ErrNotFound when there is none.
	Campaign(ctx context.Context, tenant, name string) (Campaign, error)
	// ListCampaigns lists a tenant's campaigns, newest first.
	ListCampaigns(ctx context.Context, tenant string) ([]Campaign, error)
	// DueCampaigns lists every tenant's scheduled campaigns whose start
	// is at or before now, the earliest first.
	DueCampaigns(ctx context.Context, now time.Time, limit int) ([]Campaign, error)
	// UpdateCampaign writes c's state, reason, counts, preparation and
	// pause times, if the campaign is still in state from; it reports
	// whether it was.
	UpdateCampaign(ctx context.Context, c Campaign, from string) (bool, error)
	// WriteCampaignChunk queues the chunk's messages (a key the log has
	// already is left as it is) and records its held-out members, in one
	// transaction, if the campaign is still scheduled; it reports whether
	// it was. A pause or cancel that changed the state first thus sees
	// every chunk written before it.
	WriteCampaignChunk(ctx context.Context, ch CampaignChunk) (bool, error)
	// ShiftCampaignMessages moves the due time of a campaign's queued
	// and deferred messages by d (forward to hold them, back to release
	// them) and returns how many it moved.
	ShiftCampaignMessages(ctx context.Context, tenant, originPrefix string, d time.Duration) (int64, error)
	// SkipCampaignMessages records a campaign's queued and deferred
	// messages as skipped with code and reason, and returns how many.
	SkipCampaignMessages(ctx context.Context, tenant, originPrefix, code, reason string, at time.Time) (int64, error)
	// CampaignHoldout follows a campaign's held-out members: orders
	// within window after each was held out.
	CampaignHoldout(ctx context.Context, tenant, campaign string, window time.Duration) (HoldoutResult, error)
}
