package process

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/mappings"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// TestQualityAndLimitWebhooks maps Meta's webhooks with the bundled
// mapping and acts on their events as the BSP stage does, then reads what
// the store keeps of the sender.
func TestQualityAndLimitWebhooks(t *testing.T) {
	src, ok := mappings.Bundled("whatsapp_cloud")
	require.True(t, ok)
	prog, err := mappings.Compile("whatsapp_cloud", src)
	require.NoError(t, err)
	base := time.Date(2026, 11, 23, 3, 5, 0, 0, time.UTC)
	change := func(field, value string, at time.Time) string {
		return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":%d,"changes":[{"field":%q,"value":%s}]}]}`,
			at.Unix(), field, value)
	}
	quality := func(value string, at time.Time) string { return change("phone_number_quality_update", value, at) }
	steps := []struct {
		name string
		body string
		want store.SenderState // Tenant and Sender filled in
	}{
		{"an older payload's tier", quality(`{"display_phone_number":"6281100001111","event":"ONBOARDING","current_limit":"TIER_1K"}`, base),
			store.SenderState{MessagingLimit: 1000, LimitAt: base}},
		{"flagged pauses marketing", quality(`{"display_phone_number":"6281100001111","event":"FLAGGED","current_limit":"TIER_1K"}`, base.Add(time.Minute)),
			store.SenderState{MessagingLimit: 1000, LimitAt: base.Add(time.Minute), Quality: "FLAGGED", QualityAt: base.Add(time.Minute),
				MarketingPaused: true, PauseReason: "WhatsApp reported the number FLAGGED"}},
		{"the portfolio's limit", change("business_capability_update", `{"max_daily_conversations_per_business":10000,"max_phone_numbers_per_business":2}`, base.Add(2*time.Minute)),
			store.SenderState{MessagingLimit: 10000, LimitAt: base.Add(2 * time.Minute), Quality: "FLAGGED", QualityAt: base.Add(time.Minute),
				MarketingPaused: true, PauseReason: "WhatsApp reported the number FLAGGED"}},
		{"a late older webhook changes nothing", quality(`{"display_phone_number":"6281100001111","event":"UNFLAGGED","current_limit":"TIER_250"}`, base),
			store.SenderState{MessagingLimit: 10000, LimitAt: base.Add(2 * time.Minute), Quality: "FLAGGED", QualityAt: base.Add(time.Minute),
				MarketingPaused: true, PauseReason: "WhatsApp reported the number FLAGGED"}},
		{"unflagged lifts it; newer payloads' limit wins over the tier", quality(`{"display_phone_number":"6281100001111","event":"UNFLAGGED","current_limit":"TIER_2K","max_daily_conversations_per_business":-1,"extra":[1]}`, base.Add(3*time.Minute)),
			store.SenderState{MessagingLimit: -1, LimitAt: base.Add(3 * time.Minute), Quality: "UNFLAGGED", QualityAt: base.Add(3 * time.Minute)}},
		{"a downgrade pauses again", quality(`{"display_phone_number":"6281100001111","event":"DOWNGRADE","max_daily_conversations_per_business":2000}`, base.Add(4*time.Minute)),
			store.SenderState{MessagingLimit: 2000, LimitAt: base.Add(4 * time.Minute), Quality: "DOWNGRADE", QualityAt: base.Add(4 * time.Minute),
				MarketingPaused: true, PauseReason: "WhatsApp reported the number DOWNGRADE"}},
		{"TIER_NOT_SET and a throughput upgrade leave it", quality(`{"display_phone_number":"6281100001111","event":"THROUGHPUT_UPGRADE","current_limit":"TIER_NOT_SET"}`, base.Add(5*time.Minute)),
			store.SenderState{MessagingLimit: 2000, LimitAt: base.Add(4 * time.Minute), Quality: "DOWNGRADE", QualityAt: base.Add(4 * time.Minute),
				MarketingPaused: true, PauseReason: "WhatsApp reported the number DOWNGRADE"}},
		{"an upgrade lifts it", quality(`{"display_phone_number":"6281100001111","event":"UPGRADE"}`, base.Add(6*time.Minute)),
			store.SenderState{MessagingLimit: 2000, LimitAt: base.Add(4 * time.Minute), Quality: "UPGRADE", QualityAt: base.Add(6 * time.Minute)}},
	}
	ctx := context.Background()
	st := sqlite.New(":memory:")
	require.NoError(t, st.Migrate(ctx))
	t.Cleanup(func() { _ = st.Close() })
	l := &Lanes{Store: st, Tenants: runtime.NewTenants(runtime.Snapshot{}), Now: time.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	d := event.Delivery{Tenant: "acme", Connector: "whatsapp", Kind: "whatsapp_cloud", DeliveryID: "d1", ReceivedAt: base}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			res, err := prog.Map(ctx, d, []byte(s.body))
			require.NoError(t, err)
			require.Len(t, res.Events, 1)
			require.NoError(t, l.bspEvent(ctx, res.Events[0]))
			got, err := st.SenderState(ctx, "acme", "whatsapp")
			require.NoError(t, err)
			want := s.want
			want.Tenant, want.Sender = "acme", "whatsapp"
			assert.Equal(t, want, got)
		})
	}
}
