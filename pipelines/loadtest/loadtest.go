// Package loadtest drives unique signed POS sales at a running hub and
// checks, at the sandbox BSP, that every accepted sale led to exactly one
// WhatsApp message.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loyalhub/loyalhub/connectors/pos"
)

// Config of one load run.
type Config struct {
	HubURL      string // such as http://127.0.0.1:8080
	Tenant      string
	Connector   string        // the tenant's pos_webhook connector
	Secret      string        // its signing secret
	SandboxURL  string        // the sandbox BSP, to count delivered messages; empty skips delivery checks
	Connections int           // concurrent senders
	Duration    time.Duration // how long to send
	MaxSales    int           // stop after this many sales (0: no limit)
	Drain       time.Duration // how long to wait for deliveries after sending stops
}

// Report is what a run measured.
type Report struct {
	Sent            int           `json:"sent"`
	Accepted        int           `json:"accepted"`
	Failed          int           `json:"failed"`
	SendSeconds     float64       `json:"send_seconds"`
	AcceptedPerSec  float64       `json:"accepted_per_sec"`
	P50             time.Duration `json:"p50"`
	P99             time.Duration `json:"p99"`
	Delivered       int           `json:"delivered"`
	DeliverSeconds  float64       `json:"deliver_seconds"`
	DeliveredPerSec float64       `json:"delivered_per_sec"`
	Lost            int           `json:"lost"`
	Duplicated      int           `json:"duplicated"`
	PeakRSSBytes    float64       `json:"peak_rss_bytes"`
	FirstError      string        `json:"first_error,omitempty"`
}

func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sent %d, accepted %d, failed %d in %.1fs: %.0f accepted/s, ingest p50 %s p99 %s\n",
		r.Sent, r.Accepted, r.Failed, r.SendSeconds, r.AcceptedPerSec, r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond))
	if r.DeliverSeconds > 0 {
		fmt.Fprintf(&b, "delivered %d in %.1fs: %.0f delivered/s end to end; lost %d, duplicated %d\n",
			r.Delivered, r.DeliverSeconds, r.DeliveredPerSec, r.Lost, r.Duplicated)
	}
	if r.PeakRSSBytes > 0 {
		fmt.Fprintf(&b, "hub peak RSS %.0f MB\n", r.PeakRSSBytes/(1<<20))
	}
	if r.FirstError != "" {
		fmt.Fprintf(&b, "first error: %s\n", r.FirstError)
	}
	return b.String()
}

// Sale returns the body of the i-th unique sale of a run: its own sale id
// and its own phone number, so every accepted sale must produce one message
// to a distinct recipient.
func Sale(run string, i int) (body []byte, phone string) {
	phone = "+62812" + fmt.Sprintf("%08d", i%100000000)
	body = fmt.Appendf(nil, `{"sale_id":"%s-%d","store_id":"LOAD-01","occurred_at":"%s","customer":{"phone":"%s","name":"Load %d"},"total":"%d.00","currency":"IDR","items":[{"sku":"KOPI-1","name":"Kopi susu","qty":1,"price":"25000.00"}]}`,
		run, i, time.Now().UTC().Format(time.RFC3339), phone, i, 25000+(i%40)*10000)
	return body, phone
}

