// Package campaigns benchmarks campaigns end to end: N repositories served over git's
// smart HTTP protocol by a fake GitHub and cloned by the repository routines, a plan from
// a spec whose step edits each repository (run by the executor in the worker), and a
// campaign created from it whose changesets the reconciler pushes and opens as pull
// requests, through the worker's real routines with production settings (4 changeset
// handlers, 2 step handlers, publish rate unlimited).
//
// It reports how long the plan's steps took, and how long from createCampaign until every
// pull request was open against a baseline measured in the same run: the same change
// pushed to the same repositories one by one with git push (from clones made beforehand,
// and without opening pull requests). Each of -rounds rounds (at least 5) makes a new plan
// and campaign on a new branch; the two sides alternate which goes first. Run it with
//
//	go test ./dev/bench/campaigns -run PlanToPullRequests -v -args -repos 20
//
// Without -repos it is skipped, so `go test ./...` stays fast.
package campaigns

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/dev/bench/rounds"
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

var (
	numRepos  = flag.Int("repos", 0, "repositories in the campaign (0 skips the benchmark)")
	numRounds = flag.Int("rounds", rounds.MinRounds, "rounds (at least 5)")
)

func TestPlanToPullRequests(t *testing.T) {
	if *numRepos <= 0 {
		t.Skip("pass -args -repos N to run the campaigns benchmark")
	}
	ctx := context.Background()
	db := dbtest.NewDB(t)
	st := store.New(db)
	gh := fakehost.NewGitHub(t)
	var paths, onEntries []string
	for i := range *numRepos {
		name := fmt.Sprintf("repo%03d", i)
		w := gittest.NewRepo(t)
		files := map[string]string{"README.md": "It uses foo.\n"}
		for j := range 50 {
			files[fmt.Sprintf("src/f%02d.txt", j)] = strings.Repeat("foo bar baz\n", 40)
		}
		w.Commit(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), "", "initial", files)
		bare := filepath.Join(t.TempDir(), name+".git")
		gittest.Run(t, w.Dir, gittest.Env(), "clone", "-q", "--bare", w.Dir, bare)
		gh.AddRepo(fakehost.Repo{Owner: "acme", Name: name, GitDir: bare})
		paths = append(paths, "acme/"+name)
	}
	cfg, _ := json.Marshal(map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "repos": paths})
	if _, err := st.ExternalServices().Create(ctx, "GITHUB", "GitHub", string(cfg), time.Hour); err != nil {
		t.Fatal(err)
	}
	repostest.Start(t, db)
	repostest.WaitFor(t, "repositories cloned", 5*time.Minute, func() bool {
		n, err := st.Repos().Count(ctx, store.InternalViewer, store.RepoListOptions{Cloned: ptr(true)})
		return err == nil && n == *numRepos
	})
	repos, _ := st.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{})
	for _, r := range repos {
		onEntries = append(onEntries, "  - repository: "+r.Name)
	}
	user, err := st.Users().Create(ctx, store.NewUser{Username: "admin", SiteAdmin: true})
	if err != nil {
		t.Fatal(err)
	}

	// The worker, with production settings (its own mirror cache).
	cache, err := vcs.NewCache(t.TempDir(), vcs.Options{Logger: log.NoOp(), AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	repoSvc := &reposvc.Service{Store: st, VCS: cache, Logger: log.NoOp(), Credentials: app.CloneCredential}
	runner, err := executor.NewRunner(executor.Config{Root: filepath.Join(t.TempDir(), "ws"), Logger: log.NoOp()})
	if err != nil {
		t.Fatal(err)
	}
	listener := workerutil.NewListener(db, log.NoOp())
	env := routine.Env{Logger: log.NoOp(), DB: db, Registry: prometheus.NewRegistry(), Listener: listener, Hostname: "bench", Metrics: routine.NewMetrics(prometheus.NewRegistry())}
	unlimited := campaigns.Unlimited()
	rs, err := bgcampaigns.Routines(env, bgcampaigns.Options{Store: st, Repos: repoSvc, Runner: runner, ExternalURL: "http://lookout.test", Rates: &unlimited})
	if err != nil {
		t.Fatal(err)
	}
	rs = append([]routine.Routine{routine.Adapt("listener", listener)}, rs...)
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

	// The baseline's clones, made before any clock starts.
	host := strings.Replace(gh.URL(), "://", "://x-access-token:"+fakehost.DefaultToken+"@", 1)
	var clones []string
	for _, p := range paths {
		dir := filepath.Join(t.TempDir(), "clone")
		gittest.Run(t, t.TempDir(), gittest.Env(), "clone", "-q", host+"/"+p+".git", dir)
		clones = append(clones, dir)
	}

	svc := &campaigns.Service{Store: st, ExternalURL: "http://lookout.test"}
	var planTook []float64
	samples := make([][]float64, 2) // lookout, git push
	lookout := func(round int) error {
		spec := "on:\n" + strings.Join(onEntries, "\n") + "\nsteps:\n  - run: sed -i 's/foo/qux/g' README.md src/*.txt\nchangesetTemplate:\n  title: Use qux\n  branch: campaigns/qux-" + fmt.Sprint(round) + "\n"
		start := time.Now()
		plan, err := svc.CreatePlanFromSpec(ctx, store.Viewer{AllAccess: true}, user.ID, spec)
		if err != nil {
			return err
		}
		repostest.WaitFor(t, "the plan", 10*time.Minute, func() bool {
			s, err := svc.PlanStatus(ctx, plan)
			return err == nil && s.State != "PROCESSING"
		})
		planTook = append(planTook, float64(time.Since(start).Microseconds())/1000)
		if s, _ := svc.PlanStatus(ctx, plan); s.State != "COMPLETED" {
			return fmt.Errorf("plan %+v", s)
		}
		start = time.Now()
		c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: user.ID, AuthorID: user.ID, Name: fmt.Sprintf("Qux %d", round), PlanID: plan.ID})
		if err != nil {
			return err
		}
		repostest.WaitFor(t, "every pull request open", 10*time.Minute, func() bool {
			n, err := st.Campaigns().CountChangesets(ctx, store.ChangesetListOptions{CampaignID: c.ID, ExternalState: "OPEN", Viewer: store.InternalViewer})
			return err == nil && n == *numRepos
		})
		samples[0] = append(samples[0], float64(time.Since(start).Microseconds())/1000)
		for _, p := range paths {
			if n := len(gh.PullRequests(p)); n != round+1 {
				return fmt.Errorf("%s has %d pull requests after round %d", p, n, round+1)
			}
		}
		return nil
	}
	gitPush := func(round int) {
		start := time.Now()
		branch := fmt.Sprintf("baseline/qux-%d", round)
		for _, dir := range clones {
			gittest.Run(t, dir, gittest.Env(), "checkout", "-q", "-B", branch, "origin/main")
			cmd := exec.Command("sh", "-c", "sed -i 's/foo/qux/g' README.md src/*.txt")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("the baseline's edit: %v\n%s", err, out)
			}
			gittest.Run(t, dir, gittest.Env(), "commit", "-q", "-a", "-m", "Use qux")
			gittest.Run(t, dir, gittest.Env(), "push", "-q", "origin", branch)
		}
		samples[1] = append(samples[1], float64(time.Since(start).Microseconds())/1000)
	}
	for round := range max(*numRounds, rounds.MinRounds) {
		if round%2 == 1 {
			gitPush(round)
		}
		if err := lookout(round); err != nil {
			t.Fatal(err)
		}
		if round%2 == 0 {
			gitPush(round)
		}
	}
	ps := rounds.StatsOf(planTook)
	c := rounds.Record("campaigns", fmt.Sprintf("%d repositories: createCampaign to every pull request open", *numRepos), "ms", false,
		[]string{"lookout", "git push one by one"}, samples)
	c.Note = fmt.Sprintf("plan steps (not compared): min / median / max %.0f / %.0f / %.0f ms; the baseline opens no pull requests", ps.Min, ps.Median, ps.Max)
	var table strings.Builder
	c.Report(&table)
	t.Log("\n" + table.String())
}

func ptr[T any](v T) *T { return &v }
