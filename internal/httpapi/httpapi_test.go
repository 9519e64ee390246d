package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/httpapi"
)

func TestCurrentUserWithToken(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	var data struct {
		CurrentUser struct {
			Username  string
			SiteAdmin bool
		}
	}
	e.MustDo(t, e.AdminToken, `{ currentUser { username siteAdmin } }`, nil, &data)
	if data.CurrentUser.Username != "admin" || !data.CurrentUser.SiteAdmin {
		t.Fatalf("currentUser = %+v", data.CurrentUser)
	}

	// Anonymous: null, no error.
	r := e.Do(t, "", `{ currentUser { username } }`, nil)
	if r.Status != 200 || string(r.Data) != `{"currentUser":null}` {
		t.Fatalf("anonymous currentUser: status %d data %s errors %+v", r.Status, r.Data, r.Errors)
	}
}

func TestRequestErrorsHaveCodesAndStatuses(t *testing.T) {
	e := apitest.New(t, apitest.Options{MaxCost: 5000})
	_, aliceToken := e.CreateUser(t, "alice", false)

	deep := "{ currentUser { organizations { nodes { members { nodes { organizations { nodes { members { nodes { organizations { nodes { members { nodes { organizations { nodes { members { nodes { username } } } } } } } } } } } } } } } } } }"
	for _, tc := range []struct {
		name, token, query string
		wantStatus         int
		wantCode           string
	}{
		{"bad token", "lo_nope", `{ currentUser { username } }`, 401, "UNAUTHENTICATED"},
		{"syntax error", e.AdminToken, `{ currentUser { username `, 400, httpapi.CodeParseFailed},
		{"unknown field", e.AdminToken, `{ currentUser { shoeSize } }`, 400, httpapi.CodeValidationFailed},
		{"too deep", e.AdminToken, deep, 400, httpapi.CodeQueryTooDeep},
		{"too costly", e.AdminToken, `{ users(first: 1000) { nodes { organizations { nodes { members(first: 1000) { nodes { username } } } } } } }`, 400, httpapi.CodeQueryTooComplex},
		{"non-admin calls admin mutation", aliceToken, `mutation { createUser(username: "bob") { user { id } } }`, 200, "FORBIDDEN"},
		{"non-admin lists users", aliceToken, `{ users { totalCount } }`, 200, "FORBIDDEN"},
		{"anonymous calls mutation", "", `mutation { createOrganization(name: "x") { id } }`, 200, "UNAUTHENTICATED"},
		{"bad ID", e.AdminToken, `{ node(id: "!!!") { id } }`, 200, "BAD_USER_INPUT"},
		{"bad cursor", e.AdminToken, `{ users(after: "zzz") { totalCount } }`, 200, "BAD_USER_INPUT"},
		{"page too large", e.AdminToken, `{ users(first: 1001) { totalCount } }`, 200, "BAD_USER_INPUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, tc.token, tc.query, nil)
			if r.Status != tc.wantStatus || r.Code() != tc.wantCode {
				t.Fatalf("got status %d code %q (%+v), want %d %q", r.Status, r.Code(), r.Errors, tc.wantStatus, tc.wantCode)
			}
			if r.Errors[0].Message == "" {
				t.Fatal("error without a message")
			}
		})
	}

	t.Run("malformed body", func(t *testing.T) {
		resp, err := http.Post(e.Server.URL+httpapi.GraphQLPath, "application/json", strings.NewReader("{not json"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("status %d, want 400", resp.StatusCode)
		}
	})
	t.Run("mutation over GET", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.Server.URL+httpapi.GraphQLPath+"?query="+url.QueryEscape(`mutation { createOrganization(name: "x") { id } }`), nil)
		req.Header.Set("Authorization", "token "+e.AdminToken)
		r := e.DoRequest(t, req)
		if r.Status != http.StatusMethodNotAllowed {
			t.Fatalf("status %d, want 405", r.Status)
		}
	})
	t.Run("query over GET", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.Server.URL+httpapi.GraphQLPath+"?query="+url.QueryEscape(`{ currentUser { username } }`), nil)
		req.Header.Set("Authorization", "token "+e.AdminToken)
		r := e.DoRequest(t, req)
		if r.Status != 200 || len(r.Errors) > 0 || !strings.Contains(string(r.Data), "admin") {
			t.Fatalf("GET query: %d %s %+v", r.Status, r.Data, r.Errors)
		}
	})
}

