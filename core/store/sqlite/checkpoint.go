package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// checkpointer runs passive WAL checkpoints on its own connection at a
// fixed interval. A passive checkpoint never waits for the writer or for
// readers: it copies what it can, and the writer starts the WAL over once
// everything has been copied.
type checkpointer struct {
	db   *sql.DB
	quit chan struct{}
	wg   sync.WaitGroup

	mu  sync.Mutex
	err error // the last checkpoint's error
}

func startCheckpointer(db *sql.DB, every time.Duration) *checkpointer {
	c := &checkpointer{db: db, quit: make(chan struct{})}
	c.wg.Add(1)
	go c.loop(every)
	return c
}

func (c *checkpointer) loop(every time.Duration) {
	defer c.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			err := c.checkpoint()
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
		}
	}
}

// checkpoint runs one passive checkpoint.
func (c *checkpointer) checkpoint() error {
	ctx, cancel := context.WithTimeout(context.Background(), busyTimeout)
	defer cancel()
	// The result row (busy, frames in the WAL, frames copied) only
	// describes progress; a passive checkpoint that copied nothing is no
	// failure.
	var busy, logFrames, copied int
	err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &copied)
	if err != nil {
		return fmt.Errorf("checkpointing the WAL: %w", err)
	}
	return nil
}

// lastErr is the last checkpoint's error, nil after a success.
func (c *checkpointer) lastErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// stop ends the loop and closes the connection.
func (c *checkpointer) stop() error {
	close(c.quit)
	c.wg.Wait()
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("closing the checkpoint connection: %w", err)
	}
	return nil
}
