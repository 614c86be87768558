package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/core/store/storetest"
	"github.com/loyalhub/loyalhub/pipelines/loadtest"
	"github.com/loyalhub/loyalhub/pipelines/queue/queuetest"
)

// The crash test runs `loyalhub serve` as a child process on its default
// delivery policy, streams signed sales at it, and kills it with SIGKILL
// four times, restarting it each time: once while the sales stream in,
// twice while it sends their WhatsApp messages, and once while it sends a
// campaign to every member the sales made. The POS
// side retries every sale until it gets a 2xx, as real senders do. The BSP
// is fakeBSP, which posts each status webhook once and never again. In the
// end every sale has exactly one ledger entry and its message, every
// member exactly one campaign message, and no key
// reached the BSP twice unless the hub could not have known better: every
// earlier accepted attempt's only status webhook was lost while the hub was
// dead (Meta would retry it; nothing else tells the hub WhatsApp took the
// message). Those are counted and logged, never failed.

const (
	crashSales    = 4000
	crashSecret   = "crash-pos-secret"
	crashToken    = "crash-wa-token"
	crashApp      = "crash-app-secret"
	crashAdmin    = "crash-admin"
	crashNumberID = "100000000000077"
	crashWABAID   = "200000000000077"
	crashAckWait  = 5 * time.Second
	crashGrace    = 5 * time.Second

	earnedTemplate    = "points_earned"    // each sale's notification
	statementTemplate = "points_statement" // the campaign's
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "loyalhub-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "loyalhub")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building loyalhub: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

type child struct {
	t      *testing.T
	bin    string
	cfg    string
	flags  []string // serve's flags besides --config
	log    *os.File
	cmd    *exec.Cmd
	done   chan error
	exited chan struct{} // closed when the child has ended
}

func (c *child) start(addr string) {
	c.t.Helper()
	c.cmd = exec.Command(c.bin, append([]string{"serve", "--config", c.cfg}, c.flags...)...)
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	c.cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
	require.NoError(c.t, c.cmd.Start())
	// The goroutine keeps this child's own channels: the fields are
	// replaced at the next start, possibly before it has sent.
	cmd, done, exited := c.cmd, make(chan error, 1), make(chan struct{})
	c.done, c.exited = done, exited
	go func() {
		err := cmd.Wait()
		close(exited)
		done <- err
	}()
	// A restart replays what the kill left; on a loaded machine that can
	// take a while.
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-c.done:
			out, _ := os.ReadFile(c.log.Name())
			c.t.Fatalf("loyalhub exited during start: %v; its log:\n%s", err, lastLines(out, 20))
		default:
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("loyalhub not ready after 90s (log: %s)", c.log.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the running child with SIGKILL; it does nothing when the child
// has already ended.
func (c *child) kill() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
}

func (c *child) stop() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		return err
	case <-time.After(60 * time.Second):
		c.kill()
		return fmt.Errorf("loyalhub did not stop within 60s of SIGTERM")
	}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test builds and runs the binary")
	}
	t.Run("embedded", func(t *testing.T) {
		runCrashTest(t, "queue:\n  backend: embedded\n  ack_wait: "+crashAckWait.String()+"\n")
	})
	t.Run("nats+postgres", func(t *testing.T) {
		queuetest.RequireNATS(t)
		dsn := storetest.FreshPostgres(t)
		runCrashTest(t, natsPostgresYAML(t, dsn, 1))
	})
}

// natsPostgresYAML is the queue and store config of hubs on this machine's
// NATS, with a stream prefix of the test's own, and the PostgreSQL
// database at dsn; max_ack_pending lets each of the replicas' stages hold
// twice its 16 subscribers.
func natsPostgresYAML(t *testing.T, dsn string, replicas int) string {
	return fmt.Sprintf(`queue:
  backend: nats
  ack_wait: %s
  max_ack_pending: %d
  nats:
    url: %s
    stream_prefix: %s
store:
  driver: postgres
  postgres:
    dsn: %s
`, crashAckWait, 2*16*replicas, queuetest.NATSURL(), queuetest.StreamPrefix(t), dsn)
}

// outage is a time the hub was down: from its kill until it answered
// /readyz again.
type outage struct{ killed, ready time.Time }