// Run sends sales until Duration or MaxSales, then waits for deliveries and
// checks them.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Connections <= 0 {
		cfg.Connections = 64
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 2 * time.Minute
	}
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: cfg.Connections * 2, MaxIdleConnsPerHost: cfg.Connections * 2},
	}
	run := "L" + strconv.FormatUint(rand.Uint64()%1e9, 36)
	base := rand.IntN(50_000_000)
	url := strings.TrimRight(cfg.HubURL, "/") + "/hooks/" + cfg.Tenant + "/" + cfg.Connector

	var before int
	if cfg.SandboxURL != "" {
		n, err := sandboxCount(ctx, client, cfg.SandboxURL)
		if err != nil {
			return Report{}, fmt.Errorf("reading the sandbox: %w", err)
		}
		before = n
	}

	// Sending stops at the deadline, but requests in flight finish: a sale
	// the hub accepted must be counted as accepted.
	sendCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var next atomic.Int64
	var peak atomic.Uint64
	var firstErr atomic.Value
	type result struct {
		lat      []time.Duration
		accepted []string // phones of accepted sales
		failed   int
	}
	results := make([]result, cfg.Connections)
	stopRSS := watchRSS(ctx, client, cfg.HubURL, &peak)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range cfg.Connections {
		wg.Go(func() {
			res := &results[w]
			for sendCtx.Err() == nil {
				i := int(next.Add(1)) - 1
				if cfg.MaxSales > 0 && i >= cfg.MaxSales {
					return
				}
				body, phone := Sale(run, base+i)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Loyalhub-Signature", pos.Sign(cfg.Secret, body))
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					res.failed++
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					res.failed++
					firstErr.CompareAndSwap(nil, "HTTP "+resp.Status)
					continue
				}
				res.lat = append(res.lat, time.Since(t0))
				res.accepted = append(res.accepted, phone)
			}
		})
	}
	wg.Wait()
	sendSecs := time.Since(start).Seconds()

	var rep Report
	var lat []time.Duration
	accepted := map[string]bool{}
	for _, r := range results {
		lat = append(lat, r.lat...)
		for _, p := range r.accepted {
			accepted[p] = true
		}
		rep.Failed += r.failed
	}
	rep.Accepted = len(lat)
	rep.Sent = rep.Accepted + rep.Failed
	rep.SendSeconds = sendSecs
	rep.AcceptedPerSec = float64(rep.Accepted) / sendSecs
	slices.Sort(lat)
	rep.P50, rep.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if v, ok := firstErr.Load().(string); ok {
		rep.FirstError = v
	}

	if cfg.SandboxURL != "" {
		deadline := time.Now().Add(cfg.Drain)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			n, err := sandboxCount(ctx, client, cfg.SandboxURL)
			if err == nil && n-before >= rep.Accepted+rep.Failed {
				break // every sale that may have been accepted has arrived
			}
			if err == nil && n-before >= rep.Accepted && allDelivered(ctx, client, cfg.SandboxURL, accepted) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		rep.DeliverSeconds = time.Since(start).Seconds()
		counts, err := sandboxRecipients(ctx, client, cfg.SandboxURL)
		if err != nil {
			return rep, fmt.Errorf("listing sandbox messages: %w", err)
		}
		for phone := range accepted {
			switch n := counts[strings.TrimPrefix(phone, "+")]; {
			case n == 0:
				rep.Lost++
			case n > 1:
				rep.Duplicated += n - 1
			}
			if counts[strings.TrimPrefix(phone, "+")] > 0 {
				rep.Delivered++
			}
		}
		rep.DeliveredPerSec = float64(rep.Delivered) / rep.DeliverSeconds
	}
	stopRSS()
	rep.PeakRSSBytes = float64(peak.Load())
	return rep, nil
}

// allDelivered reports whether every accepted sale's recipient got a
// message (failed requests may or may not have been accepted by the hub).
func allDelivered(ctx context.Context, client *http.Client, sandboxURL string, accepted map[string]bool) bool {
	counts, err := sandboxRecipients(ctx, client, sandboxURL)
	if err != nil {
		return false
	}
	for phone := range accepted {
		if counts[strings.TrimPrefix(phone, "+")] == 0 {
			return false
		}
	}
	return true
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// watchRSS samples the hub's process_resident_memory_bytes every 500 ms.
func watchRSS(ctx context.Context, client *http.Client, hubURL string, peak *atomic.Uint64) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := hubRSS(ctx, client, hubURL); err == nil && uint64(v) > peak.Load() {
				peak.Store(uint64(v))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

func hubRSS(ctx context.Context, client *http.Client, hubURL string) (float64, error) {
	b, err := get(ctx, client, strings.TrimRight(hubURL, "/")+"/metrics")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "process_resident_memory_bytes "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, errors.New("no process_resident_memory_bytes in /metrics")
}

func sandboxCount(ctx context.Context, client *http.Client, sandboxURL string) (int, error) {
	b, err := get(ctx, client, strings.TrimRight(sandboxURL, "/")+"/sandbox/stats")
	if err != nil {
		return 0, err
	}
	var s struct {
		Messages int `json:"messages"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return 0, fmt.Errorf("decoding sandbox stats: %w", err)
	}
	return s.Messages, nil
}

// sandboxRecipients counts the messages the sandbox accepted per recipient.
func sandboxRecipients(ctx context.Context, client *http.Client, sandboxURL string) (map[string]int, error) {
	b, err := get(ctx, client, strings.TrimRight(sandboxURL, "/")+"/sandbox/messages")
	if err != nil {
		return nil, err
	}
	var list []struct {
		To string `json:"to"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("decoding sandbox messages: %w", err)
	}
	counts := make(map[string]int, len(list))
	for _, m := range list {
		counts[strings.TrimPrefix(m.To, "+")]++
	}
	return counts, nil
}

func get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b, nil
}
