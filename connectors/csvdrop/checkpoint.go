package csvdrop

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const checkpointSuffix = ".checkpoint"

// checkpoint is how far a file was read, written after every accepted
// batch so that a restart resumes there instead of at the beginning.
type checkpoint struct {
	// The file it belongs to: a file of the same name with another size,
	// modification time or content starts over.
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_unix_nano"`
	SHA256  string `json:"sha256"`
	// Offset is the byte offset just after the last record of the last
	// accepted batch, and Line the physical line number there.
	Offset int64 `json:"offset"`
	Line   int   `json:"line"`
	// How the file is read: its header (as read, for the column layout
	// and the rejects report), delimiter and whether it starts with a BOM.
	Header    []string `json:"header"`
	Delimiter string   `json:"delimiter"`
	BOM       bool     `json:"bom"`
	// Counts so far.
	Rows     int `json:"rows"`
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	Batches  int `json:"batches"`
	// Rejects is the file name of the rejects report in rejects/, and
	// RejectsSize its length at this checkpoint: what was written after
	// it is written again on resume.
	Rejects     string `json:"rejects"`
	RejectsSize int64  `json:"rejects_size"`
}

func (c *checkpoint) matches(st fileState, sum string) bool {
	return c.Size == st.size && c.ModTime == st.mtime && c.SHA256 == sum &&
		c.Offset >= 0 && c.Offset <= c.Size && c.Line >= 1 && len(c.Header) > 0 &&
		delimiters[c.Delimiter] != 0 && c.Rejects != "" && !strings.ContainsAny(c.Rejects, `/\`)
}

func (w *watcher) checkpointPath(name string) string {
	return filepath.Join(w.dir, StateDir, name+checkpointSuffix)
}

// loadCheckpoint reads a file's checkpoint; ok is false when there is none
// or it is unreadable (the file then starts over).
func (w *watcher) loadCheckpoint(name string) (checkpoint, bool) {
	var c checkpoint
	b, err := os.ReadFile(w.checkpointPath(name))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			w.logger.Warn("reading csv checkpoint failed; the file starts over", "file", name, "error", err)
		}
		return c, false
	}
	if err := json.Unmarshal(b, &c); err != nil {
		w.logger.Warn("csv checkpoint is corrupt; the file starts over", "file", name, "error", err)
		return c, false
	}
	return c, true
}

// saveCheckpoint replaces a file's checkpoint atomically: a temporary file,
// synced, renamed over the old one.
func (w *watcher) saveCheckpoint(name string, c *checkpoint) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding checkpoint: %w", err)
	}
	path := w.checkpointPath(name)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("writing checkpoint: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing checkpoint: %w", err)
	}
	return nil
}

func (w *watcher) removeCheckpoint(name string) {
	if err := os.Remove(w.checkpointPath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		w.logger.Warn("removing csv checkpoint failed", "file", name, "error", err)
	}
}

// cleanCheckpoints removes the checkpoints of files no longer in the
// folder, and temporary files a crash left behind.
func (w *watcher) cleanCheckpoints(present map[string]bool) {
	entries, err := os.ReadDir(filepath.Join(w.dir, StateDir))
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		file, isCheckpoint := strings.CutSuffix(n, checkpointSuffix)
		if strings.HasSuffix(n, checkpointSuffix+".tmp") || (isCheckpoint && !present[file]) {
			_ = os.Remove(filepath.Join(w.dir, StateDir, n))
		}
	}
}
