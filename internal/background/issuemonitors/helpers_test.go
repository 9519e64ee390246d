package issuemonitors_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	issuemonitors "github.com/lookout/lookout/internal/background/issuemonitors"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/notify/notifytest"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
)

// receiver is a webhook endpoint that keeps every delivery.
type receiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []delivery
}

type delivery struct {
	header http.Header
	body   []byte
}

func startReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{header: r.Header.Clone(), body: b})
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// payload is the webhook body of an issue monitor event.
type payload struct {
	EventSource          string          `json:"event_source"`
	EventSourceID        int64           `json:"event_source_id"`
	EventSourceMonitorID int64           `json:"event_source_monitor_id"`
	EventName            string          `json:"event_name"`
	EventData            json.RawMessage `json:"event_data"`
	ExtraPayload         json.RawMessage `json:"extra_payload"`
	MonitorDescription   string          `json:"monitorDescription"`
}

func (rc *receiver) events(t *testing.T) []payload {
	t.Helper()
	var out []payload
	for _, d := range rc.all() {
		var p payload
		if err := json.Unmarshal(d.body, &p); err != nil {
			t.Fatalf("webhook body %s: %v", d.body, err)
		}
		out = append(out, p)
	}
	return out
}

// clock is a controllable clock for the run handler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a running API with a worker running the repository and issue monitor routines.
type env struct {
	api   *apitest.Env
	st    *store.Store
	clock *clock
}

type envOptions struct {
	// wrap, when set, wraps the search service the runs use.
	wrap func(issuemonitors.Searcher) issuemonitors.Searcher
	// smtp, when set, receives email.
	smtp *notifytest.Mailbox
}

func startEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	cfg := notify.Config{Outgoing: notify.OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}}}
	if o.smtp != nil {
		cfg.SMTP = o.smtp.SMTPConfig()
	}
	n, err := notify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	api := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) { d.Notifier = n }})
	e := &env{api: api, st: api.Store, clock: &clock{t: time.Now()}}
	renv := repostest.Env(t, api.DB)
	svc := repostest.Start(t, api.DB)
	var searcher issuemonitors.Searcher = search.NewService(e.st, svc, nil, renv.Logger, search.Options{})
	if o.wrap != nil {
		searcher = o.wrap(searcher)
	}
	im, err := issuemonitors.Routines(renv, issuemonitors.Options{
		Store: e.st, Search: searcher, Notifier: n, ExternalURL: "http://lookout.test",
		EnqueueInterval: 200 * time.Millisecond, WorkerPollInterval: 200 * time.Millisecond, Now: e.clock.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	repostest.StartRoutines(t, im...)
	return e
}

// addLocalRepo connects a local repository and waits until it is cloned.
func (e *env) addLocalRepo(t *testing.T, dir string) *store.Repo {
	return repostest.AddLocalRepo(t, e.st, dir)
}

// push commits files to work and waits until Lookout has fetched the commit.
func (e *env) push(t *testing.T, work *gittest.Repo, repo *store.Repo, at time.Time, msg string, files map[string]string) string {
	t.Helper()
	ctx := context.Background()
	oid := work.Commit(at, "", msg, files)
	if err := e.st.Repos().EnqueueFetch(ctx, repo.ID, store.FetchReasonWebhook); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the fetch of "+oid[:7], 20*time.Second, func() bool {
		r, err := e.st.Repos().GetByID(ctx, store.InternalViewer, repo.ID)
		return err == nil && r.HeadOIDs["refs/heads/main"] == oid
	})
	return oid
}

// run queues a run of a monitor through the API and waits until it has ended; it
// returns the run's final state and failure message.
func (e *env) run(t *testing.T, token, monitorID string, searchTask, updateTask bool) (state, message string) {
	t.Helper()
	var out struct {
		RunIssueMonitor struct{ ID string }
	}
	e.api.MustDo(t, token, `mutation($id: ID!, $s: Boolean!, $u: Boolean!) { runIssueMonitor(id: $id, search: $s, update: $u) { id } }`,
		map[string]any{"id": monitorID, "s": searchTask, "u": updateTask}, &out)
	var runID int64
	if err := relay.UnmarshalSpec(graphql.ID(out.RunIssueMonitor.ID), &runID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the run to end", 20*time.Second, func() bool {
		err := e.api.DB.QueryRow(context.Background(), "SELECT state, coalesce(failure_message, '') FROM im_runs WHERE id = $1", runID).Scan(&state, &message)
		return err == nil && (state == "completed" || state == "failed" || state == "errored")
	})
	return state, message
}

var waitFor = repostest.WaitFor

func userID(id int64) string { return string(relay.MarshalID("User", id)) }
