package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// Timeout bounds one step of a test (a navigation, a wait for text).
const Timeout = 20 * time.Second

// Do runs actions, failing the test with what was being done.
func (tab *Tab) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tab.t.Fatalf("%s: %v", what, err)
	}
}

// Go opens url and waits until the app rendered a page heading.
func (tab *Tab) Go(url string) {
	tab.t.Helper()
	tab.Do("opening "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// Eval evaluates a JavaScript expression and decodes its value into T.
func Eval[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tab.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// WaitText waits until the first element matching css contains text (its innerText,
// what a person sees), and fails the test with what the element held instead.
func (tab *Tab) WaitText(css, text string) {
	tab.t.Helper()
	tab.waitText(css, text, Timeout)
}

// WaitTextFor is WaitText with a longer limit, for work the worker does in the
// background (a clone, a monitor run).
func (tab *Tab) WaitTextFor(css, text string, timeout time.Duration) {
	tab.t.Helper()
	tab.waitText(css, text, timeout)
}

func (tab *Tab) waitText(css, text string, timeout time.Duration) {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, timeout)
	defer cancel()
	fn := `(sel, text) => { const el = document.querySelector(sel); return !!el && el.innerText.includes(text) }`
	if _, err := chromedp.Run(ctx, chromedp.PollFunction[bool](fn, chromedp.WithPollingArgs(css, text), chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		got, _ := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)?.innerText ?? "(no element)").slice(0, 2000)`, css)))
		tab.t.Fatalf("waiting for %q in %s: %v; it shows:\n%s", text, css, err, got)
	}
}

// Text is the innerText of the first element matching css.
func (tab *Tab) Text(css string) string {
	tab.t.Helper()
	return Eval[string](tab, fmt.Sprintf(`document.querySelector(%q)?.innerText ?? ""`, css))
}

// Fill replaces the value of the field a person finds by its label text (or a CSS
// selector starting with #, [ or a tag name followed by [), typing it as keystrokes.
func (tab *Tab) Fill(field, value string) {
	tab.t.Helper()
	sel := fieldSelector(field)
	tab.Do("filling "+field,
		chromedp.WaitVisible(sel),
		chromedp.Focus(sel),
		chromedp.Evaluate[chromedp.Void](`document.activeElement.select?.()`),
		chromedp.SendKeys(sel, value),
	)
}

// Click clicks the button whose visible text (or aria-label) is text.
func (tab *Tab) Click(text string) {
	tab.t.Helper()
	sel := chromedp.Search(fmt.Sprintf(`//*[self::button or @role='button' or @role='tab'][normalize-space()=%[1]s or @aria-label=%[1]s]`, xpathString(text)))
	tab.Do("clicking the button "+text, chromedp.WaitVisible(sel), chromedp.Click(sel))
}

// ClickLink follows the link whose visible text is text (within main, not the navbar,
// unless no such link is in main).
func (tab *Tab) ClickLink(text string) {
	tab.t.Helper()
	sel := chromedp.Search(fmt.Sprintf(`(//main//a[normalize-space()=%[1]s] | //header//a[normalize-space()=%[1]s])[1]`, xpathString(text)))
	tab.Do("following the link "+text, chromedp.WaitVisible(sel), chromedp.Click(sel))
}

// ClickCSS clicks the first element matching css.
func (tab *Tab) ClickCSS(css string) {
	tab.t.Helper()
	tab.Do("clicking "+css, chromedp.WaitVisible(chromedp.CSS(css)), chromedp.Click(chromedp.CSS(css)))
}

// Location is the page's URL.
func (tab *Tab) Location() string {
	tab.t.Helper()
	loc, err := chromedp.Run(tab.Ctx, chromedp.Location())
	if err != nil {
		tab.t.Fatalf("reading the location: %v", err)
	}
	return loc
}

// fieldSelector finds a form control by the text of its label (the way a person and a
// screen reader find it), unless field is already a CSS selector.
func fieldSelector(field string) chromedp.Search {
	if strings.HasPrefix(field, "#") || strings.HasPrefix(field, "[") || strings.Contains(field, "[") {
		return chromedp.Search(field)
	}
	l := xpathString(field)
	return chromedp.Search(fmt.Sprintf(`(//label[normalize-space(text())=%[1]s or normalize-space(.)=%[1]s]//*[self::input or self::textarea or self::select] | //*[self::input or self::textarea or self::select][@aria-label=%[1]s] | //*[@id=//label[normalize-space(.)=%[1]s]/@for])[1]`, l))
}

// xpathString quotes s as an XPath string literal.
func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return `concat("` + strings.ReplaceAll(s, `"`, `", '"', "`) + `")`
}

var (
	axeOnce sync.Once
	axeJS   string
	axeErr  error
)

// axeSource reads axe-core from the web app's node_modules (installed by `make web`).
func axeSource() (string, error) {
	axeOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(RepoRoot(), "web", "node_modules", "axe-core", "axe.min.js"))
		if err != nil {
			axeErr = fmt.Errorf("axe-core is not installed (run `make web`): %w", err)
			return
		}
		axeJS = string(b)
	})
	return axeJS, axeErr
}

// Violation is an accessibility rule a page breaks.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// Audit runs axe-core on the page and returns its serious and critical violations.
func (tab *Tab) Audit() []Violation {
	tab.t.Helper()
	src, err := axeSource()
	if err != nil {
		tab.t.Fatal(err)
	}
	if !Eval[bool](tab, `typeof window.axe !== "undefined"`) {
		tab.Do("injecting axe-core", chromedp.Evaluate[chromedp.Void](src))
	}
	raw := Eval[string](tab, `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " " + n.html.slice(0, 120))}))))`)
	var vs []Violation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		tab.t.Fatalf("decoding axe results: %v", err)
	}
	return vs
}

// CheckA11y fails the test when the page has serious or critical accessibility violations.
func (tab *Tab) CheckA11y() {
	tab.t.Helper()
	for _, v := range tab.Audit() {
		tab.t.Errorf("accessibility (%s, %s) on %s: %s\n  %s", v.ID, v.Impact, tab.Location(), v.Help, strings.Join(v.Nodes, "\n  "))
	}
}

// CheckPhoneWidth re-renders the page at a phone's width (390 CSS pixels) and fails the
// test when the page scrolls sideways, then restores the desktop size.
func (tab *Tab) CheckPhoneWidth() {
	tab.t.Helper()
	tab.Do("emulating a phone", chromedp.EmulateViewport(390, 844))
	defer tab.Do("restoring the viewport", chromedp.ResetViewport())
	// Charts follow their container's width through a ResizeObserver and redraw a few
	// frames after the viewport changes: what counts is the page once it has settled.
	over := Eval[int](tab, `new Promise(r => {
		const deadline = performance.now() + 2000
		const check = () => {
			const over = document.documentElement.scrollWidth - window.innerWidth
			if (over <= 0 || performance.now() > deadline) r(over)
			else requestAnimationFrame(check)
		}
		requestAnimationFrame(check)
	})`)
	if over > 0 {
		tab.t.Errorf("at phone width %s scrolls sideways by %d px", tab.Location(), over)
	}
}
