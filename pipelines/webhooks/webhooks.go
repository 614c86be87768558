// Package webhooks delivers the tenants' outbound webhooks: it leases the
// deliveries that are due (written with the outcomes that caused them, in
// the same store transactions), POSTs each signed as Standard Webhooks
// specifies (core/webhook) to its endpoint, and records the attempt: 2xx
// delivers it, 410 Gone disables the endpoint, anything else is retried on
// the specification's schedule until it fails. An endpoint whose attempts
// keep failing is disabled and its deliveries held until it is enabled
// again. A lease lets one replica at a time attempt a delivery; a crash
// between the POST and its record sends it again under the same
// webhook-id, by which receivers recognise it.
package webhooks

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/webhook"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
)

// Defaults of the runner.
const (
	DefaultPoll    = time.Second
	DefaultBatch   = 100
	DefaultTimeout = 15 * time.Second
	// DefaultLease is how long a leased delivery waits before another run
	// may take it: longer than an attempt's timeout.
	DefaultLease = time.Minute
	// DefaultDisableAfter disables an endpoint whose attempts all failed
	// for this long, as the specification suggests.
	DefaultDisableAfter = 5 * 24 * time.Hour
	// DefaultDisableFailures disables an endpoint after this many failed
	// attempts in a row.
	DefaultDisableFailures = 100
	// Concurrency is how many endpoints are attempted at once; one
	// endpoint's deliveries of a batch go one after the other, in order.
	Concurrency = 16
	// responseLimit is how much of a response body the log keeps.
	responseLimit = 512
)

// Results of an attempt, as counted (loyalhub_webhook_deliveries_total).
const (
	ResultDelivered = "delivered" // 2xx
	ResultRetry     = "retry"     // failed; attempted again later
	ResultFailed    = "failed"    // failed, the schedule's last attempt
	ResultGone      = "gone"      // 410: the endpoint is disabled
	ResultHeld      = "held"      // the endpoint is no longer configured
)

// Reasons an endpoint is disabled.
const (
	ReasonGone    = "gone"    // it answered 410 Gone
	ReasonFailing = "failing" // its attempts kept failing
)

// Runner delivers due webhooks. Set its fields, then call Run; RunDue is
// safe for concurrent use, across replicas too.
type Runner struct {
	Store   store.Webhooks
	Tenants *runtime.Tenants
	// Now is the hub's clock.
	Now    func() time.Time
	Logger *slog.Logger
	// Client posts the deliveries; nil: a client with Timeout that
	// follows no redirect (a 3xx is a failure).
	Client *resty.Client
	// Deliveries counts attempts by tenant, endpoint and result; nil: not
	// counted.
	Deliveries *prometheus.CounterVec
	// Latency observes attempts' durations by tenant; nil: not observed.
	Latency *prometheus.HistogramVec
	// Poll is how often due deliveries are looked for, Batch how many one
	// look leases, Lease how long a leased delivery waits for this run,
	// Timeout how long an attempt waits for an answer.
	Poll    time.Duration
	Batch   int
	Lease   time.Duration
	Timeout time.Duration
	// DisableAfter and DisableFailures disable an endpoint whose attempts
	// all failed for so long, or so many in a row.
	DisableAfter    time.Duration
	DisableFailures int

	once sync.Once
	wake chan struct{}
}

func (r *Runner) defaults() {
	r.once.Do(func() {
		if r.Poll <= 0 {
			r.Poll = DefaultPoll
		}
		if r.Batch <= 0 {
			r.Batch = DefaultBatch
		}
		if r.Lease <= 0 {
			r.Lease = DefaultLease
		}
		if r.Timeout <= 0 {
			r.Timeout = DefaultTimeout
		}
		if r.DisableAfter <= 0 {
			r.DisableAfter = DefaultDisableAfter
		}
		if r.DisableFailures <= 0 {
			r.DisableFailures = DefaultDisableFailures
		}
		if r.Logger == nil {
			r.Logger = slog.New(slog.DiscardHandler)
		}
		if r.Now == nil {
			r.Now = time.Now
		}
		if r.Client == nil {
			hc := &http.Client{Timeout: r.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			}}
			r.Client = resty.NewWithClient(hc).SetRetryCount(0)
		}
		r.wake = make(chan struct{}, 1)
	})
}

// Wake makes a running Run look for due deliveries now: deliveries were
// written.
func (r *Runner) Wake() {
	r.defaults()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run delivers due webhooks every Poll, and when woken, until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	r.defaults()
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	for {
		if _, err := r.RunDue(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Error("webhooks", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.wake:
		}
	}
}

// RunDue attempts every delivery due now, a batch at a time, and returns
// how many it attempted.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	r.defaults()
	n := 0
	for {
		due, err := r.Store.DueWebhooks(ctx, r.Now(), r.Batch, r.Lease)
		if err != nil {
			return n, err
		}
		if err := r.attemptAll(ctx, due); err != nil {
			return n, err
		}
		n += len(due)
		if len(due) < r.Batch || ctx.Err() != nil {
			return n, ctx.Err()
		}
	}
}

