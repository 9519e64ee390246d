package resolvers_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/version"
)

// srcCLIOperations are the operations Sourcegraph's src CLI sends for `src search`,
// `src repos list`, `src users list` and `src orgs list`, in its shapes (fragments,
// variables and their types), written from its public documentation. Scripts built on
// that CLI must work against Lookout unchanged.
var srcCLIOperations = map[string]string{
	"search": `fragment FileMatchFields on FileMatch {
  repository { name url }
  file { name path url content commit { oid } }
  lineMatches { preview lineNumber offsetAndLengths limitHit }
}
fragment CommitSearchResultFields on CommitSearchResult {
  messagePreview { value highlights { line character length } }
  diffPreview { value highlights { line character length } }
  label { html }
  url
  matches { url body { html text } highlights { character line length } }
  commit { repository { name } oid url subject author { date person { displayName } } }
}
fragment RepositoryFields on Repository {
  name url
  externalURLs { serviceType url }
  label { html }
}
fragment SearchResultsAlertFields on SearchResults {
  alert { title description proposedQueries { description query } }
}
query ($query: String!) {
  site { buildVersion }
  search(query: $query) {
    results {
      results {
        __typename
        ... on FileMatch { ...FileMatchFields }
        ... on CommitSearchResult { ...CommitSearchResultFields }
        ... on Repository { ...RepositoryFields }
      }
      limitHit
      cloning { name }
      missing { name }
      timedout { name }
      resultCount
      elapsedMilliseconds
      ...SearchResultsAlertFields
    }
  }
}`,
	// Older CLIs read commit results as text.
	"search (older commit fields)": `query ($query: String!) {
  search(query: $query) {
    results { results { ... on CommitSearchResult { label { text } detail { text } matches { body { text } } } } }
  }
}`,
	"repos list": `query Repositories(
  $first: Int, $query: String, $cloned: Boolean, $notCloned: Boolean, $indexed: Boolean,
  $notIndexed: Boolean, $orderBy: RepositoryOrderBy, $descending: Boolean, $after: String,
) {
  repositories(
    first: $first, query: $query, cloned: $cloned, notCloned: $notCloned, indexed: $indexed,
    notIndexed: $notIndexed, orderBy: $orderBy, descending: $descending, after: $after,
  ) {
    nodes { ...RepositoryFields }
    pageInfo { hasNextPage endCursor }
  }
}
fragment RepositoryFields on Repository {
  id name url description language createdAt updatedAt
  externalRepository { id serviceType serviceID }
  defaultBranch { name displayName }
  viewerCanAdminister
  keyValuePairs { key value }
}`,
	"users list": `query Users($first: Int, $query: String) {
  users(first: $first, query: $query) { nodes { ...UserFields } }
}
fragment UserFields on User {
  id username displayName siteAdmin
  organizations { nodes { id name displayName } }
  emails { email verified }
  usageStatistics { lastActiveTime lastActiveCodeHostIntegrationTime }
  url
}`,
	"orgs list": `query Organizations($first: Int, $query: String) {
  organizations(first: $first, query: $query) { nodes { ...OrgFields } totalCount }
}
fragment OrgFields on Org {
  id name displayName
  members { nodes { id username } }
}`,
}

// srcCLIEnv is an API with three repositories (two cloned, one whose clone fails), users
// and organizations, as the CLI's operations find them.
type srcCLIEnv struct {
	*apitest.Env
	aliceToken string
}

