package pipelines_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/loyalty"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// rewardsYAML is a catalog for the test tenant: a generated coffee code, a
// tumbler from a pool with a stock of 2, a mug not available yet and a
// machine nobody can afford.
const rewardsYAML = `      rewards:
        - id: coffee
          name: Free coffee
          cost: 50
          codes:
            pattern: "KOPI-{AAAA}-{9999}"
        - id: tumbler
          name: Tumbler
          cost: 100
          stock: 2
          codes:
            pool: true
        - id: mug
          name: Festive mug
          cost: 10
          valid:
            from: "2999-01-01"
          codes:
            pattern: "MUG-{999999}"
        - id: machine
          name: Espresso machine
          cost: 100000
          codes:
            pattern: "ESP-{AAAAAA}"
`

// withRewards adds the catalog and a notification that sends each
// redeemed code on WhatsApp.
func withRewards(cfg string) string {
	cfg = strings.Replace(cfg, "    loyalty:\n", "    loyalty:\n"+rewardsYAML, 1)
	return cfg + `      - name: reward_code
        on: reward.redeemed
        sender: whatsapp
        template:
          name: reward_code
          language: en
          body: ["data.name", "data.code"]
`
}

type redemptionAnswer struct {
	ID         string
	RewardID   string `json:"reward_id"`
	RewardName string `json:"reward_name"`
	Status     string
	Code       string
	Reason     string
	Balance    int64
	Replayed   bool
	Error      string
}

// fundedMember makes a member with points from a sale and returns its id.
func (h *harness) fundedMember(saleID, phone, total string, points int64) string {
	h.t.Helper()
	require.Equal(h.t, http.StatusOK, h.postSale(sale(saleID, phone, "Rina", total)))
	var m struct {
		ID      string
		Balance int64
	}
	eventually(h.t.(*testing.T), "the member's points", func() bool {
		return h.admin(http.MethodGet, "/members?phone="+phone, &m) == http.StatusOK && m.Balance == points
	})
	return m.ID
}

func (h *harness) redeem(memberID, rewardID, requestID string) (int, redemptionAnswer) {
	h.t.Helper()
	var out redemptionAnswer
	code := h.adminPost("/members/"+memberID+"/redemptions", map[string]any{"reward_id": rewardID, "request_id": requestID}, &out)
	return code, out
}

type rewardAnswer struct {
	ID        string
	Name      string
	Cost      int64
	Codes     string
	Stock     int64
	Redeemed  int64
	Left      *int64
	CodesLeft *int64 `json:"codes_left"`
	Available bool
}

func (h *harness) catalog() map[string]rewardAnswer {
	h.t.Helper()
	var out struct{ Rewards []rewardAnswer }
	require.Equal(h.t, http.StatusOK, h.admin(http.MethodGet, "/rewards", &out))
	m := map[string]rewardAnswer{}
	for _, r := range out.Rewards {
		m[r.ID] = r
	}
	return m
}

