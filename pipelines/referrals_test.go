package pipelines_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/member"
)

// withReferrals turns referrals on in the test program (20 points for the
// new member, 30 for the referrer, on a first order of at least 100,000)
// and sends a template for referral.completed.
func withReferrals(cfg string) string {
	cfg = strings.Replace(cfg, "    loyalty:\n", `    loyalty:
      referrals:
        enabled: true
        referee_points: 20
        referrer_points: 30
        max_per_month: 5
        min_order: "100000"
`, 1)
	return strings.Replace(cfg, "    notifications:\n", `    notifications:
      - name: referral_completed
        on: referral.completed
        sender: whatsapp
        template:
          name: referral_completed
          language: en
          body: ["data.role", "string(data.points)", "string(member.balance)"]
`, 1)
}

// templatesTo lists the names and parameters of the templates sent to phone
// with name.
func (h *harness) templatesTo(t *testing.T, phone, name string) [][]string {
	var out [][]string
	for _, m := range h.sb.Messages() {
		if m.To != strings.TrimPrefix(phone, "+") {
			continue
		}
		if n, params := templateOf(t, m); n == name {
			out = append(out, params)
		}
	}
	return out
}

func TestReferralThroughThePOSHook(t *testing.T) {
	h := newHarness(t, harnessOpts{yaml: withReferrals})
	const referrerPhone, refereePhone = "+6281234500001", "+6281234500002"

	require.Equal(t, http.StatusOK, h.postSale(sale("S-R1", "081234500001", "Rina", "50000")))
	var referrer member.Member
	eventually(t, "the referrer", func() bool {
		var ok bool
		referrer, ok = h.member(referrerPhone)
		return ok && referrer.Balance == 5
	})
	code := referrer.Referral.Code
	require.Len(t, code, member.ReferralCodeLength, "member detail shows the referral code")

	// The new member's first sale carries the code, as typed at the till.
	body := fmt.Appendf(nil, `{"sale_id":"S-R2","customer":{"phone":"081234500002","name":"Dewi"},"total":"150000","currency":"IDR","referral_code":%q}`,
		strings.ToLower(code))
	require.Equal(t, http.StatusOK, h.postSale(body))

	eventually(t, "both members rewarded", func() bool {
		r, ok1 := h.member(referrerPhone)
		d, ok2 := h.member(refereePhone)
		return ok1 && ok2 && r.Balance == 5+30 && d.Balance == 15+20
	})
	referee, _ := h.member(refereePhone)
	assert.Equal(t, referrer.ID, referee.Referral.ReferredBy)
	assert.Equal(t, member.ReferralCompleted, referee.Referral.Status)
	assert.NotEqual(t, code, referee.Referral.Code, "the new member has a code of their own")

	eventually(t, "both referral.completed messages", func() bool {
		return len(h.templatesTo(t, referrerPhone, "referral_completed")) == 1 &&
			len(h.templatesTo(t, refereePhone, "referral_completed")) == 1
	})
	assert.Equal(t, [][]string{{"referrer", "30", "35"}}, h.templatesTo(t, referrerPhone, "referral_completed"))
	assert.Equal(t, [][]string{{"referee", "20", "35"}}, h.templatesTo(t, refereePhone, "referral_completed"))

	// The same sale delivered again (a new delivery id) changes nothing.
	require.Equal(t, http.StatusOK, h.postSale(append(body, ' ')))
	require.Equal(t, http.StatusOK, h.postSale(sale("S-R3", "081234500001", "Rina", "10000")))
	eventually(t, "the referrer's next sale", func() bool {
		r, _ := h.member(referrerPhone)
		return r.Balance == 35+1
	})
	d, _ := h.member(refereePhone)
	assert.EqualValues(t, 35, d.Balance)

	var ledger struct {
		Entries []struct {
			Rule   string
			Points int64
		}
	}
	require.Equal(t, http.StatusOK, h.admin(http.MethodGet, "/members/"+referrer.ID+"/ledger", &ledger))
	var rules []string
	for _, e := range ledger.Entries {
		rules = append(rules, fmt.Sprintf("%s:%d", e.Rule, e.Points))
	}
	sort.Strings(rules)
	assert.Equal(t, []string{"referral:30", "spend:1", "spend:5"}, rules, "the referrer is rewarded once")
}