// attemptAll attempts a batch: each endpoint's deliveries in order, up to
// Concurrency endpoints at once.
func (r *Runner) attemptAll(ctx context.Context, due []store.WebhookDelivery) error {
	type key struct{ tenant, endpoint string }
	var order []key
	groups := map[key][]store.WebhookDelivery{}
	for _, d := range due {
		k := key{d.Tenant, d.Endpoint}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], d)
	}
	sem := make(chan struct{}, Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, k := range order {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, d := range groups[k] {
				disabled, err := r.attempt(ctx, d)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return // the rest wait for their lease
				}
				if disabled {
					return // the rest are held
				}
			}
		})
	}
	wg.Wait()
	return first
}

// endpoint returns the configuration of d's endpoint.
func (r *Runner) endpoint(d store.WebhookDelivery) (config.Webhook, bool) {
	t, ok := r.Tenants.Tenant(d.Tenant)
	if !ok {
		return config.Webhook{}, false
	}
	for _, h := range t.Config.Webhooks {
		if h.Name == d.Endpoint {
			return h, true
		}
	}
	return config.Webhook{}, false
}

// attempt POSTs one leased delivery and records what came of it; it
// reports whether the endpoint is disabled now.
func (r *Runner) attempt(ctx context.Context, d store.WebhookDelivery) (bool, error) {
	log := r.Logger.With("tenant", d.Tenant, "endpoint", d.Endpoint, "webhook_id", d.ID)
	now := r.Now()
	h, ok := r.endpoint(d)
	if !ok {
		res := store.WebhookResult{Attempt: store.WebhookAttempt{At: now, Error: "the endpoint is not configured"},
			Status: store.WebhookHeld, NextAt: now}
		if _, _, err := r.Store.RecordWebhookAttempt(ctx, d, res); err != nil {
			return false, err
		}
		r.count(d, ResultHeld)
		log.Warn("webhook held: its endpoint is no longer configured")
		return false, nil
	}
	code, latency, snippet, err := r.post(ctx, h, d, now)
	a := store.WebhookAttempt{At: now, StatusCode: code, LatencyMS: latency.Milliseconds(), Response: snippet}
	if err != nil {
		a.Error = err.Error()
	}
	if r.Latency != nil {
		r.Latency.WithLabelValues(d.Tenant).Observe(latency.Seconds())
	}
	res := store.WebhookResult{Attempt: a}
	result := ResultRetry
	switch {
	case err == nil && code >= 200 && code < 300:
		res.Status, res.NextAt, res.Success, result = store.WebhookDelivered, now, true, ResultDelivered
	default:
		if err == nil {
			res.Attempt.Error = "HTTP " + strconv.Itoa(code)
		}
		if delay, more := webhook.NextDelay(d.Attempts + 1); more {
			res.Status, res.NextAt = store.WebhookPending, now.Add(delay)
		} else {
			res.Status, res.NextAt, result = store.WebhookFailed, now, ResultFailed
		}
		if code == http.StatusGone {
			result = ResultGone
		}
	}
	ep, applied, err := r.Store.RecordWebhookAttempt(ctx, d, res)
	if err != nil {
		return false, err
	}
	r.count(d, result)
	if !applied {
		log.Info("webhook attempt recorded after its lease passed to another run")
	}
	reason := ""
	switch {
	case ep.Disabled():
		return true, nil
	case code == http.StatusGone:
		reason = ReasonGone
		log.Warn("webhook endpoint answered 410 Gone: disabled")
	case ep.Failures >= r.DisableFailures || (!ep.FailingSince.IsZero() && now.Sub(ep.FailingSince) >= r.DisableAfter):
		reason = ReasonFailing
		log.Warn("webhook endpoint keeps failing: disabled", "failures", ep.Failures, "failing_since", ep.FailingSince)
	default:
		return false, nil
	}
	return true, r.Store.DisableWebhookEndpoint(ctx, d.Tenant, d.Endpoint, reason, now)
}

// post sends d to h signed at now; it returns the HTTP status (0 when
// none came), how long it took and the start of the response body.
func (r *Runner) post(ctx context.Context, h config.Webhook, d store.WebhookDelivery, now time.Time) (int, time.Duration, string, error) {
	key, err := webhook.ParseSecret(h.Secret)
	if err != nil {
		return 0, 0, "", err
	}
	start := time.Now()
	resp, err := r.Client.R().SetContext(ctx).SetDoNotParseResponse(true).
		SetHeader("Content-Type", "application/json").
		SetHeader("User-Agent", "loyalhub-webhooks").
		SetHeader(webhook.HeaderID, d.ID).
		SetHeader(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10)).
		SetHeader(webhook.HeaderSignature, webhook.Sign(key, d.ID, now, d.Payload)).
		SetBody([]byte(d.Payload)).
		Post(h.URL)
	if err != nil {
		return 0, time.Since(start), "", fmt.Errorf("posting webhook: %w", err)
	}
	body := resp.RawBody()
	defer func() { _ = body.Close() }()
	b, _ := io.ReadAll(io.LimitReader(body, responseLimit))
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 1<<20))
	return resp.StatusCode(), time.Since(start), strings.ToValidUTF8(strings.ReplaceAll(string(b), "\x00", ""), "?"), nil
}

func (r *Runner) count(d store.WebhookDelivery, result string) {
	if r.Deliveries != nil {
		r.Deliveries.WithLabelValues(d.Tenant, d.Endpoint, result).Inc()
	}
}
