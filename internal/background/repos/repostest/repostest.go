// Package repostest runs the worker's repository routines in tests: connection syncs,
// clones and fetches against real git repositories, with short poll intervals.
package repostest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/app"
	reposbg "github.com/lookout/lookout/internal/background/repos"
	"github.com/lookout/lookout/internal/background/routine"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/workerutil"
)

// Start runs the repository routines on db until the test ends, with their own mirror
// cache (local clone URLs allowed), and returns the repository service they use.
func Start(t testing.TB, db *pgxpool.Pool, listeners ...reposbg.ChangeListener) *reposvc.Service {
	t.Helper()
	env := Env(t, db)
	st := store.New(db)
	cache, err := vcs.NewCache(t.TempDir(), vcs.Options{Logger: env.Logger, AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	svc := &reposvc.Service{Store: st, VCS: cache, Logger: env.Logger, Credentials: app.CloneCredential}
	rs, err := reposbg.Routines(env, reposbg.Options{Store: st, Service: svc, Listeners: listeners, PollInterval: 200 * time.Millisecond, FetchScheduleInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	StartRoutines(t, rs...)
	return svc
}

// Env is a worker's environment on db for the routines of a test: a test logger, fresh
// registries and a LISTEN/NOTIFY listener that runs until the test ends (after the
// routines started later are stopped).
func Env(t testing.TB, db *pgxpool.Pool) routine.Env {
	t.Helper()
	logger := logtest.Scoped(t)
	listener := workerutil.NewListener(db, logger)
	StartRoutines(t, routine.Adapt("listener", listener))
	return routine.Env{Logger: logger, DB: db, Registry: prometheus.NewRegistry(), Listener: listener, Hostname: "test-worker", Metrics: routine.NewMetrics(prometheus.NewRegistry())}
}

// StartRoutines starts rs and stops them when the test ends.
func StartRoutines(t testing.TB, rs ...routine.Routine) {
	t.Helper()
	for _, r := range rs {
		r.Start()
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, r := range rs {
			_ = r.Stop(ctx)
		}
	})
}

// AddLocalRepo connects the local repository dir as a GIT code host connection, on a
// database where it is the only repository, and waits until the routines cloned it.
func AddLocalRepo(t testing.TB, st *store.Store, dir string) *store.Repo {
	t.Helper()
	return AddLocalRepos(t, st, dir)[0]
}

// AddLocalRepos connects local repositories (work trees or bare) as one GIT code host
// connection, on a database without other repositories, and waits until the routines
// cloned them all.
func AddLocalRepos(t testing.TB, st *store.Store, dirs ...string) []*store.Repo {
	t.Helper()
	cfg, _ := json.Marshal(map[string]any{"repos": dirs})
	if _, err := st.ExternalServices().Create(context.Background(), "GIT", "local", string(cfg), time.Hour); err != nil {
		t.Fatal(err)
	}
	return WaitCloned(t, st, len(dirs))
}

// WaitCloned waits until the database holds n repositories, all cloned, and returns them.
func WaitCloned(t testing.TB, st *store.Store, n int) []*store.Repo {
	t.Helper()
	var repos []*store.Repo
	WaitFor(t, fmt.Sprintf("%d repositories cloned", n), 30*time.Second, func() bool {
		list, err := st.Repos().List(context.Background(), store.InternalViewer, store.RepoListOptions{})
		if err != nil || len(list) != n {
			return false
		}
		for _, r := range list {
			if r.CloneStatus != store.CloneStatusCloned {
				return false
			}
		}
		repos = list
		return true
	})
	return repos
}

// WaitFor polls cond every 20ms until it holds, failing the test after timeout.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