func TestAdminRewardsAndRedemptions(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: withRewards})

	cat := h.catalog()
	require.Len(t, cat, 4)
	assert.Equal(t, rewardAnswer{ID: "coffee", Name: "Free coffee", Cost: 50, Codes: "pattern", Available: true}, cat["coffee"])
	require.NotNil(t, cat["tumbler"].Left)
	assert.EqualValues(t, 0, *cat["tumbler"].Left, "no code imported yet")
	assert.False(t, cat["tumbler"].Available)
	assert.False(t, cat["mug"].Available, "not valid yet")

	var imported struct {
		Added, Duplicates int
		CodesLeft         int64 `json:"codes_left"`
		Error             string
	}
	require.Equal(t, http.StatusOK, h.adminPost("/rewards/tumbler/codes", map[string]any{"codes": []string{"T-1", "T-2", "T-3", " T-1"}}, &imported))
	assert.Equal(t, 3, imported.Added)
	assert.Equal(t, 1, imported.Duplicates)
	assert.EqualValues(t, 3, imported.CodesLeft)
	assert.Equal(t, http.StatusConflict, h.adminPost("/rewards/coffee/codes", map[string]any{"codes": []string{"X"}}, &imported))
	assert.Contains(t, imported.Error, "not from a pool")
	assert.Equal(t, http.StatusNotFound, h.adminPost("/rewards/nope/codes", map[string]any{"codes": []string{"X"}}, nil))
	assert.Equal(t, http.StatusBadRequest, h.adminPost("/rewards/tumbler/codes", map[string]any{"codes": []string{}}, nil))
	assert.Equal(t, http.StatusBadRequest, h.adminPost("/rewards/tumbler/codes", map[string]any{"codes": []string{"ok", ""}}, nil))

	id := h.fundedMember("S-RW1", "081234567021", "6000000", 600)

	code, first := h.redeem(id, "coffee", "r1")
	require.Equal(t, http.StatusCreated, code, first.Error)
	assert.Regexp(t, `^KOPI-[A-Z]{4}-[0-9]{4}$`, first.Code)
	assert.Equal(t, loyalty.RedemptionConfirmed, first.Status)
	assert.Equal(t, "Free coffee", first.RewardName)
	assert.EqualValues(t, 550, first.Balance)
	assert.False(t, first.Replayed)

	code, again := h.redeem(id, "coffee", "r1")
	require.Equal(t, http.StatusOK, code, "the same request again")
	assert.True(t, again.Replayed)
	assert.Equal(t, first.Code, again.Code)
	assert.EqualValues(t, 550, again.Balance, "points taken once")

	code, other := h.redeem(id, "tumbler", "r1")
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, other.Error, "redeemed coffee already")

	for i, want := range []string{"T-1", "T-2"} {
		code, got := h.redeem(id, "tumbler", fmt.Sprint("t", i))
		require.Equal(t, http.StatusCreated, code, got.Error)
		assert.Equal(t, want, got.Code, "first imported first")
	}
	tests := []struct {
		name, reward string
		status       int
		msg          string
	}{
		{"stock used up", "tumbler", http.StatusConflict, "all 2 of Tumbler are redeemed"},
		{"not valid yet", "mug", http.StatusConflict, "Festive mug can be redeemed from 2999-01-01 00:00"},
		{"not enough points", "machine", http.StatusConflict, "Espresso machine costs 100000 points, balance is 350"},
		{"unknown reward", "nope", http.StatusNotFound, "no reward nope"},
	}
	for _, tt := range tests {
		code, got := h.redeem(id, tt.reward, "x-"+tt.reward)
		assert.Equal(t, tt.status, code, tt.name)
		assert.Contains(t, got.Error, tt.msg, tt.name)
	}
	code, got := h.redeem("mem_nobody", "coffee", "r9")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "no member mem_nobody", got.Error)
	var e struct{ Error string }
	assert.Equal(t, http.StatusBadRequest, h.adminPost("/members/"+id+"/redemptions", map[string]any{}, &e))
	assert.Equal(t, "required: request_id, reward_id", e.Error)

	var list struct {
		MemberID    string `json:"member_id"`
		Redemptions []redemptionAnswer
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+id+"/redemptions", &list))
	require.Len(t, list.Redemptions, 3)
	assert.Equal(t, "coffee", list.Redemptions[2].RewardID, "newest first")
	assert.Equal(t, first.Code, list.Redemptions[2].Code)
	assert.Equal(t, http.StatusNotFound, h.admin(http.MethodGet, "/members/mem_nobody/redemptions", nil))

	cat = h.catalog()
	assert.EqualValues(t, 2, cat["tumbler"].Redeemed)
	assert.EqualValues(t, 0, *cat["tumbler"].Left)
	assert.EqualValues(t, 1, *cat["tumbler"].CodesLeft)
	assert.EqualValues(t, 1, cat["coffee"].Redeemed)
	assert.Nil(t, cat["coffee"].Left, "unlimited")

	var ledger struct{ Entries []store.LedgerEntry }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+id+"/ledger", &ledger))
	require.Len(t, ledger.Entries, 4, "the sale and three redemptions")
	assert.Equal(t, loyalty.EntryRedeem, ledger.Entries[0].Kind)
	assert.EqualValues(t, -100, ledger.Entries[0].Points)

	// reward.redeemed reaches the notification rules: each code is sent.
	var sent []string
	eventually(t, "the codes on WhatsApp", func() bool {
		sent = sent[:0]
		for _, m := range h.sb.Messages() {
			if name, params := templateOf(t, m); name == "reward_code" {
				sent = append(sent, strings.Join(params, " "))
			}
		}
		return len(sent) == 3
	})
	assert.ElementsMatch(t, []string{"Free coffee " + first.Code, "Tumbler T-1", "Tumbler T-2"}, sent)
}

