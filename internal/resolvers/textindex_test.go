package resolvers_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
)

// TestTextSearchIndexAPI: a repository's index status, the repositories filter on it,
// and search results saying which repositories the index answered.
func TestTextSearchIndexAPI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	backend, err := textindex.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	e := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) {
		d.Search = search.NewService(d.Store, d.Repos, nil, nil, search.Options{Index: backend})
	}})
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
	repo := func(name string) *store.Repo {
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
	ix, err := textindex.NewIndexer(textindex.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
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
			Results struct{ MatchCount, IndexedRepositories, UnindexedRepositories int }
		}
	}
	q := `{
		indexed: repositories(notIndexed: false) { nodes { name } }
		notIndexed: repositories(indexed: false) { nodes { name } }
		a: repository(name: "local/indexed") { ...idx }
		b: repository(name: "local/plain") { ...idx }
		search(query: "needle") { results { matchCount indexedRepositories unindexedRepositories } }
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
