package main

import (
	"bytes"
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/workerutil"
)

func TestCommandsThatPrint(t *testing.T) {
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code, done := command(args, &stdout, &stderr)
		if !done {
			t.Fatalf("%v: not handled", args)
		}
		return code, stdout.String(), stderr.String()
	}
	for _, help := range []string{"help", "-h", "--help"} {
		if code, out, _ := run(help); code != 0 || !strings.HasPrefix(out, "usage: worker") || !strings.Contains(out, "queues") {
			t.Errorf("%s: %d %q", help, code, out)
		}
	}
	if code, _, errOut := run("bogus"); code != 2 || !strings.Contains(errOut, `unknown command "bogus"`) || !strings.Contains(errOut, "usage: worker") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if _, done := command(nil, &bytes.Buffer{}, &bytes.Buffer{}); done {
		t.Error("no command must run the worker")
	}

	// env lists every queue's variable with its default, and the log variables.
	_, out, _ := run("env")
	for _, want := range []string{"WORKER_REPO_FETCH_CONCURRENCY  *4 ", "WORKER_CODEMONITOR_ACTIONS_CONCURRENCY  *1 ", "WORKER_CAMPAIGN_JOBS_CONCURRENCY  *2 ",
		"WORKER_INSIGHTS_QUERY_RUNNER_CONCURRENCY  *5 ", "SRC_LOG_LEVEL  *warn ", "SRC_LOG_FORMAT  *json ", "WORKER_JOBS  *all "} {
		if !matchLine(out, want) {
			t.Errorf("worker env lacks %q:\n%s", want, out)
		}
	}
	// A queue's default follows the setting it comes from.
	t.Setenv("CAMPAIGNS_JOB_CONCURRENCY", "3")
	_, out, _ = run("queues")
	if !matchLine(out, "campaign_jobs  *campaigns  *3  *WORKER_CAMPAIGN_JOBS_CONCURRENCY  ") {
		t.Errorf("worker queues:\n%s", out)
	}
	if n := strings.Count(out, "\n"); n != 1+len(allQueues(t)) {
		t.Errorf("worker queues lists %d lines:\n%s", n, out)
	}
}

func matchLine(out, pattern string) bool {
	for _, line := range strings.Split(out, "\n") {
		if regexp.MustCompile("^" + pattern).MatchString(line) {
			return true
		}
	}
	return false
}

// allQueues is what `worker queues` lists.
func allQueues(t *testing.T) []routine.QueueInfo {
	cfg, _ := loadConfig()
	var out []routine.QueueInfo
	for _, name := range jobNames() {
		qs, err := registry[name].queueInfo(cfg)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, qs...)
	}
	return out
}

// TestQueuesListTheQueuesJobsRun builds every job's routines, as the worker does at start,
// and checks that `worker queues` names exactly the queues they run, so the listing
// cannot drift from the code.
func TestQueuesListTheQueuesJobsRun(t *testing.T) {
	ctx := context.Background()
	mainDB, insightsDB := dbtest.NewDB(t), dbtest.NewInsightsDB(t)
	t.Setenv("REPOS_DIR", t.TempDir())
	cfg, _ := loadConfig() // the database URLs are not used: the pools are given
	logger := logtest.Scoped(t)
	reg := prometheus.NewRegistry()
	deps := &jobDeps{
		cfg:        cfg,
		env:        routine.Env{Logger: logger, DB: mainDB, Registry: reg, Listener: workerutil.NewListener(mainDB, logger), Hostname: "test", Metrics: routine.NewMetrics(reg)},
		insightsDB: insightsDB,
	}
	var err error
	if deps.notifier, err = notify.New(notify.Config{}); err != nil {
		t.Fatal(err)
	}
	var running []string
	for _, name := range jobNames() {
		rs, err := registry[name].build(ctx, deps)
		if err != nil {
			t.Fatalf("building %s: %v", name, err)
		}
		for _, r := range rs {
			if q, ok := strings.CutSuffix(r.Name(), "-worker"); ok {
				running = append(running, q)
			}
		}
	}
	var listed []string
	for _, q := range allQueues(t) {
		listed = append(listed, q.Name)
	}
	sort.Strings(running)
	sort.Strings(listed)
	if diff := cmp.Diff(running, listed); diff != "" {
		t.Errorf("queues the jobs run (-) vs the ones `worker queues` lists (+):\n%s", diff)
	}
}