// TestAdminRedemptionDoubleTap sends one redemption request five times at
// once: one redemption, one code, points taken once.
func TestAdminRedemptionDoubleTap(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: withRewards})
	id := h.fundedMember("S-RW2", "081234567022", "2000000", 200)
	var wg sync.WaitGroup
	answers := make([]redemptionAnswer, 5)
	codes := make([]int, 5)
	for i := range answers {
		wg.Go(func() { codes[i], answers[i] = h.redeem(id, "coffee", "tap") })
	}
	wg.Wait()
	created := 0
	for i, a := range answers {
		require.Contains(t, []int{http.StatusCreated, http.StatusOK}, codes[i], a.Error)
		if codes[i] == http.StatusCreated {
			created++
		}
		assert.Equal(t, answers[0].Code, a.Code)
		assert.Equal(t, answers[0].ID, a.ID)
	}
	assert.Equal(t, 1, created, "one request redeemed, the others replayed it")
	m, ok := h.member("081234567022")
	require.True(t, ok)
	assert.EqualValues(t, 150, m.Balance)
	var list struct{ Redemptions []redemptionAnswer }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+id+"/redemptions", &list))
	assert.Len(t, list.Redemptions, 1)
}

// shopIssuer is a shop connector that issues reward codes: SHOP-<n> for
// each new redemption and the same code for one asked again, or an error
// while the shop is down.
type shopIssuer struct {
	mu    sync.Mutex
	down  bool
	codes map[string]string
	calls int
	// throttled answers the next calls with a rate-limit error.
	throttled int
}

func (s *shopIssuer) Accept(*http.Request, []byte) (connectors.Delivery, error) {
	return connectors.Delivery{}, connectors.ErrUnauthorized
}

func (s *shopIssuer) Issue(_ context.Context, _ string, _ loyalty.Reward, _, redemptionID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.down {
		return "", fault.Permanent(fault.ClassTransient, errors.New("the shop is down"))
	}
	if s.throttled > 0 {
		s.throttled--
		return "", fault.Retryable(fault.ClassThrottle, errors.New("throttled"), 50*time.Millisecond)
	}
	if c, ok := s.codes[redemptionID]; ok {
		return c, nil
	}
	c := fmt.Sprintf("SHOP-%d", len(s.codes)+1)
	s.codes[redemptionID] = c
	return c, nil
}

func (s *shopIssuer) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

type shopConfig struct{}

func (shopConfig) Validate() error { return nil }

// newShopHarness runs a hub whose tenant has a shop connector issuing
// codes (a connector type registered for the test) and two issuer
// rewards: one from the shop, one from the POS, which cannot issue codes.
func newShopHarness(t *testing.T, shop *shopIssuer) *harness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	reg := connectors.NewRegistry()
	all.Register(reg)
	require.NoError(t, reg.Register(connectors.Spec{
		Name: "test_shop", Mapping: "pos_webhook",
		Capabilities: []connectors.Capability{connectors.CapSource, connectors.CapCodeIssuer},
		NewConfig:    func() connectors.Config { return &shopConfig{} },
		New:          connectors.Construct(func(*shopConfig, connectors.Deps) (*shopIssuer, error) { return shop, nil }),
	}))
	cfg := fmt.Sprintf(`
data_dir: %s
server:
  admin_token: %s
tenants:
  acme:
    default_region: ID
    timezone: Asia/Jakarta
    connectors:
      pos:
        type: pos_webhook
        secret: %s
      shop:
        type: test_shop
    loyalty:
      rules:
        - name: spend
          on: order.paid
          spend:
            unit: "10000"
            points: 1
      rewards:
        - id: voucher
          name: Shop voucher
          cost: 100
          codes:
            issuer: shop
        - id: till
          name: Till voucher
          cost: 100
          codes:
            issuer: pos
`, t.TempDir(), testAdmin, testPOSSecret)
	s, err := hubconfig.Parse([]byte(cfg), []string{"LOYALHUB_QUEUE__BACKEND=memory"}, reg)
	require.NoError(t, err)
	hub, err := pipelines.New(s, pipelines.Options{Listener: ln})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, hub.Start(ctx))
	t.Cleanup(func() {
		closeCtx, c := context.WithTimeout(context.Background(), 20*time.Second)
		defer c()
		require.NoError(t, hub.Close(closeCtx))
		cancel()
	})
	return &harness{t: t, hub: hub, url: "http://" + ln.Addr().String(), client: &http.Client{Timeout: 10 * time.Second}}
}

