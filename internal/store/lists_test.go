package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/store"
)

// The list queries are assembled from optional parts: each combination of filters, the
// keyset cursor and the count must select the same rows as the filters say.
func TestListFiltersCombine(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.NewDB(t))

	for _, u := range []store.NewUser{
		{Username: "ada", DisplayName: "Ada Lovelace", Email: "ada@example.com"},
		{Username: "grace", DisplayName: "Grace 100% Hopper", Email: "grace@navy.example"},
		{Username: "linus", Email: "linus@example.com"},
		{Username: "gone"},
	} {
		if _, err := st.Users().Create(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	gone, _ := st.Users().GetByUsername(ctx, "gone")
	if err := st.Users().Delete(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	usernames := func(opts store.UserListOptions) ([]string, int) {
		t.Helper()
		us, err := st.Users().List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		n, err := st.Users().Count(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, u := range us {
			out = append(out, u.Username)
		}
		return out, n
	}
	ada, _ := st.Users().GetByUsername(ctx, "ada")
	for _, tc := range []struct {
		opts  store.UserListOptions
		want  []string
		count int
	}{
		{store.UserListOptions{}, []string{"ada", "grace", "linus"}, 3},
		{store.UserListOptions{Query: "EXAMPLE.com"}, []string{"ada", "linus"}, 2},
		{store.UserListOptions{Query: "lovelace"}, []string{"ada"}, 1},
		// % and _ are text, not wildcards.
		{store.UserListOptions{Query: "100%"}, []string{"grace"}, 1},
		{store.UserListOptions{Query: "a_a"}, []string{}, 0},
		{store.UserListOptions{Query: "example.com", Page: store.Page{After: ada.ID, Limit: 1}}, []string{"linus"}, 2},
	} {
		got, n := usernames(tc.opts)
		if diff := cmp.Diff(tc.want, got); diff != "" || n != tc.count {
			t.Errorf("users %+v: count %d (want %d) %s", tc.opts, n, tc.count, diff)
		}
	}

	admin, _ := st.Users().GetByUsername(ctx, "ada")
	for _, o := range [][2]string{{"acme", "Acme Corp"}, {"initech", "Initech"}, {"umbrella", "Umbrella Corp"}} {
		if _, err := st.Orgs().Create(ctx, o[0], o[1], admin.ID); err != nil {
			t.Fatal(err)
		}
	}
	orgNames := func(opts store.OrgListOptions) ([]string, int) {
		t.Helper()
		os, err := st.Orgs().List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		n, err := st.Orgs().Count(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, o := range os {
			out = append(out, o.Name)
		}
		return out, n
	}
	acme, _ := st.Orgs().GetByName(ctx, "acme")
	for _, tc := range []struct {
		opts  store.OrgListOptions
		want  []string
		count int
	}{
		{store.OrgListOptions{}, []string{"acme", "initech", "umbrella"}, 3},
		{store.OrgListOptions{Query: "corp"}, []string{"acme", "umbrella"}, 2},
		{store.OrgListOptions{Query: "TECH"}, []string{"initech"}, 1},
		{store.OrgListOptions{Page: store.Page{After: acme.ID, Limit: 1}}, []string{"initech"}, 3},
	} {
		got, n := orgNames(tc.opts)
		if diff := cmp.Diff(tc.want, got); diff != "" || n != tc.count {
			t.Errorf("orgs %+v: count %d (want %d) %s", tc.opts, n, tc.count, diff)
		}
	}

	svc, err := st.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{
		{Name: "local/api", CloneURL: "file:///api"},
		{Name: "local/web", CloneURL: "file:///web"},
		{Name: "local/ops", CloneURL: "file:///ops"},
		{Name: "other/api_v2", CloneURL: "file:///v2"},
	}, false); err != nil {
		t.Fatal(err)
	}
	web, _ := st.Repos().GetByName(ctx, store.InternalViewer, "local/web")
	if _, err := st.Repos().RecordFetch(ctx, web.ID, store.FetchOutcome{Heads: map[string]string{"refs/heads/main": "abc"}, DefaultBranch: "main"}); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	for _, tc := range []struct {
		name  string
		opts  store.RepoListOptions
		want  []string
		count int
	}{
		{"all", store.RepoListOptions{}, []string{"local/api", "local/ops", "local/web", "other/api_v2"}, 4},
		{"query with _ as text", store.RepoListOptions{Query: "api_"}, []string{"other/api_v2"}, 1},
		{"cloned", store.RepoListOptions{Cloned: &yes}, []string{"local/web"}, 1},
		{"not cloned, descending", store.RepoListOptions{Cloned: &no, Descending: true}, []string{"other/api_v2", "local/ops", "local/api"}, 3},
		{"query and cursor", store.RepoListOptions{Query: "local/", AfterName: "local/api", Limit: 1}, []string{"local/ops"}, 3},
		{"names", store.RepoListOptions{Names: []string{"LOCAL/OPS", "nope"}}, []string{"local/ops"}, 1},
		{"created order, descending cursor", store.RepoListOptions{OrderBy: store.RepoOrderCreatedAt, Descending: true, AfterID: web.ID}, []string{"local/api"}, 4},
	} {
		got, err := st.Repos().List(ctx, store.InternalViewer, tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		n, err := st.Repos().Count(ctx, store.InternalViewer, tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, names(got)); diff != "" || n != tc.count {
			t.Errorf("repos %s: count %d (want %d) %s", tc.name, n, tc.count, diff)
		}
	}
}
