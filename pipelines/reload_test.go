package pipelines_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/member"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/pipelines"
)

// The acme spend rule of testConfig, and the one a reload puts in its place:
// twice the points for the same spend.
const (
	oneEvery10000 = `unit: "10000"`
	oneEvery5000  = `unit: "5000"`
)

// betaTenant is a second tenant a reload adds, with a POS webhook.
const betaTenant = `
  beta:
    default_region: ID
    timezone: Asia/Jakarta
    connectors:
      pos:
        type: pos_webhook
        secret: beta-secret
    loyalty:
      rules:
        - name: spend
          on: order.paid
          spend:
            unit: "1000"
            points: 1
`

// editConfig rewrites the hub's config file with edit.
func (h *harness) editConfig(edit func(string) string) {
	h.t.Helper()
	b, err := os.ReadFile(h.configPath)
	require.NoError(h.t, err)
	require.NoError(h.t, os.WriteFile(h.configPath, []byte(edit(string(b))), 0o600))
}

// replace is an edit replacing old, which must be there, with new.
func replace(t *testing.T, old, new string) func(string) string {
	return func(cfg string) string {
		require.Contains(t, cfg, old)
		return strings.Replace(cfg, old, new, 1)
	}
}

// reloadAnswer is POST /api/v1/config/reload's answer.
type reloadAnswer struct {
	Result string `json:"result"`
	Errors []struct {
		Key   string `json:"key"`
		Error string `json:"error"`
	} `json:"errors"`
}

// reload asks the admin API to reload the config file.
func (h *harness) reload() (int, reloadAnswer) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+"/api/v1/config/reload", nil)
	require.NoError(h.t, err)
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	resp, err := h.client.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	var a reloadAnswer
	require.NoError(h.t, json.NewDecoder(resp.Body).Decode(&a))
	return resp.StatusCode, a
}

// balance waits for the member of phone (E.164) to hold points.
func (h *harness) balance(t *testing.T, phone string, points int64) {
	t.Helper()
	eventually(t, "the member's balance", func() bool {
		m, ok := h.member(phone)
		return ok && m.Balance == points
	})
}

func reloads(h *harness, result string) float64 {
	return testutil.ToFloat64(h.hub.Metrics().ConfigReloads.WithLabelValues(result))
}

// heldSends holds the sandbox's first message send until release is
// closed, telling arrived when it is held.
type heldSends struct {
	once    sync.Once
	arrived chan struct{}
	release chan struct{}
}

func newHeldSends() *heldSends {
	return &heldSends{arrived: make(chan struct{}), release: make(chan struct{})}
}

func (g *heldSends) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") {
			g.once.Do(func() {
				close(g.arrived)
				<-g.release
			})
		}
		next.ServeHTTP(w, r)
	})
}

// A program changed in the file and reloaded applies to the next sale,
// while the message of a sale earned by the old rule, in flight during the
// reload, completes as it was.
func TestReloadAppliesTheNewProgram(t *testing.T) {
	held := newHeldSends()
	h := newHarness(t, harnessOpts{configFile: true, sandboxHandler: held.wrap})

	require.Equal(t, http.StatusOK, h.postSale(sale("S-1", "081234560001", "Sari", "250000")))
	h.balance(t, "+6281234560001", 25)
	<-held.arrived // the points_earned message is being sent

	h.editConfig(replace(t, oneEvery10000, oneEvery5000))
	code, answer := h.reload()
	require.Equal(t, http.StatusOK, code, "%+v", answer)
	assert.Equal(t, "ok", answer.Result)
	close(held.release)

	eventually(t, "the message in flight", func() bool { return h.sentTo("+6281234560001") == 1 })
	_, params := templateOf(t, h.sb.Messages()[0])
	assert.Equal(t, []string{"Sari", "25", "25"}, params, "earned and sent by the rule it was earned under")

	require.Equal(t, http.StatusOK, h.postSale(sale("S-2", "081234560002", "Budi", "250000")))
	h.balance(t, "+6281234560002", 50)
	eventually(t, "the new sale's message", func() bool { return h.sentTo("+6281234560002") == 1 })
	assert.Equal(t, 1.0, reloads(h, pipelines.ReloadOK))
	assert.Equal(t, 0.0, reloads(h, pipelines.ReloadRefused))
}

