// Package webapp benchmarks the web app's cold load in headless Chromium: the code
// monitors list of a user with 200 monitors, opened in a fresh browser context (empty
// cache, the session cookie already set), timed from navigation until the first page of
// the list is on screen; and the JavaScript the browser downloaded for that route (gzip,
// as served), against the budget of 300 KB.
//
//	make bench-webapp        (go test ./dev/bench/webapp -run ColdLoad -v -args -rounds 7)
//
// It runs the real frontend (API and embedded app) on a fresh database. Without -rounds it
// is skipped, so `go test ./...` stays fast.
package webapp

import (
	"flag"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/browsertest"
	"github.com/lookout/lookout/internal/webapp"
)

var rounds = flag.Int("rounds", 0, "cold loads to measure (0 skips the benchmark)")

const monitors = 200

// jsBudget is the most gzipped JavaScript the first route may ship.
const jsBudget = 300 * 1024

func TestColdLoadCodeMonitorsList(t *testing.T) {
	b := benchBrowser(t)

	e := apitest.New(t, apitest.Options{App: webapp.Handler(webapp.App())})
	u, token := e.CreateUser(t, "bench", false)
	ns := string(relay.MarshalID("User", u.ID))
	for i := range monitors {
		e.MustDo(t, token, `mutation($ns: ID!, $d: String!) { createCodeMonitor(monitor: {namespace: $ns, description: $d, enabled: true},
			trigger: {query: "type:diff TODO"}, actions: [{email: {enabled: true, includeResults: false, priority: NORMAL, recipients: [$ns], header: ""}}]) { id } }`,
			map[string]any{"ns": ns, "d": fmt.Sprintf("Monitor %03d", i)}, nil)
	}
	host, _ := url.Parse(e.Server.URL)

	var times []time.Duration
	var jsBytes, jsFiles int
	for r := range *rounds {
		tab := signedInTab(t, b, e, u.ID) // a new browser context: empty cache
		start := time.Now()
		tab.Do("loading the list", chromedp.Navigate(e.Server.URL+"/code-monitoring"),
			chromedp.WaitVisible(chromedp.CSS(`ul[aria-label="Code monitors"] > li:nth-child(50)`)))
		times = append(times, time.Since(start))
		// What the browser downloaded: transfer sizes of this origin's scripts (gzip).
		sizes := browsertest.Eval[[]float64](tab, fmt.Sprintf(`performance.getEntriesByType("resource")
			.filter(e => e.name.startsWith(%q) && e.name.endsWith(".js")).map(e => e.encodedBodySize)`, "http://"+host.Host+"/assets/"))
		jsBytes, jsFiles = 0, len(sizes)
		for _, s := range sizes {
			jsBytes += int(s)
		}
		t.Logf("round %d: list visible after %s, %d JS files, %.1f KB", r+1, times[r].Round(time.Millisecond), jsFiles, float64(jsBytes)/1024)
	}
	slices.Sort(times)
	fmt.Printf("webapp bench: cold load of /code-monitoring with %d monitors (first page of 50 visible), %d rounds: min %s, median %s, max %s\n",
		monitors, len(times), times[0].Round(time.Millisecond), times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
	fmt.Printf("webapp bench: JavaScript shipped for the route: %d files, %.1f KB gzip (budget %d KB)\n", jsFiles, float64(jsBytes)/1024, jsBudget/1024)
	if jsBytes > jsBudget {
		t.Errorf("the route ships %d bytes of gzipped JavaScript, over the %d budget", jsBytes, jsBudget)
	}
}
