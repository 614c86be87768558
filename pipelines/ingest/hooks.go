// Package ingest accepts providers' webhooks: it verifies a delivery's
// signature, durably enqueues it with the metadata the event lanes read
// (tenant, connector, delivery id, whose derived message id the queue
// dedupes by), and only then answers 2xx. A bad signature gets 401 and
// nothing is stored; a payload that cannot be parsed is still enqueued (the
// lanes dead-letter it with the reason).
//
// Besides one webhook per tenant connector (/hooks/{tenant}/{connector})
// it serves the shared webhooks of Meta apps (/apps/{app}/whatsapp): one
// app's webhook is split by the number each change concerns into one
// delivery per tenant connector, and a change for a number no tenant has
// is dead-lettered with the reason (Apps).
//
// It depends on the tenants' runtime, a publisher of queue messages, the
// store's dead letters, the hub's clock and its instruments.
package ingest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/loyalhub/loyalhub/connectors"
	"github.com/loyalhub/loyalhub/core/event"
	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/pipelines/internal/respond"
	"github.com/loyalhub/loyalhub/pipelines/queue"
	"github.com/loyalhub/loyalhub/pipelines/runtime"
	"github.com/loyalhub/loyalhub/pipelines/telemetry"
)

// Publisher publishes queue messages to a topic. Publish returns once the
// queue holds them durably, and is safe for concurrent use (Watermill's
// message.Publisher is one).
type Publisher interface {
	Publish(topic string, messages ...*message.Message) error
}

// DeadLetters stores the changes of an app's webhook that no tenant takes.
type DeadLetters interface {
	// AddDeadLetter stores d; adding the same id again changes nothing.
	AddDeadLetter(ctx context.Context, d store.DeadLetter) error
}

// Metrics are the webhooks' instruments.
type Metrics struct {
	// Requests is loyalhub_connector_requests_total (tenant, connector,
	// code); AcceptSeconds observes the accepted ones.
	Requests      *prometheus.CounterVec
	AcceptSeconds prometheus.Observer
	// SigFailures counts refused signatures (tenant, connector).
	SigFailures *prometheus.CounterVec
	// DeadLetters counts dead letters by the stage that gave up (stage):
	// here "route", an app's change for no tenant.
	DeadLetters *prometheus.CounterVec
}

// Deps are what the webhooks work with.
type Deps struct {
	Tenants *runtime.Tenants
	// Apps are the shared webhooks of Meta apps (NewApps).
	Apps      *Apps
	Publisher Publisher
	Store     DeadLetters
	// Ignore counts an app's webhook that is JSON but no WhatsApp envelope
	// (another product of the app) under the labels given.
	Ignore func(d event.Delivery, labels []string)
	// Now is the hub's clock: deliveries' received_at and dead letters'
	// times.
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics Metrics
	// Tracing traces the webhooks and their enqueueing (nil: nothing).
	Tracing *telemetry.Tracing
	// Unread is told of a delivery's writers before it is enqueued (nil:
	// no one).
	Unread *runtime.Unread
}

// Config is the webhooks' part of the configuration.
type Config struct {
	// MaxBodyBytes bounds a webhook's body (server.max_body_bytes).
	MaxBodyBytes int64
	// BSPTopic is the topic of BSPs' webhooks, which an app's unroutable
	// change's dead letter names.
	BSPTopic string
}

// Hooks serves the webhooks. Make it with New; it is safe for concurrent
// use.
type Hooks struct {
	Deps
	cfg Config
}

// New returns the webhooks' handlers; it does no I/O.
func New(d Deps, cfg Config) *Hooks { return &Hooks{Deps: d, cfg: cfg} }

// Routes adds the webhooks' routes to mux.
func (hs *Hooks) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /hooks/{tenant}/{connector}", hs.Tracing.Handler("POST /hooks/{tenant}/{connector}", hs.handleHook))
	mux.HandleFunc("GET /hooks/{tenant}/{connector}", hs.handleHandshake)
	mux.HandleFunc("POST /apps/{app}/whatsapp", hs.Tracing.Handler("POST /apps/{app}/whatsapp", hs.handleAppHook))
	mux.HandleFunc("GET /apps/{app}/whatsapp", hs.handleAppHandshake)
}

