package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/app"
	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/workerutil"
)

// TestPoolNeedsMatchTheBuiltRoutines holds every job's declared pool needs (from which
// the worker sizes its pools before building anything) to the routines the job builds:
// a new queue or periodic routine, or a changed handler count, must change both, or the
// pools would be sized for a worker that does not exist. Concurrency overrides count.
func TestPoolNeedsMatchTheBuiltRoutines(t *testing.T) {
	t.Setenv("CAMPAIGNS_WORKSPACE_ROOT", t.TempDir())
	t.Setenv("WORKER_REPO_FETCH_CONCURRENCY", "7")
	t.Setenv("INSIGHTS_QUERY_WORKER_CONCURRENCY", "3")
	ctx := context.Background()
	mainDB, insightsDB := dbtest.NewDB(t), dbtest.NewInsightsDB(t)
	n, err := notify.New(notify.Config{})
	if err != nil {
		t.Fatal(err)
	}
	d := &jobDeps{cfg: config{Config: app.Config{ReposDir: t.TempDir(), IndexDir: t.TempDir(), AllowLocalRepos: true}}, insightsDB: insightsDB, notifier: n}
	d.env = routine.Env{Logger: logtest.Scoped(t), DB: mainDB, Registry: prometheus.NewRegistry(), Listener: workerutil.NewListener(mainDB, nil),
		Hostname: "test", Metrics: routine.NewMetrics(prometheus.NewRegistry())}

	var all []routine.Need
	for _, name := range jobNames() {
		declared, err := registry[name].needs(d)
		if err != nil {
			t.Fatalf("%s: needs: %v", name, err)
		}
		rs, err := registry[name].build(ctx, d)
		if err != nil {
			t.Fatalf("%s: build: %v", name, err)
		}
		byPart := map[string][]int{}
		for _, n := range declared {
			byPart[n.Part] = append(byPart[n.Part], n.Conns)
		}
		seen := map[string]bool{}
		for _, b := range routine.Needs(rs) {
			seen[b.Part] = true
			conns, ok := byPart[b.Part]
			if !ok {
				t.Errorf("%s builds %s (%d connections) but does not declare it", name, b.Part, b.Conns)
			}
			for _, c := range conns {
				if c != b.Conns {
					t.Errorf("%s declares %d connections for %s, its routine holds up to %d", name, c, b.Part, b.Conns)
				}
			}
		}
		for part := range byPart {
			if !seen[part] {
				t.Errorf("%s declares %s, which it does not build", name, part)
			}
		}
		all = append(all, declared...)
	}
	main, insights := routine.PoolSizes(all)
	var parts []string
	for _, n := range all {
		parts = append(parts, fmt.Sprintf("%s=%d", n.Part, n.Conns))
	}
	sort.Strings(parts)
	t.Logf("pools of a worker running every job: main %d, insights %d (%s)", main.MaxConns, insights.MaxConns, strings.Join(parts, " "))
	if !strings.Contains(main.SizedFrom, "repo_fetch 7") || !strings.Contains(insights.SizedFrom, "insights_query_runner 3") {
		t.Errorf("concurrency overrides are not counted: main from %q, insights from %q", main.SizedFrom, insights.SizedFrom)
	}
}
