package pipelines_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// BenchmarkBotReply measures the chatbot's answer end to end: a signed
// Cloud API webhook with a customer's message is posted to the hub at a
// steady rate (one customer each, asking for the menu), and the latency is
// the time from the post to the sandbox receiving the bot's send request.
// The hub runs on the embedded queue and SQLite, with every stage; the
// sandbox posts its status webhooks back as Meta would. One op is one
// customer message; p50_ms and p99_ms are the reply latencies.
func BenchmarkBotReply(b *testing.B) {
	for _, perSecond := range []int{500} {
		b.Run(fmt.Sprintf("rate=%d", perSecond), func(b *testing.B) {
			in := newInbox(nil)
			h := newHarness(b, harnessOpts{
				backend: "embedded",
				yaml:    botConfig(in.srv.URL),
				env: []string{"LOYALHUB_PIPELINE__SCHEDULER__DISABLED=true", "LOYALHUB_QUEUE__SUBSCRIBERS=16",
					"LOYALHUB_TENANTS__ACME__CONNECTORS__WHATSAPP__THROUGHPUT__PER_SECOND=1000"},
			})
			run := time.Now().UnixNano() % 1_000_000
			phone := func(i int) string { return fmt.Sprintf("62813%08d", (int(run)*7919+i)%100_000_000) }
			sent := make([]time.Time, b.N)
			limiter := rate.NewLimiter(rate.Limit(perSecond), 1)
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var wg sync.WaitGroup
			sem := make(chan struct{}, 64)
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				_ = limiter.Wait(b.Context())
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer func() { <-sem; wg.Done() }()
					body := inboundText(fmt.Sprintf("wamid.bench%d.%d", run, i), phone(i), "menu", time.Now())
					mac := hmac.New(sha256.New, []byte(testAppSecret))
					mac.Write([]byte(body))
					req, _ := http.NewRequest(http.MethodPost, h.url+"/hooks/acme/whatsapp", strings.NewReader(body))
					req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
					sent[i] = time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					resp.Body.Close()
				}()
			}
			wg.Wait()
			// Wait for every answer.
			byPhone := map[string]int{}
			for i := range b.N {
				byPhone[phone(i)] = i
			}
			deadline := time.Now().Add(2 * time.Minute)
			var lat []time.Duration
			for {
				lat = lat[:0]
				for _, m := range h.sb.Messages() {
					if i, ok := byPhone[m.WaID]; ok && m.Type == "text" {
						lat = append(lat, m.ReceivedAt.Sub(sent[i]))
					}
				}
				if len(lat) >= b.N || time.Now().After(deadline) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			if len(lat) < b.N {
				b.Fatalf("%d of %d answered; dead letters: %+v", len(lat), b.N, h.deadLetters())
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}
