package csvdrop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
)

// The folders made inside the watched folder.
const (
	DoneDir    = "done"      // files read to the end
	FailedDir  = "failed"    // files rejected whole, each with <name>.error.txt
	RejectsDir = "rejects"   // <name>.rejects.csv: the rows rejected, with why
	StateDir   = ".loyalhub" // checkpoints and the folder's lock
)

// maxBatchBytes closes a batch early once its body is this long, so that a
// delivery stays well under a queue's 1 MB message limit.
const maxBatchBytes = 512 << 10

var _ connectors.Runner = (*Source)(nil)

// Source watches one folder and sends the rows of the CSV files dropped in
// it. Its one method, Run, is called once.
type Source struct {
	cfg    Config
	logger *slog.Logger
	// running guards against two Runs on one folder in one process.
	running atomic.Bool
	// now and the retry backoff are replaced in tests.
	now                func() time.Time
	retryMin, retryMax time.Duration
}

// NewSource returns a source for cfg, which it validates. It does no I/O.
func NewSource(cfg *Config, deps connectors.Deps) (*Source, error) {
	if cfg == nil {
		return nil, errors.New("creating csv_drop source: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("creating csv_drop source: %w", err)
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := *cfg
	c.DateFormats = append([]string(nil), cfg.DateFormats...)
	return &Source{
		cfg:      c,
		logger:   logger,
		now:      time.Now,
		retryMin: 200 * time.Millisecond,
		retryMax: 30 * time.Second,
	}, nil
}

// Run watches the folder until ctx is done, then returns ctx's error. Every
// poll_interval it lists the folder and reads each settled file, one at a
// time in name order, sending its rows through accept in batches; a batch
// accept refuses is retried with backoff, never skipped. A file read to the
// end moves to done/; one rejected whole moves to failed/. Cancelling ctx
// stops at once and keeps the file's checkpoint: the next Run resumes after
// the last accepted batch. Problems with the folder are logged and retried
// at the next poll.
func (s *Source) Run(ctx context.Context, accept func(ctx context.Context, d connectors.Delivery, body []byte) error) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("csv_drop: Run is already running")
	}
	defer s.running.Store(false)
	w, err := s.newWatcher()
	if err != nil {
		return err
	}
	defer w.close()
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		w.poll(ctx, accept)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *Source) newWatcher() (*watcher, error) {
	loc, err := time.LoadLocation(s.cfg.Timezone)
	if err != nil {
		return nil, fmt.Errorf("csv_drop: loading time zone: %w", err)
	}
	return &watcher{
		src:     s,
		cfg:     &s.cfg,
		dir:     s.cfg.Dir,
		logger:  s.logger,
		loc:     loc,
		matcher: newMatcher(s.cfg.Columns),
		seen:    map[string]seenFile{},
		errs:    map[string]string{},
	}, nil
}

// fileState is what tells a file changed.
type fileState struct {
	size  int64
	mtime int64 // unix nanoseconds
}

