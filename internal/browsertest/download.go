package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Download lets the tab save downloads into a directory of the test, runs click (which
// starts one, as a person clicking a download link does), and returns the saved file's
// contents once the browser reports the download complete.
func (tab *Tab) Download(what string, click func()) []byte {
	tab.t.Helper()
	dir := tab.t.TempDir()
	ctx, cancel := context.WithTimeout(tab.Ctx, Timeout)
	defer cancel()
	events := chromedp.Events(ctx, browser.DownloadProgress)
	enabled := true
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &enabled,
		BrowserContextID: chromedp.FromContext(tab.Ctx).BrowserContextID,
	}); err != nil {
		tab.t.Fatalf("allowing downloads for %s: %v", what, err)
	}
	click()
	for ev, err := range events {
		if err != nil {
			tab.t.Fatalf("waiting for the download of %s: %v", what, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				tab.t.Fatalf("reading the download of %s: %v", what, err)
			}
			return b
		case browser.DownloadProgressStateCanceled:
			tab.t.Fatalf("the download of %s was canceled", what)
		}
	}
	tab.t.Fatalf("the download of %s did not finish within %s", what, Timeout)
	return nil
}

// Wait polls the page until the JavaScript expression is truthy, failing the test after
// timeout with what was awaited.
func (tab *Tab) Wait(what, expr string, timeout time.Duration) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, timeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`() => !!(`+expr+`)`, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		tab.t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}