func TestAccessTokensLifecycle(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	alice, aliceToken := e.CreateUser(t, "alice", false)
	bob, bobToken := e.CreateUser(t, "bob", false)
	_ = bob

	var created struct{ CreateAccessToken struct{ ID, Token string } }
	aliceID := idOf(t, e, aliceToken)
	e.MustDo(t, aliceToken, `mutation($u: ID!) { createAccessToken(user: $u, scopes: ["user:all"], note: "ci") { id token } }`, map[string]any{"u": aliceID}, &created)
	if !strings.HasPrefix(created.CreateAccessToken.Token, auth.TokenPrefix) {
		t.Fatalf("token %q lacks prefix", created.CreateAccessToken.Token)
	}
	var me struct{ CurrentUser struct{ Username string } }
	e.MustDo(t, created.CreateAccessToken.Token, `{ currentUser { username } }`, nil, &me)
	if me.CurrentUser.Username != alice.Username {
		t.Fatalf("new token acts as %q", me.CurrentUser.Username)
	}

	// Bob cannot mint tokens for Alice, nor ask for sudo.
	if r := e.Do(t, bobToken, `mutation($u: ID!) { createAccessToken(user: $u, scopes: ["user:all"], note: "x") { id } }`, map[string]any{"u": aliceID}); r.Code() != "FORBIDDEN" {
		t.Fatalf("bob minting alice's token: %+v", r.Errors)
	}
	if r := e.Do(t, aliceToken, `mutation($u: ID!) { createAccessToken(user: $u, scopes: ["user:all", "site-admin:sudo"], note: "x") { id } }`, map[string]any{"u": aliceID}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("sudo scope for non-admin: %+v", r.Errors)
	}
	// Bob cannot revoke it (and is not told it exists); Alice can.
	if r := e.Do(t, bobToken, `mutation($id: ID) { deleteAccessToken(byID: $id) { alwaysNil } }`, map[string]any{"id": created.CreateAccessToken.ID}); r.Code() != "NOT_FOUND" {
		t.Fatalf("bob revoking alice's token: %+v", r.Errors)
	}
	e.MustDo(t, aliceToken, `mutation($id: ID) { deleteAccessToken(byID: $id) { alwaysNil } }`, map[string]any{"id": created.CreateAccessToken.ID}, nil)
	if r := e.Do(t, created.CreateAccessToken.Token, `{ currentUser { username } }`, nil); r.Status != 401 {
		t.Fatalf("revoked token still works: %d", r.Status)
	}

	// The token list shows only the user's own live tokens.
	var list struct {
		CurrentUser struct {
			AccessTokens struct {
				TotalCount int
				Nodes      []struct{ Note string }
			}
		}
	}
	e.MustDo(t, aliceToken, `{ currentUser { accessTokens { totalCount nodes { note } } } }`, nil, &list)
	if list.CurrentUser.AccessTokens.TotalCount != 1 || list.CurrentUser.AccessTokens.Nodes[0].Note != "test" {
		t.Fatalf("alice's tokens: %+v", list)
	}
}

func idOf(t *testing.T, e *apitest.Env, token string) string {
	var me struct{ CurrentUser struct{ ID string } }
	e.MustDo(t, token, `{ currentUser { id } }`, nil, &me)
	return me.CurrentUser.ID
}

