package pipelines

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/loyalhub/loyalhub/core/config"
	"github.com/loyalhub/loyalhub/core/fault"
)

// maxRetryAfter caps how long one attempt waits for a BSP's Retry-After
// before handing the message back to the queue.
const maxRetryAfter = 30 * time.Second

// middlewares returns the stack every stage runs under, outermost first:
// correlation id, poison queue for permanent errors (the reason is kept in
// the dead letter), in-process retry with exponential backoff for retryable
// errors (except those asking to be requeued, which go back to the queue at
// once), Retry-After pauses, metrics per attempt (without the pause), a
// timeout per attempt and panic recovery (a panic is permanent: the same
// input would panic again).
//
// Each attempt starts from the delivery's own context: the timeout of an
// attempt cancels the context it set when the attempt ends, and an attempt
// that inherited it would fail at its first store call, so that the
// in-process retries would never retry anything.
func middlewares(pub message.Publisher, cfg config.Pipeline, m *Metrics, logger watermill.LoggerAdapter) ([]message.HandlerMiddleware, error) {
	poison, err := middleware.PoisonQueueWithFilter(pub, TopicDeadLetters, fault.IsPermanent)
	if err != nil {
		return nil, fmt.Errorf("creating poison queue: %w", err)
	}
	retry := middleware.Retry{
		MaxRetries:          cfg.Retry.MaxRetries,
		InitialInterval:     cfg.Retry.InitialInterval,
		MaxInterval:         cfg.Retry.MaxInterval,
		Multiplier:          cfg.Retry.Multiplier,
		RandomizationFactor: 0.2,
		ShouldRetry: func(p middleware.RetryParams) bool {
			return !fault.IsPermanent(p.Err) && !fault.IsRequeue(p.Err)
		},
		ResetContextOnRetry: true,
		Logger:              logger,
	}
	return []message.HandlerMiddleware{
		middleware.CorrelationID,
		poison,
		retry.Middleware,
		honourRetryAfter,
		measure(m),
		middleware.Timeout(cfg.HandlerTimeout),
		permanentPanics,
		middleware.Recoverer,
	}, nil
}

// measure counts and times each handler attempt per stage.
func measure(m *Metrics) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			stage := message.HandlerNameFromCtx(msg.Context())
			start := time.Now()
			out, err := h(msg)
			m.StageDuration.WithLabelValues(stage).Observe(time.Since(start).Seconds())
			switch {
			case err == nil:
				m.StageProcessed.WithLabelValues(stage).Inc()
			case fault.IsPermanent(err):
				m.StageFailed.WithLabelValues(stage, "permanent").Inc()
			default:
				m.StageFailed.WithLabelValues(stage, "retryable").Inc()
			}
			return out, err
		}
	}
}

// honourRetryAfter waits the delay a retryable error asks for (capped)
// before the retry middleware tries again.
func honourRetryAfter(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		// The attempt's timeout ends the context it sets on msg when the
		// attempt returns: wait on the delivery's context instead.
		ctx := msg.Context()
		out, err := h(msg)
		if err == nil || fault.IsPermanent(err) {
			return out, err
		}
		if d := min(fault.RetryAfter(err), maxRetryAfter); d > 0 {
			waitCtx(ctx, d)
		}
		return out, err
	}
}

// permanentPanics marks a recovered panic as permanent so that it is
// dead-lettered with its stack instead of retried forever.
func permanentPanics(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		var p middleware.RecoveredPanicError
		if errors.As(err, &p) {
			return out, fault.Permanent(fault.ClassRequest, fmt.Errorf("handler panicked: %v", p.V))
		}
		return out, err
	}
}

// waitCtx sleeps for d or until ctx ends.
func waitCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
