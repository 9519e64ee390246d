// Package monitors benchmarks push-driven code monitors end to end: a code host push
// webhook posted to the frontend's real endpoint (/.api/webhooks/github, signature
// checked), the worker's real routines (fetch queue → push listener → trigger queue →
// commit/diff search over only the new commits → action queue) with their production
// settings, a repository served over git's smart HTTP protocol by a fake GitHub, and a
// webhook receiver that records when each signed notification arrives.
//
// It reports the push→delivery latency over N pushes (min / median / max, p95) against
// the anchor a Sourcegraph user knows: its code monitors run on a 5-minute poll, so a
// push waits up to that long (2.5 minutes on average) before its notification. It runs
// by default with 5 pushes (a few seconds):
//
//	go test ./dev/bench/monitors -run PushToDelivery [-v] [-args -pushes 20]
//
// The table goes to the terminal even without -v (go test keeps a passing test's output
// to itself otherwise), and the routines log only errors, so nothing comes in between.
package monitors

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graph-gophers/graphql-go/relay"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"
	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/dev/bench/rounds"
	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/app"
	"github.com/lookout/lookout/internal/background/codemonitors"
	reposbg "github.com/lookout/lookout/internal/background/repos"
	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/codehost/fakehost"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/notify"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/workerutil"
)

var (
	pushes = flag.Int("pushes", rounds.MinRounds, "number of pushes to measure")
	pause  = flag.Duration("pause", 200*time.Millisecond, "pause between a delivery and the next push")
)

type arrival struct {
	at   time.Time
	body []byte
}

func TestPushToDeliveryLatency(t *testing.T) {
	if *pushes <= 0 {
		t.Skip("-pushes 0: nothing to measure")
	}
	ctx := context.Background()
	logger := logtest.ScopedWith(t, logtest.LoggerOptions{Level: log.LevelError})

	// The webhook receiver: verifies the signature and records arrivals.
	var secret string
	var mu sync.Mutex
	arrivals := make(chan arrival, 1000)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		at := time.Now()
		mu.Lock()
		s := secret
		mu.Unlock()
		if err := notify.VerifySignature(s, body, r.Header.Get(notify.SignatureHeader)); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		arrivals <- arrival{at: at, body: body}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	n, err := notify.New(notify.Config{Outgoing: notify.OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	api := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) { d.Notifier = n }, Logger: logger})
	st := api.Store

	// The code host: a fake GitHub serving a local repository.
	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	head := work.Commit(t0, "", "initial", map[string]string{"README.md": "hello\n"})
	gh := fakehost.NewGitHub(t)
	gh.AddRepo(fakehost.Repo{Owner: "acme", Name: "app", GitDir: work.Dir})

	// The worker, with the production settings of both jobs.
	cache, err := vcs.NewCache(t.TempDir(), vcs.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	svc := &reposvc.Service{Store: st, VCS: cache, Logger: logger, Credentials: app.CloneCredential}
	listener := workerutil.NewListener(api.DB, logger)
	env := routine.Env{Logger: logger, DB: api.DB, Registry: prometheus.NewRegistry(), Listener: listener, Hostname: "bench", Metrics: routine.NewMetrics(prometheus.NewRegistry())}
	rs, err := reposbg.Routines(env, reposbg.Options{Store: st, Service: svc, Listeners: []reposbg.ChangeListener{codemonitors.NewPushListener(logger).OnChange}})
	if err != nil {
		t.Fatal(err)
	}
	cm, err := codemonitors.Routines(env, codemonitors.Options{Store: st, Search: search.NewService(st, svc, nil, logger, search.Options{}), Mirrors: svc,
		Notifier: n, ExternalURL: "http://lookout.test"})
	if err != nil {
		t.Fatal(err)
	}
	rs = append(append([]routine.Routine{routine.Adapt("listener", listener)}, rs...), cm...)
	for _, r := range rs {
		r.Start()
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, r := range rs {
			_ = r.Stop(stopCtx)
		}
	}()

	cfg, _ := json.Marshal(map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "webhookSecret": fakehost.DefaultWebhookSecret, "repos": []string{"acme/app"}})
	api.MustDo(t, api.AdminToken, `mutation($c: String!) { addExternalService(input: {kind: GITHUB, displayName: "GitHub", config: $c}) { id } }`, map[string]any{"c": string(cfg)}, nil)
	deadline := time.Now().Add(30 * time.Second)
	for {
		repos, _ := st.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{})
		if len(repos) == 1 && repos[0].CloneStatus == store.CloneStatusCloned {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the repository was not cloned within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The monitor, owned by a user, with a signed webhook action.
	user, token := api.CreateUser(t, "dev", false)
	var created struct {
		CreateCodeMonitor struct {
			Actions struct{ Nodes []struct{ Secret *string } }
		}
	}
	api.MustDo(t, token, `mutation($ns: ID!, $url: String!) { createCodeMonitor(monitor: {namespace: $ns, description: "latency", enabled: true},
		trigger: {query: "type:diff LATENCY_MARK"}, actions: [{webhook: {enabled: true, includeResults: true, url: $url}}]) { actions { nodes { ... on MonitorWebhook { secret } } } } }`,
		map[string]any{"ns": string(relay.MarshalID("User", user.ID)), "url": receiver.URL}, &created)
	mu.Lock()
	secret = *created.CreateCodeMonitor.Actions.Nodes[0].Secret
	mu.Unlock()

	var latencies []time.Duration
	for i := 0; i < *pushes; i++ {
		before := head
		head = work.Commit(t0.Add(time.Duration(i+1)*time.Minute), "", fmt.Sprintf("push %d", i), map[string]string{"marks.txt": strings.Repeat("LATENCY_MARK\n", i+1)})
		d, err := gh.PushDelivery("acme/app", "refs/heads/main", before, head)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(d.Request(api.Server.URL + "/.api/webhooks/github"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("push %d: webhook answered %d", i, resp.StatusCode)
		}
		select {
		case a := <-arrivals:
			if !strings.Contains(string(a.body), head) {
				t.Fatalf("push %d: the notification is not about %s: %s", i, head, a.body)
			}
			latencies = append(latencies, a.at.Sub(start))
		case <-time.After(30 * time.Second):
			t.Fatalf("push %d: no notification within 30s", i)
		}
		time.Sleep(*pause)
	}
	select {
	case a := <-arrivals:
		t.Fatalf("an extra notification arrived: %s", a.body)
	case <-time.After(500 * time.Millisecond):
	}

	ms := make([]float64, len(latencies))
	for i, d := range latencies {
		ms[i] = float64(d.Microseconds()) / 1000
	}
	sorted := slices.Sorted(slices.Values(ms))
	var table strings.Builder
	fmt.Fprintf(&table, "push webhook → signed webhook delivery, %d pushes (p95 %.0f ms):\n", len(ms), sorted[min(len(sorted)-1, int(0.95*float64(len(sorted))))])
	rounds.Anchor(&table, "monitors", "push to delivery", "ms", ms, "Sourcegraph's poll interval (5 min)", float64(5*time.Minute/time.Millisecond))
	show(t, table.String())
	if p50 := rounds.StatsOf(ms).Median; p50 > 5000 {
		t.Errorf("median %.0f ms is over the 5s target", p50)
	}
}

// show prints a benchmark's table where its reader sees it: the test log with -v, and
// the terminal otherwise (go test shows a passing test's output only with -v).
func show(t *testing.T, table string) {
	t.Log("\n" + table)
	if testing.Verbose() {
		return
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		fmt.Fprint(tty, table)
		_ = tty.Close()
	}
}
