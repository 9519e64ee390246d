package resolvers_test

import (
	"testing"

	"github.com/lookout/lookout/internal/apitest"
)

// Query.monitors lists every owner's monitors for a site admin, with the owner, filtered
// by description or owner name and by kind, paginated; anyone else is refused.
func TestSiteAdminListsEveryOwnersMonitors(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	alice, aliceToken := e.CreateUser(t, "alice", false)
	bob, bobToken := e.CreateUser(t, "bob", false)
	create := func(token string, owner int64, description string) {
		t.Helper()
		e.MustDo(t, token, `mutation($ns: ID!, $d: String!, $email: MonitorEmailInput!) {
			createCodeMonitor(monitor: {namespace: $ns, description: $d, enabled: true}, trigger: {query: "type:diff TODO"}, actions: [{email: $email}]) { id } }`,
			map[string]any{"ns": userID(owner), "d": description, "email": map[string]any{
				"enabled": true, "includeResults": false, "priority": "NORMAL", "recipients": []string{userID(owner)}, "header": ""}}, nil)
	}
	create(aliceToken, alice.ID, "Leaked keys")
	create(aliceToken, alice.ID, "New TODOs")
	create(bobToken, bob.ID, "Deprecated API calls")

	list := `query($first: Int!, $after: String, $query: String, $kind: MonitorKind) {
		monitors(first: $first, after: $after, query: $query, kind: $kind) {
			totalCount pageInfo { hasNextPage endCursor } nodes { description owner { namespaceName url } } } }`
	type page struct {
		Monitors struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
			Nodes []struct {
				Description string
				Owner       struct{ NamespaceName, URL string }
			}
		}
	}
	owners := func(p page) map[string]string {
		out := map[string]string{}
		for _, n := range p.Monitors.Nodes {
			out[n.Description] = n.Owner.NamespaceName
		}
		return out
	}
	for _, tc := range []struct {
		query any
		want  map[string]string
	}{
		{nil, map[string]string{"Leaked keys": "alice", "New TODOs": "alice", "Deprecated API calls": "bob"}},
		{"BOB", map[string]string{"Deprecated API calls": "bob"}}, // the owner's name
		{"todo", map[string]string{"New TODOs": "alice"}},         // the description
		{"  keys ", map[string]string{"Leaked keys": "alice"}},    // trimmed
		{"100%", map[string]string{}},                             // LIKE characters are literal
		{"", map[string]string{"Leaked keys": "alice", "New TODOs": "alice", "Deprecated API calls": "bob"}},
	} {
		var p page
		e.MustDo(t, e.AdminToken, list, map[string]any{"first": 10, "query": tc.query}, &p)
		if got := owners(p); len(got) != len(tc.want) || p.Monitors.TotalCount != len(tc.want) {
			t.Errorf("query %v: got %v (total %d), want %v", tc.query, got, p.Monitors.TotalCount, tc.want)
		} else {
			for d, o := range tc.want {
				if got[d] != o {
					t.Errorf("query %v: %q owned by %q, want %q", tc.query, d, got[d], o)
				}
			}
		}
	}
	// Pages through the filter keep it.
	var first, second page
	e.MustDo(t, e.AdminToken, list, map[string]any{"first": 1, "query": "alice"}, &first)
	if first.Monitors.TotalCount != 2 || !first.Monitors.PageInfo.HasNextPage || len(first.Monitors.Nodes) != 1 {
		t.Fatalf("first page: %+v", first)
	}
	e.MustDo(t, e.AdminToken, list, map[string]any{"first": 1, "query": "alice", "after": first.Monitors.PageInfo.EndCursor}, &second)
	if len(second.Monitors.Nodes) != 1 || second.Monitors.PageInfo.HasNextPage || second.Monitors.Nodes[0].Description == first.Monitors.Nodes[0].Description {
		t.Fatalf("second page: %+v", second)
	}
	var issues page
	e.MustDo(t, e.AdminToken, list, map[string]any{"first": 10, "kind": "ISSUE"}, &issues)
	if issues.Monitors.TotalCount != 0 {
		t.Errorf("issue monitors: %+v", issues)
	}

	// Only site admins: a user, even one with monitors, is refused; so is no one.
	for name, token := range map[string]string{"alice": aliceToken, "anonymous": ""} {
		r := e.Do(t, token, list, map[string]any{"first": 10})
		if r.Code() != "FORBIDDEN" && r.Code() != "UNAUTHENTICATED" {
			t.Errorf("%s listing every monitor: %+v", name, r.Errors)
		}
		if string(r.Data) != "null" && len(r.Data) > 0 && string(r.Data) != "{}" {
			t.Errorf("%s got data: %s", name, r.Data)
		}
	}
}