func runCrashTest(t *testing.T, backendYAML string) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freePort(t)
	hubURL := "http://" + addr
	began := time.Now()

	bsp := newFakeBSP(crashToken, crashApp, crashNumberID, crashWABAID, "15550000077", hubURL+"/hooks/shop/whatsapp")
	bspSrv := httptest.NewServer(bsp)
	defer bspSrv.Close()
	defer bsp.wg.Wait() // status webhooks in flight end before the server

	cfgPath := filepath.Join(dir, "loyalhub.yaml")
	require.NoError(t, os.WriteFile(cfgPath, hubConfig(filepath.Join(dir, "data"), addr, backendYAML, bspSrv.URL, 1000, earnedYAML), 0o600))

	logFile, err := os.Create(filepath.Join(dir, "loyalhub.log"))
	require.NoError(t, err)
	defer logFile.Close()
	c := &child{t: t, bin: bin, cfg: cfgPath, log: logFile}
	c.start(addr)
	t.Cleanup(c.kill) // a failed test must not leave the hub running

	// Senders: each sale is retried until the hub answers 2xx.
	run := fmt.Sprintf("C%d", rand.Uint64()%1e9)
	base := rand.IntN(50_000_000)
	var accepted atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { postSales(t, hubURL, run, base, crashSales, 0, time.Time{}, &accepted) })

	// The first kill comes while sales stream in, the others while the hub
	// sends: after a share of the messages reached the BSP.
	kills := []struct {
		what string
		n    func() int
		at   int
	}{
		{"accepted sales", func() int { return int(accepted.Load()) }, crashSales / 4},
		{"messages at the BSP", bsp.accepted, crashSales / 3},
		{"messages at the BSP", bsp.accepted, 2 * crashSales / 3},
	}
	var outages []outage
	for k, kill := range kills {
		deadline := time.Now().Add(3 * time.Minute)
		for kill.n() < kill.at {
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: only %d of %d %s (log: %s)", k+1, kill.n(), kill.at, kill.what, logFile.Name())
			}
			time.Sleep(5 * time.Millisecond)
		}
		o := outage{killed: time.Now()}
		c.kill()
		t.Logf("kill %d with SIGKILL after %d accepted sales and %d messages at the BSP", k+1, accepted.Load(), bsp.accepted())
		c.start(addr)
		o.ready = time.Now()
		outages = append(outages, o)
	}
	wg.Wait()
	require.EqualValues(t, crashSales, accepted.Load())

	// Every accepted sale gets its message, and the message log settles:
	// nothing is left sending or unknown.
	settle := func(template string) {
		awaitMessages(t, hubURL, bsp, run, base, crashSales, template, 4*time.Minute, logFile.Name())
	}
	settle(earnedTemplate)

	// Then a campaign to every member, killed while it sends.
	adminDo(t, http.MethodPut, hubURL+"/api/v1/tenants/shop/segments/everyone", `{"condition": "balance >= 0"}`)
	adminDo(t, http.MethodPost, hubURL+"/api/v1/tenants/shop/campaigns", `{"name": "statement", "segment": "everyone",
		"sender": "whatsapp", "category": "utility", "rate": 400, "variants": [{"name": "a",
		"template": {"name": "`+statementTemplate+`", "language": "en", "body": ["string(member.balance)"]}}]}`)
	adminDo(t, http.MethodPost, hubURL+"/api/v1/tenants/shop/campaigns/statement/start", "")
	campaignKill := func() int { return bsp.acceptedOf(statementTemplate) }
	deadline := time.Now().Add(3 * time.Minute)
	for campaignKill() < crashSales/3 {
		if time.Now().After(deadline) {
			t.Fatalf("campaign: only %d of %d messages at the BSP (log: %s)", campaignKill(), crashSales/3, logFile.Name())
		}
		time.Sleep(5 * time.Millisecond)
	}
	o := outage{killed: time.Now()}
	c.kill()
	t.Logf("kill %d with SIGKILL after %d campaign messages at the BSP", len(outages)+1, campaignKill())
	c.start(addr)
	o.ready = time.Now()
	outages = append(outages, o)
	settle(statementTemplate)
	var progress struct {
		State  string `json:"state"`
		Totals struct {
			Targeted, Waiting, Failed, Sent int
		} `json:"totals"`
	}
	adminGet(t, hubURL+"/api/v1/tenants/shop/campaigns/statement", &progress)
	assert.Equal(t, crashSales, progress.Totals.Targeted, "one campaign message per member: %+v", progress)
	assert.Equal(t, crashSales, progress.Totals.Sent, "%+v", progress)
	assert.Zero(t, progress.Totals.Waiting+progress.Totals.Failed, "%+v", progress)
	// A message whose attempt a kill interrupted is resent, if ever, once
	// the grace after the last restart ends: count after that.
	last := outages[len(outages)-1].ready
	time.Sleep(time.Until(last.Add(2*crashAckWait + crashGrace + 3*time.Second)))
	bsp.wg.Wait()

	// No key twice, unless the hub was never told of the earlier attempt.
	resentAfterLoss := 0
	for _, template := range []string{earnedTemplate, statementTemplate} {
		resentAfterLoss += countResends(t, bsp, template, run, base, crashSales, outages, began)
	}
	lostOutside := 0
	for _, k := range bsp.keys() {
		for _, a := range bsp.attempts(k) {
			if !a.statusOK && !duringOutage(outages, bsp, a.statusAt) {
				lostOutside++
			}
		}
	}
	require.Zero(t, lostOutside, "status webhooks the running hub refused")
	require.LessOrEqual(t, resentAfterLoss, len(outages)*64, "at most the sends in flight at each kill")

	// Exactly one ledger entry per sale.
	for i := range crashSales {
		_, phone := loadtest.Sale(run, base+i)
		entries := ledgerOf(t, hubURL, phone)
		require.Len(t, entries, 1, "sale %d", i)
	}
	require.NoError(t, c.stop(), "graceful shutdown on SIGTERM")
	t.Logf("%d sales and a campaign to their members, %d kills, %d messages accepted by the BSP, %d sent again after a lost status webhook, in %s",
		crashSales, len(outages), bsp.accepted(), resentAfterLoss, time.Since(began).Round(time.Second))
}