func newSrcCLIEnv(t *testing.T) *srcCLIEnv {
	ctx := context.Background()
	e := newSearchAPI(t)
	reposSvc := e.Repos
	api := makeRepo(t, "2024-03-01T12:00:00Z", "Ada <ada@example.com>", map[string]string{
		"main.go":   "package main\n\n// TODO: one\n// TODO: two\nfunc main() {}\n",
		"util.go":   "package main\n\nfunc util() {}\n",
		"README.md": "# API\n\nTODO: write the docs, a long README for a small service.\n",
	})
	scripts := makeRepo(t, "2024-03-02T12:00:00Z", "Grace <grace@example.com>", map[string]string{
		"deploy.py": "import os\n\n\ndef deploy():\n    pass  # TODO: deploy\n",
	})
	svc, err := e.Store.ExternalServices().Create(ctx, "GIT", "local", gitConfig(api, scripts), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{
		{Name: "local/api", URI: api, CloneURL: api, ExternalID: api, DefaultBranch: "main", Description: "the API"},
		{Name: "local/scripts", URI: scripts, CloneURL: scripts, ExternalID: scripts, DefaultBranch: "main"},
		{Name: "local/later", CloneURL: filepath.Join(t.TempDir(), "nothing"), DefaultBranch: "main"},
	}, false); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"local/api", "local/scripts", "local/later"} {
		r, _ := e.Store.Repos().GetByName(ctx, store.InternalViewer, name)
		if _, err := reposSvc.Fetch(ctx, r.ID, nil); (err != nil) != (name == "local/later") {
			t.Fatalf("fetching %s: %v", name, err)
		}
	}
	alice, aliceToken := e.CreateUser(t, "alice", false)
	e.CreateUser(t, "bob", false)
	for _, o := range []struct{ name, display string }{{"acme", "Acme Corp"}, {"initech", "Initech"}} {
		if _, err := e.Store.Orgs().Create(ctx, o.name, o.display, alice.ID); err != nil {
			t.Fatal(err)
		}
	}
	return &srcCLIEnv{Env: e, aliceToken: aliceToken}
}

