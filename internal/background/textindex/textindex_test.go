package textindex_test

import (
	"context"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/background/routine"
	textindexbg "github.com/lookout/lookout/internal/background/textindex"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/gittest"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/textindex/textindextest"
)

// startIndexing runs the repository routines and the index routines with their default
// settings over a fresh database, and returns it with the searcher over their shards.
func startIndexing(t *testing.T) (*pgxpool.Pool, *store.Store, *reposvc.Service, routine.Env, *textindex.Local) {
	t.Helper()
	db := dbtest.NewDB(t)
	st := store.New(db)
	svc := repostest.Start(t, db, textindexbg.ChangeListener)
	ix, backend := textindextest.New(t, textindex.Options{})
	env := repostest.Env(t, db)
	rs, err := textindexbg.Routines(env, textindexbg.Options{Store: st, Mirrors: svc, Indexer: ix})
	if err != nil {
		t.Fatal(err)
	}
	repostest.StartRoutines(t, rs...)
	return db, st, svc, env, backend
}

// TestPushIsIndexed runs the repository routines and the index routines with their
// default settings: a clone, and then a push fetched by its webhook, are built into the
// shard directory, and a search reads the pushed commit from the index.
func TestPushIsIndexed(t *testing.T) {
	ctx := context.Background()
	db, st, svc, env, backend := startIndexing(t)

	w := gittest.NewRepo(t)
	w.Commit(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), "", "first", map[string]string{"main.go": "package main // first version\n"})
	repo := repostest.AddLocalRepo(t, st, w.Dir)
	served := func(commit string) func() bool {
		return func() bool {
			vs, err := backend.Versions(ctx, []uint32{uint32(repo.ID)})
			return err == nil && slices.Contains(vs[uint32(repo.ID)], textindex.ShardVersion(commit, textindex.DefaultMaxFileSize))
		}
	}
	repostest.WaitFor(t, "the clone to be indexed", 30*time.Second, served(w.Head()))

	head := w.Commit(time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), "", "second", map[string]string{"main.go": "package main // pushed version\n"})
	if err := st.Repos().EnqueueFetch(ctx, repo.ID, store.FetchReasonWebhook); err != nil {
		t.Fatal(err)
	}
	repostest.WaitFor(t, "the push to be indexed", 30*time.Second, served(head))

	// The job records what it built (once the shard is in place).
	var built bool
	var contentBytes int64
	repostest.WaitFor(t, "the job's record", 10*time.Second, func() bool {
		err := db.QueryRow(ctx, `SELECT built, content_bytes FROM text_index_jobs WHERE repo_id = $1 AND commit_oid = $2 AND state = 'completed'`, repo.ID, head).Scan(&built, &contentBytes)
		return err == nil
	})
	if !built || contentBytes != int64(len("package main // pushed version\n")) {
		t.Errorf("the push's job: built %v, %d bytes of content; want a build of the one file", built, contentBytes)
	}

	// /metrics shows the queue's depth and the builds' throughput.
	metrics := map[string]*dto.MetricFamily{}
	reg := prometheus.NewRegistry()
	reg.MustRegister(textindex.Collectors()...)
	for _, g := range []prometheus.Gatherer{env.Registry.(*prometheus.Registry), reg} {
		families, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			metrics[f.GetName()] = f
		}
	}
	if f := metrics["lookout_workerutil_queue_depth"]; f == nil || f.Metric[0].GetLabel()[0].GetValue() != "text_index" {
		t.Errorf("no queue depth of text_index on /metrics: %v", f)
	}
	for _, name := range []string{"lookout_textindex_build_content_bytes_total", "lookout_textindex_build_seconds_total", "lookout_textindex_build_index_bytes_total"} {
		if f := metrics[name]; f == nil || f.Metric[0].GetCounter().GetValue() <= 0 {
			t.Errorf("%s: %v, want a positive counter", name, f)
		}
	}

	repo, err := st.Repos().GetByID(ctx, store.InternalViewer, repo.ID)
	if err != nil {
		t.Fatal(err)
	}
	searchSvc := search.NewService(st, svc, nil, nil, search.Options{Index: backend})
	res, err := searchSvc.Search(ctx, search.Request{Query: `"pushed version"`, Viewer: store.InternalViewer})
	if err != nil {
		t.Fatal(err)
	}
	if res.MatchCount != 1 || res.IndexedRepos != 1 {
		t.Errorf("search after the push: %d matches, %d repositories from the index; want 1 and 1", res.MatchCount, res.IndexedRepos)
	}
}

