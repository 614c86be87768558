package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/loyalhub/loyalhub/connectors/csvdrop"
)

// CSVConfig is a CSV drop run: one export of Rows transactions dropped
// into the folder of a running hub's csv_drop connector.
type CSVConfig struct {
	HubURL  string // such as http://127.0.0.1:8080
	Dir     string // the csv_drop connector's folder
	Rows    int
	Seed    int64         // the export's content; another seed is another export
	Timeout time.Duration // how long to wait for the rows' events
}

// CSVReport is what a CSV drop run measured.
type CSVReport struct {
	Rows         int     `json:"rows"`
	FileBytes    int64   `json:"file_bytes"`
	Processed    int     `json:"processed"` // events the loyalty stage finished
	Seconds      float64 `json:"seconds"`   // from the drop to the last event
	RowsPerSec   float64 `json:"rows_per_sec"`
	PeakRSSBytes float64 `json:"peak_rss_bytes"`
}

func (r CSVReport) String() string {
	return fmt.Sprintf("%d rows (%.0f MB) processed through the loyalty stage in %.1fs: %.0f rows/s; hub peak RSS %.0f MB\n",
		r.Processed, float64(r.FileBytes)/(1<<20), r.Seconds, r.RowsPerSec, r.PeakRSSBytes/(1<<20))
}

// RunCSV writes the export beside the folder, moves it in at once, and
// waits until the hub's loyalty stage has processed as many events as the
// export has rows (every row of csvdrop.WriteSample is valid).
func RunCSV(ctx context.Context, cfg CSVConfig) (CSVReport, error) {
	if cfg.Rows <= 0 {
		return CSVReport{}, fmt.Errorf("rows must be positive, got %d", cfg.Rows)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Minute
	}
	if cfg.Seed == 0 {
		cfg.Seed = time.Now().UnixNano()
	}
	client := &http.Client{Timeout: 10 * time.Second}
	before, err := loyaltyProcessed(ctx, client, cfg.HubURL)
	if err != nil {
		return CSVReport{}, fmt.Errorf("reading the hub's metrics: %w", err)
	}
	name := fmt.Sprintf("load-%d.csv", cfg.Seed)
	tmp := filepath.Join(filepath.Dir(filepath.Clean(cfg.Dir)), "."+name+".part")
	f, err := os.Create(tmp)
	if err != nil {
		return CSVReport{}, err
	}
	if err := csvdrop.WriteSample(f, cfg.Rows, cfg.Seed); err != nil {
		f.Close()
		return CSVReport{}, fmt.Errorf("writing the export: %w", err)
	}
	st, _ := f.Stat()
	if err := f.Close(); err != nil {
		return CSVReport{}, err
	}
	var peak atomic.Uint64
	stopRSS := watchRSS(ctx, client, []string{cfg.HubURL}, &peak)
	defer stopRSS()
	start := time.Now()
	if err := os.Rename(tmp, filepath.Join(cfg.Dir, name)); err != nil {
		return CSVReport{}, fmt.Errorf("dropping the export: %w", err)
	}
	rep := CSVReport{Rows: cfg.Rows, FileBytes: st.Size()}
	deadline := start.Add(cfg.Timeout)
	for {
		n, err := loyaltyProcessed(ctx, client, cfg.HubURL)
		if err == nil {
			rep.Processed = n - before
		}
		if rep.Processed >= cfg.Rows || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.RowsPerSec = float64(rep.Processed) / rep.Seconds
	stopRSS()
	rep.PeakRSSBytes = float64(peak.Load())
	if rep.Processed < cfg.Rows {
		return rep, fmt.Errorf("only %d of %d rows processed within %s", rep.Processed, cfg.Rows, cfg.Timeout)
	}
	return rep, nil
}

// loyaltyProcessed reads how many events the hub's process stage finished.
func loyaltyProcessed(ctx context.Context, client *http.Client, hubURL string) (int, error) {
	b, err := get(ctx, client, strings.TrimRight(hubURL, "/")+"/metrics")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, `loyalhub_process_events_total `); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int(f), err
		}
	}
	return 0, nil // no event processed yet
}
