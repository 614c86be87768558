package pipelines_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
)

type funnelBody struct {
	Funnel []struct {
		store.FunnelRow
		DeliveryRate   float64 `json:"delivery_rate"`
		ConversionRate float64 `json:"conversion_rate"`
	}
}

// adminRaw reads an admin path of tenant acme that answers 200 with a
// body of contentType, and returns the body.
func (h *harness) adminRaw(t *testing.T, path, contentType string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.url+"/api/v1/tenants/acme"+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, contentType, resp.Header.Get("Content-Type"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return body
}

// funnelCSV reads the funnel as CSV.
func (h *harness) funnelCSV(t *testing.T) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(h.adminRaw(t, "/analytics/funnel?format=csv", "text/csv; charset=utf-8"))).ReadAll()
	require.NoError(t, err)
	return rows
}

func TestFunnelFollowsARulesMessagesToTheOrdersAfterThem(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	require.Equal(t, http.StatusOK, h.postSale(sale("F-1", "081234560099", "Rina", "50000")))
	msgs := h.settled(t, 1)
	assert.Equal(t, "rule:points_earned", msgs[0].Origin, "the message log says what wrote the message")
	eventually(t, "the first message delivered", func() bool {
		var m store.Message
		h.admin(http.MethodGet, "/messages/"+msgs[0].Key, &m)
		return m.Status == store.MessageDelivered || m.Status == store.MessageRead
	})

	// The member comes back and buys again: the first message converted.
	require.Equal(t, http.StatusOK, h.postSale(sale("F-2", "081234560099", "Rina", "75000")))
	h.settled(t, 2)

	var body funnelBody
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/analytics/funnel?window=7d", &body))
	require.Len(t, body.Funnel, 1)
	f := body.Funnel[0]
	assert.Equal(t, "rule:points_earned", f.Origin)
	assert.EqualValues(t, 2, f.Targeted)
	assert.EqualValues(t, 2, f.Sent)
	assert.EqualValues(t, 1, f.Converted, "only the first message has an order after it")
	assert.InDelta(t, 75000, f.Revenue, 0.001)
	assert.InDelta(t, 0.5, f.ConversionRate, 1e-9)

	rows := h.funnelCSV(t)
	require.Len(t, rows, 2)
	assert.Equal(t, []string{"origin", "targeted", "skipped"}, rows[0][:3])
	assert.Equal(t, []string{"rule:points_earned", "2"}, rows[1][:2])
	assert.Equal(t, "75000.00", rows[1][12], "revenue")

	for query, want := range map[string]string{
		"window=5m":                     "window: 5m is not between 1h and 90d",
		"window=week":                   `window: "week" is neither days (7d) nor a duration (36h)`,
		"from=2026-12-08&to=2026-12-01": "from must be before to",
		"from=yesterday":                `from: "yesterday" is neither a date`,
		"format=xml":                    "format must be json or csv",
	} {
		var e struct{ Error string }
		assert.Equal(t, http.StatusBadRequest, h.admin(http.MethodGet, "/analytics/funnel?"+query, &e), query)
		assert.Contains(t, e.Error, want, query)
	}
}
