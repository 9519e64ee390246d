package resolvers_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
)

// makeRepo commits files to a new repository and returns its directory.
func makeRepo(t *testing.T, date, author string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	name, email, _ := strings.Cut(strings.TrimSuffix(author, ">"), " <")
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "add files\n\nTODO: more files"}} {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email,
			"GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+email, "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// gitConfig is the config of a GIT connection that brings the repositories at dirs.
func gitConfig(dirs ...string) string {
	raw, _ := json.Marshal(map[string]any{"repos": dirs})
	return string(raw)
}

// newSearchAPI starts the API with search over the mirrors of its repository service
// (e.Repos, which fetches local repositories).
func newSearchAPI(t *testing.T) *apitest.Env {
	return apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) {
		d.Search = search.NewService(d.Store, d.Repos, search.NewBlobCache(0, nil), nil, search.Options{})
	}})
}

func TestSearchAPI(t *testing.T) {
	ctx := context.Background()
	e := newSearchAPI(t)
	reposSvc := e.Repos
	alice, aliceToken := e.CreateUser(t, "alice", false)
	_, bobToken := e.CreateUser(t, "bob", false)

	open := makeRepo(t, "2024-03-01T12:00:00Z", "Ada <ada@example.com>", map[string]string{
		"main.go":   "package main\n\n// TODO: größer\nfunc main() {}\n",
		"README.md": "# Open\n\nNothing to do.\n",
	})
	secret := makeRepo(t, "2024-03-02T12:00:00Z", "Eve <eve@example.com>", map[string]string{"keys.go": "package keys\n\n// TODO: rotate hunter2\n"})
	svc, err := e.Store.ExternalServices().Create(ctx, "GIT", "local", gitConfig(open, secret), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{
		{Name: "local/open", CloneURL: open, DefaultBranch: "main"},
		{Name: "local/secret", CloneURL: secret, DefaultBranch: "main", Private: true},
		{Name: "local/later", CloneURL: filepath.Join(t.TempDir(), "nothing"), DefaultBranch: "main"},
	}, false); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"local/open", "local/secret"} {
		r, _ := e.Store.Repos().GetByName(ctx, store.InternalViewer, name)
		if _, err := reposSvc.Fetch(ctx, r.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	secretRepo, _ := e.Store.Repos().GetByName(ctx, store.InternalViewer, "local/secret")
	if err := e.Store.Repos().SetRepoPermissions(ctx, secretRepo.ID, []int64{alice.ID}, store.PermissionSourceAPI); err != nil {
		t.Fatal(err)
	}

	const q = `query($q: String!, $pt: SearchPatternType) {
  search(query: $q, patternType: $pt) {
    results {
      matchCount limitHit incomplete
      cloning { name } missing { name } timedout { name }
      repositoryCounts { repository { name } matchCount }
      results {
        __typename
        ... on FileMatch { repository { name } file { path url name } lineMatches { preview lineNumber offsetAndLengths } }
        ... on CommitSearchResult {
          commit { oid message author { person { name email } date } }
          messagePreview { value highlights { line character length } }
          diffPreview { value highlights { line character length } }
        }
        ... on Repository { name }
      }
    }
    stats { approximateResultCount languages { name totalBytes totalLines } }
  }
}`
	type highlighted struct {
		Value      string
		Highlights []struct{ Line, Character, Length int }
	}
	type result struct {
		Typename    string `json:"__typename"`
		Repository  *struct{ Name string }
		File        *struct{ Path, URL, Name string }
		LineMatches []struct {
			Preview          string
			LineNumber       int
			OffsetAndLengths [][]int
		}
		Commit *struct {
			OID     string
			Message string
			Author  struct {
				Person struct{ Name, Email string }
				Date   string
			}
		}
		MessagePreview *highlighted
		DiffPreview    *highlighted
		Name           string
	}
	type response struct {
		Search struct {
			Results struct {
				MatchCount       int
				LimitHit         bool
				Incomplete       bool
				Cloning, Missing []struct{ Name string }
				Timedout         []struct{ Name string }
				RepositoryCounts []struct {
					Repository struct{ Name string }
					MatchCount int
				}
				Results []result
			}
			Stats struct {
				ApproximateResultCount string
				Languages              []struct {
					Name       string
					TotalBytes float64
					TotalLines int
				}
			}
		}
	}
	run := func(token, query string, pt any) response {
		t.Helper()
		var out response
		e.MustDo(t, token, q, map[string]any{"q": query, "pt": pt}, &out)
		return out
	}

	// Content search: file matches with 0-based lines and character offsets.
	out := run(aliceToken, "repo:^local/open$ größer", nil)
	res := out.Search.Results
	if res.MatchCount != 1 || len(res.Results) != 1 {
		t.Fatalf("results %+v", res)
	}
	fm := res.Results[0]
	if fm.Typename != "FileMatch" || fm.Repository.Name != "local/open" || fm.File.Path != "main.go" || fm.File.URL != "/local/open/-/blob/main.go" {
		t.Errorf("file match %+v", fm)
	}
	if diff := cmp.Diff([]struct {
		Preview          string
		LineNumber       int
		OffsetAndLengths [][]int
	}{{Preview: "// TODO: größer", LineNumber: 2, OffsetAndLengths: [][]int{{9, 6}}}}, fm.LineMatches); diff != "" {
		t.Errorf("line matches (-want +got):\n%s", diff)
	}
	if out.Search.Stats.ApproximateResultCount != "1" || len(out.Search.Stats.Languages) != 1 || out.Search.Stats.Languages[0].Name != "Go" ||
		out.Search.Stats.Languages[0].TotalLines != 4 || out.Search.Stats.Languages[0].TotalBytes != float64(len("package main\n\n// TODO: größer\nfunc main() {}\n")) {
		t.Errorf("stats %+v", out.Search.Stats)
	}

	// Private repositories: alice sees the secret, bob never does; unfinished clones are listed.
	out = run(aliceToken, "TODO", nil)
	if got := repoNames(out.Search.Results.RepositoryCounts); !cmp.Equal(got, []string{"local/open", "local/secret"}) {
		t.Errorf("alice's repositories %v", got)
	}
	if len(out.Search.Results.Cloning) != 1 || out.Search.Results.Cloning[0].Name != "local/later" || !out.Search.Results.Incomplete {
		t.Errorf("cloning %+v incomplete %v", out.Search.Results.Cloning, out.Search.Results.Incomplete)
	}
	for _, query := range []string{"TODO", "hunter2", "repo:secret", "type:repo local", "type:commit TODO", "type:diff hunter2"} {
		out = run(bobToken, query, nil)
		for _, r := range out.Search.Results.Results {
			if r.Name == "local/secret" || r.Repository != nil && r.Repository.Name == "local/secret" || r.Commit != nil && strings.Contains(r.Commit.Message, "rotate") {
				t.Errorf("bob sees the secret repository with %q: %+v", query, r)
			}
		}
		if r := out.Search.Results; strings.Contains(repoNamesOf(r.Cloning, r.Missing, r.Timedout), "secret") {
			t.Errorf("bob is told about the secret repository with %q", query)
		}
	}

	// Commit and diff results with the commit's author, message and highlights.
	out = run(aliceToken, "repo:^local/open$ type:commit TODO", nil)
	if len(out.Search.Results.Results) != 1 {
		t.Fatalf("commit results %+v", out.Search.Results)
	}
	cr := out.Search.Results.Results[0]
	if cr.Typename != "CommitSearchResult" || cr.Commit.Author.Person.Name != "Ada" || cr.Commit.Author.Person.Email != "ada@example.com" ||
		cr.Commit.Author.Date != "2024-03-01T12:00:00Z" || len(cr.Commit.OID) != 40 || cr.DiffPreview != nil {
		t.Errorf("commit result %+v", cr)
	}
	if cr.MessagePreview == nil || len(cr.MessagePreview.Highlights) != 1 || cr.MessagePreview.Highlights[0].Line != 2 || cr.MessagePreview.Highlights[0].Length != 4 {
		t.Errorf("message preview %+v", cr.MessagePreview)
	}
	out = run(aliceToken, "repo:^local/open$ type:diff größer", nil)
	dr := out.Search.Results.Results[0]
	if dr.DiffPreview == nil || !strings.HasPrefix(dr.DiffPreview.Value, "/dev/null main.go\n@@ ") || len(dr.DiffPreview.Highlights) != 1 {
		t.Fatalf("diff preview %+v", dr.DiffPreview)
	}
	h := dr.DiffPreview.Highlights[0]
	line := strings.Split(dr.DiffPreview.Value, "\n")[h.Line]
	if got := string([]rune(line)[h.Character : h.Character+h.Length]); got != "größer" {
		t.Errorf("diff highlight %+v points at %q", h, got)
	}

	// Repository results, and the patternType argument.
	out = run(aliceToken, "type:repo open", nil)
	if len(out.Search.Results.Results) != 1 || out.Search.Results.Results[0].Typename != "Repository" || out.Search.Results.Results[0].Name != "local/open" {
		t.Errorf("repository results %+v", out.Search.Results.Results)
	}
	if out = run(aliceToken, "repo:^local/open$ TO.O", "regexp"); out.Search.Results.MatchCount != 1 {
		t.Errorf("regexp pattern type: %d matches", out.Search.Results.MatchCount)
	}
	if out = run(aliceToken, "repo:^local/open$ TO.O", "literal"); out.Search.Results.MatchCount != 0 {
		t.Errorf("literal pattern type: %d matches", out.Search.Results.MatchCount)
	}

	// Invalid queries are errors with code InvalidQuery that name the token.
	for _, tc := range []struct {
		query   string
		pt      any
		message string
	}{
		{"foo count:zero", nil, `"count:zero"`},
		{"/a(b/", nil, "/a(b/"},
		{"foo", "structural", "structural"},
		{"type:symbol foo", nil, "symbol"},
		{"context:nope foo", nil, "nope"},
	} {
		r := e.Do(t, aliceToken, q, map[string]any{"q": tc.query, "pt": tc.pt})
		if r.Code() != "InvalidQuery" || !strings.Contains(r.Errors[0].Message, tc.message) {
			t.Errorf("%q: errors %+v, want InvalidQuery naming %s", tc.query, r.Errors, tc.message)
		}
	}
	if r := e.Do(t, "", q, map[string]any{"q": "TODO"}); r.Code() != "UNAUTHENTICATED" {
		t.Errorf("anonymous search: %+v", r.Errors)
	}
}

func repoNames(counts []struct {
	Repository struct{ Name string }
	MatchCount int
}) []string {
	var out []string
	for _, c := range counts {
		out = append(out, c.Repository.Name)
	}
	return out
}

func repoNamesOf(lists ...[]struct{ Name string }) string {
	var out []string
	for _, l := range lists {
		for _, r := range l {
			out = append(out, r.Name)
		}
	}
	return strings.Join(out, ",")
}

func TestSearchContextsAPI(t *testing.T) {
	ctx := context.Background()
	e := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) {
		d.Search = search.NewService(d.Store, nil, nil, nil, search.Options{})
	}})
	_, aliceToken := e.CreateUser(t, "alice", false)
	svc, err := e.Store.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{
		{Name: "acme/api", CloneURL: "/nowhere/api"},
		{Name: "acme/web", CloneURL: "/nowhere/web"},
		{Name: "acme/api-fork", CloneURL: "/nowhere/fork", Fork: true},
	}, false); err != nil {
		t.Fatal(err)
	}

	const create = `mutation($in: SearchContextInput!) { createSearchContext(searchContext: $in) { id name spec description query public autoDefined viewerCanManage } }`
	type contextOut struct {
		ID, Name, Spec, Description, Query   string
		Public, AutoDefined, ViewerCanManage bool
	}
	count := func() int {
		t.Helper()
		var out struct{ SearchContexts struct{ TotalCount int } }
		e.MustDo(t, aliceToken, `{ searchContexts { totalCount } }`, nil, &out)
		return out.SearchContexts.TotalCount
	}

	// Only site admins create; what they create is checked, and nothing is written on failure.
	in := map[string]any{"name": "api-and-fork", "description": "the API and its fork", "query": `repo:^acme/api$ OR repo:^acme/api-fork$`}
	if r := e.Do(t, aliceToken, create, map[string]any{"in": in}); r.Code() != "FORBIDDEN" {
		t.Errorf("a user creates a context: %+v", r.Errors)
	}
	if r := e.Do(t, "", create, map[string]any{"in": in}); r.Code() != "UNAUTHENTICATED" {
		t.Errorf("anonymous create: %+v", r.Errors)
	}
	for _, tc := range []struct {
		in   map[string]any
		code string
	}{
		{map[string]any{"name": "a b", "query": "repo:a"}, "BAD_USER_INPUT"},
		{map[string]any{"name": "", "query": "repo:a"}, "BAD_USER_INPUT"},
		{map[string]any{"name": "global", "query": "repo:a"}, "BAD_USER_INPUT"},
		{map[string]any{"name": strings.Repeat("n", 101), "query": "repo:a"}, "BAD_USER_INPUT"},
		{map[string]any{"name": "long", "description": strings.Repeat("d", 1025), "query": "repo:a"}, "BAD_USER_INPUT"},
		{map[string]any{"name": "private", "query": "repo:a", "public": false}, "BAD_USER_INPUT"},
		{map[string]any{"name": "mine", "query": "repo:a", "namespace": "VXNlcjox"}, "BAD_USER_INPUT"},
		{map[string]any{"name": "pattern", "query": "repo:a TODO"}, "InvalidQuery"},
		{map[string]any{"name": "regexp", "query": "repo:a("}, "InvalidQuery"},
		{map[string]any{"name": "nested", "query": "context:other"}, "InvalidQuery"},
		{map[string]any{"name": "empty", "query": ""}, "InvalidQuery"},
	} {
		if r := e.Do(t, e.AdminToken, create, map[string]any{"in": tc.in}); r.Code() != tc.code {
			t.Errorf("create %v: %+v, want %s", tc.in, r.Errors, tc.code)
		}
	}
	if n := count(); n != 0 {
		t.Fatalf("%d contexts after failed creates", n)
	}
	var created struct{ CreateSearchContext contextOut }
	e.MustDo(t, e.AdminToken, create, map[string]any{"in": in}, &created)
	c := created.CreateSearchContext
	if c.Name != "api-and-fork" || c.Spec != "api-and-fork" || c.Description != "the API and its fork" || c.Query != in["query"] || !c.Public || c.AutoDefined || !c.ViewerCanManage {
		t.Errorf("created %+v", c)
	}
	if r := e.Do(t, e.AdminToken, create, map[string]any{"in": map[string]any{"name": "API-AND-FORK", "query": "repo:x"}}); r.Code() != "ALREADY_EXISTS" {
		t.Errorf("a taken name: %+v", r.Errors)
	}
	for _, name := range []string{"web", "all/acme"} {
		e.MustDo(t, e.AdminToken, create, map[string]any{"in": map[string]any{"name": name, "query": "repo:acme/" + strings.TrimPrefix(name, "all/acme")}}, nil)
	}

	// Every signed-in user lists and reads them.
	const list = `query($first: Int = 50, $after: String, $q: String) { searchContexts(first: $first, after: $after, query: $q) { totalCount nodes { name viewerCanManage } pageInfo { hasNextPage endCursor } } }`
	type listOut struct {
		SearchContexts struct {
			TotalCount int
			Nodes      []struct {
				Name            string
				ViewerCanManage bool
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	var names []string
	var after any
	for pages := 0; ; pages++ {
		var out listOut
		e.MustDo(t, aliceToken, list, map[string]any{"first": 2, "after": after}, &out)
		for _, n := range out.SearchContexts.Nodes {
			names = append(names, n.Name)
			if n.ViewerCanManage {
				t.Errorf("alice may manage %s", n.Name)
			}
		}
		if out.SearchContexts.TotalCount != 3 || pages > 3 {
			t.Fatalf("page %d: %+v", pages, out)
		}
		if !out.SearchContexts.PageInfo.HasNextPage {
			break
		}
		after = *out.SearchContexts.PageInfo.EndCursor
	}
	if diff := cmp.Diff([]string{"all/acme", "api-and-fork", "web"}, names); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	var filtered listOut
	e.MustDo(t, aliceToken, list, map[string]any{"q": "FORK"}, &filtered)
	if filtered.SearchContexts.TotalCount != 1 || filtered.SearchContexts.Nodes[0].Name != "api-and-fork" {
		t.Errorf("query FORK: %+v", filtered)
	}
	for _, tc := range []struct {
		vars map[string]any
		code string
	}{{map[string]any{"after": "bogus"}, "BAD_USER_INPUT"}, {map[string]any{"first": -1}, "BAD_USER_INPUT"}} {
		if r := e.Do(t, aliceToken, list, tc.vars); r.Code() != tc.code {
			t.Errorf("list %v: %+v", tc.vars, r.Errors)
		}
	}
	if r := e.Do(t, "", list, nil); r.Code() != "UNAUTHENTICATED" {
		t.Errorf("anonymous list: %+v", r.Errors)
	}
	const bySpec = `query($spec: String!) { searchContextBySpec(spec: $spec) { id name } }`
	var got struct{ SearchContextBySpec *struct{ ID, Name string } }
	e.MustDo(t, aliceToken, bySpec, map[string]any{"spec": "@API-and-fork"}, &got)
	if got.SearchContextBySpec == nil || got.SearchContextBySpec.ID != c.ID {
		t.Errorf("by spec: %+v", got.SearchContextBySpec)
	}
	for _, spec := range []string{"nope", "global", ""} {
		got.SearchContextBySpec = nil
		e.MustDo(t, aliceToken, bySpec, map[string]any{"spec": spec}, &got)
		if got.SearchContextBySpec != nil {
			t.Errorf("spec %q: %+v", spec, got.SearchContextBySpec)
		}
	}

	// A query uses it: the fork it names exactly is in, the web repository is not.
	const repoSearch = `query($q: String!) { search(query: $q) { results { results { ... on Repository { name } } } } }`
	var sr struct {
		Search struct {
			Results struct{ Results []struct{ Name string } }
		}
	}
	e.MustDo(t, aliceToken, repoSearch, map[string]any{"q": "type:repo context:api-and-fork"}, &sr)
	var repos []string
	for _, r := range sr.Search.Results.Results {
		repos = append(repos, r.Name)
	}
	if diff := cmp.Diff([]string{"acme/api", "acme/api-fork"}, repos); diff != "" {
		t.Errorf("type:repo context:api-and-fork (-want +got):\n%s", diff)
	}

	// Only site admins delete; a query naming a deleted context is invalid.
	const del = `mutation($id: ID!) { deleteSearchContext(id: $id) { alwaysNil } }`
	if r := e.Do(t, aliceToken, del, map[string]any{"id": c.ID}); r.Code() != "FORBIDDEN" {
		t.Errorf("a user deletes a context: %+v", r.Errors)
	}
	if r := e.Do(t, e.AdminToken, del, map[string]any{"id": "VXNlcjox"}); r.Code() != "BAD_USER_INPUT" {
		t.Errorf("deleting a user's ID: %+v", r.Errors)
	}
	e.MustDo(t, e.AdminToken, del, map[string]any{"id": c.ID}, nil)
	if r := e.Do(t, e.AdminToken, del, map[string]any{"id": c.ID}); r.Code() != "NOT_FOUND" {
		t.Errorf("deleting twice: %+v", r.Errors)
	}
	if n := count(); n != 2 {
		t.Errorf("%d contexts after the delete, want 2", n)
	}
	if r := e.Do(t, aliceToken, repoSearch, map[string]any{"q": "type:repo context:api-and-fork"}); r.Code() != "InvalidQuery" {
		t.Errorf("a deleted context in a query: %+v", r.Errors)
	}
}