func TestUsersAdminAndPagination(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	for _, name := range []string{"u1", "u2", "u3", "u4"} {
		var res struct {
			CreateUser struct{ User struct{ Username string } }
		}
		e.MustDo(t, e.AdminToken, `mutation($n: String!) { createUser(username: $n, email: "x-`+name+`@example.com") { user { username } } }`, map[string]any{"n": name}, &res)
	}
	if r := e.Do(t, e.AdminToken, `mutation { createUser(username: "u1") { user { id } } }`, nil); r.Code() != "ALREADY_EXISTS" {
		t.Fatalf("duplicate username: %+v", r.Errors)
	}
	if r := e.Do(t, e.AdminToken, `mutation { createUser(username: "-bad-") { user { id } } }`, nil); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("invalid username: %+v", r.Errors)
	}

	var names []string
	after := any(nil)
	for page := 0; page < 10; page++ {
		var res struct {
			Users struct {
				TotalCount int
				Nodes      []struct{ Username string }
				PageInfo   struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		e.MustDo(t, e.AdminToken, `query($after: String) { users(first: 2, after: $after) { totalCount nodes { username } pageInfo { hasNextPage endCursor } } }`, map[string]any{"after": after}, &res)
		if res.Users.TotalCount != 5 {
			t.Fatalf("totalCount = %d, want 5", res.Users.TotalCount)
		}
		for _, n := range res.Users.Nodes {
			names = append(names, n.Username)
		}
		if !res.Users.PageInfo.HasNextPage {
			break
		}
		after = *res.Users.PageInfo.EndCursor
	}
	if diff := cmp.Diff([]string{"admin", "u1", "u2", "u3", "u4"}, names); diff != "" {
		t.Fatalf("paged users (-want +got):\n%s", diff)
	}
}

func TestOrganizationsAndNamespaces(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	_, aliceToken := e.CreateUser(t, "alice", false)
	_, bobToken := e.CreateUser(t, "bob", false)

	var org struct{ CreateOrganization struct{ ID, Name string } }
	e.MustDo(t, aliceToken, `mutation { createOrganization(name: "acme", displayName: "Acme") { id name } }`, nil, &org)
	if r := e.Do(t, bobToken, `mutation { createOrganization(name: "alice") { id } }`, nil); r.Code() != "ALREADY_EXISTS" {
		t.Fatalf("org named like a user: %+v", r.Errors)
	}
	if r := e.Do(t, bobToken, `mutation($o: ID!) { addUserToOrganization(organization: $o, username: "bob") { alwaysNil } }`, map[string]any{"o": org.CreateOrganization.ID}); r.Code() != "FORBIDDEN" {
		t.Fatalf("non-member adding to org: %+v", r.Errors)
	}
	// Members invite (resolvers' invitation tests); only site admins add directly.
	e.MustDo(t, e.AdminToken, `mutation($o: ID!) { addUserToOrganization(organization: $o, username: "bob") { alwaysNil } }`, map[string]any{"o": org.CreateOrganization.ID}, nil)

	var res struct {
		Organization struct {
			ViewerIsMember bool
			Members        struct{ Nodes []struct{ Username string } }
		}
		Node struct {
			Typename string `json:"__typename"`
			Name     string
		}
		NamespaceByName struct {
			Typename      string `json:"__typename"`
			NamespaceName string
		}
	}
	e.MustDo(t, bobToken, `query($id: ID!) {
		organization(name: "ACME") { viewerIsMember members { nodes { username } } }
		node(id: $id) { __typename ... on Org { name } }
		namespaceByName(name: "acme") { __typename namespaceName }
	}`, map[string]any{"id": org.CreateOrganization.ID}, &res)
	if !res.Organization.ViewerIsMember || len(res.Organization.Members.Nodes) != 2 || res.Node.Name != "acme" || res.NamespaceByName.Typename != "Org" {
		t.Fatalf("org as seen by bob: %+v", res)
	}
}

func TestSessionCookieNeedsCSRFHeader(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	ctx := t.Context()
	hash, _ := auth.HashPassword("correct horse battery")
	alice, _ := e.CreateUser(t, "alice", false)
	if err := e.Store.Users().SetPasswordHash(ctx, alice.ID, hash); err != nil {
		t.Fatal(err)
	}

	login := func(password string) (*http.Response, map[string]string) {
		body, _ := json.Marshal(map[string]string{"username": "alice", "password": password})
		resp, err := http.Post(e.Server.URL+"/.auth/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]string
		_ = json.Unmarshal(raw, &out)
		return resp, out
	}
	if resp, _ := login("wrong password"); resp.StatusCode != 401 {
		t.Fatalf("wrong password: status %d", resp.StatusCode)
	}
	resp, info := login("correct horse battery")
	if resp.StatusCode != 200 || info["csrfToken"] == "" {
		t.Fatalf("login: status %d body %v", resp.StatusCode, info)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.SessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly {
		t.Fatalf("session cookie missing or readable by scripts: %+v", cookie)
	}

	post := func(csrf string) *apitest.Response {
		req, _ := http.NewRequest("POST", e.Server.URL+httpapi.GraphQLPath, strings.NewReader(`{"query":"{ currentUser { username } }"}`))
		req.AddCookie(cookie)
		if csrf != "" {
			req.Header.Set(auth.CSRFHeader, csrf)
		}
		return e.DoRequest(t, req)
	}
	if r := post(""); r.Status != 403 || r.Code() != "FORBIDDEN" {
		t.Fatalf("cookie without CSRF header: %d %+v", r.Status, r.Errors)
	}
	if r := post("wrong"); r.Status != 403 {
		t.Fatalf("cookie with wrong CSRF header: %d", r.Status)
	}
	if r := post(info["csrfToken"]); r.Status != 200 || !strings.Contains(string(r.Data), "alice") {
		t.Fatalf("cookie with CSRF header: %d %s %+v", r.Status, r.Data, r.Errors)
	}
}

func TestHealthReadyMetricsConsole(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/nope": 404} {
		resp, err := http.Get(e.Server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Get(e.Server.URL + httpapi.ConsolePath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// Either the embedded GraphiQL page or, in a build without assets, a page saying how
	// to add them: never a CDN reference.
	if strings.Contains(string(body), "cdn") || strings.Contains(string(body), "unpkg") {
		t.Fatalf("console refers to a CDN: %s", body)
	}
	if resp.StatusCode == 200 && !strings.Contains(string(body), "graphiql.min.js") {
		t.Fatalf("console page does not load GraphiQL: %s", body)
	}
}

func TestNodeHidesOtherUsersTokens(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	_, aliceToken := e.CreateUser(t, "alice", false)
	var list struct {
		CurrentUser struct {
			AccessTokens struct{ Nodes []struct{ ID string } }
		}
	}
	e.MustDo(t, e.AdminToken, `{ currentUser { accessTokens { nodes { id } } } }`, nil, &list)
	id := list.CurrentUser.AccessTokens.Nodes[0].ID
	r := e.Do(t, aliceToken, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
	if r.Status != 200 || len(r.Errors) > 0 || string(r.Data) != `{"node":null}` {
		t.Fatalf("alice reading the admin's token node: %d %s %+v", r.Status, r.Data, r.Errors)
	}
}
