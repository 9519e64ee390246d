package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium process.
type Browser struct {
	ctx    context.Context // the browser's chromedp context
	cancel func()
	dir    string
}

// executables are the names Chromium goes by, Debian's first.
var executables = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// FindChromium returns the path of a Chromium executable, or "".
func FindChromium() string {
	if p := os.Getenv("CHROMIUM_BIN"); p != "" {
		return p
	}
	for _, name := range executables {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// ErrNoChromium says how to get a browser.
var ErrNoChromium = errors.New("no chromium found: install it with `apt-get install -y chromium` (or set CHROMIUM_BIN)")

// Start launches a headless Chromium with a fresh profile.
func Start() (*Browser, error) {
	bin := FindChromium()
	if bin == "" {
		return nil, ErrNoChromium
	}
	dir, err := os.MkdirTemp("", "lookout-chromium-*")
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI containers; the pages are our own
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	// The first Do starts the browser; it must not run under a timeout (that would end
	// the browser with it), so a watchdog cancels it instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(bctx) }()
	select {
	case err = <-started:
	case <-time.After(30 * time.Second):
		err = errors.New("chromium did not start within 30s")
	}
	b := &Browser{ctx: bctx, dir: dir, cancel: func() { bcancel(); acancel() }}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	return b, nil
}

// Close ends the browser and removes its profile.
func (b *Browser) Close() {
	b.cancel()
	_ = os.RemoveAll(b.dir)
}

// StartForTests is Start for a TestMain: it returns nil with the reason to skip when
// there is no chromium outside CI, and exits the test binary when it is missing in CI.
func StartForTests() (b *Browser, skip string) {
	b, err := Start()
	if err == nil {
		return b, ""
	}
	if errors.Is(err, ErrNoChromium) && os.Getenv("CI") != "true" {
		return nil, err.Error()
	}
	fmt.Fprintln(os.Stderr, "browser tests:", err)
	os.Exit(1)
	return nil, ""
}

// Tab is a browser tab of one test, in its own browser context (own cookies).
type Tab struct {
	Ctx  context.Context
	t    testing.TB
	mu   sync.Mutex
	logs []string
}

// NewTab opens a tab for t; it closes when the test ends, after saving a screenshot and
// the console log if the test failed.
func (b *Browser) NewTab(t testing.TB) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	tab := &Tab{Ctx: ctx, t: t}
	messages := chromedp.Console(ctx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("opening a tab: %v", err)
	}
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			line := fmt.Sprintf("%s [%s] %s", m.Time.Format("15:04:05.000"), m.Type, m.Text)
			if m.URL != "" {
				line += fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
			}
			tab.mu.Lock()
			tab.logs = append(tab.logs, line)
			tab.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			tab.saveArtifacts()
		}
		cancel()
	})
	return tab
}

// ConsoleLog is what the page wrote to the console so far.
func (tab *Tab) ConsoleLog() []string {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	return append([]string(nil), tab.logs...)
}

// saveArtifacts keeps the failing page's screenshot, HTML and console log.
func (tab *Tab) saveArtifacts() {
	dir := artifactDir(tab.t)
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(tab.Ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "screenshot.png"), png, 0o644)
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML("html")); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "page.html"), []byte(html), 0o644)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	log := "URL: " + loc + "\n" + strings.Join(tab.ConsoleLog(), "\n") + "\n"
	_ = os.WriteFile(filepath.Join(dir, "console.log"), []byte(log), 0o644)
	tab.t.Logf("browser artifacts (screenshot, page, console log) of the failure: %s", dir)
}

// artifactDir is where a failed test's artifacts go: `go test -artifacts` puts them under
// the output directory; otherwise a directory under the temp dir that is kept.
func artifactDir(t testing.TB) string {
	if f := flagValue("test.artifacts"); f == "true" {
		if at, ok := t.(interface{ ArtifactDir() string }); ok {
			return at.ArtifactDir()
		}
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	dir, err := os.MkdirTemp("", "lookout-browser-"+name+"-*")
	if err != nil {
		t.Logf("no directory for browser artifacts: %v", err)
		return ""
	}
	return dir
}

// RepoRoot is the root of the source tree (for the web app's node_modules).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}
