package resolvers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/textindex/textindextest"
)

// newIndexAPI starts the API with a search service that reads the shards of a fresh
// index directory, and returns it with the indexer writing there and the searcher.
func newIndexAPI(t *testing.T) (*apitest.Env, *textindex.Indexer, *textindex.Local) {
	ix, backend := textindextest.New(t, textindex.Options{})
	e := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) {
		d.Search = search.NewService(d.Store, d.Repos, nil, nil, search.Options{Index: backend})
	}})
	return e, ix, backend
}

// fetchRepo fetches the repository named name and returns its record after the fetch.
func fetchRepo(t *testing.T, e *apitest.Env, name string) *store.Repo {
	t.Helper()
	ctx := context.Background()
	r, err := e.Store.Repos().GetByName(ctx, store.InternalViewer, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Repos.Fetch(ctx, r.ID, nil); err != nil {
		t.Fatal(err)
	}
	if r, err = e.Store.Repos().GetByID(ctx, store.InternalViewer, r.ID); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTextSearchIndexAPI: a repository's index status, the repositories filter on it,
// and search results saying which repositories the index answered.
func TestTextSearchIndexAPI(t *testing.T) {
	ctx := context.Background()
	e, ix, backend := newIndexAPI(t)
	indexed, plain := gittest.NewRepo(t), gittest.NewRepo(t)
	day := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	indexed.Commit(day, "", "first", map[string]string{"a.go": "package a // needle\n", "b.txt": "more needle text\n"})
	plain.Commit(day, "", "first", map[string]string{"c.go": "package c // needle\n"})
	cfg, _ := json.Marshal(map[string]any{"repos": []map[string]string{{"url": indexed.Dir, "name": "local/indexed"}, {"url": plain.Dir, "name": "local/plain"}}})
	svc, err := e.Store.ExternalServices().Create(ctx, "GIT", "local", string(cfg), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{
		{Name: "local/indexed", CloneURL: indexed.Dir}, {Name: "local/plain", CloneURL: plain.Dir},
	}, false); err != nil {
		t.Fatal(err)
	}
	repo := func(name string) *store.Repo { return fetchRepo(t, e, name) }
	r := repo("local/indexed")
	repo("local/plain")
	m, err := e.Repos.Mirror(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	built, err := ix.Index(ctx, textindex.Repo{ID: r.ID, Name: r.Name}, m, indexed.Head())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		vs, _ := backend.Versions(ctx, []uint32{uint32(r.ID)})
		if len(vs[uint32(r.ID)]) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shard was not loaded")
		}
		time.Sleep(20 * time.Millisecond)
	}

	type status struct {
		Status *struct {
			UpdatedAt         time.Time
			ContentByteSize   string
			ContentFilesCount int
			IndexByteSize     int
			IndexShardsCount  int
			NewLinesCount     int
		}
		Refs []struct {
			Ref           struct{ Name string }
			Indexed       bool
			Current       bool
			IndexedCommit *struct{ Oid string }
		}
	}
	var res struct {
		Indexed    struct{ Nodes []struct{ Name string } }
		NotIndexed struct{ Nodes []struct{ Name string } }
		A, B       struct{ TextSearchIndex status }
		Search     struct {
			Results struct {
				MatchCount, IndexedRepositories, UnindexedRepositories int
				Results                                                []struct {
					File       struct{ Path, Content string }
					Repository struct{ Name string }
				}
			}
		}
	}
	q := `{
		indexed: repositories(notIndexed: false) { nodes { name } }
		notIndexed: repositories(indexed: false) { nodes { name } }
		a: repository(name: "local/indexed") { ...idx }
		b: repository(name: "local/plain") { ...idx }
		search(query: "needle") { results { matchCount indexedRepositories unindexedRepositories
			results { ... on FileMatch { file { path content } repository { name } } } } }
	}
	fragment idx on Repository { textSearchIndex {
		status { updatedAt contentByteSize contentFilesCount indexByteSize indexShardsCount newLinesCount }
		refs { ref { name } indexed current indexedCommit { oid } } } }`
	e.MustDo(t, e.AdminToken, q, nil, &res)
	names := func(ns []struct{ Name string }) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n.Name)
		}
		return out
	}
	if got := names(res.Indexed.Nodes); !slices.Equal(got, []string{"local/indexed"}) {
		t.Errorf("indexed repositories: %v", got)
	}
	if got := names(res.NotIndexed.Nodes); !slices.Equal(got, []string{"local/plain"}) {
		t.Errorf("repositories not indexed: %v", got)
	}
	// zoekt counts the file names with the content: 37 + len("a.go") + len("b.txt").
	a := res.A.TextSearchIndex
	if a.Status == nil || a.Status.ContentByteSize != "46" || a.Status.ContentFilesCount != 2 || a.Status.IndexShardsCount != 1 ||
		a.Status.IndexByteSize == 0 || a.Status.NewLinesCount != 2 || a.Status.UpdatedAt.IsZero() {
		t.Errorf("status of the indexed repository: %+v (build %+v)", a.Status, built)
	}
	if len(a.Refs) != 1 || a.Refs[0].Ref.Name != "refs/heads/main" || !a.Refs[0].Indexed || !a.Refs[0].Current || a.Refs[0].IndexedCommit == nil || a.Refs[0].IndexedCommit.Oid != indexed.Head() {
		t.Errorf("refs of the indexed repository: %+v", a.Refs)
	}
	b := res.B.TextSearchIndex
	if b.Status != nil || len(b.Refs) != 1 || b.Refs[0].Indexed || b.Refs[0].Current || b.Refs[0].IndexedCommit != nil {
		t.Errorf("index of the repository without a shard: %+v", b)
	}
	if s := res.Search.Results; s.MatchCount != 3 || s.IndexedRepositories != 1 || s.UnindexedRepositories != 1 {
		t.Errorf("search: %+v; want 3 matches, one repository from the index and one from its mirror", s)
	}
	// The files the index answered carry their content (the mirror's by id).
	contents := map[string]string{}
	for _, f := range res.Search.Results.Results {
		contents[f.Repository.Name+" "+f.File.Path] = f.File.Content
	}
	if want := map[string]string{"local/indexed a.go": "package a // needle\n", "local/indexed b.txt": "more needle text\n",
		"local/plain c.go": "package c // needle\n"}; !maps.Equal(contents, want) {
		t.Errorf("the results' contents: %q; want %q", contents, want)
	}

	// A push fetched: the shard holds the old head, which is no longer current.
	old := indexed.Head()
	indexed.Commit(day.Add(time.Hour), "", "second", map[string]string{"a.go": "package a // moved\n"})
	repo("local/indexed")
	e.MustDo(t, e.AdminToken, q, nil, &res)
	a = res.A.TextSearchIndex
	if len(a.Refs) != 1 || !a.Refs[0].Indexed || a.Refs[0].Current || a.Refs[0].IndexedCommit.Oid != old {
		t.Errorf("refs after a push: %+v; want indexed at %s, not current", a.Refs, old)
	}
	if got := names(res.Indexed.Nodes); len(got) != 0 {
		t.Errorf("indexed repositories after the push: %v", got)
	}
	if s := res.Search.Results; s.MatchCount != 2 || s.IndexedRepositories != 0 || s.UnindexedRepositories != 2 {
		t.Errorf("search after the push: %+v; want both repositories from their mirrors", s)
	}
}