func TestSrcCLISearch(t *testing.T) {
	e := newSrcCLIEnv(t)
	type highlight struct{ Line, Character, Length int }
	type markdown struct{ HTML, Text string }
	type result struct {
		Typename   string `json:"__typename"`
		Repository struct{ Name, URL string }
		File       struct {
			Name, Path, URL, Content string
			Commit                   struct{ Oid string }
		}
		LineMatches []struct {
			Preview          string
			LineNumber       int
			OffsetAndLengths [][]int
			LimitHit         bool
		}
		// Commits.
		MessagePreview *struct {
			Value      string
			Highlights []highlight
		}
		DiffPreview *struct{ Value string }
		Label       markdown
		URL         string
		Matches     []struct {
			URL        string
			Body       markdown
			Highlights []highlight
		}
		Commit struct {
			Oid, Subject string
			Author       struct {
				Date   string
				Person struct{ DisplayName string }
			}
		}
		// Repositories.
		Name         string
		ExternalURLs []struct{ ServiceType, URL string }
	}
	type response struct {
		Site   struct{ BuildVersion string }
		Search struct {
			Results struct {
				Results                    []result
				LimitHit                   bool
				Cloning, Missing, Timedout []struct{ Name string }
				ResultCount                int
				ElapsedMilliseconds        int
				Alert                      *struct {
					Title, Description string
					ProposedQueries    []struct{ Description, Query string }
				}
			}
		}
	}
	run := func(q string) response {
		t.Helper()
		var res response
		e.MustDo(t, e.AdminToken, srcCLIOperations["search"], map[string]any{"query": q}, &res)
		if res.Site.BuildVersion != version.Version() || res.Site.BuildVersion == "" {
			t.Fatalf("buildVersion %q, want %q", res.Site.BuildVersion, version.Version())
		}
		return res
	}

	// File content search: whole files, line matches, and a limit that cuts a file.
	res := run("TODO repo:^local/api$ file:main.go")
	if got := res.Search.Results; got.ResultCount != 2 || got.LimitHit || got.Alert != nil || len(got.Results) != 1 {
		t.Fatalf("content search: %+v", got)
	}
	fm := res.Search.Results.Results[0]
	wantLines := []struct {
		Preview          string
		LineNumber       int
		OffsetAndLengths [][]int
		LimitHit         bool
	}{{"// TODO: one", 2, [][]int{{3, 4}}, false}, {"// TODO: two", 3, [][]int{{3, 4}}, false}}
	if diff := cmp.Diff(wantLines, fm.LineMatches); diff != "" {
		t.Errorf("line matches: %s", diff)
	}
	if fm.Typename != "FileMatch" || fm.File.Name != "main.go" || fm.File.Path != "main.go" || fm.Repository.Name != "local/api" ||
		fm.File.Content != "package main\n\n// TODO: one\n// TODO: two\nfunc main() {}\n" || len(fm.File.Commit.Oid) != 40 {
		t.Errorf("file match: %+v", fm)
	}
	res = run("TODO repo:^local/api$ file:main.go count:1")
	if got := res.Search.Results; !got.LimitHit || len(got.Results) != 1 || len(got.Results[0].LineMatches) != 1 || !got.Results[0].LineMatches[0].LimitHit {
		t.Errorf("a limit that cuts the file's matches: %+v", got)
	}
	// Contents of several files of one repository, read in one batch.
	res = run("TODO repo:^local/")
	contents := map[string]string{}
	for _, r := range res.Search.Results.Results {
		contents[r.Repository.Name+"/"+r.File.Path] = r.File.Content
	}
	if len(contents) != 3 || !strings.Contains(contents["local/api/README.md"], "write the docs") || !strings.Contains(contents["local/scripts/deploy.py"], "def deploy") {
		t.Errorf("contents: %v", contents)
	}

	// Commit search: the message as a fenced block with highlights under the fence.
	res = run("type:commit repo:^local/api$ more")
	if len(res.Search.Results.Results) != 1 {
		t.Fatalf("commit search: %+v", res.Search.Results)
	}
	c := res.Search.Results.Results[0]
	if c.Typename != "CommitSearchResult" || c.Commit.Subject != "add files" || c.Commit.Author.Person.DisplayName != "Ada" ||
		c.Commit.Author.Date != "2024-03-01T12:00:00Z" || c.URL != "/local/api/-/commit/"+c.Commit.Oid {
		t.Errorf("commit result: %+v", c)
	}
	wantLabel := `<a href="/local/api">local/api</a> › Ada: <a href="/local/api/-/commit/` + c.Commit.Oid + `">add files</a>`
	if c.Label.HTML != wantLabel {
		t.Errorf("label: %s\nwant   %s", c.Label.HTML, wantLabel)
	}
	if len(c.Matches) != 1 {
		t.Fatalf("matches: %+v", c.Matches)
	}
	m := c.Matches[0]
	bodyLines := strings.Split(m.Body.Text, "\n")
	if bodyLines[0] != "```COMMIT_EDITMSG" || bodyLines[len(bodyLines)-1] != "```" || m.URL != c.URL ||
		!strings.HasPrefix(m.Body.HTML, `<pre><code class="language-COMMIT_EDITMSG">add files`) {
		t.Errorf("match body: %q / %q", m.Body.Text, m.Body.HTML)
	}
	for _, h := range m.Highlights {
		if got := string([]rune(bodyLines[h.Line])[h.Character : h.Character+h.Length]); !strings.EqualFold(got, "more") {
			t.Errorf("highlight %+v marks %q in %q", h, got, bodyLines[h.Line])
		}
	}
	if len(m.Highlights) != 1 || c.MessagePreview == nil || c.MessagePreview.Highlights[0].Line+1 != m.Highlights[0].Line {
		t.Errorf("highlights %+v, message preview %+v", m.Highlights, c.MessagePreview)
	}

	// Diff search: a diff block.
	res = run("type:diff repo:^local/scripts$ deploy")
	if len(res.Search.Results.Results) != 1 || !strings.HasPrefix(res.Search.Results.Results[0].Matches[0].Body.Text, "```diff\n") ||
		res.Search.Results.Results[0].DiffPreview == nil {
		t.Errorf("diff search: %+v", res.Search.Results)
	}

	// Repository results: plain git connections have no web pages.
	res = run("type:repo scripts")
	if len(res.Search.Results.Results) != 1 {
		t.Fatalf("repo search: %+v", res.Search.Results)
	}
	r := res.Search.Results.Results[0]
	if r.Name != "local/scripts" || r.ExternalURLs == nil || len(r.ExternalURLs) != 0 || r.Label.HTML != `<a href="/local/scripts">local/scripts</a>` {
		t.Errorf("repository result: %+v", r)
	}

	// Likely mistakes get an alert whose proposed query finds something.
	for _, tc := range []struct {
		query, title string
	}{
		{"TODO repo:^local/nope$", "No repositories match the query"},
		{"TODO.*deploy", "No results for a pattern that looks like a regular expression"},
		{"todo case:yes", "No results matching the case"},
	} {
		res := run(tc.query)
		a := res.Search.Results.Alert
		if res.Search.Results.ResultCount != 0 || a == nil || a.Title != tc.title || len(a.ProposedQueries) != 1 {
			t.Errorf("%s: alert %+v", tc.query, a)
			continue
		}
		again := run(a.ProposedQueries[0].Query)
		if again.Search.Results.ResultCount == 0 || again.Search.Results.Alert != nil {
			t.Errorf("%s: proposed query %q finds nothing", tc.query, a.ProposedQueries[0].Query)
		}
	}
	// A query that simply finds nothing has no alert.
	if res := run("nothingmatchesthis"); res.Search.Results.Alert != nil {
		t.Errorf("alert without a mistake: %+v", res.Search.Results.Alert)
	}
}

