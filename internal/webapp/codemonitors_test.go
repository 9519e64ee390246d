package webapp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/store"
)

// hookReceiver is a webhook endpoint that keeps the bodies it was sent.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
}

func startReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, string(b))
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *hookReceiver) received(substr string) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, b := range rc.bodies {
		if strings.Contains(b, substr) {
			return true
		}
	}
	return false
}

// A person creates a code monitor with a webhook action through the form; a push of a
// matching commit fires it, and the logs page shows the run and the delivery.
func TestCodeMonitorFromFormToLogs(t *testing.T) {
	t.Parallel()
	e := startEnv(t, true)
	repo := gittest.NewRepo(t)
	repo.Commit(time.Now().Add(-time.Hour), "", "initial", map[string]string{"main.go": "package main\n"})
	r := repostest.AddLocalRepo(t, e.st, repo.Dir)
	e.user(t, "carol", false)
	rc := startReceiver(t)

	tab := e.signIn(t, "carol", "/code-monitoring/new")
	tab.WaitText("main h1", "Create a code monitor")
	tab.CheckA11y()
	tab.Fill("Name", "Deprecated API calls")
	tab.Fill("Search query", "callOldAPI")
	tab.WaitText("#trigger-checks", "Is a type:diff or type:commit search — Monitors watch new changes")
	tab.Fill("Search query", "type:diff callOldAPI")
	tab.WaitText("main", "Preview: 0 results match now")
	tab.Click("Remove email action")
	tab.Click("Add webhook action")
	tab.Fill("Webhook URL", rc.srv.URL+"/hook")
	tab.CheckA11y()
	tab.Click("Create code monitor")
	tab.WaitText("main [role=status]", "Copy the signing secret now")
	tab.ClickLink("Go to your code monitors")
	tab.WaitText("main ul.list", "Deprecated API calls")
	tab.WaitText("main ul.list", "New search result → webhook")

	repo.Commit(time.Now(), "", "use the old API", map[string]string{"main.go": "package main\n\nfunc main() { callOldAPI() }\n"})
	// What a code host's push webhook does (a GIT connection has no webhooks).
	if err := e.st.Repos().EnqueueFetch(context.Background(), r.ID, store.FetchReasonWebhook); err != nil {
		t.Fatal(err)
	}
	repostest.WaitFor(t, "the webhook delivery", 30*time.Second, func() bool { return rc.received("callOldAPI") })

	tab.ClickLink("Logs")
	tab.WaitText("main h1", "Logs: Deprecated API calls")
	tab.WaitTextFor("main ul.list", "1 new result, 1 notification", 20*time.Second)
	tab.ClickCSS("main ul.list details summary")
	tab.WaitText("main ul.list table", "Webhook")
	tab.WaitText("main ul.list table", rc.srv.URL+"/hook")
	tab.WaitText("main ul.list table", "success")
	tab.CheckA11y()
	tab.CheckPhoneWidth()
}
