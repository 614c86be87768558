// Package loadtest drives unique signed sales (POS sales or Shopify paid
// orders) at a running hub and checks, at the sandbox BSP, that every
// accepted sale led to exactly one WhatsApp message; and drops CSV exports
// into a hub's folder and times them until their points are awarded.
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

	"golang.org/x/time/rate"

	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/connectors/shopify"
)

// Config of one load run.
type Config struct {
	// HubURL is the hub's base URL, such as http://127.0.0.1:8080; several,
	// comma-separated, are replicas of one hub, the connections spread
	// over them in turn.
	HubURL    string
	Tenant    string
	Source    string // SourcePOS (default) or SourceShopify
	Connector string // the tenant's connector of that source
	Secret    string // its signing secret
	// ShopDomain is sent as X-Shopify-Shop-Domain with SourceShopify.
	ShopDomain string
	// Rate paces the senders to this many requests per second in all;
	// 0 sends as fast as the connections allow.
	Rate        float64
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

// Sources a run can drive.
const (
	SourcePOS     = "pos"
	SourceShopify = "shopify"
)

// ShopifyOrder returns the body of the i-th unique paid Shopify order of a
// run, in Shopify's orders/paid format, with its own order id and phone.
func ShopifyOrder(run string, i int) (body []byte, phone string) {
	phone = "+62813" + fmt.Sprintf("%08d", i%100000000)
	total := 25000 + (i%40)*10000
	body = fmt.Appendf(nil, `{"id":%d,"admin_graphql_api_id":"gid://shopify/Order/%d","name":"#%s-%d","email":"load%d@example.com","phone":%q,"currency":"IDR","presentment_currency":"IDR","financial_status":"paid","test":false,"total_price":"%d.00","current_total_price":"%d.00","subtotal_price":"%d.00","total_discounts":"0.00","processed_at":%q,"created_at":%q,"checkout_token":"%s%08d","discount_codes":[],"customer":{"id":%d,"email":"load%d@example.com","first_name":"Load","last_name":"%d","phone":%q},"line_items":[{"id":%d,"sku":"BEANS-250","title":"Arabica Gayo 250 g","quantity":1,"price":"%d.00","total_discount":"0.00","gift_card":false,"discount_allocations":[]}],"billing_address":{"phone":%q},"shipping_address":null}`,
		8200000000000000000+i, 8200000000000000000+i, run, i, i, phone, total, total, total,
		time.Now().UTC().Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339), run, i,
		7600000000000+i, i, i, phone, 9100000000000+i, total, phone)
	return body, phone
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
	if cfg.Source == "" {
		cfg.Source = SourcePOS
	}
	if cfg.Source != SourcePOS && cfg.Source != SourceShopify {
		return Report{}, fmt.Errorf("unknown source %q: want %s or %s", cfg.Source, SourcePOS, SourceShopify)
	}
	var pace *rate.Limiter
	if cfg.Rate > 0 {
		pace = rate.NewLimiter(rate.Limit(cfg.Rate), 1)
	}
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: cfg.Connections * 2, MaxIdleConnsPerHost: cfg.Connections * 2},
	}
	run := "L" + strconv.FormatUint(rand.Uint64()%1e9, 36)
	base := rand.IntN(50_000_000)
	hubURLs := strings.Split(cfg.HubURL, ",")
	urls := make([]string, len(hubURLs))
	for i, u := range hubURLs {
		urls[i] = strings.TrimRight(strings.TrimSpace(u), "/") + "/hooks/" + cfg.Tenant + "/" + cfg.Connector
	}

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
	stopRSS := watchRSS(ctx, client, hubURLs, &peak)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range cfg.Connections {
		url := urls[w%len(urls)]
		wg.Go(func() {
			res := &results[w]
			for sendCtx.Err() == nil {
				i := int(next.Add(1)) - 1
				if cfg.MaxSales > 0 && i >= cfg.MaxSales {
					return
				}
				if pace != nil && pace.Wait(sendCtx) != nil {
					return
				}
				req, phone := request(ctx, cfg, url, run, base+i)
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

// request builds the i-th signed request of a run for its source.
func request(ctx context.Context, cfg Config, url, run string, i int) (*http.Request, string) {
	if cfg.Source == SourceShopify {
		body, phone := ShopifyOrder(run, i)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Shopify-Topic", "orders/paid")
		req.Header.Set("X-Shopify-Hmac-Sha256", shopify.Sign(cfg.Secret, body))
		req.Header.Set("X-Shopify-Shop-Domain", cfg.ShopDomain)
		req.Header.Set("X-Shopify-Api-Version", "2026-01")
		req.Header.Set("X-Shopify-Event-Id", fmt.Sprintf("%s-%d", run, i))
		req.Header.Set("X-Shopify-Webhook-Id", fmt.Sprintf("wh-%s-%d", run, i))
		return req, phone
	}
	body, phone := Sale(run, i)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Loyalhub-Signature", pos.Sign(cfg.Secret, body))
	return req, phone
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

// watchRSS samples the process_resident_memory_bytes of the hub's
// replicas every 500 ms; peak is the largest.
func watchRSS(ctx context.Context, client *http.Client, hubURLs []string, peak *atomic.Uint64) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			for _, u := range hubURLs {
				if v, err := hubRSS(ctx, client, strings.TrimSpace(u)); err == nil && uint64(v) > peak.Load() {
					peak.Store(uint64(v))
				}
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
