package pipelines_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/segment"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/campaigns"
)

// TestCampaignBroadcastsToASegmentWithinConsent runs a campaign through
// the hub and the sandbox: a dry run, a start, one message per member of
// the segment, marketing only to those who opted in, and the progress
// with its funnel per variant.
func TestCampaignBroadcastsToASegmentWithinConsent(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	phones := []string{"081234561001", "081234561002", "081234561003", "081234561004"}
	for i, p := range phones {
		require.Equal(t, http.StatusOK, h.postSale(sale(fmt.Sprintf("C-%d", i), p, fmt.Sprintf("Member %d", i), "50000")))
	}
	h.settled(t, len(phones))
	for _, p := range phones[:3] {
		var resp map[string]any
		require.Equal(t, http.StatusOK, h.adminPost("/contacts/consent", map[string]any{"phone": p, "opted_in": true, "source": "store form"}, &resp))
	}
	_, err := h.hub.Store().SaveSegment(ctx, "acme", segment.Segment{Name: "buyers", Condition: "balance >= 5"}, time.Now())
	require.NoError(t, err)

	spec := map[string]any{
		"name": "double-weekend", "segment": "buyers", "sender": "whatsapp", "rate": 100,
		"variants": []map[string]any{{"name": "a", "template": map[string]any{
			"name": "double_points", "language": "en", "body": []string{"data.first_name", "string(member.balance)"}}}},
	}
	var dry struct {
		Preparation campaigns.Preparation
		Samples     []campaigns.Sample
	}
	require.Equal(t, http.StatusOK, h.adminPost("/campaigns/dry-run?samples=2", spec, &dry))
	assert.EqualValues(t, 4, dry.Preparation.Audience)
	assert.EqualValues(t, 4, dry.Preparation.Queued)
	require.Len(t, dry.Samples, 2)
	assert.Contains(t, string(dry.Samples[0].Command), `"double_points"`)

	var created store.Campaign
	require.Equal(t, http.StatusCreated, h.adminPost("/campaigns", spec, &created))
	assert.Equal(t, store.CampaignDraft, created.State)
	var e struct{ Error string }
	require.Equal(t, http.StatusConflict, h.adminPost("/campaigns", spec, &e))
	bad := map[string]any{"name": "Bad Name", "segment": "buyers", "sender": "whatsapp", "variants": []any{}}
	require.Equal(t, http.StatusBadRequest, h.adminPost("/campaigns", bad, &e))
	assert.Contains(t, e.Error, "name:")
	assert.Contains(t, e.Error, "variants:")

	var started store.Campaign
	require.Equal(t, http.StatusOK, h.adminPost("/campaigns/double-weekend/start", nil, &started))
	assert.Equal(t, store.CampaignScheduled, started.State)
	require.Equal(t, http.StatusConflict, h.adminPost("/campaigns/double-weekend/start", nil, &e))

	var p campaigns.Progress
	eventually(t, "the campaign's four messages settled", func() bool {
		require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/campaigns/double-weekend", &p))
		return p.Totals.Targeted == 4 && p.Totals.Waiting == 0
	})
	assert.EqualValues(t, 4, p.Audience)
	assert.EqualValues(t, 3, p.Totals.Sent, "the three members who opted in")
	assert.Equal(t, map[string]int64{"no_consent": 1}, p.Totals.Skipped, "marketing never goes without opt-in")
	require.Len(t, p.Variants, 1)
	assert.Equal(t, "campaign:double-weekend/a", p.Variants[0].Origin)
	for _, ph := range phones[:3] {
		assert.Len(t, h.templatesTo(t, "62"+ph[1:], "double_points"), 1, "one message per member")
	}

	// The same as CSV: the variant, the holdout and the totals.
	code, body, header := h.adminDo(http.MethodGet, "/campaigns/double-weekend?format=csv", nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	assert.Equal(t, "text/csv; charset=utf-8", header.Get("Content-Type"))
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4, "%s", body)
	assert.Equal(t, []string{"origin", "targeted", "skipped", "skipped_by_reason"}, rows[0][:4])
	assert.Equal(t, []string{"campaign:double-weekend/a", "4", "1", "no_consent:1"}, rows[1][:4])
	assert.Equal(t, []string{"campaign:double-weekend/holdout", "0"}, rows[2][:2])
	assert.Equal(t, []string{"campaign:double-weekend/", "4"}, rows[3][:2])
	code, _, _ = h.adminDo(http.MethodGet, "/campaigns/double-weekend?format=xml", nil)
	assert.Equal(t, http.StatusBadRequest, code)

	// Started again after a crash, or by another replica, it writes
	// nothing twice.
	require.NoError(t, h.hub.Campaigns().RunDue(ctx))
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/campaigns/double-weekend", &p))
	assert.EqualValues(t, 4, p.Totals.Targeted)

	var list struct{ Campaigns []store.Campaign }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/campaigns", &list))
	require.Len(t, list.Campaigns, 1)
	require.Equal(t, http.StatusNotFound, h.admin(http.MethodGet, "/campaigns/nope", &e))
}
