package csvdrop

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/connectors"
)

// fileJob is the reading of one file.
type fileJob struct {
	w       *watcher
	accept  acceptFunc
	name    string
	path    string
	st      fileState
	hash    []byte
	ck      checkpoint
	resumed bool
	started time.Time
	parser  *rowParser
	rejects rejectsReport

	// The batch being filled.
	body  []byte
	rows  int
	first int // line of its first row
	row   row
}

// run reads the records after the header or checkpoint to the end.
func (j *fileJob) run(ctx context.Context, sc *scanner) error {
	defer j.rejects.close()
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, line, err := sc.read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return j.readError(err)
		}
		j.ck.Rows++
		j.row.line = line
		reason := j.parser.parse(rec, &j.row)
		if reason == "" && !j.add(&j.row) {
			reason = fmt.Sprintf("the row is longer than %d bytes", maxRowJSON)
		}
		if reason != "" {
			if err := j.reject(line, reason, rec); err != nil {
				return err
			}
			if limit := j.w.cfg.MaxRejects; limit > 0 && j.rejects.count > limit {
				if err := j.flush(ctx, sc); err != nil {
					return err
				}
				return j.fail(fmt.Sprintf("more than %d rows were rejected (max_rejects); reading stopped at line %d.\n"+
					"The rows accepted before were sent. The rejected rows, with why, are in %s/%s.\n",
					limit, line, RejectsDir, j.ck.Rejects))
			}
			continue
		}
		if j.rows >= j.w.cfg.BatchRows || len(j.body) >= maxBatchBytes {
			if err := j.flush(ctx, sc); err != nil {
				return err
			}
		}
	}
	if err := j.flush(ctx, sc); err != nil {
		return err
	}
	return j.finish()
}

// add appends a row to the batch; it reports false, leaving the batch as it
// was, when the row is too long.
func (j *fileJob) add(r *row) bool {
	mark := len(j.body)
	if j.rows == 0 {
		if j.body == nil {
			j.body = make([]byte, 0, 4096)
		}
		j.body = append(j.body[:0], `{"file":`...)
		j.body = appendJSONString(j.body, j.name)
		j.body = append(j.body, `,"rows":[`...)
		j.first = r.line
	} else {
		j.body = append(j.body, ',')
	}
	rowStart := len(j.body)
	j.body = appendRow(j.body, r)
	if len(j.body)-rowStart > maxRowJSON {
		j.body = j.body[:mark]
		return false
	}
	j.rows++
	return true
}

// flush sends the batch, if any, and checkpoints after it.
func (j *fileJob) flush(ctx context.Context, sc *scanner) error {
	if j.rows > 0 {
		body := append(j.body, "]}"...)
		d := connectors.Delivery{ID: deliveryID(j.hash, j.first), Meta: map[string]string{"file": j.name}}
		if cur := j.w.cfg.DefaultCurrency; cur != "" {
			d.Meta["default_currency"] = cur
		}
		if err := j.deliver(ctx, d, body); err != nil {
			return err
		}
		j.ck.Accepted += j.rows
		j.ck.Batches++
		// The next batch gets a new buffer: accept may keep this one.
		j.body = make([]byte, 0, cap(j.body))
		j.rows = 0
	}
	if err := j.rejects.flush(); err != nil {
		return err
	}
	j.ck.Offset, j.ck.Line = sc.offset, sc.next
	j.ck.Rejected = j.rejects.count
	j.ck.RejectsSize = j.rejects.size
	return j.w.saveCheckpoint(j.name, &j.ck)
}

// deliveryID names a batch by the file's content and its first line, so a
// file dropped again yields the same ids.
func deliveryID(fileHash []byte, firstLine int) string {
	h := sha256.New()
	h.Write(fileHash)
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(nil, int64(firstLine), 10))
	return hex.EncodeToString(h.Sum(nil))
}

// deliver calls accept until it stores the batch or ctx is done.
func (j *fileJob) deliver(ctx context.Context, d connectors.Delivery, body []byte) error {
	wait := j.w.src.retryMin
	for attempt := 1; ; attempt++ {
		err := j.accept(ctx, d, body)
		if err == nil {
			if attempt > 1 {
				j.w.logger.Info("csv batch stored after retrying", "file", j.name, "line", j.first, "attempts", attempt)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		j.w.logger.Warn("storing csv batch failed; retrying", "file", j.name, "line", j.first,
			"attempt", attempt, "retry_in", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, j.w.src.retryMax)
	}
}

func (j *fileJob) reject(line int, reason string, rec []string) error {
	if err := j.rejects.write(j, line, reason, rec); err != nil {
		return fmt.Errorf("writing rejects report: %w", err)
	}
	return nil
}

// readError fails the file for a malformed record; other errors are the
// disk's and leave it for the next poll.
func (j *fileJob) readError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) || errors.Is(err, errRecordTooLong) {
		return j.fail(fmt.Sprintf("the file is not readable as CSV: %v\n", err))
	}
	return fmt.Errorf("reading: %w", err)
}

