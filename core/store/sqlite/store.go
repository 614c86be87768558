// Package sqlite is the embedded store: store.Store on a single SQLite file
// through modernc.org/sqlite (pure Go, no cgo).
//
// The database runs in WAL mode with synchronous=NORMAL, foreign keys on and
// a busy timeout. Reads use a read-only pool and run beside the writer.
// Writes go through a pool of one connection owned by one writer goroutine
// that commits in groups: it takes every write operation waiting for it (up
// to 256), runs them in order in one transaction that begins IMMEDIATE, each
// inside its own SAVEPOINT, and commits once. A failing operation rolls back
// only its own savepoint and gets its own error; a failed commit fails every
// operation of the group. An operation whose caller's context ends before it
// runs does not run; one that has started runs to the end. Writers in other
// processes wait on the database lock instead of failing with SQLITE_BUSY.
// Statements are prepared once per pool and reused. A checkpointer on a
// connection of its own copies the WAL into the database file in the
// background, so commits do not pay for checkpoints. The path ":memory:"
// gives a private in-memory database on one connection, for tests.
//
// New does no I/O. Open opens the database and starts the writer; Migrate
// opens it when needed and applies the embedded migrations. Every other
// method needs one of the two to have run first. Close stops the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	// Registers the "sqlite" database/sql driver.
	_ "modernc.org/sqlite"

	"github.com/loyalhub/loyalhub/core/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// busyTimeout is how long a statement waits for another process's lock.
const busyTimeout = 10 * time.Second

const (
	// writerCacheKiB is the write connection's page cache: the pages of
	// the indexes every write touches stay in memory.
	writerCacheKiB = 32 << 10
	// checkpointInterval is how often the checkpointer copies the WAL
	// into the database file.
	checkpointInterval = 200 * time.Millisecond
	// writerCheckpointPages is the WAL size, in pages, at which the writer
	// checkpoints by itself: only when the checkpointer falls far behind.
	writerCheckpointPages = 16384
)

var (
	errNotOpen = errors.New("sqlite store is not open")
	errClosed  = errors.New("sqlite store is closed")
)

// Store is store.Store on SQLite. It is safe for concurrent use.
type Store struct {
	path  string
	batch store.Batching
	clock store.Clock

	mu     sync.Mutex
	write  *sql.DB // one connection, BEGIN IMMEDIATE
	read   *sql.DB // read-only pool; the same as write for ":memory:"
	writer *writer // owns write
	reader *reader // prepared statements on read

	checkpointer *checkpointer // nil for ":memory:"
	closed       bool
}

var _ store.Store = (*Store)(nil)

// New returns a store for the database file at path (created when missing),
// or a private in-memory database for ":memory:". It does no I/O.
func New(path string) *Store {
	return &Store{path: path}
}

// WithBatching sets how many writes share one transaction of the writer, at
// most, and how long a transaction waits for more (see store.Batching). The
// size defaults to DefaultBatchSize. It must be called before Open.
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

// Open opens the database and applies the connection settings. Calling it
// again is a no-op.
func (s *Store) Open(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errClosed
	case s.write != nil:
		return nil
	case s.path == "":
		return errors.New("opening sqlite store: empty path")
	}
	timeout := strconv.FormatInt(busyTimeout.Milliseconds(), 10)
	if s.path == ":memory:" {
		db, err := openPool(ctx, ":memory:?_busy_timeout="+timeout+"&_foreign_keys=1&_txlock=immediate", 1)
		if err != nil {
			return err
		}
		s.start(db, db)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o750); err != nil {
		return fmt.Errorf("creating the database directory: %w", err)
	}
	w, err := openPool(ctx, s.path+"?_busy_timeout="+timeout+
		"&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=1&_txlock=immediate", 1)
	if err != nil {
		return err
	}
	// The pool's one connection lives as long as the store, so settings
	// made on it stay. Temporary files in memory: the savepoint of each
	// write in a group keeps its undo pages there instead of in a file.
	if _, err := w.ExecContext(ctx, "PRAGMA cache_size = "+strconv.Itoa(-writerCacheKiB)+
		"; PRAGMA wal_autocheckpoint = "+strconv.Itoa(writerCheckpointPages)+
		"; PRAGMA temp_store = MEMORY"); err != nil {
		_ = w.Close()
		return fmt.Errorf("configuring the write connection: %w", err)
	}
	r, err := openPool(ctx, s.path+"?_busy_timeout="+timeout+
		"&_synchronous=NORMAL&_foreign_keys=1&_query_only=1", max(4, runtime.GOMAXPROCS(0)))
	if err != nil {
		_ = w.Close()
		return err
	}
	c, err := openPool(ctx, s.path+"?_busy_timeout="+timeout+"&_synchronous=NORMAL", 1)
	if err != nil {
		_ = w.Close()
		_ = r.Close()
		return err
	}
	s.start(w, r)
	s.checkpointer = startCheckpointer(c, checkpointInterval)
	return nil
}

