// Package simulate plays a simulated month of a loyalty program through an
// in-process hub and the sandbox BSP, then audits what the sandbox
// received against WhatsApp's rules (Judge): members created in bulk, and
// day after day sales from the POS and Shopify through the real webhooks,
// customers' chats and STOPs through the sandbox's inbound path,
// campaigns to segments, the shipped journeys, a quality drop and a
// messaging-limit change. Time is a simulated clock the hub and the
// sandbox share, moved forward day by day; within a day it runs at the
// machine's pace. Pace measures a campaign's sending rate at the sandbox.
package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/all"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/pipelines"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

// Options configure a simulation.
type Options struct {
	// Members is how many members the tenant has at the start. Default
	// 10,000.
	Members int
	// Days is how many days are played. Default 30.
	Days int
	// Start is the first simulated day (its date in the tenant's zone).
	// Default 2027-01-04.
	Start time.Time
	// Seed makes a run repeatable. Default 1.
	Seed uint64
	// PerSecond is the number's throughput, at the hub and at the
	// sandbox. Default 1,000.
	PerSecond int
	// DataDir holds the queue files and the SQLite database. Required.
	DataDir string
	// PostgresDSN, when set, stores in PostgreSQL instead of SQLite (a
	// fresh database).
	PostgresDSN string
	// Settle is how long the sandbox must see nothing new before a step
	// of the day is over. Default 3s.
	Settle time.Duration
	// Logger receives the hub's warnings and the progress. Default none.
	Logger *slog.Logger
	// Progress, when set, gets one line per step.
	Progress io.Writer

	// pace sets up a pacing run: every member opted in, no messaging
	// limit.
	pace bool
}

func (o Options) withDefaults() Options {
	if o.Members <= 0 {
		o.Members = 10_000
	}
	if o.Days <= 0 {
		o.Days = 30
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.PerSecond <= 0 {
		o.PerSecond = 1000
	}
	if o.Settle <= 0 {
		o.Settle = 3 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}

// messagingLimit is the portfolio's limit at the start: the largest of
// WhatsApp's tiers at most a fifth of the members (250 at least), so that
// the first broadcast meets it.
func (o Options) messagingLimit() int {
	if o.pace {
		return -1
	}
	limit := 250
	for _, tier := range []int{2000, 10000, 100000} {
		if tier <= o.Members/5 {
			limit = tier
		}
	}
	return limit
}

// nextTier is the tier after limit (-1: unlimited).
func nextTier(limit int) int {
	switch limit {
	case 250:
		return 2000
	case 2000:
		return 10000
	case 10000:
		return 100000
	}
	return -1
}

// Clock is the simulation's clock: the machine's clock moved by an offset
// that jumps forward from one simulated time to the next. Between jumps it
// runs at the machine's pace, so that rates per second mean the same on
// it as on the machine's clock.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Set moves the clock to t, forward only.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if off := time.Until(t); off > c.offset {
		c.offset = off
	}
}

// world is a running simulation: the hub, the sandbox, and what the
// simulation knows.
type world struct {
	o        Options
	clock    *Clock
	hub      *pipelines.Hub
	sb       *sandbox.Server
	hubURL   string
	client   *http.Client
	rng      *rand.Rand
	loc      *time.Location
	members  []simMember
	newPhone int // the next index of a phone that is not a member yet
	// truth is the opt-ins the simulation gave; the sandbox records STOPs.
	optedIn map[string]time.Time
	stopped map[int]bool
	counts  map[string]int
	stopSB  func()
	// pricing is the tenant's rate card, for the estimated cost.
	pricing config.Pricing
}

// simMember is a member the simulation created.
type simMember struct {
	phone    string // E.164
	name     string
	optedIn  bool
	country  string
	language string
}

// waID is a phone as the sandbox knows it: digits.
func waID(phone string) string { return phone[1:] }