// finish moves a file read to the end into done/.
func (j *fileJob) finish() error {
	if err := j.rejects.close(); err != nil {
		return fmt.Errorf("closing rejects report: %w", err)
	}
	info, err := os.Stat(j.path)
	if err != nil {
		return fmt.Errorf("reading file info: %w", err)
	}
	if stateOf(info) != j.st {
		// Written to while being read: it settles and is read again from
		// the start; the rows already sent map to the same events.
		j.w.removeCheckpoint(j.name)
		j.w.logger.Warn("csv file changed while being read; reading it again once it settles", "file", j.name)
		return nil
	}
	done := freeName(filepath.Join(j.w.dir, DoneDir), j.name, time.Now())
	if err := os.Rename(j.path, filepath.Join(j.w.dir, DoneDir, done)); err != nil {
		return fmt.Errorf("moving to %s: %w", DoneDir, err)
	}
	j.w.removeCheckpoint(j.name)
	attrs := []any{"file", j.name, "rows", j.ck.Rows, "accepted", j.ck.Accepted, "rejected", j.ck.Rejected,
		"batches", j.ck.Batches, "duration", time.Since(j.started).Round(time.Millisecond), "moved_to", DoneDir + "/" + done}
	if j.rejects.count > 0 {
		attrs = append(attrs, "rejects", RejectsDir+"/"+j.ck.Rejects)
	}
	if j.resumed {
		attrs = append(attrs, "resumed", true)
	}
	j.w.logger.Info("csv file read", attrs...)
	return nil
}

// fail moves a file rejected whole into failed/, with why beside it.
func (j *fileJob) fail(reason string) error {
	if err := j.rejects.close(); err != nil {
		return fmt.Errorf("closing rejects report: %w", err)
	}
	dir := filepath.Join(j.w.dir, FailedDir)
	moved := freeName(dir, j.name, time.Now())
	if err := os.Rename(j.path, filepath.Join(dir, moved)); err != nil {
		return fmt.Errorf("moving to %s: %w", FailedDir, err)
	}
	text := fmt.Sprintf("%s was not read: %s", j.name, reason)
	if err := os.WriteFile(filepath.Join(dir, moved+".error.txt"), []byte(text), 0o644); err != nil {
		j.w.logger.Warn("writing csv error report failed", "file", j.name, "error", err)
	}
	j.w.removeCheckpoint(j.name)
	first, _, _ := strings.Cut(reason, "\n")
	j.w.logger.Warn("csv file rejected", "file", j.name, "moved_to", FailedDir+"/"+moved,
		"reason", first, "rows", j.ck.Rows, "accepted", j.ck.Accepted, "rejected", j.ck.Rejected)
	return nil
}

// rejectsReport is rejects/<name>.rejects.csv: line, reason and the
// original columns of every rejected row, in the file's delimiter. It is
// created at the first rejected row.
type rejectsReport struct {
	path  string
	f     *os.File
	cw    *countingWriter
	w     *csv.Writer
	size  int64 // bytes written and flushed
	count int
	dirty bool // written since the last sync
	comma rune
	bom   bool
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// resume prepares the report at a checkpoint: what was written after it is
// cut, to be written again.
func (r *rejectsReport) resume(w *watcher, ck *checkpoint) error {
	*r = rejectsReport{
		path:  filepath.Join(w.dir, RejectsDir, ck.Rejects),
		size:  ck.RejectsSize,
		count: ck.Rejected,
		comma: delimiters[ck.Delimiter],
		bom:   ck.BOM,
	}
	info, err := os.Stat(r.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
	case ck.RejectsSize == 0:
		err = os.Remove(r.path)
	case info.Size() > ck.RejectsSize:
		err = os.Truncate(r.path, ck.RejectsSize)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("resuming rejects report: %w", err)
	}
	return nil
}

func (r *rejectsReport) write(j *fileJob, line int, reason string, rec []string) error {
	if r.w == nil {
		f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		info, err := f.Stat()
		if err == nil {
			_, err = f.Seek(info.Size(), io.SeekStart)
		}
		if err != nil {
			_ = f.Close()
			return err
		}
		r.f, r.cw = f, &countingWriter{w: f, n: info.Size()}
		r.w = csv.NewWriter(r.cw)
		r.w.Comma = r.comma
		if info.Size() == 0 {
			if r.bom {
				_, _ = r.cw.Write(utf8BOM)
			}
			if err := r.w.Write(append([]string{"line", "reason"}, j.ck.Header...)); err != nil {
				return err
			}
		}
	}
	out := make([]string, 0, 2+len(rec))
	out = append(out, strconv.Itoa(line), reason)
	if err := r.w.Write(append(out, rec...)); err != nil {
		return err
	}
	r.count++
	r.dirty = true
	return nil
}

// flush writes what is buffered and syncs it, so that a checkpoint never
// counts rejects the disk may lose.
func (r *rejectsReport) flush() error {
	if r.w == nil {
		return nil
	}
	r.w.Flush()
	if err := r.w.Error(); err != nil {
		return fmt.Errorf("writing rejects report: %w", err)
	}
	if r.dirty {
		if err := r.f.Sync(); err != nil {
			return fmt.Errorf("writing rejects report: %w", err)
		}
		r.dirty = false
	}
	r.size = r.cw.n
	return nil
}

func (r *rejectsReport) close() error {
	if r.f == nil {
		return nil
	}
	err := r.flush()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f, r.w = nil, nil
	return err
}
