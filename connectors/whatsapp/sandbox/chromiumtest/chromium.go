// Package chromiumtest starts headless Chromium for the tests that load
// the hub's pages (the sandbox's chat, the admin report) in a browser.
package chromiumtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path is where the tests expect Chromium (apt-get install chromium).
const Path = "/usr/bin/chromium"

// Start starts headless Chromium for t, a window of 1000x800, and returns
// its context, which ends with t or after a minute. It skips t when
// Chromium is not installed, and fails it instead when
// LOYALHUB_REQUIRE_SERVICES=1, as in CI.
func Start(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		if os.Getenv("LOYALHUB_REQUIRE_SERVICES") == "1" {
			t.Fatalf("Chromium is required here but %s is missing: apt-get install chromium", Path)
		}
		t.Skipf("skipping the browser test: %s is not installed (apt-get install chromium)", Path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1000, 800),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	return ctx
}
