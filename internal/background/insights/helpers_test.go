package insights_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/app"
	insightsbg "github.com/lookout/lookout/internal/background/insights"
	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/insights"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/workerutil"
)

// fixtureRepo is a git repository with a known history.
type fixtureRepo struct {
	name    string
	private bool
	work    *gittest.Repo
}

// commitAt commits files at a time (before the series is created).
func (f *fixtureRepo) commitAt(t time.Time, files map[string]string) {
	f.work.Commit(t, "", "change at "+t.Format(time.DateOnly), files)
}

// registerRepos adds the repositories to the main database through one GIT connection.
func registerRepos(t *testing.T, st *store.Store, repos ...*fixtureRepo) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	var dirs []any
	for _, r := range repos {
		dirs = append(dirs, map[string]any{"url": r.work.Dir, "name": r.name, "private": r.private})
	}
	svc, err := st.ExternalServices().Create(ctx, "GIT", "local", mustJSON(map[string]any{"repos": dirs}), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var sourced []store.SourcedRepo
	for _, r := range repos {
		sourced = append(sourced, store.SourcedRepo{Name: r.name, CloneURL: r.work.Dir, Private: r.private})
	}
	if _, err := st.Repos().SyncFromService(ctx, svc.ID, sourced, false); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, r := range repos {
		repo, err := st.Repos().GetByName(ctx, store.InternalViewer, r.name)
		if err != nil {
			t.Fatal(err)
		}
		ids[r.name] = repo.ID
	}
	return ids
}

// gitCount is what git grep counts in dir at the commit of main current at at.
func gitCount(t *testing.T, dir, pattern string, at time.Time) int {
	return gittest.GrepCount(t, dir, pattern, at)
}

// worker runs the insights routines in this process as the worker binary does.
type worker struct {
	routines []routine.Routine
}

type workerConfig struct {
	mainDB, insightsDB *pgxpool.Pool
	source             insights.Source // nil: the search executor
	repoConcurrency    int
	stalled            time.Duration
	reset              time.Duration
	logger             log.Logger
}

func newSource(st *store.Store, mirrors *reposvc.Service) *insights.SearchSource {
	svc := search.NewService(st, mirrors, search.NewBlobCache(0, st), nil, search.Options{})
	return &insights.SearchSource{Search: svc, Mirrors: mirrors, Persist: true}
}

func newRepoService(t testing.TB, st *store.Store, dir string, logger log.Logger) *reposvc.Service {
	cache, err := vcs.NewCache(dir, vcs.Options{Logger: logger, AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	return &reposvc.Service{Store: st, VCS: cache, Logger: logger, Credentials: app.CloneCredential}
}

func startWorker(t testing.TB, cfg workerConfig) *worker {
	st := store.New(cfg.mainDB)
	if cfg.source == nil {
		cfg.source = newSource(st, newRepoService(t, st, t.TempDir(), cfg.logger))
	}
	reg := prometheus.NewRegistry()
	listener := workerutil.NewListener(cfg.mainDB, cfg.logger)
	env := routine.Env{Logger: cfg.logger, DB: cfg.mainDB, Registry: reg, Listener: listener, Hostname: "test-worker", Metrics: routine.NewMetrics(reg)}
	rs, err := insightsbg.Routines(env, insightsbg.Options{
		Main: st, InsightsDB: cfg.insightsDB, Source: cfg.source, RepoConcurrency: cfg.repoConcurrency,
		PollInterval: 100 * time.Millisecond, StalledMaxAge: cfg.stalled, ResetInterval: cfg.reset, EnqueueInterval: time.Hour, RetentionInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &worker{routines: append([]routine.Routine{routine.Adapt("listener", listener)}, rs...)}
	for _, r := range w.routines {
		r.Start()
	}
	return w
}

func (w *worker) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, r := range w.routines {
		wg.Add(1)
		go func() { defer wg.Done(); _ = r.Stop(ctx) }()
	}
	wg.Wait()
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
