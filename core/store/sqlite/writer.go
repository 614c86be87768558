package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/loyalhub/loyalhub/core/store"
)

// DefaultBatchSize caps how many write operations share one transaction
// when WithBatching does not.
const DefaultBatchSize = 256

// writeFunc is one write operation: it runs inside the batch's transaction,
// within its own savepoint, and must not commit or roll back.
type writeFunc func(ctx context.Context, tx *wtx) error

// writeOp is a write operation waiting for, or running in, a batch.
type writeOp struct {
	ctx  context.Context // the caller's; checked before the operation runs
	fn   writeFunc
	done chan error // buffered; receives the operation's outcome once
}

// writer is the goroutine that owns the write connection. It takes every
// operation waiting for it, runs them in one IMMEDIATE transaction, each in
// its own savepoint, and commits once.
type writer struct {
	db   *sql.DB
	ops  chan *writeOp
	quit chan struct{}
	wg   sync.WaitGroup
	// limit caps the operations of a batch; wait is how long a batch
	// waits for more (store.Batching).
	limit int
	wait  time.Duration

	// Statements prepared on db, by query text. Only the writer goroutine
	// touches them. A query first seen inside a batch runs unprepared and
	// is prepared after the batch, when the connection is free again.
	stmts   map[string]*sql.Stmt
	missing map[string]struct{}
}

func startWriter(db *sql.DB, b store.Batching) *writer {
	w := &writer{
		db:      db,
		limit:   b.SizeOr(DefaultBatchSize),
		wait:    b.Wait,
		ops:     make(chan *writeOp),
		quit:    make(chan struct{}),
		stmts:   make(map[string]*sql.Stmt),
		missing: make(map[string]struct{}),
	}
	w.wg.Add(1)
	go w.loop()
	return w
}

// stop ends the goroutine after its current batch and closes the prepared
// statements. Operations not yet taken fail with errClosed.
func (w *writer) stop() error {
	close(w.quit)
	w.wg.Wait()
	var errs []error
	for _, st := range w.stmts {
		errs = append(errs, st.Close())
	}
	clear(w.stmts)
	return errors.Join(errs...)
}

// do runs fn in the writer's next batch and returns its outcome. It returns
// ctx.Err() as soon as ctx is done; fn does not run when ctx was done before
// its turn came, but may already have run and been committed otherwise.
func (w *writer) do(ctx context.Context, fn writeFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case w.ops <- op:
	case <-w.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) loop() {
	defer w.wg.Done()
	batch := make([]*writeOp, 0, w.limit)
	for {
		select {
		case op := <-w.ops:
			batch = append(batch[:0], op)
		case <-w.quit:
			return
		}
		// Under load, fewer and larger commits write each touched page once.
		store.Gather(w.ops, &batch, w.limit, w.wait)
		w.run(batch)
		clear(batch)
		w.prepareMissing()
	}
}

// run executes one batch and answers every operation in it.
func (w *writer) run(batch []*writeOp) {
	// The transaction outlives any one caller, so it does not take a
	// caller's context.
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		err = fmt.Errorf("beginning: %w", err)
		for _, op := range batch {
			op.done <- err
		}
		return
	}
	t := &wtx{tx: tx, w: w}
	ran := make([]*writeOp, 0, len(batch))
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			op.done <- err
			continue
		}
		// Once started an operation runs to the end: interrupting one
		// statement could roll back the whole transaction.
		ctx := context.WithoutCancel(op.ctx)
		if len(batch) == 1 {
			// Alone in the transaction, the operation needs no savepoint.
			if err := op.fn(ctx, t); err != nil {
				_ = tx.Rollback()
				op.done <- err
				return
			}
			ran = append(ran, op)
			break
		}
		opErr, txErr := t.savepoint(ctx, op.fn)
		if txErr != nil {
			_ = tx.Rollback()
			txErr = fmt.Errorf("writing: %w", txErr)
			for _, o := range ran {
				o.done <- txErr
			}
			for _, o := range batch[i:] {
				o.done <- txErr
			}
			return
		}
		if opErr != nil {
			op.done <- opErr
			continue
		}
		ran = append(ran, op)
	}
	if len(ran) == 0 {
		_ = tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		err = fmt.Errorf("committing: %w", err)
		for _, op := range ran {
			op.done <- err
		}
		return
	}
	for _, op := range ran {
		op.done <- nil
	}
}

// prepareMissing prepares the queries the last batch ran unprepared. A query
// that fails to prepare (its table may not exist yet) is tried again after
// it is next used.
func (w *writer) prepareMissing() {
	for q := range w.missing {
		if st, err := w.db.PrepareContext(context.Background(), q); err == nil {
			w.stmts[q] = st
		}
	}
	clear(w.missing)
}

// wtx is the batch's transaction as one operation sees it. Its statements
// use the writer's prepared statements.
type wtx struct {
	tx *sql.Tx
	w  *writer
}

var _ queryer = (*wtx)(nil)

// stmt returns the transaction's copy of the prepared statement for query,
// or nil when it is not prepared yet.
func (t *wtx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := t.w.stmts[query]; ok {
		return t.tx.StmtContext(ctx, st)
	}
	t.w.missing[query] = struct{}{}
	return nil
}

// ExecContext runs a statement that returns no rows.
func (t *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

// QueryRowContext runs a query that returns at most one row.
func (t *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// QueryContext runs a query that returns rows.
func (t *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// savepoint runs fn inside a savepoint. When fn fails, its changes are
// rolled back and its error returned as opErr; the rest of the transaction
// stands. txErr reports that the transaction itself can no longer be used.
func (t *wtx) savepoint(ctx context.Context, fn writeFunc) (opErr, txErr error) {
	if _, err := t.ExecContext(ctx, `SAVEPOINT op`); err != nil {
		return nil, err
	}
	if opErr = fn(ctx, t); opErr != nil {
		if _, err := t.ExecContext(ctx, `ROLLBACK TO op`); err != nil {
			return nil, errors.Join(opErr, err)
		}
	}
	if _, err := t.ExecContext(ctx, `RELEASE op`); err != nil {
		return nil, errors.Join(opErr, err)
	}
	return opErr, nil
}