// A config with errors is refused with each error's key path, and so is
// one that changes a key read only at start; the running program goes on.
func TestReloadRefusesABadConfig(t *testing.T) {
	h := newHarness(t, harnessOpts{configFile: true, yaml: func(cfg string) string {
		// The sandbox lists the account's templates, which a reload checks
		// the notifications against.
		return replaceOnce(t, cfg, "        phone_number_id:", "        waba_id: \"200000000000009\"\n        phone_number_id:")
	}, sandbox: func(c *sandbox.Config) {
		c.Templates = []messaging.TemplateInfo{{Name: "points_earned", Language: "en", Category: messaging.CategoryUtility, BodyParams: []string{"1", "2", "3"}}}
	}})
	original, err := os.ReadFile(h.configPath)
	require.NoError(t, err)

	tests := []struct {
		name     string
		edit     func(string) string
		key, msg string
	}{
		{
			name: "an unknown key",
			edit: replace(t, "    default_region: ID\n", "    default_region: ID\n    points_per_currency: 2\n"),
			key:  "tenants.acme.points_per_currency", msg: "unknown key",
		},
		{
			name: "an expression that does not compile",
			edit: replace(t, `"string(data.points)"`, `"string(data.points +)"`),
			key:  "tenants.acme.notifications[0].template.body[1]",
		},
		{
			name: "a template the account does not have",
			edit: replace(t, "          name: points_earned\n", "          name: points_earnt\n"),
			key:  "tenants.acme.notifications[0]", msg: "points_earnt",
		},
		{
			name: "a key read only at start",
			edit: replace(t, "server:\n", "server:\n  listen: 127.0.0.1:1\n"),
			key:  "server.listen", msg: "cannot change without a restart",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(h.configPath, []byte(tt.edit(strings.Replace(string(original), oneEvery10000, oneEvery5000, 1))), 0o600))
			code, answer := h.reload()
			require.Equal(t, http.StatusUnprocessableEntity, code)
			assert.Equal(t, "refused", answer.Result)
			require.NotEmpty(t, answer.Errors)
			found := false
			for _, e := range answer.Errors {
				if strings.HasPrefix(e.Key, tt.key) {
					found = true
					assert.Contains(t, e.Error, tt.msg)
				}
			}
			assert.True(t, found, "an error at %s in %+v", tt.key, answer.Errors)
			assert.Equal(t, float64(i+1), reloads(h, pipelines.ReloadRefused))

			phone := "08123456100" + string(rune('1'+i))
			require.Equal(t, http.StatusOK, h.postSale(sale("R-"+phone, phone, "Tono", "250000")))
			h.balance(t, "+62"+strings.TrimPrefix(phone, "0"), 25) // the running rule
		})
	}
	assert.Equal(t, 0.0, reloads(h, pipelines.ReloadOK))
}

// A reload carries over the connectors whose block did not change, as they
// run (here a sender paused after its credentials were refused), and builds
// anew those whose block changed, in new tenants; the tenants in flight keep
// the connectors they hold.
func TestReloadCarriesOverUnchangedConnectors(t *testing.T) {
	h := newHarness(t, harnessOpts{configFile: true})
	before, ok := pipelines.TenantOf(h.hub, "acme")
	require.True(t, ok)
	wa, posConn := before.Connectors["whatsapp"], before.Connectors["pos"]
	done, _, _, paused := wa.Pause.Admit()
	require.False(t, paused)
	done(fault.Permanent(fault.ClassAuth, errors.New("(#190) Error validating access token")))

	h.editConfig(replace(t, "secret: "+testPOSSecret, "secret: new-pos-secret"))
	h.editConfig(replace(t, oneEvery10000, oneEvery5000))
	require.NoError(t, h.hub.Reloader().Reload())

	after, ok := pipelines.TenantOf(h.hub, "acme")
	require.True(t, ok)
	assert.NotSame(t, before, after)
	assert.NotSame(t, before.Program, after.Program)
	assert.Same(t, wa, after.Connectors["whatsapp"], "unchanged: carried over")
	paused, _, _ = after.Connectors["whatsapp"].Pause.State()
	assert.True(t, paused, "its pause goes on")
	assert.NotSame(t, posConn, after.Connectors["pos"], "changed: built anew")
	assert.Same(t, posConn, before.Connectors["pos"])

	body := sale("C-1", "081234560301", "Rina", "250000")
	code, _ := h.post("/hooks/acme/pos", body, pos.Sign(testPOSSecret, body))
	assert.Equal(t, http.StatusUnauthorized, code, "the old secret no longer opens it")
	code, _ = h.post("/hooks/acme/pos", body, pos.Sign("new-pos-secret", body))
	require.Equal(t, http.StatusOK, code)
	h.balance(t, "+6281234560301", 50)
}

