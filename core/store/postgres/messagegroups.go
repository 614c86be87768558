package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

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
// A group sends its statements in pipelines: the claims' inserts and the
// marks' locking reads in one, then the marks' updates and every new
// timeline step in another. A claim that finds its message already there
// and the other calls (MarkFallback, DeferMessage) then run one after
// another. The first pipeline locks every message of the group in the
// order of their keys, so that two groups touching the same messages never
// wait for each other; a second call on a key already in the group runs
// alone after the group, so that it sees the first.
//
// A mark of a message that does not exist fails alone: it finds no row
// before it writes anything. Beyond that a group is all or nothing: when a
// statement or a call fails, the group is rolled back and each of its calls
// runs again in a transaction of its own, which answers it exactly as if
// there had been no group. That is simpler than a savepoint per call and
// costs nothing while the calls succeed, which is nearly always; a savepoint
// would add two statements to every call to spare a rare failure's re-run.
// A group of one call runs the same way, so that one path serves every call.
const (
	// messageWorkers is how many groups of claims and marks are in flight
	// at once, each on its own connection.
	messageWorkers = 2
)

// messageOp is one claim or mark waiting for, or running in, a group.
type messageOp struct {
	ctx context.Context
	key string
	// claim is a ClaimMessage call's message; mark and at a mark's
	// transition and time. A group pipelines their statements.
	claim *store.Message
	mark  *store.Transition
	at    time.Time
	// write runs the call in tx and keeps its outcome where its caller
	// reads it once answered: alone, or in a group but for a claim or mark
	// the group pipelines.
	write func(ctx context.Context, tx pgx.Tx) error
	// cur and claimed are a claim's outcome.
	cur     store.Message
	claimed bool
	done    chan error // buffered; receives the outcome once
}

// messageGrouper runs claims and marks of messages in groups.
type messageGrouper struct {
	pool  *pgxpool.Pool
	clock store.Clock
	*groups[*messageOp]
	// shared counts the groups committed together; alone the calls that
	// ran in a transaction of their own.
	shared, alone atomic.Int64
}

func startMessageGrouper(pool *pgxpool.Pool, b store.Batching, clock store.Clock) *messageGrouper {
	g := &messageGrouper{pool: pool, clock: clock}
	g.groups = startGroups(messageWorkers, b.SizeOr(DefaultGroupSize), b.Wait, g.run)
	return g
}

// do runs op in a group and returns its outcome once committed, or
// ctx.Err() once ctx is done (the call may still be committed then).
func (g *messageGrouper) do(ctx context.Context, op *messageOp) error {
	op.ctx, op.done = ctx, make(chan error, 1)
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
	if len(live) == 0 {
		return
	}
	slices.SortStableFunc(live, func(a, b *messageOp) int { return strings.Compare(a.key, b.key) })
	later, err := g.together(live)
	if err != nil {
		// Nothing of the group was written: each call runs on its own.
		later = live
	}
	for _, op := range later {
		g.alone.Add(1)
		ctx := context.WithoutCancel(op.ctx)
		op.done <- pgx.BeginFunc(ctx, g.pool, func(tx pgx.Tx) error { return op.write(ctx, tx) })
	}
}

// together runs the calls of group, sorted by key, in one transaction and
// answers them once it commits. It returns the calls left to run on their
// own, or an error when the group was rolled back; the calls are not
// answered then.
func (g *messageGrouper) together(group []*messageOp) (later []*messageOp, err error) {
	ctx := context.Background()
	ops := group[:0:0]
	for i, op := range group {
		if i > 0 && op.key == group[i-1].key {
			later = append(later, op)
			continue
		}
		ops = append(ops, op)
	}
	tx, err := g.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("beginning a group of messages: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	// The claims' inserts and the marks' reads. Every message of the group
	// is locked here, in key order: a claim's message that is there
	// already as well (its insert updates nothing), and those of the calls
	// that run one after another, which find them locked.
	found := make([]*store.Message, len(ops))
	b := &pgx.Batch{}
	for i, op := range ops {
		q, args := lockMessage, []any{op.key}
		if op.claim != nil {
			_, args = claimRow(*op.claim, g.clock)
			q = claimValues + ` ON CONFLICT (key) DO UPDATE SET status = messages.status WHERE false
				RETURNING ` + messageColumns
		}
		b.Queue(q, args...).QueryRow(func(r pgx.Row) error {
			m, err := scanMessage(r)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return nil
			case err != nil:
				return err
			}
			found[i] = &m
			return nil
		})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("reading a group of messages: %w", err)
	}

	// The marks' updates and the new timeline steps, then the calls that
	// run one after another.
	errs := make([]error, len(ops))
	var ms messageRows
	var steps timelineRows
	var rest []*messageOp
	for i, op := range ops {
		switch {
		case op.claim != nil && found[i] != nil:
			op.cur, op.claimed = *found[i], true
			steps.add(op.key, store.MessageSending, "", "", op.cur.UpdatedAt)
		case op.mark != nil && found[i] == nil:
			errs[i] = store.ErrNotFound
		case op.mark != nil:
			next, moved := transit(*found[i], *op.mark, op.at)
			if moved {
				steps.add(op.key, op.mark.To, op.mark.ErrorCode, op.mark.Reason, op.at)
			}
			if moved || next.ProviderMessageID != found[i].ProviderMessageID {
				ms.add(&next)
			}
		default:
			rest = append(rest, op)
		}
	}
	var writes writeBatch
	queueMessageWrites(&writes, ms, steps)
	if err := writes.send(ctx, tx, "writing a group of messages"); err != nil {
		return nil, err
	}
	for _, op := range rest {
		if err := op.write(ctx, tx); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("committing a group of messages: %w", err)
	}
	g.shared.Add(1)
	for i, op := range ops {
		op.done <- errs[i]
	}
	return later, nil
}

// writeMessage runs op, a claim or mark, in a transaction shared with the
// calls waiting at the same moment, and returns once that has committed.
func (s *Store) writeMessage(ctx context.Context, op *messageOp) error {
	s.mu.Lock()
	g, err := s.messages, s.notOpen()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return g.do(ctx, op)
}