// TestListedBranchesAreIndexed runs the repository and index routines with a connection
// that lists release for indexing: the clone builds main and release into the shard, a
// push to release is rebuilt and searched from the index, a push to a branch not listed
// queues nothing, and a connection that stops listing release drops it.
func TestListedBranchesAreIndexed(t *testing.T) {
	ctx := context.Background()
	db, st, svc, _, backend := startIndexing(t)

	day := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	w := gittest.NewRepo(t)
	main1 := w.Commit(day, "", "first", map[string]string{"main.go": "package main // on main\n"})
	onBranch := func(branch string, f func() string) string {
		w.Git("checkout", "-q", branch)
		defer w.Git("checkout", "-q", "main")
		return f()
	}
	w.Git("branch", "release")
	rel1 := onBranch("release", func() string {
		return w.Commit(day.Add(time.Hour), "", "release", map[string]string{"main.go": "package main // released version\n"})
	})
	conn, err := st.ExternalServices().Create(ctx, "GIT", "local", `{"repos":["`+w.Dir+`"],"indexedBranches":{"*":["release"]}}`, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	repo := repostest.WaitCloned(t, st, 1)[0]
	serves := func(want ...textindex.Branch) {
		t.Helper()
		textindextest.WaitBranches(t, backend, uint32(repo.ID), textindex.DefaultMaxFileSize, want)
	}
	head := textindex.Branch{Name: textindex.DefaultBranch, Commit: main1}
	serves(head, textindex.Branch{Name: "release", Commit: rel1}) // main and release indexed at the clone

	// A push to release alone queues a build; the pushed commit is searched from the index.
	rel2 := onBranch("release", func() string {
		return w.Commit(day.Add(2*time.Hour), "", "hotfix", map[string]string{"fix.go": "package main // pushed to release\n"})
	})
	if err := st.Repos().EnqueueFetch(ctx, repo.ID, store.FetchReasonWebhook); err != nil {
		t.Fatal(err)
	}
	serves(head, textindex.Branch{Name: "release", Commit: rel2})
	if repo, err = st.Repos().GetByID(ctx, store.InternalViewer, repo.ID); err != nil {
		t.Fatal(err)
	}
	searchSvc := search.NewService(st, svc, nil, nil, search.Options{Index: backend})
	res, err := searchSvc.Search(ctx, search.Request{Query: "repo:^" + regexp.QuoteMeta(repo.Name) + `$@release "pushed to release"`, Viewer: store.InternalViewer})
	if err != nil {
		t.Fatal(err)
	}
	if res.MatchCount != 1 || res.IndexedRepos != 1 || res.Matches[0].(*search.FileMatch).Commit != rel2 {
		t.Errorf("search at release after the push: %d matches, %d repositories from the index; want the pushed file from the index", res.MatchCount, res.IndexedRepos)
	}

	// A push to a branch nobody lists queues no build.
	jobs := func() int {
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM text_index_jobs WHERE repo_id = $1`, repo.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := jobs()
	w.Git("branch", "feature")
	if err := st.Repos().EnqueueFetch(ctx, repo.ID, store.FetchReasonWebhook); err != nil {
		t.Fatal(err)
	}
	repostest.WaitFor(t, "the feature branch to be fetched", 30*time.Second, func() bool {
		r, err := st.Repos().GetByID(ctx, store.InternalViewer, repo.ID)
		return err == nil && r.HeadOIDs["refs/heads/feature"] != ""
	})
	if after := jobs(); after != before {
		t.Errorf("a push to an unlisted branch queued %d index builds", after-before)
	}

	// The connection no longer lists release: its update queues the build that drops it.
	cfg := `{"repos":["` + w.Dir + `"]}`
	if _, err := st.ExternalServices().Update(ctx, conn.ID, nil, &cfg, true); err != nil {
		t.Fatal(err)
	}
	serves(head)
}
