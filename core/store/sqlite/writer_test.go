package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/core/store"
	"github.com/loyalhub/loyalhub/core/store/sqlite"
	"github.com/loyalhub/loyalhub/core/store/storetest"
)

// lockDatabase takes the write lock of the database at path from another
// connection, as another process would, and returns the function that
// releases it.
func lockDatabase(t *testing.T, path string) (release func()) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)
	var once sync.Once
	release = func() {
		once.Do(func() {
			_, err := conn.ExecContext(ctx, "ROLLBACK")
			assert.NoError(t, err)
			assert.NoError(t, conn.Close())
		})
	}
	t.Cleanup(release)
	return release
}

func openMigrated(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "loyalhub.db")
	s := sqlite.New(path)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(context.Background()))
	return s, path
}

// doneWatch is a context that reports when a caller first waits on it.
type doneWatch struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

func (c *doneWatch) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

// TestGroupCommit runs writes that succeed and writes that fail side by side,
// queued behind another process's lock so that they share transactions: a
// failing write must not undo the others.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	s, path := openMigrated(t)
	release := lockDatabase(t, path)

	const writers = 32
	type result struct {
		name string
		err  error
	}
	results := make(chan result, 3*writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			res, err := storetest.Credit(ctx, s, "t", fmt.Sprintf("ev_%d", i), "+6281200000001", 2)
			if err == nil && res.Replayed {
				err = fmt.Errorf("award %d not created", i)
			}
			results <- result{"award", err}
		})
		wg.Go(func() {
			results <- result{"missing dead letter", s.MarkReplayed(ctx, "t", fmt.Sprintf("dl_%d", i), time.Now())}
		})
		wg.Go(func() {
			_, err := s.ApplyStatus(ctx, store.StatusUpdate{Tenant: "t", Key: fmt.Sprintf("msg_%d", i),
				Status: store.MessageDelivered})
			results <- result{"missing message", err}
		})
	}
	release()
	wg.Wait()
	close(results)
	for r := range results {
		if r.name == "award" {
			assert.NoError(t, r.err, r.name)
		} else {
			assert.ErrorIs(t, r.err, store.ErrNotFound, r.name)
		}
	}
	m, err := s.MemberByPhone(ctx, "t", "+6281200000001")
	require.NoError(t, err)
	assert.Equal(t, int64(2*writers), m.Balance)
	es, err := s.Entries(ctx, "t", m.ID, 1000)
	require.NoError(t, err)
	assert.Len(t, es, writers)
}

// TestWriteCancelled checks that a write whose caller gives up while it
// waits for the writer never runs.
func TestWriteCancelled(t *testing.T) {
	s, path := openMigrated(t)
	tests := []struct {
		name  string
		write func(ctx context.Context, i int) error
	}{
		{"award", func(ctx context.Context, i int) error {
			_, err := storetest.Credit(ctx, s, "t", fmt.Sprintf("ev_%d", i), "+6281200000002", 1)
			return err
		}},
		{"dead letter", func(ctx context.Context, i int) error {
			return s.AddDeadLetter(ctx, store.DeadLetter{ID: fmt.Sprintf("dl_%d", i), Tenant: "t"})
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := lockDatabase(t, path)
			parent, cancel := context.WithCancel(context.Background())
			ctx := &doneWatch{Context: parent, waiting: make(chan struct{})}
			errs := make(chan error, 1)
			go func() { errs <- tt.write(ctx, i) }()
			<-ctx.waiting
			cancel()
			require.ErrorIs(t, <-errs, context.Canceled)
			release()

			// A later write runs after the cancelled one would have.
			require.NoError(t, s.AddDeadLetter(context.Background(), store.DeadLetter{ID: fmt.Sprintf("flush_%d", i), Tenant: "t"}))
			_, err := s.MemberByPhone(context.Background(), "t", "+6281200000002")
			assert.ErrorIs(t, err, store.ErrNotFound, "cancelled award ran")
			_, err = s.DeadLetter(context.Background(), "t", fmt.Sprintf("dl_%d", i))
			assert.ErrorIs(t, err, store.ErrNotFound, "cancelled dead letter ran")
		})
	}
	t.Run("already cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, s.AddDeadLetter(ctx, store.DeadLetter{ID: "dl_x", Tenant: "t"}), context.Canceled)
		_, err := s.DeadLetter(context.Background(), "t", "dl_x")
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}

// TestCloseWhileWriting closes the store while writes are queued: every
// write returns, with its result or an error, and Close returns.
func TestCloseWhileWriting(t *testing.T) {
	ctx := context.Background()
	s, path := openMigrated(t)
	release := lockDatabase(t, path)
	const writers = 16
	errs := make(chan error, writers)
	started := make(chan struct{}, writers)
	for i := range writers {
		go func() {
			started <- struct{}{}
			errs <- s.AddDeadLetter(ctx, store.DeadLetter{ID: fmt.Sprintf("dl_%d", i), Tenant: "t"})
		}()
	}
	for range writers {
		<-started
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	release()
	require.NoError(t, <-closed)
	require.NoError(t, s.Close(), "second Close")
	for range writers {
		<-errs
	}
	require.Error(t, s.AddDeadLetter(ctx, store.DeadLetter{ID: "dl_after", Tenant: "t"}), "write after Close")
}