// start takes over the opened pools; s.mu is held.
func (s *Store) start(w, r *sql.DB) {
	s.write, s.read = w, r
	s.writer = startWriter(w, s.batch)
	s.reader = newReader(r)
}

// openPool opens a pool and checks a connection. Setting the journal mode
// takes the database lock without waiting for it, so an open that finds the
// database busy (another process opening or checkpointing it) is retried
// until busyTimeout.
func openPool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	deadline := time.Now().Add(busyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		db, err := tryOpenPool(ctx, dsn, conns)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return db, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (a lock held
// elsewhere).
func isBusy(err error) bool {
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code()&0xff == 5
}

func tryOpenPool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening sqlite database: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening sqlite database: %w", err)
	}
	return db, nil
}

func (s *Store) opened() error {
	if s.write == nil {
		if s.closed {
			return errClosed
		}
		return errNotOpen
	}
	return nil
}

// reads returns the read pool with its prepared statements.
func (s *Store) reads() (*reader, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.opened(); err != nil {
		return nil, err
	}
	return s.reader, nil
}

// do runs fn as one write operation in the writer's next batch; see
// writer.do.
func (s *Store) do(ctx context.Context, fn writeFunc) error {
	s.mu.Lock()
	err := s.opened()
	w := s.writer
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return w.do(ctx, fn)
}

// Ping checks both pools can reach the database and the last background
// checkpoint succeeded.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.Lock()
	err := s.opened()
	w, r, c := s.write, s.read, s.checkpointer
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if c != nil {
		if err := c.lastErr(); err != nil {
			return fmt.Errorf("pinging sqlite store: %w", err)
		}
	}
	if err := w.PingContext(ctx); err != nil {
		return fmt.Errorf("pinging sqlite store: %w", err)
	}
	if err := r.PingContext(ctx); err != nil {
		return fmt.Errorf("pinging sqlite store: %w", err)
	}
	return nil
}

// Close stops the writer, letting its current batch finish, and closes the
// database. It is safe to call more than once, and after a failed or
// missing Open.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	w, r := s.write, s.read
	s.write, s.read = nil, nil
	var errs []error
	if s.checkpointer != nil {
		errs = append(errs, s.checkpointer.stop())
		s.checkpointer = nil
	}
	if s.writer != nil {
		errs = append(errs, s.writer.stop())
		s.writer = nil
	}
	if s.reader != nil {
		errs = append(errs, s.reader.close())
		s.reader = nil
	}
	if r != nil && r != w {
		errs = append(errs, r.Close())
	}
	if w != nil {
		errs = append(errs, w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("closing sqlite store: %w", err)
	}
	return nil
}

// Migrate opens the store when needed and applies the migrations not yet
// recorded in schema_migrations, each in its own IMMEDIATE transaction, which
// serialises concurrent Migrate calls from several processes.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.Open(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	err := s.opened()
	w := s.write
	s.mu.Unlock()
	if err != nil {
		return err
	}
	ms, err := store.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := applyMigration(ctx, w, m); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, w *sql.DB, m store.Migration) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("applying migration %s: %w", m.Name, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return fmt.Errorf("applying migration %s: %w", m.Name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("applying migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, toDB(time.Now())); err != nil {
		return fmt.Errorf("recording migration %s: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("applying migration %s: %w", m.Name, err)
	}
	return nil
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// queryer is a *reader or *wtx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// notFound turns sql.ErrNoRows into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// reader runs queries on the read pool through statements prepared once per
// query text and reused.
type reader struct {
	db *sql.DB

	mu     sync.RWMutex
	stmts  map[string]*sql.Stmt
	closed bool
}

var _ queryer = (*reader)(nil)

func newReader(db *sql.DB) *reader {
	return &reader{db: db, stmts: make(map[string]*sql.Stmt)}
}

// stmt returns the prepared statement for query, preparing it when new; nil
// when it cannot be prepared, and the query then runs unprepared to report
// the error.
func (r *reader) stmt(ctx context.Context, query string) *sql.Stmt {
	r.mu.RLock()
	st, closed := r.stmts[query], r.closed
	r.mu.RUnlock()
	if st != nil || closed {
		return st
	}
	st, err := r.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.stmts[query]; ok || r.closed {
		_ = st.Close()
		return old
	}
	r.stmts[query] = st
	return st
}

// QueryRowContext runs a query that returns at most one row.
func (r *reader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.db.QueryRowContext(ctx, query, args...)
}

// QueryContext runs a query that returns rows.
func (r *reader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.db.QueryContext(ctx, query, args...)
}

func (r *reader) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	var errs []error
	for _, st := range r.stmts {
		errs = append(errs, st.Close())
	}
	clear(r.stmts)
	return errors.Join(errs...)
}