func TestAdminRedemptionFromAnIssuer(t *testing.T) {
	shop := &shopIssuer{codes: map[string]string{}}
	h := newShopHarness(t, shop)
	id := h.fundedMember("S-RW3", "081234567023", "3000000", 300)

	code, got := h.redeem(id, "voucher", "v1")
	require.Equal(t, http.StatusCreated, code, got.Error)
	assert.Equal(t, "SHOP-1", got.Code)
	assert.Equal(t, loyalty.RedemptionConfirmed, got.Status)
	assert.EqualValues(t, 200, got.Balance)
	code, got = h.redeem(id, "voucher", "v1")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "SHOP-1", got.Code)
	assert.Equal(t, 1, shop.calls, "a confirmed redemption is not issued again")

	shop.setDown(true)
	code, got = h.redeem(id, "voucher", "v2")
	require.Equal(t, http.StatusBadGateway, code)
	assert.Contains(t, got.Error, "the shop is down")
	assert.Contains(t, got.Error, "points are given back")
	m, ok := h.member("081234567023")
	require.True(t, ok)
	assert.EqualValues(t, 200, m.Balance, "the points are back")

	code, got = h.redeem(id, "voucher", "v2")
	assert.Equal(t, http.StatusConflict, code, "a released request stays released")
	assert.Contains(t, got.Error, "use a new request_id")

	code, got = h.redeem(id, "till", "p1")
	require.Equal(t, http.StatusBadGateway, code)
	assert.Contains(t, got.Error, "connector pos cannot issue codes")

	shop.setDown(false)
	shop.mu.Lock()
	shop.throttled, shop.calls = 2, 0
	shop.mu.Unlock()
	code, got = h.redeem(id, "voucher", "v3")
	require.Equal(t, http.StatusCreated, code, got.Error)
	assert.Equal(t, "SHOP-2", got.Code, "a throttled shop is asked again")
	assert.EqualValues(t, 100, got.Balance)
	assert.Equal(t, 3, shop.calls)
	assert.Equal(t, 2.0, counterValue(t, h.hub.Metrics().CodesIssued.WithLabelValues("acme", "shop", "ok")))
	assert.Equal(t, 1.0, counterValue(t, h.hub.Metrics().CodesIssued.WithLabelValues("acme", "shop", "transient")))

	var list struct{ Redemptions []redemptionAnswer }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+id+"/redemptions", &list))
	statuses := map[string]int{}
	for _, r := range list.Redemptions {
		statuses[r.Status]++
		if r.Status == loyalty.RedemptionReleased {
			assert.NotEmpty(t, r.Reason)
		}
	}
	assert.Equal(t, map[string]int{loyalty.RedemptionConfirmed: 2, loyalty.RedemptionReleased: 2}, statuses)

	var ledger struct{ Entries []store.LedgerEntry }
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+id+"/ledger", &ledger))
	var sum int64
	for _, e := range ledger.Entries {
		sum += e.Points
	}
	assert.EqualValues(t, 100, sum, "the ledger adds up to the balance")
	assert.Len(t, ledger.Entries, 7, "the sale, two confirmed, two released and given back")
}
