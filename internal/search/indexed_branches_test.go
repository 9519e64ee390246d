package search_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/textindex/textindextest"
)

// listBranches sets the corpus connection's "indexedBranches".
func (c *indexCorpus) listBranches(t *testing.T, branches map[string][]string) {
	t.Helper()
	ctx := context.Background()
	svcs, _, err := c.st.ExternalServices().ListForRepo(ctx, c.repos[0].ID)
	if err != nil || len(svcs) != 1 {
		t.Fatalf("the corpus connection: %v, %v", svcs, err)
	}
	cfg, _ := json.Marshal(map[string]any{"repos": []string{"/srv/corpus"}, "indexedBranches": branches})
	s := string(cfg)
	if _, err := c.st.ExternalServices().Update(ctx, svcs[0].ID, nil, &s, true); err != nil {
		t.Fatal(err)
	}
}

// indexBranches builds the shard of the i-th repository with the branches its
// connection lists, as the index job does, and waits until b serves it.
func (c *indexCorpus) indexBranches(t *testing.T, b textindex.Backend, i int) ([]textindex.Branch, textindex.BuildResult) {
	t.Helper()
	ctx := context.Background()
	r := c.repos[i]
	branches, err := search.BranchesToIndex(ctx, c.st, r)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.reposSvc.Mirror(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.indexer.IndexBranches(ctx, textindex.Repo{ID: r.ID, Name: r.Name}, m, branches)
	if err != nil {
		t.Fatal(err)
	}
	textindextest.WaitBranches(t, b, uint32(r.ID), testMaxFileSize, branches)
	return branches, res
}

// branchQueries search release branches; the count is how many repositories each
// searches over mirrors (repo-002's release is not listed for indexing).
var branchQueries = map[string]int{
	`repo:^corpus/ rev:release TODO`:                                1,
	`repo:^corpus/repo-00[01]$@release marker1`:                     0,
	`repo:^corpus/repo-000$@refs/heads/release lang:go TODO`:        0,
	`repo:^corpus/repo-000$@main:release "release notes"`:           0,
	`repo:^corpus/repo-001$@release type:path release`:              0,
	`repo:^corpus/repo-00[01]$@release select:repo released`:        0,
	`repo:^corpus/repo-00[01]$@release count:all /TODO\(p(\d)\)/`:   0,
	`repo:^corpus/repo-00[12]$@release -file:\.go$ TODO`:            1,
	`repo:^corpus/repo-000$@HEAD:release file:release.go marker1`:   0,
	`repo:^corpus/repo-001$@release case:yes /Kind [0-3]/ count:50`: 0,
}

// TestIndexedBranchSearch: release branches listed for indexing are searched from the
// index with the answers the mirrors give, locally and through a zoekt-webserver; a push
// to release is read from the mirror until the shard holds it, then from the index; a
// branch no longer listed is dropped from the shard and searched over the mirror.
func TestIndexedBranchSearch(t *testing.T) {
	ctx := context.Background()
	c := newIndexCorpus(t, 3)
	b := c.localIndex(t)
	for i := range c.repos {
		c.pushBranch(t, i, "main", "release", map[string]string{
			"dir0/release.go": "package p0\n\n// release notes TODO marker1\n",
			"dir1/README.md":  "# Dir 1\n\nTODO: released.\n",
		})
	}
	c.listBranches(t, map[string][]string{"corpus/repo-000": {"release"}, "Corpus/Repo-001": {"release", "no-such-branch"}})
	for i := range c.repos {
		branches, _ := c.indexBranches(t, b, i)
		if want := map[int]int{0: 2, 1: 2, 2: 1}[i]; len(branches) != want {
			t.Errorf("%s: shard branches %v; want %d", c.repos[i].Name, branches, want)
		}
	}
	queries := slices.Sorted(maps.Keys(branchQueries))
	compareQueries(t, c, b, queries, branchQueries)

	// Results from the index name the branch and its commit, as the mirrors' do.
	svc := c.service(b, search.IndexAlways)
	run := func(q string) *search.Results {
		t.Helper()
		res, err := svc.Search(ctx, search.Request{Query: q, Viewer: c.alice})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return res
	}
	res := run(`repo:^corpus/repo-000$@release "release notes"`)
	release := c.repos[0].HeadOIDs["refs/heads/release"]
	if len(res.Matches) != 1 || res.IndexedRepos != 1 {
		t.Fatalf("search at release: %d matches, %d repositories from the index; want 1 and 1", len(res.Matches), res.IndexedRepos)
	}
	if fm := res.Matches[0].(*search.FileMatch); fm.Rev != "release" || fm.Commit != release {
		t.Errorf("match at release: rev %q commit %s; want release at %s", fm.Rev, fm.Commit, release)
	}

	// Through a zoekt-webserver over the same shards.
	remote, err := textindex.NewRemote([]string{startWebserver(t, c.indexer.Dir())})
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	c.waitServed(t, remote)
	compareQueries(t, c, remote, queries, branchQueries)

	// A push to release: the shard is stale for release (never read) until rebuilt; the
	// rebuild is a delta build and the new commit is then read from the index.
	pushed := c.pushBranch(t, 0, "release", "release", map[string]string{"dir0/hotfix.go": "package p0\n\n// hotfix marker\n"})
	res = run(`repo:^corpus/repo-000$@release "hotfix marker"`)
	if res.MatchCount != 1 || res.IndexedRepos != 0 || res.UnindexedRepos != 1 {
		t.Errorf("search at release after the push: %d matches, %d repositories indexed, %d not; want the new file from the mirror", res.MatchCount, res.IndexedRepos, res.UnindexedRepos)
	}
	if _, built := c.indexBranches(t, b, 0); !built.Built || !built.Delta {
		t.Errorf("build after the push to release: %+v; want a delta build", built)
	}
	res = run(`repo:^corpus/repo-000$@release "hotfix marker"`)
	if res.MatchCount != 1 || res.IndexedRepos != 1 || res.Matches[0].(*search.FileMatch).Commit != pushed {
		t.Errorf("search at release after the rebuild: %d matches, %d repositories indexed; want the pushed commit %s from the index", res.MatchCount, res.IndexedRepos, pushed)
	}
	compareQueries(t, c, b, queries, branchQueries)

	// repo-000's release no longer listed: dropped at the next build, then searched over
	// its mirror with the same answers.
	c.listBranches(t, map[string][]string{"corpus/repo-001": {"release"}})
	if branches, _ := c.indexBranches(t, b, 0); len(branches) != 1 {
		t.Errorf("branches after release was unlisted: %v", branches)
	}
	res = run(`repo:^corpus/repo-000$@release "hotfix marker"`)
	if res.MatchCount != 1 || res.IndexedRepos != 0 || res.UnindexedRepos != 1 {
		t.Errorf("search at the unlisted release: %d matches, %d repositories indexed, %d not; want it from the mirror", res.MatchCount, res.IndexedRepos, res.UnindexedRepos)
	}
}
