package insights_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"

	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sourcegraph/log"
	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// The kill test runs a worker in a child process (this test binary with
// INSIGHTS_TEST_WORKER set) and SIGKILLs it mid-backfill.
func TestMain(m *testing.M) {
	if os.Getenv("INSIGHTS_TEST_WORKER") != "" {
		os.Exit(workerMain())
	}
	os.Exit(m.Run())
}

// workerMain runs the insights routines against the databases named in the
// environment, counting slowly so that a kill lands mid-backfill, until it is killed.
func workerMain() int {
	ctx := context.Background()
	mainDB, err := database.Open(ctx, os.Getenv("INSIGHTS_TEST_MAIN_URL"), database.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	insightsDB, err := database.Open(ctx, os.Getenv("INSIGHTS_TEST_INSIGHTS_URL"), database.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	delay, _ := time.ParseDuration(os.Getenv("INSIGHTS_TEST_DELAY"))
	st := store.New(mainDB)
	tb := &testing.T{}
	src := &slowSource{Source: newSource(st, newRepoService(tb, st, os.Getenv("INSIGHTS_TEST_REPOS_DIR"), log.NoOp())), delay: delay}
	w := startWorker(tb, workerConfig{mainDB: mainDB, insightsDB: insightsDB, source: src, repoConcurrency: 1, stalled: time.Second, logger: log.NoOp()})
	defer w.stop()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	return 0
}

// slowSource delays every count, and records the repositories it counted in.
type slowSource struct {
	insights.Source
	delay time.Duration

	mu      sync.Mutex
	counted []int64
}

func (s *slowSource) NewCounter(ctx context.Context, def insights.SeriesDef, repo *store.Repo, m *vcs.Mirror) (insights.Counter, error) {
	s.mu.Lock()
	s.counted = append(s.counted, repo.ID)
	s.mu.Unlock()
	c, err := s.Source.NewCounter(ctx, def, repo, m)
	if err != nil {
		return nil, err
	}
	return &slowCounter{Counter: c, delay: s.delay}, nil
}

type slowCounter struct {
	insights.Counter
	delay time.Duration
}

func (c *slowCounter) CountAt(ctx context.Context, commit string) (insights.Count, error) {
	select {
	case <-time.After(c.delay):
	case <-ctx.Done():
		return insights.Count{}, ctx.Err()
	}
	return c.Counter.CountAt(ctx, commit)
}

// Killing the worker (SIGKILL) mid-backfill loses no committed progress, and the
// backfill finished by another worker has every point exactly once: equal to git grep.
func TestKilledWorkerLosesNoProgressAndNeverDoubleCounts(t *testing.T) {
	ctx := context.Background()
	mainDB, mainURL := dbtest.New(t, dbtest.Main)
	insightsDB, insightsURL := dbtest.New(t, dbtest.CodeInsights)
	st, is := store.New(mainDB), store.New(insightsDB).Insights()

	now := time.Now().UTC()
	var repos []*fixtureRepo
	for i := 0; i < 8; i++ {
		r := &fixtureRepo{name: fmt.Sprintf("local/r%d", i), work: gittest.NewRepo(t)}
		r.commitAt(now.AddDate(0, -(9-i), 0), map[string]string{"a.txt": "needle\n"})
		r.commitAt(now.AddDate(0, -(5-i/2), 0), map[string]string{"b.txt": fmt.Sprintf("%s\n", slices.Repeat([]string{"needle"}, i+1))})
		repos = append(repos, r)
	}
	ids := registerRepos(t, st, repos...)

	s := insights.NewSeries(insights.SeriesDef{Query: "needle", Interval: insights.Interval{Unit: insights.Month, Value: 1}}, now)
	if err := is.CreateSeries(ctx, s); err != nil {
		t.Fatal(err)
	}
	bf, err := is.CreateBackfill(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "INSIGHTS_TEST_WORKER=1", "INSIGHTS_TEST_MAIN_URL="+mainURL, "INSIGHTS_TEST_INSIGHTS_URL="+insightsURL,
		"INSIGHTS_TEST_DELAY=150ms", "INSIGHTS_TEST_REPOS_DIR="+t.TempDir())
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	iterator := func() *store.RepoIterator {
		b, err := is.GetBackfill(ctx, bf.ID)
		if err != nil || b.RepoIteratorID == nil {
			return nil
		}
		it, err := is.GetIterator(ctx, *b.RepoIteratorID)
		if err != nil {
			return nil
		}
		return it
	}
	waitFor(t, "the child worker to commit three repositories", 60*time.Second, func() bool {
		it := iterator()
		return it != nil && it.Cursor >= 3
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true

	before := iterator()
	b, _ := is.GetBackfill(ctx, bf.ID)
	if b.State != "processing" || b.BackfillState != store.BackfillProcessing {
		t.Fatalf("after the kill the backfill is %s/%s, want processing/processing", b.State, b.BackfillState)
	}
	if before.Cursor >= len(before.Repos) {
		t.Fatalf("the child finished before it was killed (cursor %d of %d): make it slower", before.Cursor, len(before.Repos))
	}
	t.Logf("killed at cursor %d of %d (%d searches committed)", before.Cursor, len(before.Repos), before.Searches)

	// Another worker resets the stalled job and finishes it.
	src := &slowSource{Source: newSource(st, newRepoService(t, st, t.TempDir(), logtest.Scoped(t)))}
	w := startWorker(t, workerConfig{mainDB: mainDB, insightsDB: insightsDB, source: src, repoConcurrency: 1, stalled: time.Second, reset: 200 * time.Millisecond, logger: logtest.Scoped(t)})
	defer w.stop()
	waitFor(t, "the backfill to complete", 60*time.Second, func() bool {
		b, err := is.GetBackfill(ctx, bf.ID)
		return err == nil && b.BackfillState == store.BackfillCompleted
	})

	// No committed repository was counted again: the second worker counted exactly the
	// rest of the plan (the page in flight at the kill included).
	after := iterator()
	src.mu.Lock()
	counted := slices.Compact(slices.Clone(src.counted))
	src.mu.Unlock()
	if diff := cmp.Diff(after.Repos[before.Cursor:], counted); diff != "" {
		t.Errorf("repositories counted after the restart (-want +got):\n%s", diff)
	}
	if after.Cursor != len(after.Repos) || after.SuccessCount != len(after.Repos) {
		t.Errorf("iterator after completion: %+v", after)
	}

	// Every point exactly once.
	times := insights.SampleTimes(s.CreatedAt, insights.Interval{Unit: insights.Month, Value: 1}, insights.DefaultSamples)
	pts, err := is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[time.Time]float64{}
	for _, p := range pts {
		got[p.Time] += p.Value
	}
	for _, tm := range times {
		want := 0
		for _, r := range repos {
			want += gittest.CountAt(t, r.work.Dir, "needle", tm)
		}
		if got[tm] != float64(want) {
			t.Errorf("at %s: %v, git grep says %d", tm.Format(time.DateOnly), got[tm], want)
		}
	}
	// And per repository, no row is larger than git's count (a double count would be).
	for _, r := range repos {
		parts, err := is.PointRepos(ctx, s.ID, times[len(times)-1], nil, store.RepoSet{Include: true, IDs: []int64{ids[r.name]}}, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := gittest.CountAt(t, r.work.Dir, "needle", times[len(times)-1])
		if len(parts) != 1 || parts[0].Value != float64(want) {
			t.Errorf("%s newest point: %+v, want %d", r.name, parts, want)
		}
	}

}
