package pipelines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/connectors/inbox"
	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/conversation"
	"github.com/loyalhub/loyalhub/core/messaging"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/postgres"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/pipelines/campaigns"
	"github.com/loyalhub/loyalhub/pipelines/chat"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
	"github.com/loyalhub/loyalhub/pipelines/ingest"
	"github.com/loyalhub/loyalhub/pipelines/journeys"
	"github.com/loyalhub/loyalhub/pipelines/ledger"
	"github.com/loyalhub/loyalhub/pipelines/process"
	"github.com/loyalhub/loyalhub/pipelines/queue"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/schedule"
	"github.com/loyalhub/loyalhub/pipelines/segments"
	"github.com/loyalhub/loyalhub/pipelines/send"
	"github.com/loyalhub/loyalhub/pipelines/telemetry"
	"github.com/loyalhub/loyalhub/pipelines/webhooks"
)

// Hub is one running loyalhub process: HTTP listener, queue, store and the
// stage router.
type Hub struct {
	cfg     config.Config
	logger  *slog.Logger
	metrics *Metrics
	// tracing makes the hub's spans and exports them (docs/tracing.md).
	tracing  *telemetry.Tracing
	tenants  *runtime.Tenants
	listener net.Listener
	// accounts are the Cloud API accounts of the current tenants'
	// connectors, which the Meta apps' webhooks route by.
	accounts map[*runtime.Connector]connectors.CloudAccount
	// reloadMu makes reloads of the configuration one at a time, and
	// keeps them apart from the start of the runners and write-back loops
	// they update and from Close; reloader reloads from Options.Load, nil
	// without.
	reloadMu sync.Mutex
	reloader *Reloader
	closing  bool // under reloadMu: Close has begun, reloads are refused

	// rates pace the senders' throughput across replicas on a shared
	// store; nil on the embedded one, where each sender limits itself.
	rates *send.Rates

	store  store.Store
	queue  *queue.Queue
	router *message.Router
	server *http.Server

	scheduler *schedule.Scheduler
	// campaigns runs the tenants' broadcasts; stopCampaigns stops its
	// loop.
	campaigns     *campaigns.Runner
	stopCampaigns func()
	// journeys advances members' journeys; stopJourneys stops its loop.
	journeys     *journeys.Runner
	stopJourneys func()
	// webhooks delivers the tenants' outbound webhooks; stopWebhooks
	// stops its loop.
	webhooks     *webhooks.Runner
	stopWebhooks func()
	runners      *schedule.Workers
	syncer       *schedule.Workers
	// sources and writeBack start and stop runners and syncer loops as
	// reloads add and remove connectors.
	sources   *schedule.Sources
	writeBack *schedule.WriteBack
	sender    *send.Sender
	// unread are the customers whose words the webhooks accepted and the
	// BSP lane has not applied: marketing to them waits.
	unread runtime.Unread
	// ledger runs the tenants' loyalty transactions with their effects
	// and queues commands to the outbox.
	ledger *ledger.Ledger
	// lanes are the process and BSP stages, and what the admin API and the
	// scheduler ask of them.
	lanes *process.Lanes
	// inbox posts handed-off conversations to tenants' inboxes.
	inbox *inbox.Client
	apps  *ingest.Apps // shared webhooks of Meta apps
	// ignored counts the parts mappings left aside, each label logged once
	// and the metric's labels bounded.
	ignored *process.Ignored

	now        func() time.Time
	startedAt  time.Time
	inlineWait time.Duration // longest wait for an earlier attempt spent in a handler
	routerDone chan error
	closeOnce  sync.Once
	closeErr   error
}

// Options are the parts of a Hub that do not come from the config.
type Options struct {
	Logger *slog.Logger
	// Listener, when set, is used instead of listening on server.listen
	// (tests pass a listener on 127.0.0.1:0).
	Listener net.Listener
	// Now is the hub's clock: every time it decides by or records goes
	// through it (the messaging policy's quiet hours, windows, holds and
	// caps, deadlines of earlier send attempts, refunds waiting for their
	// order, sweeps, admin actions, the message log's and dead letters'
	// times, template refreshes). Only elapsed times it measures (stage
	// and request durations, the start's connect deadline) and the sender
	// pause, whose timer is gobreaker's, read the machine's clock. Default
	// time.Now.
	Now func() time.Time
	// Load, when set, loads the configuration again as it was loaded for
	// New: the hub then reloads on request (Reloader, and the admin API's
	// POST /api/v1/config/reload).
	Load func() (*hubconfig.Settings, error)
	// TracerProvider, when set, makes the hub's spans instead of the
	// exporter telemetry configures (tests pass an SDK provider with an
	// in-memory exporter); its owner shuts it down.
	TracerProvider trace.TracerProvider
	// Version is the build's version, the spans' service.version.
	Version string
}

