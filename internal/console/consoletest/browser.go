package consoletest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, which the browser tests drive.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds a whole browser test, stepTimeout each step.
const (
	browserTimeout = 90 * time.Second
	stepTimeout    = 20 * time.Second
)

// Browser drives a headless chromium against the env's server. Every step
// saves a screenshot in artifacts/screenshots/<test>/<nn-step>.png under
// the repository's root.
type Browser struct {
	t    testing.TB
	e    *Env
	ctx  context.Context
	dir  string
	step int
}

// Browser starts chromium for the test. Without chromium the test is
// skipped, unless CI=true, where it fails.
func (e *Env) Browser() *Browser {
	t := e.T
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, lerr := exec.LookPath("chromium"); lerr == nil {
			path = p
		} else if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need chromium at %s in CI (.ci/run installs it)", chromiumPath)
		} else {
			t.Skipf("chromium is not installed (%s); apt-get install chromium to run browser tests", chromiumPath)
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // tests may run as root in containers
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), browserTimeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancelTimeout() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	dir := filepath.Join(repoRoot(t), "artifacts", "screenshots", safeName(t.Name()))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	return &Browser{t: t, e: e, ctx: bctx, dir: dir}
}

// Context is the browser's context, for chromedp calls of a test's own.
func (b *Browser) Context() context.Context { return b.ctx }

// URL is the absolute URL of a path on the env's server.
func (b *Browser) URL(path string) string { return b.e.URL + path }

// Step runs the actions of one step of a flow, then saves a screenshot
// named after it; a failed action fails the test, with the screenshot of
// where the browser got stuck. End a step that navigates with a wait for
// an element of the next page (chromedp.WaitVisible), so that the
// screenshot shows it.
func (b *Browser) Step(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.step++
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	err := chromedp.Do(ctx, actions...)
	b.screenshot(name)
	if err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("step %d (%s) at %s: %v", b.step, name, loc, err)
	}
}

func (b *Browser) screenshot(name string) {
	// Bounded: a page still loading must not hold the whole test.
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		b.t.Logf("screenshot of step %d (%s): %v", b.step, name, err)
		return
	}
	file := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.step, safeName(name)))
	if err := os.WriteFile(file, png, 0o600); err != nil {
		b.t.Logf("screenshot of step %d (%s): %v", b.step, name, err)
	}
}

// Text returns the text of the first element sel matches.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return strings.Trim(unsafeChars.ReplaceAllString(s, "-"), "-") }

// repoRoot is the directory of go.mod above the test's directory.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// Value returns the value of the first form field sel matches.
func (b *Browser) Value(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("value of %s: %v", sel, err)
	}
	return s
}

// Count returns how many elements sel matches now, without waiting.
func (b *Browser) Count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int]("document.querySelectorAll("+strconv.Quote(sel)+").length"))
	if err != nil {
		b.t.Fatalf("count of %s: %v", sel, err)
	}
	return n
}
