package pipelines

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Backoff between two attempts to reach the store or the queue at start.
const (
	connectInitialBackoff = 500 * time.Millisecond
	connectMaxBackoff     = 10 * time.Second
)

// connector retries what the hub connects to at start until one deadline,
// startup.connect_timeout after the first attempt, shared by the store and
// the queue: in a compose file or a cluster the hub may start before its
// database or NATS server, or while one restarts.
type connector struct {
	timeout  time.Duration
	deadline time.Time
	initial  time.Duration
	logger   *slog.Logger
}

func newConnector(timeout time.Duration, logger *slog.Logger) *connector {
	return &connector{timeout: timeout, deadline: time.Now().Add(timeout), initial: connectInitialBackoff, logger: logger}
}

// retry calls fn until it succeeds, ctx ends or the deadline passes, waiting
// a backoff doubling up to connectMaxBackoff between attempts and logging
// each failure. It returns fn's last error.
func (c *connector) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	wait := c.initial
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			if attempt > 1 {
				c.logger.Info("reached the "+what, "attempts", attempt)
			}
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		left := time.Until(c.deadline)
		if left <= 0 {
			return fmt.Errorf("still failing after startup.connect_timeout %s (%d attempts): %w", c.timeout, attempt, err)
		}
		wait = min(wait, left)
		c.logger.Warn("cannot reach the "+what+" yet; retrying", "attempt", attempt, "retry_in", wait.String(),
			"gives_up_in", left.Round(time.Second).String(), "error", err)
		if waitCtx(ctx, wait); ctx.Err() != nil {
			return err
		}
		wait = min(2*wait, connectMaxBackoff)
	}
}