func stateOf(fi fs.FileInfo) fileState {
	return fileState{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

// seenFile is a file's state and when it was first seen in it.
type seenFile struct {
	state fileState
	since time.Time
}

// watcher is the state of one Run.
type watcher struct {
	src     *Source
	cfg     *Config
	dir     string
	logger  *slog.Logger
	loc     *time.Location
	matcher *matcher
	lock    *os.File
	seen    map[string]seenFile
	// errs holds the last error logged per file ("" for the folder), so a
	// lasting problem is logged once, not every poll.
	errs map[string]string
}

func (w *watcher) close() {
	if w.lock != nil {
		_ = w.lock.Close()
		w.lock = nil
	}
}

// report logs err for key unless it was the last one logged for it; a nil
// err clears it.
func (w *watcher) report(key, msg string, err error) {
	if err == nil {
		delete(w.errs, key)
		return
	}
	if w.errs[key] == err.Error() {
		return
	}
	w.errs[key] = err.Error()
	if key == "" {
		w.logger.Warn(msg, "dir", w.dir, "error", err)
	} else {
		w.logger.Warn(msg, "file", key, "error", err)
	}
}

// prepare makes the folders and takes the folder's lock.
func (w *watcher) prepare() error {
	for _, d := range []string{"", DoneDir, FailedDir, RejectsDir, StateDir} {
		if err := os.MkdirAll(filepath.Join(w.dir, d), 0o755); err != nil {
			return fmt.Errorf("creating folder: %w", err)
		}
	}
	if w.lock == nil {
		f, err := lockDir(filepath.Join(w.dir, StateDir, "lock"))
		if err != nil {
			return fmt.Errorf("locking the folder: %w", err)
		}
		w.lock = f
	}
	return nil
}

// matches reports whether a file name is taken.
func (w *watcher) matches(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	if ok, _ := filepath.Match(w.cfg.Pattern, name); ok {
		return true
	}
	ok, _ := filepath.Match(w.cfg.Pattern, strings.ToLower(name))
	return ok
}

// poll lists the folder once and reads the files that have settled.
func (w *watcher) poll(ctx context.Context, accept acceptFunc) {
	err := w.prepare()
	w.report("", "csv folder unavailable", err)
	if err != nil {
		return
	}
	entries, err := os.ReadDir(w.dir)
	w.report("", "listing csv folder failed", err)
	if err != nil {
		return
	}
	now := w.src.now()
	present := make(map[string]bool, len(entries))
	var ready []string
	for _, e := range entries {
		name := e.Name()
		present[name] = true
		if !e.Type().IsRegular() || !w.matches(name) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone since the listing
		}
		st := stateOf(info)
		prev, ok := w.seen[name]
		if !ok || prev.state != st {
			prev = seenFile{state: st, since: now}
			w.seen[name] = prev
		}
		if now.Sub(prev.since) >= w.cfg.Settle {
			ready = append(ready, name)
		}
	}
	for name := range w.seen {
		if !present[name] {
			delete(w.seen, name)
			delete(w.errs, name)
		}
	}
	w.cleanCheckpoints(present)
	for _, name := range ready { // ReadDir sorts by name
		if ctx.Err() != nil {
			return
		}
		err := w.process(ctx, accept, name, w.seen[name].state)
		if ctx.Err() != nil {
			return
		}
		w.report(name, "reading csv file failed; retrying at the next poll", err)
		if err == nil {
			delete(w.seen, name)
		}
	}
}

type acceptFunc = func(ctx context.Context, d connectors.Delivery, body []byte) error

// process reads one settled file from its checkpoint, or from the start.
// It returns nil when the file is done with (moved to done/ or failed/, or
// changed since it settled); an error leaves it for the next poll.
func (w *watcher) process(ctx context.Context, accept acceptFunc, name string, st fileState) error {
	path := filepath.Join(w.dir, name)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading file info: %w", err)
	}
	if stateOf(info) != st {
		delete(w.seen, name) // still being written: settle again
		return nil
	}
	sum, err := hashFile(ctx, f, st.size)
	if err != nil {
		return err
	}
	j := &fileJob{w: w, accept: accept, name: name, path: path, st: st, started: time.Now()}
	j.hash, _ = hex.DecodeString(sum)
	var sc *scanner
	if ck, ok := w.loadCheckpoint(name); ok && ck.matches(st, sum) {
		j.ck, j.resumed = ck, true
		lay, he := w.matcher.match(ck.Header)
		if he != nil {
			return j.fail(he.Explain())
		}
		j.parser = newRowParser(w.cfg, lay, w.loc)
		if err := j.rejects.resume(w, &j.ck); err != nil {
			return err
		}
		sc, err = newScanner(io.NewSectionReader(f, ck.Offset, st.size-ck.Offset), ck.Offset, ck.Line, delimiters[ck.Delimiter])
		if err != nil {
			return fmt.Errorf("reading: %w", err)
		}
		w.logger.Info("resuming csv file", "file", name, "line", ck.Line, "accepted", ck.Accepted, "rejected", ck.Rejected)
	} else {
		if sc, err = newScanner(io.NewSectionReader(f, 0, st.size), 0, 1, delimiters[w.cfg.Delimiter]); err != nil {
			return fmt.Errorf("reading: %w", err)
		}
		rec, _, err := sc.read()
		switch {
		case errors.Is(err, io.EOF):
			return j.fail("the file is empty: it needs a header row naming its columns")
		case err != nil:
			return j.readError(err)
		}
		header := make([]string, len(rec))
		for i, h := range rec {
			header[i] = cleanText(h)
		}
		lay, he := w.matcher.match(header)
		if he != nil {
			return j.fail(he.Explain())
		}
		j.parser = newRowParser(w.cfg, lay, w.loc)
		j.ck = checkpoint{
			Size: st.size, ModTime: st.mtime, SHA256: sum,
			Offset: sc.offset, Line: sc.next,
			Header: header, Delimiter: delimiterName(sc.comma), BOM: sc.bom,
			Rejects: freeName(filepath.Join(w.dir, RejectsDir), name+".rejects.csv", time.Now()),
		}
		if err := j.rejects.resume(w, &j.ck); err != nil { // a fresh report
			return err
		}
		if err := w.saveCheckpoint(name, &j.ck); err != nil {
			return err
		}
	}
	return j.run(ctx, sc)
}

// hashFile returns the hex SHA-256 of the first size bytes of f.
func hashFile(ctx context.Context, f *os.File, size int64) (string, error) {
	h := sha256.New()
	buf := make([]byte, 256<<10)
	r := io.NewSectionReader(f, 0, size)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := r.Read(buf)
		h.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("hashing: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// freeName returns name, or when dir already holds it, name with a UTC
// time stamp (and a counter) before its extension.
func freeName(dir, name string, now time.Time) string {
	if _, err := os.Lstat(filepath.Join(dir, name)); errors.Is(err, os.ErrNotExist) {
		return name
	}
	ext := filepath.Ext(name)
	if strings.HasSuffix(name, ".rejects.csv") {
		ext = ".rejects.csv"
	}
	base := strings.TrimSuffix(name, ext) + "-" + now.UTC().Format("20060102T150405Z")
	for i := 1; ; i++ {
		n := base + ext
		if i > 1 {
			n = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		if _, err := os.Lstat(filepath.Join(dir, n)); errors.Is(err, os.ErrNotExist) {
			return n
		}
	}
}
