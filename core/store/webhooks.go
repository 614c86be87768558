package store

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"
)

// WebhookErased is the last error of a delivery whose member was erased
// before it was delivered: it is failed, its payload emptied.
const WebhookErased = "erased on request"

// Webhook delivery statuses.
const (
	WebhookPending   = "pending"   // due at NextAt: not attempted yet, or to be attempted again
	WebhookDelivered = "delivered" // the endpoint answered 2xx
	WebhookFailed    = "failed"    // every attempt of the schedule failed; a replay sends it again
	WebhookHeld      = "held"      // its endpoint is disabled; enabling it sends it again
)

// WebhookDelivery is one outcome for one endpoint of a tenant: one row per
// endpoint and message id, so an outcome written again (a replayed event,
// a crash before the commit was seen) is never a second delivery.
type WebhookDelivery struct {
	// ID is the message's webhook-id, the same in every attempt and
	// replay.
	ID       string `json:"id"`
	Tenant   string `json:"tenant"`
	Endpoint string `json:"endpoint"`
	Type     string `json:"type"`
	// MemberID is the member the outcome is about ("" for none): an
	// erasure of the member empties the payload (see Privacy).
	MemberID string `json:"member_id,omitempty"`
	// Payload is the body every attempt sends, as signed.
	Payload   json.RawMessage `json:"payload"`
	Status    string          `json:"status"`
	Attempts  int             `json:"attempts"`
	NextAt    time.Time       `json:"next_at"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
	// LastCode and LastError are the last attempt's HTTP status (0 when
	// none came) and error.
	LastCode  int    `json:"last_code,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// WebhookAttempt is one POST of a delivery, as its log keeps it.
type WebhookAttempt struct {
	Tenant     string    `json:"-"`
	Endpoint   string    `json:"-"`
	DeliveryID string    `json:"delivery_id"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code"`
	LatencyMS  int64     `json:"latency_ms"`
	Error      string    `json:"error,omitempty"`
	// Response is the start of the response body.
	Response string `json:"response,omitempty"`
}

// WebhookEndpoint is an endpoint's health: its last success and failure,
// how many attempts failed in a row since FailingSince, and whether the
// hub disabled it (DisabledAt set). An endpoint never attempted has none.
type WebhookEndpoint struct {
	Tenant         string    `json:"-"`
	Name           string    `json:"name"`
	LastSuccessAt  time.Time `json:"last_success_at,omitzero"`
	LastFailureAt  time.Time `json:"last_failure_at,omitzero"`
	FailingSince   time.Time `json:"failing_since,omitzero"`
	Failures       int       `json:"consecutive_failures"`
	DisabledAt     time.Time `json:"disabled_at,omitzero"`
	DisabledReason string    `json:"disabled_reason,omitempty"`
}

// Disabled reports whether the hub disabled the endpoint.
func (e WebhookEndpoint) Disabled() bool { return !e.DisabledAt.IsZero() }

// WebhookResult is what an attempt of a leased delivery decided: the
// delivery's new status (delivered, pending again at NextAt, or failed)
// and whether it counts as the endpoint's success.
type WebhookResult struct {
	Attempt WebhookAttempt
	Status  string
	NextAt  time.Time
	Success bool
}

// WebhookFilter selects deliveries of an endpoint to list.
type WebhookFilter struct {
	Status string
	Limit  int
}

// Webhooks keeps the tenants' outbound webhook deliveries, their attempts
// and their endpoints' health. Deliveries are written as effects of the
// loyalty transactions that decide their outcomes (Effects.Webhooks), or
// by EnqueueWebhooks.
type Webhooks interface {
	// EnqueueWebhooks writes deliveries as pending, due at their NextAt
	// (CreatedAt when zero). A delivery the store has (same tenant,
	// endpoint and id) is left as it is.
	EnqueueWebhooks(ctx context.Context, ds []WebhookDelivery) error
	// DueWebhooks returns up to limit pending deliveries of every tenant
	// due at now whose endpoint is not disabled, the earliest first, and
	// pushes their due time on to now+lease, so that no other call (of
	// this replica or another) returns them again before they were
	// recorded or the lease ran out.
	DueWebhooks(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]WebhookDelivery, error)
	// RecordWebhookAttempt logs an attempt of d, a delivery as DueWebhooks
	// returned it, and applies r to the delivery if it is still pending
	// with d's attempts (no replay or other run recorded it since),
	// counting one attempt more; it updates the endpoint's health. It
	// returns the endpoint's health after it and whether r was applied.
	RecordWebhookAttempt(ctx context.Context, d WebhookDelivery, r WebhookResult) (WebhookEndpoint, bool, error)
	// DisableWebhookEndpoint disables an endpoint with a reason: its
	// pending deliveries are held. Disabling a disabled one changes
	// nothing.
	DisableWebhookEndpoint(ctx context.Context, tenant, name, reason string, at time.Time) error
	// EnableWebhookEndpoint enables an endpoint again and clears its
	// failures: its held deliveries are pending again, due at at.
	EnableWebhookEndpoint(ctx context.Context, tenant, name string, at time.Time) error
	// WebhookEndpoints returns the health of a tenant's endpoints that
	// were ever attempted or disabled, by name.
	WebhookEndpoints(ctx context.Context, tenant string) ([]WebhookEndpoint, error)
	// ListWebhookDeliveries lists an endpoint's deliveries, newest first.
	ListWebhookDeliveries(ctx context.Context, tenant, endpoint string, f WebhookFilter) ([]WebhookDelivery, error)
	// WebhookDelivery returns one delivery with its attempts, oldest
	// first; ErrNotFound when there is none.
	WebhookDelivery(ctx context.Context, tenant, endpoint, id string) (WebhookDelivery, []WebhookAttempt, error)
	// ReplayWebhook makes a delivery pending again, due at at, with its
	// schedule from the start; its id and payload stay. ErrNotFound when
	// there is none.
	ReplayWebhook(ctx context.Context, tenant, endpoint, id string, at time.Time) error
}

// DueAt is when d is first due: its NextAt, else its CreatedAt.
func (d WebhookDelivery) DueAt() time.Time { return cmp.Or(d.NextAt, d.CreatedAt) }

// SortWebhookDeliveries orders leased deliveries as a store returns them:
// by due time, then creation, then id (RETURNING has no order).
func SortWebhookDeliveries(ds []WebhookDelivery) {
	slices.SortFunc(ds, func(a, b WebhookDelivery) int {
		return cmp.Or(a.NextAt.Compare(b.NextAt), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
}