// unresolved counts the hub's messages still sending or unknown.
func unresolved(t *testing.T, hubURL string) int {
	t.Helper()
	n := 0
	for _, status := range []string{"sending", "unknown"} {
		var list struct {
			Messages []json.RawMessage `json:"messages"`
		}
		adminGet(t, hubURL+"/api/v1/tenants/shop/messages?status="+status, &list)
		n += len(list.Messages)
	}
	return n
}

func memberOf(t *testing.T, hubURL, phone string) string {
	t.Helper()
	var m struct {
		ID string `json:"id"`
	}
	adminGet(t, hubURL+"/api/v1/tenants/shop/members?phone="+strings.ReplaceAll(phone, "+", "%2B"), &m)
	return m.ID
}

func ledgerOf(t *testing.T, hubURL, phone string) []json.RawMessage {
	t.Helper()
	var l struct {
		Entries []json.RawMessage `json:"entries"`
	}
	adminGet(t, hubURL+"/api/v1/tenants/shop/members/"+memberOf(t, hubURL, phone)+"/ledger", &l)
	return l.Entries
}

// lastLines returns the last n lines of a log.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// adminDo sends an admin request with a JSON body and requires a 2xx.
func adminDo(t *testing.T, method, url, body string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+crashAdmin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	require.Equal(t, 2, resp.StatusCode/100, "%s %s: %s", method, url, msg)
}

func adminGet(t *testing.T, url string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+crashAdmin)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

// hubConfig is the config of a hub under test: tenant "shop" with a POS and
// a whatsapp_cloud sender at perSecond on the fake BSP at bspURL, the
// queue and store of backendYAML, and the tenant's loyalty and
// notification blocks in tenantYAML. The delivery policy is the default
// one: only the times are short.
func hubConfig(dataDir, addr, backendYAML, bspURL string, perSecond int, tenantYAML string) []byte {
	return fmt.Appendf(nil, `data_dir: %s
server:
  listen: %s
  admin_token: %s
log:
  level: warn
%spipeline:
  retry:
    initial_interval: 20ms
    max_interval: 500ms
  send:
    unknown_grace: %s
  scheduler:
    interval: 2s
tenants:
  shop:
    default_region: ID
    connectors:
      pos:
        type: pos_webhook
        secret: %s
      whatsapp:
        type: whatsapp_cloud
        base_url: %s
        phone_number_id: "%s"
        access_token: %s
        app_secret: %s
        timeout: 3s
        throughput:
          per_second: %d
%s`, dataDir, addr, crashAdmin, backendYAML, crashGrace, crashSecret, bspURL, crashNumberID, crashToken, crashApp, perSecond, tenantYAML)
}

// earnedYAML is a point per 10,000 of a sale, and a message of it.
const earnedYAML = `    loyalty:
      rules:
        - name: spend
          on: order.paid
          spend:
            unit: "10000"
            points: 1
    notifications:
      - name: points_earned
        on: points.earned
        sender: whatsapp
        template:
          name: ` + earnedTemplate + `
          language: en
          body: ["string(data.points)", "string(member.balance)"]
`

