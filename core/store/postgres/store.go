// Package postgres is the scale-out store: store.Store on PostgreSQL through
// pgx's native pool (pgxpool), shared by every replica.
//
// New does no I/O. Open connects; Migrate connects when needed and applies
// the embedded migrations, each in its own transaction under a
// transaction-scoped advisory lock, so replicas starting together apply each
// migration once. Every other method needs one of the two to have run first.
//
// Writes run at READ COMMITTED and rely on unique constraints with
// ON CONFLICT and on row locks (SELECT ... FOR UPDATE) rather than on
// serializable retries: an award locks its member's row, so awards to one
// member queue, and the (tenant, event id, rule) key settles racing awards of
// one event.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/loyalhub/loyalhub/core/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock key that serialises Migrate across
// replicas ("loyalhub" in ASCII).
const migrationLock int64 = 0x6c6f79616c687562

var (
	errNotOpen = errors.New("postgres store is not open")
	errClosed  = errors.New("postgres store is closed")
)

// Store is store.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	dsn      string
	maxConns int
	batch    store.Batching
	clock    store.Clock

	mu    sync.Mutex
	pool  *pgxpool.Pool
	group *grouper // commits loyalty transactions in groups
	// statuses applies delivery reports in groups.
	statuses *statusGrouper
	// messages commits the send stage's claims and marks in groups.
	messages *messageGrouper
	closed   bool

	// pairTakes counts TakeTurn calls, for the sweep of idle schedules.
	pairTakes atomic.Uint64
}

var _ store.Store = (*Store)(nil)

// New returns a store for the database at dsn (a postgres:// URL or
// key=value string) with at most maxConns connections (zero or less: pgx's
// default). It does no I/O.
func New(dsn string, maxConns int) *Store {
	return &Store{dsn: dsn, maxConns: maxConns}
}

// planCacheMode is PostgreSQL's setting of when a prepared statement may
// run a generic plan; a DSN that sets it (…?plan_cache_mode=auto) keeps
// its own.
const planCacheMode = "plan_cache_mode"

// WithBatching sets how many loyalty transactions, and how many of the
// send stage's claims and marks, share one PostgreSQL transaction, at most,
// and how long a group waits for more (see store.Batching). The size
// defaults to DefaultGroupSize. It must be called before Open.
func (s *Store) WithBatching(b store.Batching) *Store {
	s.batch = b
	return s
}

// WithClock sets the clock the store stamps what it records by itself with
// (a member's updates, a conversation, a lease…); times the caller passes
// are kept. It defaults to the machine's clock and must be called before Open.
func (s *Store) WithClock(now func() time.Time) *Store {
	s.clock = now
	return s
}

// Open connects the pool and checks the database answers. Calling it again
// is a no-op.
func (s *Store) Open(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errClosed
	case s.pool != nil:
		return nil
	}
	cfg, err := pgxpool.ParseConfig(s.dsn)
	if err != nil {
		return fmt.Errorf("opening postgres store: parsing dsn: %w", err)
	}
	if s.maxConns > 0 {
		cfg.MaxConns = int32(min(s.maxConns, 1<<30))
	}
	// Every statement is planned with its arguments. pgx prepares each
	// statement once per connection, and after five runs PostgreSQL may
	// keep a generic plan made while the tables were nearly empty: a
	// member found by phone through the tenant's index, the message log
	// updated by a scan of the whole table. Such a plan slows as the
	// tables grow, until the store spends its time scanning.
	if _, ok := cfg.ConnConfig.RuntimeParams[planCacheMode]; !ok {
		cfg.ConnConfig.RuntimeParams[planCacheMode] = "force_custom_plan"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("opening postgres store: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("opening postgres store: %w", err)
	}
	s.pool = pool
	s.group = startGrouper(pool, s.batch, s.clock)
	s.statuses = startStatusGrouper(pool, s.clock)
	s.messages = startMessageGrouper(pool, s.batch, s.clock)
	return nil
}

// statusGroups returns the grouper of delivery reports.
func (s *Store) statusGroups() (*statusGrouper, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statuses, s.notOpen()
}

// groups returns the grouper of loyalty transactions.
func (s *Store) groups() (*grouper, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.group, s.notOpen()
}

func (s *Store) db() (*pgxpool.Pool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pool, s.notOpen()
}

// notOpen says why the store cannot be used, or nil when it is open. The
// caller holds s.mu.
func (s *Store) notOpen() error {
	switch {
	case s.pool != nil:
		return nil
	case s.closed:
		return errClosed
	}
	return errNotOpen
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	p, err := s.db()
	if err != nil {
		return err
	}
	if err := p.Ping(ctx); err != nil {
		return fmt.Errorf("pinging postgres store: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be released. It
// is safe to call more than once, and after a failed or missing Open.
func (s *Store) Close() error {
	s.mu.Lock()
	p, g, sg, mg := s.pool, s.group, s.statuses, s.messages
	s.pool, s.group, s.statuses, s.messages, s.closed = nil, nil, nil, nil, true
	s.mu.Unlock()
	if g != nil {
		g.stop()
	}
	if sg != nil {
		sg.stop()
	}
	if mg != nil {
		mg.stop()
	}
	if p != nil {
		p.Close()
	}
	return nil
}

// Migrate connects when needed and applies the migrations not yet recorded
// in schema_migrations, each in its own transaction holding an advisory
// lock, so concurrent Migrate calls from several replicas are safe.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.Open(ctx); err != nil {
		return err
	}
	p, err := s.db()
	if err != nil {
		return err
	}
	ms, err := store.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := applyMigration(ctx, p, m); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, p *pgxpool.Pool, m store.Migration) error {
	return pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("locking migrations: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("creating schema_migrations: %w", err)
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`,
			m.Version).Scan(&done); err != nil {
			return fmt.Errorf("applying migration %s: %w", m.Name, err)
		}
		if done {
			return nil
		}
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("applying migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`,
			m.Version, m.Name); err != nil {
			return fmt.Errorf("recording migration %s: %w", m.Name, err)
		}
		return nil
	})
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// notFound turns pgx.ErrNoRows into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
