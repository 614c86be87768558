package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/core/store/storetest"
	"github.com/loyalhub/loyalhub/pipelines/loadtest"
	"github.com/loyalhub/loyalhub/pipelines/queue/queuetest"
)

// The scale-out tests run three `loyalhub serve` processes of the built
// binary on one NATS JetStream and one PostgreSQL database, behind
// rrProxy: one address for the POS and the fake BSP, as a load balancer
// gives them. They reuse the crash test's child processes and fake BSP.

const replicaCount = 3

// replica is one `loyalhub serve` process of a cluster and its address.
type replica struct {
	*child
	addr string
}

// cluster is replicaCount replicas behind a proxy, sharing a queue and a
// store, and the fake BSP that calls them back through the proxy.
type cluster struct {
	t        *testing.T
	dsn      string
	replicas []*replica
	proxy    *rrProxy
	url      string // the proxy's
	bsp      *fakeBSP
}

// newCluster starts the replicas; the test's end stops them.
func newCluster(t *testing.T, perSecond int, tenantYAML string) *cluster {
	t.Helper()
	queuetest.RequireNATS(t)
	dsn := storetest.FreshPostgres(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	c := &cluster{t: t, dsn: dsn}
	addrs := make([]string, replicaCount)
	for i := range addrs {
		addrs[i] = freePort(t)
	}
	c.proxy = newRRProxy(addrs)
	srv := httptest.NewServer(c.proxy)
	t.Cleanup(srv.Close)
	c.url = srv.URL
	c.bsp = newFakeBSP(crashToken, crashApp, crashNumberID, crashWABAID, "15550000077", c.url+"/hooks/shop/whatsapp")
	bspSrv := httptest.NewServer(c.bsp)
	t.Cleanup(func() {
		c.bsp.wg.Wait() // status webhooks in flight end before the server
		bspSrv.Close()
	})
	backendYAML := natsPostgresYAML(t, dsn, replicaCount)
	for i, addr := range addrs {
		cfgPath := filepath.Join(dir, fmt.Sprintf("replica%d.yaml", i))
		require.NoError(t, os.WriteFile(cfgPath, hubConfig(filepath.Join(dir, fmt.Sprintf("data%d", i)), addr, backendYAML,
			bspSrv.URL, perSecond, tenantYAML), 0o600))
		logFile, err := os.Create(filepath.Join(dir, fmt.Sprintf("replica%d.log", i)))
		require.NoError(t, err)
		t.Cleanup(func() { logFile.Close() })
		r := &replica{child: &child{t: t, bin: bin, cfg: cfgPath, log: logFile}, addr: addr}
		c.replicas = append(c.replicas, r)
	}
	// Started in turn: the first migrates the database.
	for _, r := range c.replicas {
		r.start(r.addr)
		t.Cleanup(r.kill) // a failed test must not leave a replica running
	}
	return c
}

// logs names the replicas' log files, for failure messages.
func (c *cluster) logs() string {
	names := make([]string, len(c.replicas))
	for i, r := range c.replicas {
		names[i] = r.log.Name()
	}
	return strings.Join(names, ", ")
}

// stop ends every replica with SIGTERM and requires a clean exit.
func (c *cluster) stop() {
	for i, r := range c.replicas {
		require.NoError(c.t, r.stop(), "replica %d: graceful shutdown on SIGTERM", i)
	}
}

// postSales posts sales through the proxy (see postSales).
func (c *cluster) postSales(run string, first, n int, perSecond float64, at time.Time, accepted *atomic.Int64) {
	postSales(c.t, c.url, run, first, n, perSecond, at, accepted)
}

// awaitMessages waits for the sales' messages (see awaitMessages).
func (c *cluster) awaitMessages(run string, first, n int, template string, within time.Duration) {
	c.t.Helper()
	awaitMessages(c.t, c.url, c.bsp, run, first, n, template, within, c.logs())
}

// requireOneMessageEach requires exactly one key of template for each sale
// first..first+n-1 of run, sent once.
func (c *cluster) requireOneMessageEach(run string, first, n int, template string) {
	c.t.Helper()
	byRecipient := c.bsp.byRecipient(template)
	for i := range n {
		keys := byRecipient[recipientOf(run, first+i)]
		require.Len(c.t, keys, 1, "sale %d: one %s message", first+i, template)
		require.Len(c.t, c.bsp.attempts(keys[0]), 1, "sale %d: its %s message reached the BSP once", first+i, template)
	}
}

// balances returns the members' balances by phone, read from the
// database the replicas share.
func (c *cluster) balances() map[string]int64 {
	c.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.dsn)
	require.NoError(c.t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT phone, balance FROM members WHERE tenant = 'shop'`)
	require.NoError(c.t, err)
	out := map[string]int64{}
	for rows.Next() {
		var phone string
		var balance int64
		require.NoError(c.t, rows.Scan(&phone, &balance))
		out[phone] = balance
	}
	require.NoError(c.t, rows.Err())
	return out
}

// requireEarnedOnce requires each sale first..first+n-1 of run to have
// given its member its points exactly once: the rule gives a point per
// 10,000 of the sale's total, and each member made one sale.
func (c *cluster) requireEarnedOnce(run string, first, n int) {
	c.t.Helper()
	balances := c.balances()
	for i := range n {
		_, phone := loadtest.Sale(run, first+i)
		want := int64(25000+((first+i)%40)*10000) / 10000
		got, ok := balances[phone]
		require.True(c.t, ok, "sale %d: no member", first+i)
		require.Equal(c.t, want, got, "sale %d: points given once", first+i)
	}
}

// processed returns what a replica's stages processed and what it sent,
// from its own /metrics.
func (r *replica) processed(t *testing.T) (events, sends float64) {
	t.Helper()
	resp, err := http.Get("http://" + r.addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(name, "loyalhub_stage_messages_processed_total{") && strings.Contains(name, `stage="process"`):
			events += v
		case strings.HasPrefix(name, "loyalhub_sender_sends_total{"):
			sends += v
		}
	}
	return events, sends
}

// busiest returns the most sends the fake BSP accepted in any span of
// window, counted from each send, and when that span began.
func (f *fakeBSP) busiest(window time.Duration) (int, time.Time) {
	f.mu.Lock()
	var at []time.Time
	for _, ss := range f.sends {
		for _, s := range ss {
			at = append(at, s.at)
		}
	}
	f.mu.Unlock()
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	most, from, j := 0, time.Time{}, 0
	for i := range at {
		for j < len(at) && at[j].Before(at[i].Add(window)) {
			j++
		}
		if j-i > most {
			most, from = j-i, at[i]
		}
	}
	return most, from
}

// lastOf returns when the fake accepted the last send of template.
func (f *fakeBSP) lastOf(template string) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var last time.Time
	for _, ss := range f.sends {
		for _, s := range ss {
			if s.template == template && s.at.After(last) {
				last = s.at
			}
		}
	}
	return last
}

// rrProxy is the load balancer in front of the replicas: it hands each
// request to the next replica in turn, and to the one after when a
// replica does not answer or answers 502, 503 or 504 (stopping).
type rrProxy struct {
	backends []string
	next     atomic.Uint64
	client   *http.Client
	served   []atomic.Int64 // requests each replica answered
}

func newRRProxy(backends []string) *rrProxy {
	return &rrProxy{
		backends: backends,
		client:   &http.Client{Timeout: 10 * time.Second},
		served:   make([]atomic.Int64, len(backends)),
	}
}

func (p *rrProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// Every replica gets two chances, a moment apart: a rolling restart
	// may leave a moment with the others busy starting.
	for attempt := range 2 * len(p.backends) {
		if attempt == len(p.backends) {
			time.Sleep(200 * time.Millisecond)
		}
		i := int(p.next.Add(1) % uint64(len(p.backends)))
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://"+p.backends[i]+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := p.client.Do(req)
		if err != nil {
			continue // down: the next one
		}
		if resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusGatewayTimeout {
			resp.Body.Close()
			continue
		}
		p.served[i].Add(1)
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, "no replica answered", http.StatusBadGateway)
}

// replicaRate is the number's throughput in TestReplicas: low enough that
// three replicas each sending it alone would be plain to see.
const replicaRate = 40

// pairPhone is the one customer of the pair-limit test, and pairTemplate
// its messages' template.
const (
	pairPhone    = "+6289900011122"
	pairTemplate = "pair_check"
)

func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three replicas of the binary")
	}
	// Sales held 1 day: made three days ago, their points activate in the
	// scheduler's first sweep, which sends each member one message.
	c := newCluster(t, replicaRate, `    loyalty:
      rules:
        - name: spend
          on: order.paid
          pending_days: 1
          spend:
            unit: "10000"
            points: 1
    notifications:
      - name: points_activated
        on: points.activated
        sender: whatsapp
        template:
          name: points_activated
          language: en
          body: ["string(member.balance)"]
      - name: pair_check
        on: points.pending
        when: member.phone == "`+pairPhone+`"
        sender: whatsapp
        template:
          name: `+pairTemplate+`
          language: en
          body: ["string(data.points)"]
`)
	run := fmt.Sprintf("R%d", rand.Uint64()%1e9)
	base := rand.IntN(50_000_000)
	past := time.Now().Add(-72 * time.Hour)
	began := time.Now()
	const members = 240

	t.Run("work is shared and the sweep runs once", func(t *testing.T) {
		var accepted atomic.Int64
		began := time.Now()
		c.postSales(run, base, members, 0, past, &accepted)
		c.awaitMessages(run, base, members, "points_activated", 3*time.Minute)
		c.requireOneMessageEach(run, base, members, "points_activated")
		c.requireEarnedOnce(run, base, members)
		for i, r := range c.replicas {
			events, sends := r.processed(t)
			t.Logf("replica %d processed %g deliveries and sent %g messages; the proxy gave it %d requests", i, events, sends, c.proxy.served[i].Load())
			assert.Positive(t, events, "replica %d processed some of the sales", i)
		}
		// The sends waited for the number's turns, shared by all three.
		took := c.bsp.lastOf("points_activated").Sub(began)
		assert.GreaterOrEqual(t, took, time.Duration(members-1)*time.Second/replicaRate)
		t.Logf("%d messages from three replicas in %s: %.1f/s for a number at %d/s", members, took.Round(time.Millisecond),
			float64(members)/took.Seconds(), replicaRate)
	})

	t.Run("a campaign runs once", func(t *testing.T) {
		adminDo(t, http.MethodPut, c.url+"/api/v1/tenants/shop/segments/everyone", `{"condition": "balance >= 0"}`)
		adminDo(t, http.MethodPost, c.url+"/api/v1/tenants/shop/campaigns", `{"name": "statement", "segment": "everyone",
			"sender": "whatsapp", "category": "utility", "rate": 400, "variants": [{"name": "a",
			"template": {"name": "`+statementTemplate+`", "language": "en", "body": ["string(member.balance)"]}}]}`)
		began := time.Now()
		adminDo(t, http.MethodPost, c.url+"/api/v1/tenants/shop/campaigns/statement/start", "")
		c.awaitMessages(run, base, members, statementTemplate, 3*time.Minute)
		c.requireOneMessageEach(run, base, members, statementTemplate)
		var progress struct {
			Totals struct{ Targeted, Waiting, Failed, Sent int } `json:"totals"`
		}
		adminGet(t, c.url+"/api/v1/tenants/shop/campaigns/statement", &progress)
		assert.Equal(t, members, progress.Totals.Targeted, "one campaign message per member: %+v", progress)
		assert.Equal(t, members, progress.Totals.Sent, "%+v", progress)
		took := c.bsp.lastOf(statementTemplate).Sub(began)
		assert.GreaterOrEqual(t, took, time.Duration(members-1)*time.Second/replicaRate)
		t.Logf("the campaign's %d messages in %s: %.1f/s", members, took.Round(time.Millisecond), float64(members)/took.Seconds())
	})

	t.Run("a rolling restart loses and repeats nothing", func(t *testing.T) {
		const more = 480
		first := base + members
		var accepted atomic.Int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.postSales(run, first, more, 40, past, &accepted)
		}()
		for i, r := range c.replicas {
			// Each restart comes while sales still flow in.
			for accepted.Load() < int64((i+1)*more/(replicaCount+2)) {
				time.Sleep(10 * time.Millisecond)
			}
			stopping := time.Now()
			require.NoError(t, r.stop(), "replica %d: graceful shutdown on SIGTERM", i)
			stopped := time.Now()
			r.start(r.addr)
			t.Logf("replica %d restarted after %d of %d sales: stopped in %s, ready in %s", i, accepted.Load(), more,
				stopped.Sub(stopping).Round(time.Millisecond), time.Since(stopped).Round(time.Millisecond))
		}
		select {
		case <-done:
		case <-time.After(3 * time.Minute):
			t.Fatalf("only %d of %d sales accepted (logs: %s)", accepted.Load(), more, c.logs())
		}
		c.awaitMessages(run, first, more, "points_activated", 3*time.Minute)
		c.requireOneMessageEach(run, first, more, "points_activated")
		c.requireEarnedOnce(run, base, members+more)
	})

	t.Run("a recipient's pair limit holds across replicas", func(t *testing.T) {
		// Six sales of one customer, posted through the proxy to every
		// replica at once: six messages to one recipient, sent by
		// whichever replicas process them. The pair limit (the default 3
		// at once, then one each 6 s) is one schedule for all of them;
		// kept per replica, three replicas would send all six at once.
		const sales, burst, every = 6, 3, 6 * time.Second
		client := &http.Client{Timeout: 5 * time.Second}
		for i := range sales {
			body := fmt.Appendf(nil, `{"sale_id":"%s-pair-%d","store_id":"PAIR-01","occurred_at":"%s","customer":{"phone":"%s","name":"Pair"},"total":"150000.00","currency":"IDR","items":[{"sku":"KOPI-1","name":"Kopi susu","qty":6,"price":"25000.00"}]}`,
				run, i, time.Now().UTC().Format(time.RFC3339), pairPhone)
			req, _ := http.NewRequest(http.MethodPost, c.url+"/hooks/shop/pos", bytes.NewReader(body))
			req.Header.Set("X-Loyalhub-Signature", pos.Sign(crashSecret, body))
			resp, err := client.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusAccepted/100, resp.StatusCode/100, "sale %d accepted", i)
		}
		recipient := strings.TrimPrefix(pairPhone, "+")
		var at []time.Time
		require.Eventually(t, func() bool {
			keys := c.bsp.byRecipient(pairTemplate)[recipient]
			if len(keys) < sales {
				return false
			}
			at = at[:0]
			for _, k := range keys {
				at = append(at, c.bsp.attempts(k)[0].at)
			}
			return true
		}, time.Minute, 100*time.Millisecond, "six messages to one recipient (logs: %s)", c.logs())
		slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
		// The k-th message's turn is (k-burst+1) intervals after the
		// first's; a send may reach the fake late (the number's own
		// turn), never early, so only the first's lateness is allowed.
		for k := burst; k < sales; k++ {
			assert.GreaterOrEqual(t, at[k].Sub(at[0]), time.Duration(k-burst+1)*every-time.Second,
				"message %d of one recipient came %s after the first", k+1, at[k].Sub(at[0]).Round(time.Millisecond))
		}
		t.Logf("one recipient's six messages, from the first: %v", func() []time.Duration {
			out := make([]time.Duration, len(at))
			for i := range at {
				out[i] = at[i].Sub(at[0]).Round(time.Millisecond)
			}
			return out
		}())
	})

	// Every send of the test, by any replica, kept the number's rate. The
	// turns are exact in the database; a send reaches the BSP after its
	// turn, later by however long a busy machine delays it, so a second at
	// the BSP may get a few sends of the second before (one process's
	// limiter has the same edge). Five seconds at the BSP hold the turns
	// of five seconds and of the delay before them: half a second is
	// allowed, however the sends bunch within the span; three replicas
	// each keeping the rate alone would reach three times it.
	const span = 5 * time.Second
	most, from := c.bsp.busiest(span)
	t.Logf("busiest %s at the BSP: %d sends from +%s (number at %d/s, %d sends in all)",
		span, most, from.Sub(began).Round(time.Millisecond), replicaRate, c.bsp.accepted())
	assert.LessOrEqual(t, most, 5*replicaRate+replicaRate/2)
	c.stop()
}
