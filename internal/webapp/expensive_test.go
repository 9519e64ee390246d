package webapp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/background/repos/repostest"
)

// The code monitor form's preview is a search, which the server runs one at a time per
// user (SEARCH_CONCURRENCY_PER_USER = 1). Typing quickly, with pauses that let previews
// start while an earlier one is still running (each is held at the server, as a slow
// search would take), never has two in flight: each stale one is aborted. A preview that
// finds the user's slot taken for the whole 10 s wait says so in place and retries on
// request.
func TestMonitorFormTypingQuicklyKeepsOnePreviewInFlight(t *testing.T) {
	t.Parallel()
	e := startEnv(t, false)
	tom := e.user(t, "tom", false)

	tab := e.signIn(t, "tom", "/search")
	watchFetches(t, tab, "TriggerPreview")
	tab.Go(e.url + "/code-monitoring/new")
	tab.WaitText("main h1", "Create a code monitor")
	tab.Fill("Name", "Old API")
	e.meter.watch(true, "TriggerPreview")
	queries := []string{"type:diff call", "type:diff callOld", "type:diff callOldAPI", "type:diff callOldAPI("}
	for i, q := range queries {
		tab.Fill("Search query", q)
		// Past the 500 ms debounce the preview starts, while the last is still running;
		// the page must have given that one up.
		repostest.WaitFor(t, "the preview of "+q, 10*time.Second, func() bool {
			_, sent, aborted := e.meter.counts()
			return sent == i+1 && aborted == i
		})
	}
	e.meter.release()
	tab.WaitText("main", "Preview: 0 results match now")
	pageMax, pageSent := fetchCounts(t, tab)
	maxInFlight, sent, aborted := e.meter.counts()
	if pageMax != 1 || pageSent != len(queries) || sent != len(queries) || aborted != len(queries)-1 {
		t.Errorf("previews: the page sent %d with at most %d going at once; the server got %d, at most %d at once, and saw %d aborted; want %d, one at a time, the stale ones aborted",
			pageSent, pageMax, sent, maxInFlight, aborted, len(queries))
	}
	if got := tab.Text("main"); strings.Contains(got, "busy") || strings.Contains(got, "RATE_LIMITED") {
		t.Errorf("the form shows %q", got)
	}

	// Another search of tom's holds the slot for longer than the server waits.
	e.meter.watch(false, "TriggerPreview")
	release, err := e.gate.Acquire(context.Background(), tom.ID)
	if err != nil {
		t.Fatal(err)
	}
	tab.Fill("Search query", "type:diff callNewAPI")
	tab.WaitTextFor("main [role=alert]", "Lookout is busy with another search of yours", 20*time.Second)
	tab.WaitText("main [role=alert]", "Try again")
	if v := browserValue(tab, "input[aria-describedby=trigger-checks]"); v != "type:diff callNewAPI" {
		t.Errorf("the query field holds %q", v)
	}
	tab.CheckA11y()
	release()
	tab.Click("Try again")
	tab.WaitText("main", "Preview: 0 results match now")
	waitGone(t, tab, "main", "Lookout is busy")
	if _, sent, _ := e.meter.counts(); sent != 2 {
		t.Errorf("%d previews sent for the limited query and its retry, want 2", sent)
	}
}
