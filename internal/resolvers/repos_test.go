package resolvers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/store"
)

func TestPrivateRepositoryNeverVisibleWithoutAccess(t *testing.T) {
	ctx := context.Background()
	e := apitest.New(t, apitest.Options{})
	_, aliceToken := e.CreateUser(t, "alice", false)
	_, bobToken := e.CreateUser(t, "bob", false)

	svc, err := e.Store.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{
		{Name: "local/open", CloneURL: "/tmp/open"},
		{Name: "local/secret", CloneURL: "/tmp/secret", Private: true},
	}, false); err != nil {
		t.Fatal(err)
	}
	secret, _ := e.Store.Repos().GetByName(ctx, store.InternalViewer, "local/secret")
	var idRes struct{ Repository struct{ ID string } }
	e.MustDo(t, e.AdminToken, `{ repository(name: "local/secret") { id } }`, nil, &idRes)
	secretID := idRes.Repository.ID

	// Only admins may grant; alice gets access by username.
	if r := e.Do(t, aliceToken, `mutation($r: ID!) { setRepositoryPermissionsForUsers(repository: $r, userPermissions: [{bindID: "alice"}]) { alwaysNil } }`, map[string]any{"r": secretID}); r.Code() != "FORBIDDEN" {
		t.Fatalf("non-admin granting access: %+v", r.Errors)
	}
	e.MustDo(t, e.AdminToken, `mutation($r: ID!) { setRepositoryPermissionsForUsers(repository: $r, userPermissions: [{bindID: "alice@example.com"}]) { alwaysNil } }`, map[string]any{"r": secretID}, nil)
	if r := e.Do(t, e.AdminToken, `mutation($r: ID!) { setRepositoryPermissionsForUsers(repository: $r, userPermissions: [{bindID: "nobody"}]) { alwaysNil } }`, map[string]any{"r": secretID}); r.Code() != "NOT_FOUND" {
		t.Fatalf("granting to an unknown user: %+v", r.Errors)
	}

	query := `query($id: ID!) {
		repositories(first: 10) { totalCount nodes { name } }
		repository(name: "local/secret") { name }
		node(id: $id) { id }
	}`
	type view struct {
		Repositories struct {
			TotalCount int
			Nodes      []struct{ Name string }
		}
		Repository *struct{ Name string }
		Node       *struct{ ID string }
	}
	for _, tc := range []struct {
		who     string
		token   string
		visible bool
	}{
		{"admin", e.AdminToken, true},
		{"alice (granted)", aliceToken, true},
		{"bob (not granted)", bobToken, false},
	} {
		var v view
		e.MustDo(t, tc.token, query, map[string]any{"id": secretID}, &v)
		var names []string
		for _, n := range v.Repositories.Nodes {
			names = append(names, n.Name)
		}
		sees := strings.Contains(strings.Join(names, ","), "local/secret")
		if sees != tc.visible || (v.Repository != nil) != tc.visible || (v.Node != nil) != tc.visible {
			t.Errorf("%s: list %v (total %d), repository %v, node %v; want visible=%v", tc.who, names, v.Repositories.TotalCount, v.Repository, v.Node, tc.visible)
		}
		if want := map[bool]int{true: 2, false: 1}[tc.visible]; v.Repositories.TotalCount != want {
			t.Errorf("%s: totalCount %d, want %d", tc.who, v.Repositories.TotalCount, want)
		}
	}
	// Anonymous callers see nothing at all.
	if r := e.Do(t, "", `{ repositories { totalCount } }`, nil); r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous listing: %+v", r.Errors)
	}
	_ = secret
}

