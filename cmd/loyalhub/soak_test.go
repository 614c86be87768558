package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The soak streams sales at three replicas behind the proxy and kills a
// replica with SIGKILL now and then, restarting it at once, round the
// replicas in turn. In the end every sale gave its points once and its
// member one message, and no message reached the BSP twice unless the hub
// could not have known of the earlier attempt (the crash test's rule).
//
// Its default is sized for CI; LOYALHUB_SOAK=1 runs the full soak of
// 100,000 sales and 10 kills, and LOYALHUB_SOAK_SALES and
// LOYALHUB_SOAK_KILLS set other sizes.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three replicas of the binary")
	}
	sales, kills := 3000, 3
	if os.Getenv("LOYALHUB_SOAK") == "1" {
		sales, kills = 100_000, 10
	}
	if n, err := strconv.Atoi(os.Getenv("LOYALHUB_SOAK_SALES")); err == nil && n > 0 {
		sales = n
	}
	if n, err := strconv.Atoi(os.Getenv("LOYALHUB_SOAK_KILLS")); err == nil && n >= 0 {
		kills = n
	}
	c := newCluster(t, 1000, earnedYAML)
	run := fmt.Sprintf("S%d", rand.Uint64()%1e9)
	base := rand.IntN(50_000_000)
	began := time.Now()

	var accepted atomic.Int64
	var acceptedIn time.Duration // read once done is closed
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.postSales(run, base, sales, 0, time.Time{}, &accepted)
		acceptedIn = time.Since(began)
	}()
	// The kills come at even shares of the work: sales accepted and
	// messages at the BSP together.
	var outages []outage
	progress := func() int { return int(accepted.Load()) + c.bsp.accepted() }
	for k := range kills {
		at := (k + 1) * 2 * sales / (kills + 1)
		deadline := time.Now().Add(5 * time.Minute)
		for progress() < at {
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: only %d sales accepted and %d messages at the BSP (logs: %s)", k+1, accepted.Load(), c.bsp.accepted(), c.logs())
			}
			time.Sleep(5 * time.Millisecond)
		}
		r := c.replicas[k%replicaCount]
		o := outage{killed: time.Now()}
		r.kill()
		t.Logf("kill %d: replica %d with SIGKILL after %d accepted sales and %d messages at the BSP", k+1, k%replicaCount, accepted.Load(), c.bsp.accepted())
		r.start(r.addr)
		o.ready = time.Now()
		outages = append(outages, o)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Minute):
		t.Fatalf("only %d of %d sales accepted (logs: %s)", accepted.Load(), sales, c.logs())
	}
	t.Logf("%d sales accepted in %s", sales, acceptedIn.Round(time.Second))
	c.awaitMessages(run, base, sales, earnedTemplate, 10*time.Minute)
	settled := time.Now()
	// A message whose attempt a kill interrupted is resent, if ever, once
	// the grace after the last restart ends: count after that.
	if len(outages) > 0 {
		time.Sleep(time.Until(outages[len(outages)-1].ready.Add(2*crashAckWait + crashGrace + 3*time.Second)))
	}
	c.bsp.wg.Wait()

	c.requireEarnedOnce(run, base, sales)
	resentAfterLoss := countResends(t, c.bsp, earnedTemplate, run, base, sales, outages, began)
	require.LessOrEqual(t, resentAfterLoss, len(outages)*64, "at most the sends in flight at each kill")
	c.stop()
	t.Logf("soak: %d sales over %d replicas with %d kills: every sale's points once and one message each; %d messages at the BSP, %d sent again after a lost status webhook; sales and messages settled in %s",
		sales, replicaCount, len(outages), c.bsp.accepted(), resentAfterLoss, settled.Sub(began).Round(time.Second))
}
