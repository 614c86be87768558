package pipelines_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines"
)

// adminPost posts a JSON body to the admin API and decodes the answer.
func (h *harness) adminPost(path string, body any, v any) int {
	h.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(h.t, err)
	req, err := http.NewRequest(http.MethodPost, h.url+"/api/v1/tenants/acme"+path, bytes.NewReader(b))
	require.NoError(h.t, err)
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	resp, err := h.client.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	if v != nil {
		require.NoError(h.t, json.NewDecoder(resp.Body).Decode(v))
	}
	return resp.StatusCode
}

func TestAdminAdjustmentsAndLots(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	require.Equal(t, http.StatusOK, h.postSale(sale("S-ADJ", "081234567011", "Tono", "100000")))
	var m struct {
		ID       string `json:"id"`
		Balance  int64  `json:"balance"`
		OpenLots int    `json:"open_lots"`
	}
	eventually(t, "the member", func() bool {
		return h.admin(http.MethodGet, "/members?phone=081234567011", &m) == http.StatusOK && m.Balance == 10
	})
	assert.Equal(t, 1, m.OpenLots)

	var e struct{ Error string }
	assert.Equal(t, http.StatusBadRequest, h.adminPost("/members/"+m.ID+"/adjustments", map[string]any{"points": 5}, &e))
	assert.Equal(t, "required: actor, reason, request_id", e.Error)
	assert.Equal(t, http.StatusBadRequest, h.adminPost("/members/"+m.ID+"/adjustments", map[string]any{"points": 5, "bogus": 1}, &e))
	assert.Contains(t, e.Error, "unknown field")

	adj := map[string]any{"points": 5, "reason": "late delivery", "actor": "ops@brand.example", "request_id": "tkt-1"}
	var res struct {
		Replayed bool
		Balance  int64
	}
	require.Equal(t, http.StatusCreated, h.adminPost("/members/"+m.ID+"/adjustments", adj, &res))
	assert.EqualValues(t, 15, res.Balance)
	require.Equal(t, http.StatusOK, h.adminPost("/members/"+m.ID+"/adjustments", adj, &res), "the same request again")
	assert.True(t, res.Replayed)
	assert.EqualValues(t, 15, res.Balance, "applied once")

	debit := map[string]any{"points": -100, "reason": "fraud", "actor": "ops", "request_id": "tkt-2"}
	assert.Equal(t, http.StatusConflict, h.adminPost("/members/"+m.ID+"/adjustments", debit, &e))
	assert.Contains(t, e.Error, "not enough points")
	assert.Equal(t, http.StatusNotFound, h.adminPost("/members/mem_nobody/adjustments", adj, &e))

	var ledger struct{ Entries []store.LedgerEntry }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+m.ID+"/ledger", &ledger))
	require.Len(t, ledger.Entries, 2)
	assert.Equal(t, "ops@brand.example", ledger.Entries[0].Actor, "newest first, with who made it")
	assert.Equal(t, "late delivery", ledger.Entries[0].Reason)

	var lots struct{ Lots []loyalty.Lot }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+m.ID+"/lots", &lots))
	require.Len(t, lots.Lots, 2)
	var sum int64
	for _, l := range lots.Lots {
		sum += l.Remaining
	}
	assert.EqualValues(t, 15, sum)
}