// New builds a hub from loaded settings (whose mappings and notification
// expressions are compiled already): it instantiates every connector. It
// does no I/O.
func New(s *hubconfig.Settings, opts Options) (*Hub, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &Hub{
		cfg:      s.Config,
		logger:   logger,
		metrics:  NewMetrics(),
		tenants:  runtime.NewTenants(nil),
		listener: opts.Listener,
		now:      opts.Now,

		inbox:      inbox.New(inbox.DefaultTimeout, logger.With("connector", "inbox")),
		inlineWait: maxRetryAfter,
	}
	if h.now == nil {
		h.now = time.Now
	}
	if opts.TracerProvider != nil {
		h.tracing = telemetry.FromProvider(opts.TracerProvider)
	} else {
		tr, err := telemetry.New(s.Config.Telemetry, opts.Version)
		if err != nil {
			return nil, err
		}
		h.tracing = tr
	}
	h.ignored = &process.Ignored{Parts: h.metrics.PartsIgnored, Logger: logger}
	if opts.Load != nil {
		h.reloader = &Reloader{Hub: h, Load: opts.Load, Logger: logger.With("part", "config")}
	}
	if s.Config.Store.Driver == config.DriverPostgres {
		h.rates = send.NewRates(send.RateMetrics{
			Wait: h.metrics.SenderRateWait, Reservations: h.metrics.SenderRateReservations, Missed: h.metrics.SenderRateMissed,
		})
	}
	for _, w := range s.Warnings {
		logger.Warn("config: " + w)
	}
	tenants, accounts, err := h.buildTenants(s, nil, nil)
	if err != nil {
		return nil, err
	}
	apps, err := ingest.NewApps(h.cfg.WhatsAppApps, tenants, accounts)
	if err != nil {
		return nil, err
	}
	h.tenants.Store(tenants)
	h.accounts, h.apps = accounts, apps
	h.metrics.ConfigLastReload.Set(float64(h.now().Unix()))
	return h, nil
}

// buildTenants instantiates the tenants of s. A connector whose block is
// the same in prev carries over as it runs (its HTTP client, breaker,
// pacing, pause and templates), with its Cloud API account from
// prevAccounts; any other is built anew. It does no I/O.
func (h *Hub) buildTenants(s *hubconfig.Settings, prev runtime.Snapshot, prevAccounts map[*runtime.Connector]connectors.CloudAccount) (runtime.Snapshot, map[*runtime.Connector]connectors.CloudAccount, error) {
	tenants := runtime.Snapshot{}
	accounts := map[*runtime.Connector]connectors.CloudAccount{}
	for id, tc := range s.Config.Tenants {
		prog := s.Programs[id]
		if prog == nil {
			return nil, nil, fmt.Errorf("tenant %s: the loyalty program was not compiled", id)
		}
		t := &runtime.Tenant{ID: id, Config: tc, Program: prog, Connectors: map[string]*runtime.Connector{}, Location: time.UTC, Bot: s.Bots[id]}
		if t.Bot.Catalog == nil {
			t.Bot = hubconfig.BotLanguage{Catalog: conversation.DefaultCatalog(), Keywords: conversation.DefaultKeywords()}
		}
		if loc, err := time.LoadLocation(tc.Timezone); err == nil {
			t.Location = loc
		}
		t.Policy = messaging.NewPolicy(tc.Messaging, t.Location)
		t.Rates = messaging.NewRateCard(tc.Pricing)
		t.Chat = chat.NewBot(t)
		for name, cs := range s.Connectors[id] {
			if c, ok := carriedOver(prev, id, name, tc.Connectors[name]); ok {
				t.Connectors[name] = c
				if acct, ok := prevAccounts[c]; ok {
					accounts[c] = acct
				}
				continue
			}
			deps := connectors.Deps{
				Tenant: id, Name: name,
				Logger: h.logger.With("tenant", id, "connector", name),
			}
			if h.rates != nil {
				deps.Rates = h.rates.For(id, name)
			}
			inst, err := cs.Spec.Build(cs.Config, deps)
			if err != nil {
				return nil, nil, fmt.Errorf("tenant %s: connector %s: %w", id, name, err)
			}
			c := &runtime.Connector{
				Name: name, Spec: cs.Spec, Mapping: cs.Program,
				Source: inst.Source, Handshaker: inst.Handshaker, Runner: inst.Runner, Enricher: inst.Enricher,
				Syncer: inst.MemberSyncer, Issuer: inst.CodeIssuer,
				Sender: inst.Sender, Classifier: inst.DeliveryClassifier,
				Templates:  runtime.NewTemplates(inst.TemplateLister),
				Deliveries: &runtime.Activity{}, Sends: &runtime.Activity{},
			}
			if inst.CloudAccount != nil {
				accounts[c] = inst.CloudAccount
			}
			// A BSP's webhooks (delivery reports, customers' messages) get
			// their own topic: a backlog of sales must never delay the
			// status that proves a message was sent.
			c.Topic = TopicInbound
			if c.Sender != nil {
				c.Topic = TopicInboundBSP
			}
			t.Connectors[name] = c
			c.Pause = send.NewPause(h.cfg.Pipeline.Send.AuthPause, h.metrics.SenderPaused, h.logger, id, name)
		}
		for i, n := range tc.Notifications {
			t.Notifications = append(t.Notifications, runtime.Notification{Name: n.Name, On: n.On, Renderer: s.Renderers[id][i]})
		}
		t.Journeys = s.Journeys[id]
		tenants[id] = t
	}
	return tenants, accounts, nil
}