func TestSrcCLIReposList(t *testing.T) {
	e := newSrcCLIEnv(t)
	type repo struct {
		ID, Name, URL, Description, Language string
		CreatedAt, UpdatedAt                 string
		ExternalRepository                   *struct{ ID, ServiceType, ServiceID string }
		DefaultBranch                        *struct{ Name, DisplayName string }
		ViewerCanAdminister                  bool
		KeyValuePairs                        []struct{ Key, Value string }
	}
	list := func(token string, vars map[string]any) ([]repo, *string) {
		t.Helper()
		var res struct {
			Repositories struct {
				Nodes    []repo
				PageInfo struct{ EndCursor *string }
			}
		}
		e.MustDo(t, token, srcCLIOperations["repos list"], vars, &res)
		return res.Repositories.Nodes, res.Repositories.PageInfo.EndCursor
	}
	names := func(rs []repo) []string {
		out := []string{}
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	// What `src repos list` sends by default.
	defaults := map[string]any{"first": 1000, "query": nil, "cloned": true, "notCloned": true, "indexed": true, "notIndexed": true, "orderBy": "REPOSITORY_NAME", "descending": false}
	all, _ := list(e.AdminToken, defaults)
	if diff := cmp.Diff([]string{"local/api", "local/later", "local/scripts"}, names(all)); diff != "" {
		t.Fatalf("default listing: %s", diff)
	}
	api := all[0]
	apiDir := api.ExternalRepository.ID
	if api.Language != "Go" || api.Description != "the API" || api.URL != "/local/api" || api.DefaultBranch == nil || api.DefaultBranch.DisplayName != "main" ||
		api.ExternalRepository == nil || api.ExternalRepository.ServiceType != "other" || api.ExternalRepository.ServiceID != "file:///" || !filepath.IsAbs(apiDir) ||
		!api.ViewerCanAdminister || api.KeyValuePairs == nil || len(api.KeyValuePairs) != 0 {
		t.Errorf("local/api: %+v %+v", api, api.ExternalRepository)
	}
	if all[2].Language != "Python" || all[1].Language != "" || all[1].DefaultBranch != nil {
		t.Errorf("languages %q %q, default branch of an uncloned repository %+v", all[2].Language, all[1].Language, all[1].DefaultBranch)
	}
	if _, err := time.Parse(time.RFC3339, api.CreatedAt); err != nil {
		t.Errorf("createdAt %q: %v", api.CreatedAt, err)
	}

	with := func(changes map[string]any) map[string]any {
		v := map[string]any{}
		for k, x := range defaults {
			v[k] = x
		}
		for k, x := range changes {
			v[k] = x
		}
		return v
	}
	for _, tc := range []struct {
		name string
		vars map[string]any
		want []string
	}{
		{"-not-cloned=false", with(map[string]any{"notCloned": false}), []string{"local/api", "local/scripts"}},
		{"-cloned=false", with(map[string]any{"cloned": false}), []string{"local/later"}},
		{"-cloned=false -not-cloned=false", with(map[string]any{"cloned": false, "notCloned": false}), []string{}},
		{"-indexed=false (nothing is indexed)", with(map[string]any{"indexed": false}), []string{"local/api", "local/later", "local/scripts"}},
		{"-not-indexed=false (nothing is indexed)", with(map[string]any{"notIndexed": false}), []string{}},
		{"-query", with(map[string]any{"query": "SCRIPT"}), []string{"local/scripts"}},
		{"-order-by created-at -descending", with(map[string]any{"orderBy": "REPO_CREATED_AT", "descending": true}), []string{"local/later", "local/scripts", "local/api"}},
		{"-first=-1 (null: the default page)", with(map[string]any{"first": nil}), []string{"local/api", "local/later", "local/scripts"}},
	} {
		got, _ := list(e.AdminToken, tc.vars)
		if diff := cmp.Diff(tc.want, names(got)); diff != "" {
			t.Errorf("%s: %s", tc.name, diff)
		}
	}
	// Paging with after.
	page, cursor := list(e.AdminToken, with(map[string]any{"first": 2}))
	if cursor == nil || len(page) != 2 {
		t.Fatalf("first page %v, cursor %v", names(page), cursor)
	}
	rest, end := list(e.AdminToken, with(map[string]any{"first": 2, "after": *cursor}))
	if diff := cmp.Diff([]string{"local/scripts"}, names(rest)); diff != "" || end != nil {
		t.Errorf("second page: %s (cursor %v)", diff, end)
	}
	// A user who is not a site admin lists the same repositories but may not administer them.
	mine, _ := list(e.aliceToken, defaults)
	if len(mine) != 3 || mine[0].ViewerCanAdminister {
		t.Errorf("alice's listing: %+v", mine)
	}
}

func TestSrcCLIUsersAndOrgsList(t *testing.T) {
	e := newSrcCLIEnv(t)
	type user struct {
		ID, Username, DisplayName, URL string
		SiteAdmin                      bool
		Organizations                  struct {
			Nodes []struct{ ID, Name, DisplayName string }
		}
		Emails []struct {
			Email    string
			Verified bool
		}
		UsageStatistics struct{ LastActiveTime, LastActiveCodeHostIntegrationTime *string }
	}
	var users struct{ Users struct{ Nodes []user } }
	// The admin's token was used by the requests above it; alice's has not been.
	e.MustDo(t, e.AdminToken, srcCLIOperations["users list"], map[string]any{"first": 1000, "query": nil}, &users)
	got := map[string]user{}
	var order []string
	for _, u := range users.Users.Nodes {
		got[u.Username] = u
		order = append(order, u.Username)
	}
	if diff := cmp.Diff([]string{"admin", "alice", "bob"}, order); diff != "" {
		t.Fatalf("users: %s", diff)
	}
	alice, admin := got["alice"], got["admin"]
	if len(alice.Emails) != 1 || alice.Emails[0].Email != "alice@example.com" || !alice.Emails[0].Verified || alice.SiteAdmin || alice.URL != "/users/alice" {
		t.Errorf("alice: %+v", alice)
	}
	var orgNames []string
	for _, o := range alice.Organizations.Nodes {
		orgNames = append(orgNames, o.Name+"="+o.DisplayName)
	}
	if diff := cmp.Diff([]string{"acme=Acme Corp", "initech=Initech"}, orgNames); diff != "" {
		t.Errorf("alice's organizations: %s", diff)
	}
	if admin.UsageStatistics.LastActiveTime == nil || alice.UsageStatistics.LastActiveTime != nil || admin.UsageStatistics.LastActiveCodeHostIntegrationTime != nil {
		t.Errorf("usage statistics: admin %+v, alice %+v", admin.UsageStatistics, alice.UsageStatistics)
	} else if at, err := time.Parse(time.RFC3339, *admin.UsageStatistics.LastActiveTime); err != nil || time.Since(at) > time.Minute {
		t.Errorf("admin last active %q: %v", *admin.UsageStatistics.LastActiveTime, err)
	}
	e.MustDo(t, e.AdminToken, srcCLIOperations["users list"], map[string]any{"first": 1000, "query": "ALI"}, &users)
	if len(users.Users.Nodes) != 1 || users.Users.Nodes[0].Username != "alice" {
		t.Errorf("users -query=ALI: %+v", users.Users.Nodes)
	}
	if r := e.Do(t, e.aliceToken, srcCLIOperations["users list"], map[string]any{"first": 10}); r.Code() != "FORBIDDEN" {
		t.Errorf("a user who is not a site admin listing users: %+v", r.Errors)
	}

	type orgs struct {
		Organizations struct {
			Nodes []struct {
				ID, Name, DisplayName string
				Members               struct {
					Nodes []struct{ ID, Username string }
				}
			}
			TotalCount int
		}
	}
	for _, tc := range []struct {
		token string
		vars  map[string]any
		want  []string
		total int
	}{
		{e.AdminToken, map[string]any{"first": 1000, "query": nil}, []string{"acme=Acme Corp[alice]", "initech=Initech[alice]"}, 2},
		{e.AdminToken, map[string]any{"first": 1, "query": nil}, []string{"acme=Acme Corp[alice]"}, 2},
		{e.AdminToken, map[string]any{"first": 1000, "query": "corp"}, []string{"acme=Acme Corp[alice]"}, 1},
	} {
		var res orgs
		e.MustDo(t, tc.token, srcCLIOperations["orgs list"], tc.vars, &res)
		var got []string
		for _, o := range res.Organizations.Nodes {
			var members []string
			for _, m := range o.Members.Nodes {
				members = append(members, m.Username)
			}
			got = append(got, fmt.Sprintf("%s=%s[%s]", o.Name, o.DisplayName, strings.Join(members, ",")))
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || res.Organizations.TotalCount != tc.total {
			t.Errorf("orgs %v: total %d (want %d) %s", tc.vars, res.Organizations.TotalCount, tc.total, diff)
		}
	}
	if r := e.Do(t, e.aliceToken, srcCLIOperations["orgs list"], map[string]any{"first": 10}); r.Code() != "FORBIDDEN" {
		t.Errorf("a user who is not a site admin listing organizations: %+v", r.Errors)
	}
	// Each org's ID is a node the CLI's `src orgs get` can follow.
	var res orgs
	e.MustDo(t, e.AdminToken, srcCLIOperations["orgs list"], map[string]any{"first": 1}, &res)
	var node struct{ Node struct{ Name string } }
	e.MustDo(t, e.AdminToken, `query($id: ID!) { node(id: $id) { ... on Org { name } } }`, map[string]any{"id": res.Organizations.Nodes[0].ID}, &node)
	if node.Node.Name != "acme" {
		t.Errorf("org node: %+v", node)
	}
}