func TestAdminSimulateWritesNothing(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	order := map[string]any{
		"type": "order.paid",
		"data": map[string]any{"order_id": "SIM-1", "phone": "081234567012", "total": "257500", "currency": "IDR"},
	}
	var out struct {
		Member   loyalty.Member
		New      bool `json:"new_member"`
		Entries  []loyalty.Entry
		Outcomes []loyalty.Outcome
	}
	require.Equal(t, http.StatusOK, h.adminPost("/program/simulate", order, &out))
	assert.True(t, out.New)
	assert.EqualValues(t, 25, out.Member.Balance)
	require.Len(t, out.Entries, 1)
	assert.Contains(t, out.Entries[0].Reason, "25 points on a spend of 257500.00")
	require.NotEmpty(t, out.Outcomes)
	assert.Equal(t, loyalty.OutcomePointsEarned, out.Outcomes[len(out.Outcomes)-1].Type)

	assert.Equal(t, http.StatusNotFound, h.admin(http.MethodGet, "/members?phone=081234567012", nil), "nothing was written")

	var e struct{ Error string }
	refund := map[string]any{"type": "order.refunded", "data": map[string]any{"order_id": "NOPE", "amount": "10"}}
	assert.Equal(t, http.StatusUnprocessableEntity, h.adminPost("/program/simulate", refund, &e))
	assert.Contains(t, e.Error, "no such member")
	assert.Equal(t, http.StatusBadRequest, h.adminPost("/program/simulate", map[string]any{"type": "order.paid"}, &e))
}

// The embedded queue redelivers a refund that waits for its order later,
// while other messages go on; the memory queue would redeliver it first.
func TestRefundBeforeItsOrderIsRetriedThenDeadLettered(t *testing.T) {
	h := newHarness(t, harnessOpts{backend: "embedded", yaml: func(cfg string) string {
		return strings.Replace(cfg, "    loyalty:\n", "    loyalty:\n      refunds:\n        wait_for_order: 3s\n", 1)
	}})
	refund := []byte(`{"sale_id": "S-R1", "status": "refunded", "refund_id": "R-1", "refund_amount": "100000",
		"customer": {"phone": "081234567013"}, "total": "200000", "currency": "IDR"}`)
	require.Equal(t, http.StatusOK, h.postSale(refund))
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, http.StatusOK, h.postSale(sale("S-R1", "081234567013", "Wati", "200000")))
	eventually(t, "the refund applied once the order arrived", func() bool {
		m, ok := h.member("+6281234567013")
		return ok && m.Balance == 10
	})

	orphan := []byte(`{"sale_id": "S-NEVER", "status": "void", "total": "1"}`)
	require.Equal(t, http.StatusOK, h.postSale(orphan))
	var dl struct {
		DeadLetters []struct{ Handler, Reason string }
	}
	eventually(t, "the orphan refund dead-lettered", func() bool {
		h.admin(http.MethodGet, "/deadletters", &dl)
		return len(dl.DeadLetters) == 1
	})
	assert.Equal(t, pipelines.StageProcess, dl.DeadLetters[0].Handler)
	assert.Contains(t, dl.DeadLetters[0].Reason, "order.cancelled for order not found: S-NEVER after waiting 3s")
}

// tiered adds Silver, Gold (100 points) and Platinum (1,000) to the test
// program.
func tiered(cfg string) string {
	return strings.Replace(cfg, "    loyalty:\n", `    loyalty:
      tiers:
        grace_days: 30
        levels:
          - {name: Silver, threshold: "0"}
          - {name: Gold, threshold: "100", multiplier: "2"}
          - {name: Platinum, threshold: "1000"}
`, 1)
}

