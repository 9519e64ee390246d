package campaigns_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"
	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/app"
	bgcampaigns "github.com/lookout/lookout/internal/background/campaigns"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/codehost/fakehost"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/executor"
	"github.com/lookout/lookout/internal/gittest"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/workerutil"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// hostEnv is a fake GitHub serving local repositories over git's smart HTTP protocol,
// registered as a connection whose repositories the repository routines cloned.
type hostEnv struct {
	db    *pgxpool.Pool
	dbURL string
	st    *store.Store
	gh    *fakehost.GitHub
	svc   *store.ExternalService
	work  map[string]*gittest.Repo // by repository name on the fake ("app")
	repos map[string]*store.Repo   // by repository name on the fake
	user  *store.User
}

// newHostEnv makes repositories acme/<name> with a README mentioning foo.
func newHostEnv(t *testing.T, names ...string) *hostEnv {
	t.Helper()
	ctx := context.Background()
	db, dbURL := dbtestNew(t)
	e := &hostEnv{db: db, dbURL: dbURL, st: store.New(db), gh: fakehost.NewGitHub(t), work: map[string]*gittest.Repo{}, repos: map[string]*store.Repo{}}
	var paths []string
	for _, n := range names {
		w := gittest.NewRepo(t)
		w.Commit(t0, "", "initial", map[string]string{"README.md": "This is " + n + ".\nIt uses foo.\n", "src/main.txt": "foo()\n"})
		// Serve a bare clone: pushes to a repository with a work tree would be refused
		// for its checked-out branch only, but a bare remote is what hosts have.
		bare := filepath.Join(t.TempDir(), n+".git")
		gittest.Run(t, w.Dir, gittest.Env(), "clone", "-q", "--bare", w.Dir, bare)
		e.gh.AddRepo(fakehost.Repo{Owner: "acme", Name: n, GitDir: bare})
		e.work[n] = &gittest.Repo{Dir: bare}
		paths = append(paths, "acme/"+n)
	}
	cfg, _ := json.Marshal(map[string]any{"url": e.gh.URL(), "token": fakehost.DefaultToken, "webhookSecret": fakehost.DefaultWebhookSecret, "repos": paths})
	svc, err := e.st.ExternalServices().Create(ctx, "GITHUB", "GitHub", string(cfg), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	repostest.Start(t, db)
	for _, r := range repostest.WaitCloned(t, e.st, len(names)) {
		e.repos[filepath.Base(r.Name)] = r
	}
	// alice is a site admin: her campaigns may use the connection's token.
	if e.user, err = e.st.Users().Create(ctx, store.NewUser{Username: "alice", Email: "alice@example.com", EmailVerified: true, SiteAdmin: true}); err != nil {
		t.Fatal(err)
	}
	return e
}

// branchHead returns the commit a branch points at on the fake's repository, or "".
func (e *hostEnv) branchHead(t *testing.T, name, branch string) string {
	t.Helper()
	r, _ := e.gh.Repo("acme/" + name)
	out, err := gitOutput(r.GitDir, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	if err != nil {
		return ""
	}
	return out
}

// workerConfig tunes a test worker.
type workerConfig struct {
	rates      *campaigns.Rates
	httpClient *http.Client
	hostname   string
	logger     log.Logger
	now        func() time.Time
	// changesetConcurrency is the number of reconciler handlers (default 4).
	changesetConcurrency int
	// container configures steps that name an image (default: detect an engine).
	container executor.ContainerConfig
}

// buildWorker builds the campaign routines of a worker on db with its mirror cache and
// workspaces under dir.
func buildWorker(db *pgxpool.Pool, dir string, logger log.Logger, wc workerConfig) ([]routine.Routine, error) {
	st := store.New(db)
	cache, err := vcs.NewCache(filepath.Join(dir, "repos"), vcs.Options{Logger: logger, AllowLocal: true})
	if err != nil {
		return nil, err
	}
	repoSvc := &reposvc.Service{Store: st, VCS: cache, Logger: logger, Credentials: app.CloneCredential}
	runner, err := executor.NewRunner(executor.Config{Root: filepath.Join(dir, "ws"), KillGrace: 300 * time.Millisecond, Logger: logger, Container: wc.container})
	if err != nil {
		return nil, err
	}
	rates := wc.rates
	if rates == nil {
		u := campaigns.Unlimited()
		rates = &u
	}
	hostname := wc.hostname
	if hostname == "" {
		hostname = fmt.Sprintf("test-worker-%d", time.Now().UnixNano())
	}
	listener := workerutil.NewListener(db, logger)
	env := routine.Env{Logger: logger, DB: db, Registry: prometheus.NewRegistry(), Listener: listener, Hostname: hostname, Metrics: routine.NewMetrics(prometheus.NewRegistry())}
	rs, err := bgcampaigns.Routines(env, bgcampaigns.Options{
		Store: st, Repos: repoSvc, Runner: runner, ExternalURL: "http://lookout.test", Rates: rates, HTTPClient: wc.httpClient,
		PollInterval: 100 * time.Millisecond, SyncInterval: 200 * time.Millisecond, LogFlushInterval: 100 * time.Millisecond,
		// The user's default stalled age: a shorter one lets a loaded machine (the race
		// detector, other tests) miss heartbeats long enough for a live job to be reset
		// and run twice. The kill test ages a dead worker's heartbeats instead.
		ResetInterval: 300 * time.Millisecond, Now: wc.now, ChangesetConcurrency: wc.changesetConcurrency,
	})
	if err != nil {
		return nil, err
	}
	return append([]routine.Routine{routine.Adapt("listener", listener)}, rs...), nil
}

// startWorker runs the campaign routines on db until the test ends (or stop is called),
// with their own mirror cache and executor.
func startWorker(t testing.TB, db *pgxpool.Pool, wc workerConfig) (stop func()) {
	t.Helper()
	logger := wc.logger
	if logger == nil {
		logger = logtest.Scoped(t)
	}
	rs, err := buildWorker(db, t.TempDir(), logger, wc)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		r.Start()
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, r := range rs {
			_ = r.Stop(ctx)
		}
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond every 50ms until it holds.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	repostest.WaitFor(t, what, timeout, cond)
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func dbtestNew(t *testing.T) (*pgxpool.Pool, string) { return dbtest.New(t, dbtest.Main) }

// gitOutput runs git in dir and returns its trimmed output.
func gitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = gittest.Env()
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}