// postSales posts the sales first..first+n-1 of run to the hub at hubURL
// from 16 senders, each sale until it gets a 2xx as a POS retries, paced
// at perSecond when above zero; accepted counts those answered. at, when
// not zero, replaces each sale's time.
func postSales(t *testing.T, hubURL, run string, first, n int, perSecond float64, at time.Time, accepted *atomic.Int64) {
	var pace *rate.Limiter
	if perSecond > 0 {
		pace = rate.NewLimiter(rate.Limit(perSecond), 1)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if pace != nil {
					_ = pace.Wait(context.Background())
				}
				body, _ := loadtest.Sale(run, first+i)
				if !at.IsZero() {
					body = saleAt(t, body, at)
				}
				for {
					req, _ := http.NewRequest(http.MethodPost, hubURL+"/hooks/shop/pos", bytes.NewReader(body))
					req.Header.Set("X-Loyalhub-Signature", pos.Sign(crashSecret, body))
					resp, err := client.Do(req)
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode/100 == 2 {
							break
						}
					}
					time.Sleep(20 * time.Millisecond)
				}
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
}

// saleAt returns a sale with another time.
func saleAt(t *testing.T, body []byte, at time.Time) []byte {
	var sale map[string]any
	require.NoError(t, json.Unmarshal(body, &sale))
	sale["occurred_at"] = at.UTC().Format(time.RFC3339)
	out, err := json.Marshal(sale)
	require.NoError(t, err)
	return out
}

// recipientOf is the BSP's form of the sale's phone: digits.
func recipientOf(run string, i int) string {
	_, phone := loadtest.Sale(run, i)
	return strings.TrimPrefix(phone, "+")
}

// awaitMessages waits until every sale first..first+n-1 of run has a
// message of template at the BSP and the hub has no message left sending
// or unknown; logs names the hub's logs for a failure.
func awaitMessages(t *testing.T, hubURL string, bsp *fakeBSP, run string, first, n int, template string, within time.Duration, logs string) {
	t.Helper()
	deadline := time.Now().Add(within)
	recipients := make([]string, n)
	for i := range n {
		recipients[i] = recipientOf(run, first+i)
	}
	for {
		byRecipient := bsp.byRecipient(template)
		missing := 0
		for _, r := range recipients {
			if len(byRecipient[r]) == 0 {
				missing++
			}
		}
		if missing == 0 && unresolved(t, hubURL) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d members have no %s message at the BSP, %d messages unresolved (logs: %s)",
				missing, n, template, unresolved(t, hubURL), logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// duringOutage reports whether a status webhook posted at at may have been
// lost to an outage: sent while the hub was down, or just before a kill.
func duringOutage(outages []outage, bsp *fakeBSP, at time.Time) bool {
	for _, o := range outages {
		if !at.Before(o.killed.Add(-bsp.client.Timeout)) && !at.After(o.ready) {
			return true
		}
	}
	return false
}

// countResends requires one key of template for each sale first..first+n-1
// of run, sent again only when the hub was never told of the earlier
// attempts (each one's status webhook lost to an outage), and returns how
// many sends were such repeats.
func countResends(t *testing.T, bsp *fakeBSP, template, run string, first, n int, outages []outage, began time.Time) int {
	t.Helper()
	byRecipient := bsp.byRecipient(template)
	resent := 0
	for i := range n {
		keys := byRecipient[recipientOf(run, first+i)]
		require.Len(t, keys, 1, "sale %d: one %s message", first+i, template)
		atts := bsp.attempts(keys[0])
		for j := 1; j < len(atts); j++ {
			told := false
			for _, a := range atts[:j] {
				told = told || a.statusOK || !duringOutage(outages, bsp, a.statusAt)
			}
			if told {
				t.Errorf("sale %d: key %s sent %d times although the hub had been told of an earlier attempt: %+v", first+i, keys[0], len(atts), atts)
				continue
			}
			resent++
			t.Logf("sale %d: key %s accepted at +%s, its status webhook lost at +%s while the hub was down, sent again at +%s",
				first+i, keys[0], atts[j-1].at.Sub(began).Round(time.Millisecond),
				atts[j-1].statusAt.Sub(began).Round(time.Millisecond), atts[j].at.Sub(began).Round(time.Millisecond))
		}
	}
	return resent
}
