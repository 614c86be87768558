// Package sqlite is the embedded store: store.Store on a single SQLite file
// through modernc.org/sqlite (pure Go, no cgo).
//
// The database runs in WAL mode with synchronous=NORMAL, foreign keys on and
// a busy timeout. Writes go through a pool of one connection whose
// transactions begin IMMEDIATE, so writers in this process queue in Go and
// writers in other processes wait on the database lock instead of failing
// with SQLITE_BUSY; reads use a separate read-only pool and run beside the
// writer. The path ":memory:" gives a private in-memory database on one
// connection, for tests.
//
// New does no I/O. Open opens the database; Migrate opens it when needed and
// applies the embedded migrations. Every other method needs one of the two
// to have run first.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
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

var (
	errNotOpen = errors.New("sqlite store is not open")
	errClosed  = errors.New("sqlite store is closed")
)

// Store is store.Store on SQLite. It is safe for concurrent use.
type Store struct {
	path string

	mu     sync.Mutex
	write  *sql.DB // one connection, BEGIN IMMEDIATE
	read   *sql.DB // read-only pool; the same as write for ":memory:"
	closed bool
}

var _ store.Store = (*Store)(nil)

// New returns a store for the database file at path (created when missing),
// or a private in-memory database for ":memory:". It does no I/O.
func New(path string) *Store {
	return &Store{path: path}
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
		s.write, s.read = db, db
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
	r, err := openPool(ctx, s.path+"?_busy_timeout="+timeout+
		"&_synchronous=NORMAL&_foreign_keys=1&_query_only=1", max(4, runtime.GOMAXPROCS(0)))
	if err != nil {
		_ = w.Close()
		return err
	}
	s.write, s.read = w, r
	return nil
}

func openPool(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
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

func (s *Store) pools() (w, r *sql.DB, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.write == nil {
		if s.closed {
			return nil, nil, errClosed
		}
		return nil, nil, errNotOpen
	}
	return s.write, s.read, nil
}

// Ping checks both pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	w, r, err := s.pools()
	if err != nil {
		return err
	}
	if err := w.PingContext(ctx); err != nil {
		return fmt.Errorf("pinging sqlite store: %w", err)
	}
	if err := r.PingContext(ctx); err != nil {
		return fmt.Errorf("pinging sqlite store: %w", err)
	}
	return nil
}

// Close closes the database. It is safe to call more than once, and after a
// failed or missing Open.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	w, r := s.write, s.read
	s.write, s.read = nil, nil
	var errs []error
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

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("listing migrations: %w", err)
	}
	ms := make([]migration, 0, len(names))
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		prefix, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("reading migration %s: name must start with a positive version and _", base)
		}
		body, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", base, err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("reading migrations: version %d used twice", ms[i].version)
		}
	}
	return ms, nil
}

// Migrate opens the store when needed and applies the migrations not yet
// recorded in schema_migrations, each in its own IMMEDIATE transaction, which
// serialises concurrent Migrate calls from several processes.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.Open(ctx); err != nil {
		return err
	}
	w, _, err := s.pools()
	if err != nil {
		return err
	}
	ms, err := loadMigrations()
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

func applyMigration(ctx context.Context, w *sql.DB, m migration) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("applying migration %s: %w", m.name, err)
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
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return fmt.Errorf("applying migration %s: %w", m.name, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("applying migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, toDB(time.Now())); err != nil {
		return fmt.Errorf("recording migration %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("applying migration %s: %w", m.name, err)
	}
	return nil
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// queryer is a *sql.DB or *sql.Tx.
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