func TestExternalServicesAdminValidationAndRedaction(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	_, aliceToken := e.CreateUser(t, "alice", false)

	add := `mutation($kind: ExternalServiceKind!, $name: String!, $config: String!) {
		addExternalService(input: {kind: $kind, displayName: $name, config: $config}) { id kind displayName config webhookURL } }`
	if r := e.Do(t, aliceToken, add, map[string]any{"kind": "GIT", "name": "x", "config": `{"repos":["/tmp/x"]}`}); r.Code() != "FORBIDDEN" {
		t.Fatalf("non-admin adding a connection: %+v", r.Errors)
	}
	for _, tc := range []struct{ kind, config, wantInMessage string }{
		{"GITHUB", `{"url": "https://github.com", "repos": ["a/b"]}`, "token"},
		{"GITHUB", `{"token": "t", "repos": ["a/b"], "colour": "blue"}`, "colour"},
		{"GITLAB", `not json`, "JSON"},
		{"GIT", `{"repos": []}`, "repos"},
	} {
		r := e.Do(t, e.AdminToken, add, map[string]any{"kind": tc.kind, "name": "bad", "config": tc.config})
		if r.Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, tc.wantInMessage) {
			t.Errorf("config %s: code %q message %+v, want BAD_USER_INPUT mentioning %q", tc.config, r.Code(), r.Errors, tc.wantInMessage)
		}
	}

	var created struct {
		AddExternalService struct{ ID, Kind, DisplayName, Config, WebhookURL string }
	}
	e.MustDo(t, e.AdminToken, add, map[string]any{"kind": "GITHUB", "name": "GitHub", "config": `{"token": "ghp_verysecret", "webhookSecret": "whsecret", "repos": ["acme/app"]}`}, &created)
	c := created.AddExternalService
	if strings.Contains(c.Config, "ghp_verysecret") || strings.Contains(c.Config, "whsecret") || !strings.Contains(c.Config, "REDACTED") {
		t.Fatalf("config shown with secrets: %s", c.Config)
	}
	if !strings.HasSuffix(c.WebhookURL, "/.api/webhooks/github") {
		t.Fatalf("webhookURL = %q", c.WebhookURL)
	}

	// Sending the redacted config back keeps the stored token.
	update := `mutation($id: ID!, $config: String) { updateExternalService(input: {id: $id, config: $config}) { config } }`
	e.MustDo(t, e.AdminToken, update, map[string]any{"id": c.ID, "config": strings.Replace(c.Config, "acme/app", "acme/other", 1)}, nil)
	svcs, err := e.Store.ExternalServices().List(context.Background(), store.Page{})
	if err != nil || len(svcs) != 1 {
		t.Fatal(err)
	}
	if !strings.Contains(svcs[0].Config, "ghp_verysecret") || !strings.Contains(svcs[0].Config, "acme/other") {
		t.Fatalf("stored config after a redacted update: %s", svcs[0].Config)
	}
	// ... but not when the URL changes: the token must not be sent to another host.
	if r := e.Do(t, e.AdminToken, update, map[string]any{"id": c.ID, "config": `{"url": "https://evil.example.com", "token": "REDACTED", "repos": ["acme/app"]}`}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("redacted token with a new URL: %+v", r.Errors)
	}

	var list struct {
		ExternalServices struct {
			TotalCount int
			Nodes      []struct{ Config string }
		}
	}
	e.MustDo(t, e.AdminToken, `{ externalServices { totalCount nodes { config } } }`, nil, &list)
	if list.ExternalServices.TotalCount != 1 || strings.Contains(list.ExternalServices.Nodes[0].Config, "ghp_") {
		t.Fatalf("listing: %+v", list)
	}
	if r := e.Do(t, aliceToken, `{ externalServices { totalCount } }`, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("non-admin listing connections: %+v", r.Errors)
	}
	e.MustDo(t, e.AdminToken, `mutation($id: ID!) { deleteExternalService(externalService: $id) { alwaysNil } }`, map[string]any{"id": c.ID}, nil)
	e.MustDo(t, e.AdminToken, `{ externalServices { totalCount nodes { config } } }`, nil, &list)
	if list.ExternalServices.TotalCount != 0 {
		t.Fatalf("after delete: %+v", list)
	}
}