func TestAdminTiers(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: tiered})
	require.Equal(t, http.StatusOK, h.postSale(sale("S-T1", "081234567014", "Lia", "1200000")))
	var m struct {
		ID       string
		Balance  int64
		Tier     struct{ Name string }
		Progress loyalty.TierProgress `json:"tier_progress"`
	}
	eventually(t, "the member at Gold", func() bool {
		return h.admin(http.MethodGet, "/members?phone=081234567014", &m) == http.StatusOK && m.Tier.Name == "Gold"
	})
	assert.EqualValues(t, 120, m.Balance, "the sale that reached Gold earned at Silver's rate")
	assert.Equal(t, loyalty.TierProgress{Tier: "Gold", Basis: "points_earned", Qualifying: "120", Next: "Platinum", Left: "880", Multiplier: "2"}, m.Progress)

	var e struct{ Error string }
	assert.Equal(t, http.StatusBadRequest, h.adminPost("/members/"+m.ID+"/tier", map[string]any{"tier": "Gold"}, &e))
	assert.Equal(t, "required: actor, reason, request_id", e.Error)
	assert.Equal(t, http.StatusBadRequest, h.adminPost("/members/"+m.ID+"/tier",
		map[string]any{"tier": "Diamond", "actor": "ops", "reason": "vip", "request_id": "t-0"}, &e))
	assert.Contains(t, e.Error, `no tier "Diamond"`)

	until := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	var res struct {
		Tier struct {
			Name        string
			Manual      bool
			ManualUntil *time.Time `json:"manual_until"`
		}
	}
	require.Equal(t, http.StatusOK, h.adminPost("/members/"+m.ID+"/tier",
		map[string]any{"tier": "Platinum", "until": until, "actor": "ops@brand.example", "reason": "VIP event", "request_id": "t-1"}, &res))
	assert.Equal(t, "Platinum", res.Tier.Name)
	assert.True(t, res.Tier.Manual, "a level set by hand says so")
	require.NotNil(t, res.Tier.ManualUntil)
	assert.True(t, until.Equal(*res.Tier.ManualUntil))
}

// The hub records times by its own clock, not the machine's: with the hub's
// clock a month behind, an adjustment's ledger entry, the member's last
// update (which the store stamps by itself) and the time its notification
// was accepted by WhatsApp are a month back too.
func TestTimesFollowTheHubsClock(t *testing.T) {
	const behind = 30 * 24 * time.Hour
	h := newHarness(t, harnessOpts{now: func() time.Time { return time.Now().Add(-behind) }})
	require.Equal(t, http.StatusOK, h.postSale(sale("S-CLOCK", "081234567012", "Tini", "100000")))
	var m struct {
		ID      string `json:"id"`
		Balance int64  `json:"balance"`
	}
	eventually(t, "the member", func() bool {
		return h.admin(http.MethodGet, "/members?phone=081234567012", &m) == http.StatusOK && m.Balance == 10
	})
	adj := map[string]any{"points": 5, "reason": "goodwill", "actor": "ops", "request_id": "clock-1"}
	require.Equal(t, http.StatusCreated, h.adminPost("/members/"+m.ID+"/adjustments", adj, nil))

	hubNow := time.Now().Add(-behind)
	var ledger struct{ Entries []store.LedgerEntry }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+m.ID+"/ledger", &ledger))
	require.NotEmpty(t, ledger.Entries)
	assert.Equal(t, "goodwill", ledger.Entries[0].Reason)
	assert.WithinDuration(t, hubNow, ledger.Entries[0].CreatedAt, time.Hour, "the adjustment is dated by the hub's clock")
	var updated struct {
		UpdatedAt time.Time `json:"updated_at"`
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+m.ID, &updated))
	assert.WithinDuration(t, hubNow, updated.UpdatedAt, time.Hour, "the store stamps the member by the hub's clock")

	// The queued and sending steps are the hub's; a status webhook's
	// steps (sent, delivered) carry the BSP's own timestamps, so the sent
	// step may be the sandbox's (it can report before the hub records
	// WhatsApp's answer).
	var msg store.Message
	eventually(t, "a message taken for sending", func() bool {
		var list struct{ Messages []store.Message }
		if h.admin(http.MethodGet, "/messages", &list) != http.StatusOK || len(list.Messages) == 0 {
			return false
		}
		if h.admin(http.MethodGet, "/messages/"+list.Messages[0].Key, &msg) != http.StatusOK {
			return false
		}
		for _, step := range msg.Timeline {
			if step.Status == store.MessageSending {
				return true
			}
		}
		return false
	})
	assert.WithinDuration(t, hubNow, msg.CreatedAt, time.Hour, "queued by the hub's clock")
	for _, step := range msg.Timeline {
		if step.Status == store.MessageSending || step.Status == store.MessageQueued {
			assert.WithinDuration(t, hubNow, step.At, time.Hour, "%s by the hub's clock", step.Status)
		}
	}
}