// memberOf returns tenant's member of phone, as the admin API finds it.
func (h *harness) memberOf(tenant, phone string) (member.Member, int) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.url+"/api/v1/tenants/"+tenant+"/members?phone="+phone, nil)
	require.NoError(h.t, err)
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	resp, err := h.client.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	var m member.Member
	if resp.StatusCode == http.StatusOK {
		require.NoError(h.t, json.NewDecoder(resp.Body).Decode(&m))
	}
	return m, resp.StatusCode
}

// A tenant a reload adds receives webhooks and runs its program; once a
// reload removes it, its webhooks get 404 while the other tenants go on.
func TestReloadAddsAndRemovesTenants(t *testing.T) {
	h := newHarness(t, harnessOpts{configFile: true})
	body := sale("B-1", "081234560101", "Wati", "25000")
	postBeta := func() int {
		code, _ := h.post("/hooks/beta/pos", body, pos.Sign("beta-secret", body))
		return code
	}
	require.Equal(t, http.StatusNotFound, postBeta())

	h.editConfig(func(cfg string) string { return cfg + betaTenant })
	require.NoError(t, h.hub.Reloader().Reload())
	require.Equal(t, http.StatusOK, postBeta())
	eventually(t, "beta's member", func() bool {
		m, code := h.memberOf("beta", "+6281234560101")
		return code == http.StatusOK && m.Balance == 25
	})

	h.editConfig(replace(t, betaTenant, ""))
	require.NoError(t, h.hub.Reloader().Reload())
	assert.Equal(t, http.StatusNotFound, postBeta())
	_, code := h.memberOf("beta", "+6281234560101")
	assert.Equal(t, http.StatusNotFound, code, "the admin API no longer knows the tenant")
	require.Equal(t, http.StatusOK, h.postSale(sale("A-1", "081234560102", "Ani", "250000")))
	h.balance(t, "+6281234560102", 25)
	assert.Equal(t, 2.0, reloads(h, pipelines.ReloadOK))
}

// Saving the config file reloads it, once the writes settle.
func TestReloadWatchesTheConfigFile(t *testing.T) {
	h := newHarness(t, harnessOpts{configFile: true})
	ctx, cancel := context.WithCancel(context.Background())
	watching := make(chan error, 1)
	go func() { watching <- h.hub.Reloader().Watch(ctx, h.configPath, 50*time.Millisecond) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-watching)
	})

	// The watch starts in its goroutine: keep saving the change until a
	// reload has seen it (a save that came first is read by that reload).
	h.editConfig(replace(t, oneEvery10000, oneEvery5000))
	require.Eventually(t, func() bool {
		if reloads(h, pipelines.ReloadOK) > 0 {
			return true
		}
		h.editConfig(func(cfg string) string { return cfg })
		return false
	}, 15*time.Second, 100*time.Millisecond)

	require.Equal(t, http.StatusOK, h.postSale(sale("W-1", "081234560201", "Dewi", "250000")))
	h.balance(t, "+6281234560201", 50)

	// A save with an error is refused and the program goes on.
	h.editConfig(replace(t, "    default_region: ID\n", "    default_region: ID\n    bogus: 1\n"))
	require.Eventually(t, func() bool { return reloads(h, pipelines.ReloadRefused) > 0 }, 15*time.Second, 20*time.Millisecond)
	require.Equal(t, http.StatusOK, h.postSale(sale("W-2", "081234560202", "Eka", "250000")))
	h.balance(t, "+6281234560202", 50)
}
