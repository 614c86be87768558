package postgres

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loyalhub/loyalhub/core/store"
)

// The send stage's claims and marks are committed in groups, like loyalty
// transactions and delivery reports: its workers claim a message before
// the BSP call and mark it after, many at once, and the calls waiting at
// the same moment share one transaction and one commit. A call is answered
// only once its group has committed, so that a claim is durable before the
// message goes out.
//
// A group is all or nothing: when any of its calls fails (a message not
// found, a failing statement), the group is rolled back and each of its
// calls runs again in a transaction of its own, which answers it exactly
// as if there had been no group. That is simpler than a savepoint per call
// and costs nothing while the calls succeed, which is nearly always; a
// savepoint would add two statements to every call to spare a rare
// failure's re-run.
//
// A group runs its calls in the order of their keys, so that two groups
// locking the same messages never wait for each other.
const (
	// messageWorkers is how many groups of claims and marks are in flight
	// at once, each on its own connection.
	messageWorkers = 2
)

// messageOp is one claim or mark waiting for, or running in, a group.
type messageOp struct {
	ctx context.Context
	key string
	// write runs the call in tx and keeps its outcome where its caller
	// reads it once answered. It runs again, alone, when its group is
	// rolled back.
	write func(ctx context.Context, tx pgx.Tx) error
	done  chan error // buffered; receives the outcome once
}

// messageGrouper runs claims and marks of messages in groups.
type messageGrouper struct {
	pool *pgxpool.Pool
	*groups[*messageOp]
	// shared counts the groups committed together; alone the calls that
	// ran in a transaction of their own.
	shared, alone atomic.Int64
}

func startMessageGrouper(pool *pgxpool.Pool, b store.Batching) *messageGrouper {
	g := &messageGrouper{pool: pool}
	g.groups = startGroups(messageWorkers, b.SizeOr(DefaultGroupSize), b.Wait, g.run)
	return g
}

// do runs write, the call on the message with key, in a group and returns
// its outcome once committed, or ctx.Err() once ctx is done (the call may
// still be committed then).
func (g *messageGrouper) do(ctx context.Context, key string, write func(context.Context, pgx.Tx) error) error {
	op := &messageOp{ctx: ctx, key: key, write: write, done: make(chan error, 1)}
	if err := g.submit(ctx, op); err != nil {
		return err
	}
	err, cerr := await(ctx, op.done)
	if cerr != nil {
		return cerr
	}
	return err
}

// run answers every call of a group.
func (g *messageGrouper) run(group []*messageOp) {
	live := liveOps(group, func(op *messageOp) context.Context { return op.ctx },
		func(op *messageOp, err error) { op.done <- err })
	if len(live) > 1 {
		slices.SortStableFunc(live, func(a, b *messageOp) int { return strings.Compare(a.key, b.key) })
		if g.together(live) == nil {
			for _, op := range live {
				op.done <- nil
			}
			return
		}
		// Nothing of the group was written: each call runs on its own.
	}
	for _, op := range live {
		g.alone.Add(1)
		op.done <- pgx.BeginFunc(context.WithoutCancel(op.ctx), g.pool, func(tx pgx.Tx) error {
			return op.write(context.WithoutCancel(op.ctx), tx)
		})
	}
}

// together runs the calls of group in one transaction, or in none when
// one of them fails.
func (g *messageGrouper) together(group []*messageOp) error {
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, g.pool, func(tx pgx.Tx) error {
		for _, op := range group {
			if err := op.write(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		g.shared.Add(1)
	}
	return err
}

// writeMessage runs write, a claim or mark of the message with key, in a
// transaction shared with the calls waiting at the same moment, and
// returns once that has committed.
func (s *Store) writeMessage(ctx context.Context, key string, write func(context.Context, pgx.Tx) error) error {
	s.mu.Lock()
	g, err := s.messages, s.notOpen()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return g.do(ctx, key, write)
}