// start opens the sandbox and the hub on the simulated clock.
func start(ctx context.Context, o Options) (*world, error) {
	w := &world{o: o, clock: &Clock{}, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed)),
		optedIn: map[string]time.Time{}, stopped: map[int]bool{}, counts: map[string]int{},
		client: &http.Client{Timeout: 5 * time.Minute}}
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return nil, fmt.Errorf("loading the tenant's zone: %w", err)
	}
	w.loc = loc
	w.clock.Set(w.at(-1, 12))
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	hubLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the hub: %w", err)
	}
	sbLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = hubLn.Close()
		return nil, fmt.Errorf("listening for the sandbox: %w", err)
	}
	w.hubURL = "http://" + hubLn.Addr().String()
	w.sb = sandbox.New(sandbox.Config{
		AccessToken: accessToken,
		AppSecret:   appSecret,
		WebhookURL:  w.hubURL + "/hooks/" + Tenant + "/wa",
		Numbers: map[string]sandbox.Number{
			phoneNumberID: {DisplayPhoneNumber: "15550009001", WABAID: wabaID, PerSecond: o.PerSecond},
		},
		Templates:       templates,
		EnforceWindow:   true,
		RefuseByWebhook: true,
		Clock:           w.clock.Now,
		MessagingLimit:  o.messagingLimit(),
		WebhookWorkers:  8,
		WebhookBatch:    50,
	}, o.Logger.With("component", "sandbox"))
	w.sb.Start(ctx)
	srv := &http.Server{Handler: w.sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(sbLn) }()
	w.stopSB = func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(c)
		_ = w.sb.Close(c)
	}
	reg := connectors.NewRegistry()
	all.Register(reg)
	s, err := hubconfig.Parse(hubConfig(o, hubLn.Addr().String(), "http://"+sbLn.Addr().String()), nil, reg)
	if err != nil {
		w.stopSB()
		_ = hubLn.Close()
		return nil, fmt.Errorf("the simulation's config: %w", err)
	}
	w.pricing = s.Config.Tenants[Tenant].Pricing
	w.hub, err = pipelines.New(s, pipelines.Options{Logger: o.Logger, Listener: hubLn, Now: w.clock.Now})
	if err != nil {
		w.stopSB()
		_ = hubLn.Close()
		return nil, err
	}
	if err := w.hub.Start(ctx); err != nil {
		w.stopSB()
		return nil, fmt.Errorf("starting the hub: %w", err)
	}
	return w, nil
}

// close stops the hub, then the sandbox.
func (w *world) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := w.hub.Close(ctx)
	w.stopSB()
	return err
}

// at is the simulated time of day (hour, in the tenant's zone) of day d.
func (w *world) at(d int, hour float64) time.Time {
	day := time.Date(w.o.Start.Year(), w.o.Start.Month(), w.o.Start.Day(), 0, 0, 0, 0, w.loc).AddDate(0, 0, d)
	return day.Add(time.Duration(hour * float64(time.Hour)))
}

func (w *world) logf(format string, args ...any) {
	fmt.Fprintf(w.o.Progress, "%s  %s\n", w.clock.Now().In(w.loc).Format("2006-01-02 15:04"), fmt.Sprintf(format, args...))
}

// admin calls the hub's admin API and decodes the answer into out.
func (w *world) admin(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, w.hubURL+"/api/v1/tenants/"+Tenant+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
		}
	}
	return nil
}

// settle waits until the sandbox has accepted nothing new, and delivered
// every status webhook, for Options.Settle, and the hub has no message
// queued or being sent: the step's consequences have played out, save
// what waits for a later time (deferred messages, journeys' waits).
func (w *world) settle(ctx context.Context) error {
	var last sandbox.Stats
	quietSince := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		st := w.sb.Stats()
		if st != last || st.StatusesPending > 0 {
			last, quietSince = st, time.Now()
			continue
		}
		if time.Since(quietSince) < w.o.Settle {
			continue
		}
		busy, err := w.outboxBusy(ctx)
		if err != nil {
			return err
		}
		if !busy {
			return nil
		}
		quietSince = time.Now()
	}
}

// outboxBusy reports whether the hub has a message queued or being sent.
func (w *world) outboxBusy(ctx context.Context) (bool, error) {
	for _, status := range []string{"queued", "sending"} {
		ms, err := w.hub.Store().ListMessages(ctx, Tenant, storeFilter(status))
		if err != nil {
			return false, fmt.Errorf("reading the outbox: %w", err)
		}
		if len(ms) > 0 {
			return true, nil
		}
	}
	return false, nil
}

var errNoDataDir = errors.New("a data directory is required")

// dataPath is a file of the run's data directory.
func (o Options) dataPath(name string) string { return filepath.Join(o.DataDir, name) }
