package search_test

import (
	"context"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/background/codemonitors/cmsearch"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

func TestScopeAdmits(t *testing.T) {
	plain := &store.Repo{Name: "github.com/acme/api"}
	fork := &store.Repo{Name: "github.com/acme/api-fork", Fork: true}
	archived := &store.Repo{Name: "github.com/acme/old", Archived: true}
	private := &store.Repo{Name: "github.com/acme/secret", Private: true}
	contexts := map[string]string{
		"acme":      `repo:^github\.com/acme/`,
		"forks":     `repo:^github\.com/acme/api-fork$`,
		"withforks": `repo:acme fork:yes archived:yes`,
		"public":    `repo:acme visibility:public`,
		"either":    `repo:api$ OR repo:old$`,
	}
	for _, tc := range []struct {
		query string
		want  map[*store.Repo]bool // repositories not listed: false
	}{
		{`x`, map[*store.Repo]bool{plain: true, private: true}},
		{`repo:acme`, map[*store.Repo]bool{plain: true, private: true}},
		{`repo:^github\.com/acme/api-fork$`, map[*store.Repo]bool{fork: true}},
		{`repo:^github.com/acme/api-fork$`, map[*store.Repo]bool{fork: true}}, // an unescaped dot names it too
		{`repo:^github\.com/acme/api-fork$ fork:no`, nil},
		{`repo:github\.com/acme/api-fork`, nil}, // not anchored: not named exactly
		{`repo:^github\.com/acme/old$`, map[*store.Repo]bool{archived: true}},
		{`fork:yes archived:yes`, map[*store.Repo]bool{plain: true, fork: true, archived: true, private: true}},
		{`fork:only`, map[*store.Repo]bool{fork: true}},
		{`archived:only`, map[*store.Repo]bool{archived: true}},
		{`visibility:private`, map[*store.Repo]bool{private: true}},
		{`visibility:public fork:yes`, map[*store.Repo]bool{plain: true, fork: true}},
		{`-repo:secret`, map[*store.Repo]bool{plain: true}},
		{`repo:acme -repo:api`, map[*store.Repo]bool{private: true}},
		// Contexts: one of the context's queries must admit the repository too; its
		// fork:/archived: apply when the query has none, and naming a fork exactly in
		// the context lets it through.
		{`context:acme`, map[*store.Repo]bool{plain: true, private: true}},
		{`context:forks`, map[*store.Repo]bool{fork: true}},
		{`context:forks fork:no`, nil},
		{`context:withforks`, map[*store.Repo]bool{plain: true, fork: true, archived: true, private: true}},
		{`context:withforks fork:no`, map[*store.Repo]bool{plain: true, archived: true, private: true}},
		{`context:public`, map[*store.Repo]bool{plain: true}},
		{`context:either`, map[*store.Repo]bool{plain: true}},
		{`context:either archived:yes`, map[*store.Repo]bool{plain: true, archived: true}},
		{`context:acme visibility:private`, map[*store.Repo]bool{private: true}},
	} {
		plan, err := query.Parse(tc.query)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		b := plan[0]
		var cp query.Plan
		if name := b.Context(); name != "" {
			if cp, err = query.Parse(contexts[name]); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range []*store.Repo{plain, fork, archived, private} {
			if got := search.ScopeAdmits(b, cp, r); got != tc.want[r] {
				t.Errorf("%s admits %s: %v, want %v", tc.query, r.Name, got, tc.want[r])
			}
		}
	}
}

// TestScopeAgreesAcrossCallers checks that the executor, code insights and code
// monitors put the same repositories in a query's scope (they all call ScopeAdmits),
// in particular a fork that a repo: filter names exactly, and that they read the same
// default-branch commit.
func TestScopeAgreesAcrossCallers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := search.CreateSearchContext(ctx, f.st, "the-fork", "", `repo:^acme/fork$`); err != nil {
		t.Fatal(err)
	}
	fork := f.repo["acme/fork"]
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{`repo:^acme/fork$`, true},
		{`repo:^acme\/fork$`, true},
		{`repo:acme/fork`, false},
		{`repo:^acme/fork$ fork:no`, false},
		{`repo:acme/fork fork:yes`, true},
		{`repo:acme fork:only`, true},
		{`repo:^acme/api$`, false},
		{`repo:^acme/fork$ visibility:private`, false},
		{`repo:acme/fork OR repo:^acme/fork$`, true},
	} {
		// The executor: a repository search lists the fork or not.
		res := f.search(t, f.alice, "type:repo ("+tc.query+")")
		executor := false
		for _, m := range res.Matches {
			executor = executor || m.Repository().ID == fork.ID
		}
		// Code insights: the repository matcher and a series' criteria scope.
		m, err := insights.NewRepoMatcher(ctx, tc.query, insights.StoreContexts(f.st))
		if err != nil {
			t.Fatal(err)
		}
		inScope := false
		repos, err := insights.ResolveRepos(ctx, f.st, f.alice, insights.SeriesDef{Query: "x", Scope: insights.Scope{Criteria: tc.query}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range repos {
			inScope = inScope || r.ID == fork.ID
		}
		// Code monitors: Covers and the snapshot a new monitor starts from.
		plan, err := cmsearch.ParseQuery("type:diff ("+tc.query+")", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		snap, err := cmsearch.Snapshot(ctx, f.st, f.alice, plan)
		if err != nil {
			t.Fatal(err)
		}
		_, snapped := snap[fork.ID]
		got := map[string]bool{
			"executor":          executor,
			"insights matcher":  m.MatchRepo(fork),
			"insights criteria": inScope,
			"monitors covers":   cmsearch.Covers(plan, fork),
			"monitors snapshot": snapped,
		}
		for who, v := range got {
			if v != tc.want {
				t.Errorf("%s: %s admits the fork: %v, want %v", tc.query, who, v, tc.want)
			}
		}
	}

	// A context that names the fork exactly admits it for the executor and insights
	// (code monitors leave contexts to the search, and so admit it as well).
	res := f.search(t, f.alice, "type:repo context:the-fork")
	if len(res.Matches) != 1 || res.Matches[0].Repository().ID != fork.ID {
		t.Errorf("executor with context:the-fork: %v", res.Matches)
	}
	m, err := insights.NewRepoMatcher(ctx, "context:the-fork", insights.StoreContexts(f.st))
	if err != nil {
		t.Fatal(err)
	}
	if !m.MatchRepo(fork) || m.MatchRepo(f.repo["acme/api"]) {
		t.Errorf("insights with context:the-fork: fork %v, api %v", m.MatchRepo(fork), m.MatchRepo(f.repo["acme/api"]))
	}
	monitorPlan, err := cmsearch.ParseQuery("type:diff context:the-fork x", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !cmsearch.Covers(monitorPlan, fork) {
		t.Errorf("code monitors with context:the-fork do not cover the fork")
	}

	// The default branch: one commit for all.
	api := f.repo["acme/api"]
	mirror, err := f.reposSvc.Mirror(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	want := f.commits[len(f.commits)-1]
	fromSearch, err := search.DefaultHead(ctx, api, mirror)
	if err != nil {
		t.Fatal(err)
	}
	fromInsights, err := insights.DefaultHead(ctx, api, mirror)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := cmsearch.ParseQuery("type:diff x", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	fromMonitors, _ := cmsearch.Revisions(plan, api) // include (no exclude without a last run)
	if fromSearch != want || fromInsights != want || len(fromMonitors) != 1 || fromMonitors[0] != want || search.RecordedDefaultHead(api) != want {
		t.Errorf("default head: search %s, insights %s, monitors %v, recorded %s; want %s", fromSearch, fromInsights, fromMonitors, search.RecordedDefaultHead(api), want)
	}
	// Without a recorded head the mirror's HEAD is read; without either, nothing.
	bare := &store.Repo{Name: api.Name}
	if got, err := search.DefaultHead(ctx, bare, mirror); err != nil || got != want {
		t.Errorf("default head from the mirror: %s, %v", got, err)
	}
	if got, err := search.DefaultHead(ctx, bare, nil); err != nil || got != "" {
		t.Errorf("default head without a record or mirror: %q, %v", got, err)
	}
	if got := search.RecordedDefaultHead(&store.Repo{HeadOIDs: map[string]string{"refs/heads/dev": "d1"}}); got != "d1" {
		t.Errorf("the only recorded head: %q", got)
	}
	// A known default branch that has no head is not the other branch's.
	if got := search.RecordedDefaultHead(&store.Repo{DefaultBranch: "master", HeadOIDs: map[string]string{"refs/heads/gh-pages": "p1"}}); got != "" {
		t.Errorf("default branch master without a head: %q, want none", got)
	}
}