// TestTextSearchIndexBranchesAPI: a connection's "indexedBranches" is validated when it
// is added or changed, its branches are listed with their indexed commits in
// textSearchIndex.refs, and a change of the list queues rebuilds of its repositories.
func TestTextSearchIndexBranchesAPI(t *testing.T) {
	ctx := context.Background()
	e, ix, backend := newIndexAPI(t)
	w := gittest.NewRepo(t)
	day := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	main1 := w.Commit(day, "", "first", map[string]string{"a.go": "package a\n"})
	w.Git("checkout", "-q", "-b", "release")
	rel1 := w.Commit(day.Add(time.Hour), "", "release", map[string]string{"a.go": "package a // release\n"})
	w.Git("checkout", "-q", "main")

	add := `mutation($c: String!) { addExternalService(input: {kind: GIT, displayName: "local", config: $c}) { id } }`
	config := func(branches any) string {
		cfg, _ := json.Marshal(map[string]any{"repos": []map[string]string{{"url": w.Dir, "name": "local/br"}}, "indexedBranches": branches})
		return string(cfg)
	}
	for _, bad := range []any{
		map[string]any{"local/br": []string{"refs/heads/release"}},
		map[string]any{"local/br": "release"},
		[]string{"release"},
	} {
		r := e.Do(t, e.AdminToken, add, map[string]any{"c": config(bad)})
		if r.Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "indexedBranches") {
			t.Errorf("adding a connection with indexedBranches %v: %+v; want BAD_USER_INPUT naming indexedBranches", bad, r.Errors)
		}
	}
	var added struct{ AddExternalService struct{ ID string } }
	e.MustDo(t, e.AdminToken, add, map[string]any{"c": config(map[string]any{"local/*": []string{"release"}})}, &added)

	svcs, err := e.Store.ExternalServices().List(ctx, store.Page{})
	if err != nil || len(svcs) != 1 {
		t.Fatalf("connections: %v, %v", svcs, err)
	}
	if _, err := e.Store.Repos().SyncFromService(ctx, svcs[0].ID, []store.SourcedRepo{{Name: "local/br", CloneURL: w.Dir}}, false); err != nil {
		t.Fatal(err)
	}
	r := fetchRepo(t, e, "local/br")
	branches, err := search.BranchesToIndex(ctx, e.Store, r)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Repos.Mirror(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.IndexBranches(ctx, textindex.Repo{ID: r.ID, Name: r.Name}, m, branches); err != nil {
		t.Fatal(err)
	}

	type ref struct {
		Ref           struct{ DisplayName string }
		Indexed       bool
		Current       bool
		IndexedCommit *struct{ Commit struct{ Oid string } }
	}
	var res struct {
		Repository struct {
			TextSearchIndex struct{ Refs []ref }
		}
	}
	q := `{ repository(name: "local/br") { textSearchIndex { refs { ref { displayName } indexed current indexedCommit { commit { oid } } } } } }`
	got := func() string {
		e.MustDo(t, e.AdminToken, q, nil, &res)
		var parts []string
		for _, r := range res.Repository.TextSearchIndex.Refs {
			commit := ""
			if r.IndexedCommit != nil {
				commit = r.IndexedCommit.Commit.Oid
			}
			parts = append(parts, fmt.Sprintf("%s indexed=%v current=%v at=%s", r.Ref.DisplayName, r.Indexed, r.Current, commit))
		}
		return strings.Join(parts, "; ")
	}
	want := fmt.Sprintf("main indexed=true current=true at=%s; release indexed=true current=true at=%s", main1, rel1)
	textindextest.WaitBranches(t, backend, uint32(r.ID), textindex.DefaultMaxFileSize, branches)
	if g := got(); g != want {
		t.Errorf("refs: %s\nwant %s", g, want)
	}

	// Changing the list queues a rebuild of the connection's repositories; a change of
	// anything else does not.
	update := `mutation($id: ID!, $c: String!) { updateExternalService(input: {id: $id, config: $c}) { id } }`
	queued := func() int {
		var n int
		if err := e.DB.QueryRow(ctx, `SELECT count(*) FROM text_index_jobs WHERE repo_id = $1 AND reason = 'config'`, r.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	e.MustDo(t, e.AdminToken, update, map[string]any{"id": added.AddExternalService.ID, "c": config(map[string]any{"local/*": []string{"release"}})}, nil)
	if n := queued(); n != 0 {
		t.Errorf("an update that keeps the list queued %d rebuilds", n)
	}
	r2 := e.Do(t, e.AdminToken, update, map[string]any{"id": added.AddExternalService.ID, "c": config(map[string]any{"local/*": []string{"release", "bad..name"}})})
	if r2.Code() != "BAD_USER_INPUT" || queued() != 0 {
		t.Errorf("an update with an invalid branch: %+v, %d rebuilds queued; want BAD_USER_INPUT and none", r2.Errors, queued())
	}
	e.MustDo(t, e.AdminToken, update, map[string]any{"id": added.AddExternalService.ID, "c": config(nil)}, nil)
	if n := queued(); n != 1 {
		t.Errorf("an update that drops release queued %d rebuilds; want 1", n)
	}
}