// handleHook authenticates a provider's webhook, enqueues it durably and
// only then answers 2xx. A bad signature gets 401 and nothing is stored; a
// payload that cannot be parsed is still enqueued (the mapping stage
// dead-letters it with the reason).
func (hs *Hooks) handleHook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	tenant, name := r.PathValue("tenant"), r.PathValue("connector")
	c, ok := hs.Tenants.Connector(tenant, name)
	if !ok || c.Source == nil {
		hs.Metrics.Requests.WithLabelValues("", "", "404").Inc()
		respond.Error(w, http.StatusNotFound, "unknown tenant or connector: "+tenant+"/"+name)
		return
	}
	code := hs.acceptHook(w, r, tenant, c)
	hs.Metrics.Requests.WithLabelValues(tenant, name, strconv.Itoa(code)).Inc()
	if code < 300 {
		hs.Metrics.AcceptSeconds.Observe(time.Since(start).Seconds())
		c.Deliveries.Succeeded(hs.Now())
	} else {
		c.Deliveries.Failed(hs.Now(), "answered "+strconv.Itoa(code)+" "+http.StatusText(code))
	}
}

func (hs *Hooks) acceptHook(w http.ResponseWriter, r *http.Request, tenant string, c *runtime.Connector) int {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, hs.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return respond.Error(w, http.StatusRequestEntityTooLarge, "body exceeds "+strconv.FormatInt(tooBig.Limit, 10)+" bytes")
		}
		return respond.Error(w, http.StatusBadRequest, "reading body: "+err.Error())
	}
	d, err := c.Source.Accept(r, body)
	if err != nil {
		if errors.Is(err, connectors.ErrUnauthorized) {
			hs.Metrics.SigFailures.WithLabelValues(tenant, c.Name).Inc()
			return respond.Error(w, http.StatusUnauthorized, err.Error())
		}
		return respond.Error(w, http.StatusBadRequest, err.Error())
	}
	if err := hs.Enqueue(r.Context(), tenant, c, body, d); err != nil {
		hs.Logger.Error("enqueueing delivery", "tenant", tenant, "connector", c.Name, "err", err)
		w.Header().Set("Retry-After", "5")
		return respond.Error(w, http.StatusServiceUnavailable, "could not enqueue the delivery; retry later")
	}
	return respond.JSON(w, http.StatusOK, map[string]string{"status": "accepted", "delivery_id": d.ID})
}

func (hs *Hooks) handleHandshake(w http.ResponseWriter, r *http.Request) {
	c, ok := hs.Tenants.Connector(r.PathValue("tenant"), r.PathValue("connector"))
	if !ok {
		respond.Error(w, http.StatusNotFound, "unknown tenant or connector")
		return
	}
	if c.Handshaker == nil {
		respond.Error(w, http.StatusMethodNotAllowed, "this connector takes POST only")
		return
	}
	c.Handshaker.Handshake(w, r)
}

// Enqueue durably publishes one accepted delivery for tenant's connector
// c: the message id derives from the delivery id, for the queue's dedupe,
// and the metadata names the tenant, connector and delivery. Sources that
// run themselves enqueue through it too.
func (hs *Hooks) Enqueue(ctx context.Context, tenant string, c *runtime.Connector, body []byte, d connectors.Delivery) error {
	msg := message.NewMessage(event.DerivedID("in_", tenant, c.Name, d.ID), body)
	msg.Metadata.Set(queue.MetaTenant, tenant)
	msg.Metadata.Set(queue.MetaConnector, c.Name)
	msg.Metadata.Set(queue.MetaKind, c.Spec.Name)
	msg.Metadata.Set(queue.MetaDeliveryID, d.ID)
	at := hs.Now().UTC()
	msg.Metadata.Set(queue.MetaReceivedAt, at.Format(time.RFC3339Nano))
	if d.Topic != "" {
		msg.Metadata.Set(queue.MetaTopic, d.Topic)
	}
	for k, v := range d.Meta {
		msg.Metadata.Set(queue.MetaSourcePrefix+k, v)
	}
	msg.SetContext(ctx)
	// Before the lanes can read it: a marketing message to a writer waits
	// from here until the lane has applied what they wrote (a STOP).
	hs.Unread.Note(tenant, d.Writers, at)
	span := hs.Tracing.Publish(msg, c.Topic)
	err := hs.Publisher.Publish(c.Topic, msg)
	telemetry.End(span, err)
	return err
}