// Reloader returns what reloads the hub's configuration, nil when the hub
// was built without Options.Load.
func (h *Hub) Reloader() *Reloader { return h.reloader }

// Store returns the hub's store once started, for tools and benchmarks.
func (h *Hub) Store() store.Store { return h.store }

// Segments evaluates the tenants' member segments on the hub's store and
// clock, once started: the audience of a campaign is Segments().Members.
func (h *Hub) Segments() *segments.Segments {
	m := h.metrics
	return &segments.Segments{Store: h.store, Now: h.now, Metrics: segments.Metrics{
		Evaluations: m.SegmentEvaluations, Members: m.SegmentMembers, Seconds: m.SegmentSeconds,
	}}
}

// Metrics returns the hub's instruments.
func (h *Hub) Metrics() *Metrics { return h.metrics }

// Addr returns the address the HTTP listener is bound to (after Start).
func (h *Hub) Addr() string {
	if h.listener == nil {
		return ""
	}
	return h.listener.Addr().String()
}

// Start opens the store (applying migrations) and the queue, starts the
// stage router, then opens the HTTP listener: webhooks are accepted only
// once everything behind them runs. On error, whatever started is closed.
func (h *Hub) Start(ctx context.Context) (err error) {
	h.startedAt = h.now()
	defer func() {
		if err != nil {
			_ = h.Close(context.WithoutCancel(ctx))
		}
	}()
	if h.store, err = openStore(h.cfg, h.now); err != nil {
		return err
	}
	if turns, ok := h.store.(store.RateTurns); ok && h.rates != nil {
		h.rates.Bind(turns)
	}
	h.sender = h.newSender()
	h.webhooks = h.newWebhooks()
	h.ledger = h.newLedger()
	h.lanes = h.newLanes()
	h.campaigns = h.newCampaigns()
	h.journeys = h.newJourneys()
	connect := newConnector(h.cfg.Startup.ConnectTimeout, h.logger)
	if err = connect.retry(ctx, "store", h.store.Migrate); err != nil {
		return fmt.Errorf("migrating store: %w", err)
	}
	wlog := watermill.NewSlogLoggerWithLevelMapping(h.logger.With("component", "watermill"),
		map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	if err = connect.retry(ctx, "queue", func(ctx context.Context) (err error) {
		h.queue, err = queue.Open(ctx, h.cfg.Queue, h.cfg.DataDir, Topics, wlog)
		return err
	}); err != nil {
		return fmt.Errorf("opening queue: %w", err)
	}
	if !h.cfg.Pipeline.IngestOnly {
		if err = h.templates().Load(ctx); err != nil {
			return err
		}
		if err = h.startRouter(ctx, wlog); err != nil {
			return err
		}
		h.sender.Start(ctx)
		h.startWebhooks(ctx)
		if !h.cfg.Pipeline.Scheduler.Disabled {
			h.startScheduler(ctx)
			h.startCampaigns(ctx)
			h.startJourneys(ctx)
		}
		h.startSyncer(ctx)
	}
	if err = h.startServer(); err != nil {
		return err
	}
	h.startRunners(ctx)
	return nil
}

// openStore returns the store cfg names, stamping what it records by now.
func openStore(cfg config.Config, now func() time.Time) (store.Store, error) {
	switch cfg.Store.Driver {
	case config.DriverPostgres:
		return postgres.New(cfg.Store.Postgres.DSN, cfg.Store.Postgres.MaxConns).WithBatching(batching(cfg)).WithClock(now), nil
	case config.DriverSQLite, "":
		path := cfg.Store.SQLite.Path
		if path == "" {
			path = filepath.Join(cfg.DataDir, "loyalhub.db")
		}
		return sqlite.New(path).WithBatching(batching(cfg)).WithClock(now), nil
	default:
		return nil, fmt.Errorf("unknown store driver %q", cfg.Store.Driver)
	}
}

// batching is the store's group commit as pipeline.batch sets it.
func batching(cfg config.Config) store.Batching {
	return store.Batching{Size: cfg.Pipeline.Batch.Size, Wait: cfg.Pipeline.Batch.Wait}
}

func (h *Hub) startRouter(ctx context.Context, wlog watermill.LoggerAdapter) error {
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: h.cfg.Server.ShutdownTimeout}, wlog)
	if err != nil {
		return fmt.Errorf("creating router: %w", err)
	}
	h.router = r
	pub := h.queue.Publisher()
	mws, err := middlewares(pub, h.cfg.Pipeline, h.metrics, wlog)
	if err != nil {
		return err
	}
	r.AddMiddleware(mws...)

	type stage struct {
		name, in    string
		concurrency int // 0: queue.subscribers
		consume     message.NoPublishHandlerFunc
	}
	// The one table of topics: every stage and what it consumes. No stage
	// publishes to a topic: the process stage and the BSP stage write
	// messages to the outbox (the message log), which the sender reads
	// (package send).
	stages := []stage{
		{name: StageProcess, in: TopicInbound, consume: h.lanes.Process},
		{name: StageBSP, in: TopicInboundBSP, consume: h.lanes.BSP},
		{name: StageDeadLetter, in: TopicDeadLetters, consume: h.deadLetterStage},
	}
	for _, s := range stages {
		sub, err := h.queue.SubscriberN(s.name, s.concurrency)
		if err != nil {
			return fmt.Errorf("subscribing stage %s: %w", s.name, err)
		}
		r.AddConsumerHandler(s.name, s.in, sub, h.tracing.Consumer(s.name, s.in, s.consume))
	}
	h.routerDone = make(chan error, 1)
	go func() { h.routerDone <- r.Run(context.WithoutCancel(ctx)) }()
	select {
	case <-r.Running():
		return nil
	case err := <-h.routerDone:
		return fmt.Errorf("starting router: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hub) startServer() error {
	if h.listener == nil {
		ln, err := net.Listen("tcp", h.cfg.Server.Listen)
		if err != nil {
			return fmt.Errorf("listening on %s: %w", h.cfg.Server.Listen, err)
		}
		h.listener = ln
	}
	h.server = &http.Server{
		Handler:           h.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ln := h.listener
	go func() {
		if err := h.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.logger.Error("http server stopped", "err", err)
		}
	}()
	h.logger.Info("listening", "addr", ln.Addr().String(), "queue", h.queue.Backend(), "store", h.cfg.Store.Driver)
	return nil
}

// Run starts the hub and serves until ctx is cancelled or the router fails,
// then shuts down gracefully.
func (h *Hub) Run(ctx context.Context) error {
	if err := h.Start(ctx); err != nil {
		return err
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-h.routerDone:
		if runErr == nil {
			runErr = errors.New("router stopped")
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.Server.ShutdownTimeout+5*time.Second)
	defer cancel()
	return errors.Join(runErr, h.Close(shutdownCtx))
}

// Close shuts down in reverse order of Start: stop accepting requests and
// finish those in flight, drain the stage handlers, close the queue, close
// the store. It is safe to call twice and after a partial Start.
func (h *Hub) Close(ctx context.Context) error {
	h.closeOnce.Do(func() {
		h.reloadMu.Lock()
		h.closing = true
		h.reloadMu.Unlock()
		var errs []error
		if h.server != nil {
			if err := h.server.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("shutting down http: %w", err))
			}
		} else if h.listener != nil {
			_ = h.listener.Close()
		}
		if h.runners != nil {
			if err := h.runners.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if h.syncer != nil {
			if err := h.syncer.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if h.stopCampaigns != nil {
			h.stopCampaigns()
		}
		if h.stopJourneys != nil {
			h.stopJourneys()
		}
		if h.stopWebhooks != nil {
			h.stopWebhooks()
		}
		if h.scheduler != nil {
			if err := h.scheduler.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if h.router != nil {
			if err := h.router.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing router: %w", err))
			}
		}
		if h.sender != nil {
			if err := h.sender.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if h.queue != nil {
			if err := h.queue.Close(ctx); err != nil {
				errs = append(errs, fmt.Errorf("closing queue: %w", err))
			}
		}
		if h.store != nil {
			if err := h.store.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing store: %w", err))
			}
		}
		if err := h.tracing.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
		h.closeErr = errors.Join(errs...)
	})
	return h.closeErr
}

// OpenStore returns the store cfg names, migrated, for the commands that
// work on it without running the hub (loyalhub keys). Close it when done.
func OpenStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	s, err := openStore(cfg, time.Now)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("migrating store: %w", err)
	}
	return s, nil
}
