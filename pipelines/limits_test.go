package pipelines_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/pipelines"
)

func TestSalesBeyondTheLimitsAreDeadLettered(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	tests := []struct {
		name, id, phone, total, reason string
	}{
		{"a total above max_order_total", "S-HUGE", "081234567071", "1000000000000.01",
			"order S-HUGE total 1000000000000.01 is above loyalty.limits.max_order_total (1000000000000)"},
		{"a total beyond any int64", "S-HUGER", "081234567072", "99999999999999999999999999",
			"order S-HUGER total 99999999999999999999999999 is above loyalty.limits.max_order_total"},
		{"a negative total", "S-NEG", "081234567073", "-5000", "order S-NEG total -5000 is negative"},
	}
	for _, tt := range tests {
		require.Equal(t, http.StatusOK, h.postSale(sale(tt.id, tt.phone, "Ani", tt.total)), tt.name)
	}
	eventually(t, "one dead letter per sale", func() bool { return len(h.deadLetters().DeadLetters) == len(tests) })
	assert.EqualValues(t, len(tests), counterValue(t, h.hub.Metrics().LimitRefusals.WithLabelValues("acme", "order.paid")))
	reasons := map[string]string{}
	for _, d := range h.deadLetters().DeadLetters {
		assert.Equal(t, pipelines.StageProcess, d.Handler)
		reasons[d.Reason] = d.Payload
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found := false
			for reason, payload := range reasons {
				if strings.Contains(reason, tt.reason) {
					found = true
					assert.Contains(t, payload, tt.id, "the event is kept for a replay")
				}
			}
			assert.True(t, found, "a dead letter says %q; got %v", tt.reason, reasons)
			_, credited := h.member("+62" + tt.phone[1:])
			assert.False(t, credited, "the refused sale made no member")
		})
	}

	// The largest sale the program accepts earns as usual.
	require.Equal(t, http.StatusOK, h.postSale(sale("S-MAX", "081234567074", "Budi", "1000000000000")))
	eventually(t, "the sale at the maximum", func() bool {
		m, ok := h.member("+6281234567074")
		return ok && m.Balance == 100_000_000
	})
}

func TestAdminAdjustmentsBeyondTheLimits(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	require.Equal(t, http.StatusOK, h.postSale(sale("S-ADJ-L", "081234567075", "Tono", "100000")))
	var m struct {
		ID      string `json:"id"`
		Balance int64  `json:"balance"`
	}
	eventually(t, "the member", func() bool {
		return h.admin(http.MethodGet, "/members?phone=081234567075", &m) == http.StatusOK && m.Balance == 10
	})
	adjust := func(points any, id string) (int, string) {
		var e struct{ Error string }
		body := fmt.Sprintf(`{"points": %v, "reason": "correction", "actor": "ops", "request_id": %q}`, points, id)
		return h.adminPost("/members/"+m.ID+"/adjustments", json.RawMessage(body), &e), e.Error
	}
	tests := []struct {
		name   string
		points string
		says   string
	}{
		{"one above max_points", "1000000000000001",
			"an adjustment: 1000000000000001 points is beyond loyalty.limits.max_points (1000000000000000)"},
		{"a deduction beyond max_points", "-1000000000000001", "-1000000000000001 points is beyond loyalty.limits.max_points"},
		{"int64's minimum", "-9223372036854775808", "-9223372036854775808 points is beyond loyalty.limits.max_points"},
		{"beyond int64", "9223372036854775808", "request body"},
		{"a fraction", "1.5", "request body"},
		{"filling the balance beyond max_points", "999999999999991", "would hold 1000000000000001 points"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := adjust(tt.points, fmt.Sprintf("lim-%d", i))
			assert.Equal(t, http.StatusBadRequest, code)
			assert.Contains(t, msg, tt.says)
		})
	}
	code, _ := adjust("999999999999990", "lim-max")
	require.Equal(t, http.StatusCreated, code, "up to max_points is accepted")
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members?phone=081234567075", &m))
	assert.EqualValues(t, 1_000_000_000_000_000, m.Balance)
}
