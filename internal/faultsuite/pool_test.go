package faultsuite

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/store"
)

// withParam adds a query parameter to a Postgres URL.
func withParam(url, param string) string {
	if strings.Contains(url, "?") {
		return url + "&" + param
	}
	return url + "?" + param
}

var poolSizeLine = regexp.MustCompile(`database pool.*"pool": "(\w+)".*"maxConns": (\d+)`)

// TestWorkerStartsOnSmallPools starts a worker on a fresh database (no routine has run:
// every singleton is due at once) with the smallest pools it may get: pool_max_conns=2 in
// both URLs, and its default pools under GOMAXPROCS 1 and 2. Each must become ready, run
// every singleton to its end, and sync a real local git repository. Before singletons
// claimed their runs with a lease, each pinned a connection for its run and waited for a
// second one: pgx's default pool of max(4, CPUs) locked up on 2 CPUs.
func TestWorkerStartsOnSmallPools(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, param, gomaxprocs string
	}{
		{"pool_max_conns=2", "pool_max_conns=2", "2"},
		{"default pools GOMAXPROCS=1", "", "1"},
		{"default pools GOMAXPROCS=2", "", "2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			mainDB, mainURL := dbtest.New(t, dbtest.Main)
			_, insightsURL := dbtest.New(t, dbtest.CodeInsights)
			if n := count(t, mainDB, "SELECT count(*) FROM routine_runs"); n != 0 {
				t.Fatalf("a fresh database has %d routine runs", n)
			}
			if c.param != "" {
				mainURL, insightsURL = withParam(mainURL, c.param), withParam(insightsURL, c.param)
			}
			work := gittest.NewRepo(t)
			head := work.Commit(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), "", "initial", map[string]string{"README.md": "hello\n"})
			cfg, _ := json.Marshal(map[string]any{"repos": []string{work.Dir}})
			if _, err := store.New(mainDB).ExternalServices().Create(ctx, "GIT", "local", string(cfg), time.Hour); err != nil {
				t.Fatal(err)
			}

			d := newDeployment(t, mainURL, insightsURL)
			start := time.Now()
			w := d.startWorker("worker", "GOMAXPROCS="+c.gomaxprocs)
			ready := w.waitReady(t, 60*time.Second)
			var repo *store.Repo
			synced := waitFor(t, "the repository to be cloned", 60*time.Second, func() bool {
				list, err := store.New(mainDB).Repos().List(ctx, store.InternalViewer, store.RepoListOptions{})
				if err == nil && len(list) == 1 && list[0].CloneStatus == store.CloneStatusCloned {
					repo = list[0]
				}
				return repo != nil
			})
			if got := repo.HeadOIDs["refs/heads/main"]; got != head {
				t.Fatalf("the synced repository's main is at %q, want %s (%v)", got, head, repo.HeadOIDs)
			}
			var singletons int
			waitFor(t, "every singleton to finish its first run", 30*time.Second, func() bool {
				singletons = count(t, mainDB, "SELECT count(*) FROM routine_runs")
				return singletons >= 9 && count(t, mainDB, "SELECT count(*) FROM routine_runs WHERE last_finished_at IS NULL OR lease_owner IS NOT NULL") == 0
			})
			if code, body, err := w.get("/readyz"); err != nil || code != 200 {
				t.Fatalf("/readyz after start-up: %d %s %v", code, body, err)
			}
			sizes := map[string]string{}
			log, _ := os.ReadFile(w.logPath)
			for _, m := range poolSizeLine.FindAllStringSubmatch(string(log), -1) {
				sizes[m[1]] = m[2]
			}
			t.Logf("%s: ready after %s, repository cloned after %s (%s since start), %d singletons ran; pool sizes main=%s insights=%s",
				c.name, ready.Round(time.Millisecond), (ready + synced).Round(time.Millisecond), time.Since(start).Round(time.Millisecond), singletons, sizes["main"], sizes["insights"])
			if c.param != "" && (sizes["main"] != "2" || sizes["insights"] != "2") {
				t.Fatalf("pool_max_conns=2 did not win: pool sizes %v", sizes)
			}
		})
	}
}
