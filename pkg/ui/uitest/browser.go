// Package uitest drives the web page in headless Chromium for the tests of
// pkg/ui and test/e2e/ui.
package uitest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// XSSLine is cluster text that a page inserting it as HTML would run.
const XSSLine = `<img src=x onerror=alert(1)>`

// Chromium is the browser the page tests drive: Debian's chromium package
// (.ci/run installs it). Without it the test skips, saying so, unless
// JOBERNETES_REQUIRE_BROWSER is set.
func Chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("JOBERNETES_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium on PATH, and JOBERNETES_REQUIRE_BROWSER is set")
	}
	t.Skip("browser test skipped: no chromium on PATH (apt-get install chromium)")
	return ""
}

// NewBrowser starts headless Chromium, stopped with ctx or at the test's
// end. A dialog (an injected alert) would block the page: the test's next
// step would then time out.
func NewBrowser(ctx context.Context, t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(Chromium(t)),
		chromedp.NoSandbox, chromedp.WindowSize(1440, 900))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	return bctx
}

// Value runs one action of the browser and returns its value.
func Value[T any](ctx context.Context, t *testing.T, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
