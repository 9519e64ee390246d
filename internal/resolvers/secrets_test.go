package resolvers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/encryption"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/store"
)

// authRecorder is a git http remote that asks for credentials and records what it got,
// then refuses: enough for git to send a configured token, and for a test to see where
// one went.
type authRecorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []string // Authorization headers received
}

func newAuthRecorder(t *testing.T) *authRecorder {
	a := &authRecorder{}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		a.mu.Lock()
		a.got = append(a.got, auth)
		a.mu.Unlock()
		if auth == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *authRecorder) requests() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.got...)
}

func (a *authRecorder) sawToken(token string) bool {
	for _, h := range a.requests() {
		if strings.HasPrefix(h, "Basic ") && strings.Contains(decodeBasic(h), token) {
			return true
		}
	}
	return false
}

func decodeBasic(h string) string {
	r := http.Request{Header: http.Header{"Authorization": {h}}}
	u, p, _ := r.BasicAuth()
	return u + ":" + p
}

// TestGitConnectionSecretsAndPaths goes through a GIT connection as an admin configures it
// and as a user reads its repositories: credentials in URLs are refused, the token reaches
// only the origins the admin named, and a non-admin never reads the server's paths.
func TestGitConnectionSecretsAndPaths(t *testing.T) {
	ctx := context.Background()
	e := apitest.New(t, apitest.Options{})
	_, aliceToken := e.CreateUser(t, "alice", false)
	repostest.Start(t, e.DB)

	local := gittest.NewRepo(t)
	local.Commit(time.Now(), "", "init", map[string]string{"README": "hi\n"})
	missing := filepath.Join(t.TempDir(), "srv", "gone.git")
	remote := newAuthRecorder(t)
	elsewhere := newAuthRecorder(t)
	const token = "s3cret-token-8b1f"

	add := `mutation($config: String!) { addExternalService(input: {kind: GIT, displayName: "git", config: $config}) { id config } }`
	update := `mutation($id: ID!, $config: String!) { updateExternalService(input: {id: $id, config: $config}) { id config } }`
	cfg := func(v map[string]any) string { b, _ := json.Marshal(v); return string(b) }

	// A token in a URL is refused, pointing at the fields it belongs in; nothing is stored.
	r := e.Do(t, e.AdminToken, add, map[string]any{"config": cfg(map[string]any{"repos": []string{strings.Replace(remote.srv.URL, "http://", "http://"+token+"@", 1) + "/r.git"}})})
	if r.Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, `"repos[0]" must not contain credentials`) || !strings.Contains(r.Errors[0].Message, `"username" and "token"`) {
		t.Fatalf("token in a GIT URL: %+v", r.Errors)
	}
	if n, _ := e.Store.ExternalServices().Count(ctx); n != 0 {
		t.Fatalf("%d connections stored after a refused add", n)
	}

	remotes := []string{local.Dir, missing, remote.srv.URL + "/r.git"}
	var created struct{ AddExternalService struct{ ID, Config string } }
	e.MustDo(t, e.AdminToken, add, map[string]any{"config": cfg(map[string]any{"repos": remotes, "token": token})}, &created)
	svcID := created.AddExternalService.ID
	if strings.Contains(created.AddExternalService.Config, token) {
		t.Fatalf("config shows the token: %s", created.AddExternalService.Config)
	}

	localName := "local/" + filepath.Base(local.Dir)
	repostest.WaitFor(t, "the clones to be tried", 30*time.Second, func() bool {
		repos, _ := e.Store.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{})
		done := 0
		for _, r := range repos {
			if r.CloneStatus == store.CloneStatusCloned || r.LastError != "" {
				done++
			}
		}
		return len(repos) == 3 && done == 3
	})
	if !remote.sawToken(token) {
		t.Fatalf("the configured remote never got the token (requests: %q): the test would prove nothing", remote.requests())
	}

	query := `{ repositories(first: 10) { nodes { name uri mirrorInfo { cloned lastError } } } }`
	type repoView struct {
		Name       string
		URI        string
		MirrorInfo struct {
			Cloned    bool
			LastError *string
		}
	}
	read := func(tok string) map[string]repoView {
		var out struct{ Repositories struct{ Nodes []repoView } }
		e.MustDo(t, tok, query, nil, &out)
		m := map[string]repoView{}
		for _, n := range out.Repositories.Nodes {
			m[n.Name] = n
		}
		return m
	}
	admin, user := read(e.AdminToken), read(aliceToken)
	gone := admin["local/gone"]
	if admin[localName].URI != local.Dir || gone.URI != missing || gone.MirrorInfo.LastError == nil || !strings.Contains(*gone.MirrorInfo.LastError, missing) {
		t.Fatalf("an admin sees the paths they configured: %+v", admin)
	}
	if got := user[localName].URI; got != localName {
		t.Errorf("a non-admin's uri of a local repository = %q, want its name %q", got, localName)
	}
	if got := user["local/gone"].URI; got != "local/gone" {
		t.Errorf("a non-admin's uri of a missing local repository = %q", got)
	}
	if len(user) != 3 {
		t.Fatalf("alice sees %d repositories, want 3", len(user))
	}
	for name, v := range user {
		raw, _ := json.Marshal(v)
		for _, secret := range []string{token, filepath.Dir(local.Dir), filepath.Dir(missing)} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("alice reads %q in %s: %s", secret, name, raw)
			}
		}
	}
	if le := user["local/gone"].MirrorInfo.LastError; le == nil || !strings.Contains(*le, "[local path]") {
		t.Errorf("a non-admin's lastError should keep its sense with the path replaced: %v", le)
	}
	httpName := strings.TrimPrefix(remote.srv.URL, "http://")
	httpName = strings.Split(httpName, ":")[0] + "/r"
	if v := user[httpName]; v.URI != remote.srv.URL+"/r.git" || v.MirrorInfo.LastError == nil {
		t.Errorf("a network remote keeps its URL and error for everyone: %+v (all: %+v)", v, user)
	}

	// Repointing the http remote with the token left REDACTED is refused; the new host
	// gets nothing, even after a sync is asked for.
	moved := []string{local.Dir, missing, elsewhere.srv.URL + "/r.git"}
	r = e.Do(t, e.AdminToken, update, map[string]any{"id": svcID, "config": cfg(map[string]any{"repos": moved, "token": "REDACTED"})})
	if r.Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, `"token" must be sent again`) || !strings.Contains(r.Errors[0].Message, `"repos[2]"`) {
		t.Fatalf("redacted token to a new host: %+v", r.Errors)
	}
	e.MustDo(t, e.AdminToken, `mutation($id: ID!) { syncExternalService(id: $id) { alwaysNil } }`, map[string]any{"id": svcID}, nil)
	waitSyncs(t, e, 2)
	if got := elsewhere.requests(); len(got) != 0 {
		t.Fatalf("the new host was contacted after a refused update: %q", got)
	}
	// The same remotes with another local one keep the stored token.
	kept := append([]string{gittest.NewBare(t)}, remotes...)
	e.MustDo(t, e.AdminToken, update, map[string]any{"id": svcID, "config": cfg(map[string]any{"repos": kept, "token": "REDACTED"})}, nil)
	svcs, _ := e.Store.ExternalServices().List(ctx, store.Page{})
	if !strings.Contains(svcs[0].Config, token) || strings.Contains(svcs[0].Config, elsewhere.srv.URL) {
		t.Fatalf("stored config after the updates: %s", svcs[0].Config)
	}
	// Sending the token again moves it.
	e.MustDo(t, e.AdminToken, update, map[string]any{"id": svcID, "config": cfg(map[string]any{"repos": moved, "token": "another-token"})}, nil)
}

// waitSyncs waits until the only connection has n finished sync jobs.
func waitSyncs(t *testing.T, e *apitest.Env, n int) {
	t.Helper()
	repostest.WaitFor(t, "connection syncs", 30*time.Second, func() bool {
		svcs, _ := e.Store.ExternalServices().List(context.Background(), store.Page{})
		if len(svcs) != 1 {
			return false
		}
		jobs, _ := e.Store.ExternalServices().LastSyncJobs(context.Background(), svcs[0].ID, 10)
		done := 0
		for _, j := range jobs {
			if j.State == "completed" || j.State == "failed" || j.State == "errored" {
				done++
			}
		}
		return done >= n
	})
}

// slackStandIn receives Slack posts (WEBHOOK_ALLOWED_HOSTS waives the Slack host rule)
// and records the path each arrived at: the path is the secret.
type slackStandIn struct {
	srv   *httptest.Server
	mu    sync.Mutex
	paths []string
}

func newSlackStandIn(t *testing.T) *slackStandIn {
	s := &slackStandIn{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *slackStandIn) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.paths) == 0 {
		return ""
	}
	return s.paths[len(s.paths)-1]
}

// TestSlackWebhookURLIsASecret: a Slack URL is stored encrypted and the API shows it with
// its secret replaced by REDACTED, to its owner too; sending that form back keeps the
// stored URL (in updates and test sends) only for the same action of the same monitor.
func TestSlackWebhookURLIsASecret(t *testing.T) {
	ctx := context.Background()
	slack := newSlackStandIn(t)
	n, err := notify.New(notify.Config{Outgoing: notify.OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	key, err := encryption.NewKey("resolvers-test-encryption-key")
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) { d.Notifier = n }, EncryptionKey: key})
	alice, aliceToken := e.CreateUser(t, "alice", false)
	bob, bobToken := e.CreateUser(t, "bob", false)

	secretURL := slack.srv.URL + "/services/T1/B1/sekret-one"
	shownURL := slack.srv.URL + "/services/T1/B1/REDACTED"
	create := `mutation($ns: ID!, $url: String!) { createCodeMonitor(monitor: {namespace: $ns, description: "m", enabled: true},
		trigger: {query: "type:diff x"}, actions: [{slackWebhook: {enabled: true, includeResults: false, url: $url}}]) {
		id trigger { ... on MonitorQuery { id } } actions { nodes { ... on MonitorSlackWebhook { id url } } } } }`
	type created struct {
		CreateCodeMonitor struct {
			ID      string
			Trigger struct{ ID string }
			Actions struct{ Nodes []struct{ ID, URL string } }
		}
	}
	var m created
	e.MustDo(t, aliceToken, create, map[string]any{"ns": userID(alice.ID), "url": secretURL}, &m)
	action := m.CreateCodeMonitor.Actions.Nodes[0]
	if action.URL != shownURL {
		t.Fatalf("the create response shows %q, want %q", action.URL, shownURL)
	}
	var stored string
	if err := e.DB.QueryRow(ctx, "SELECT url FROM cm_slack_webhooks").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, "sekret-one") || strings.Contains(stored, "/services/") {
		t.Fatalf("the Slack URL is stored in plain text: %q", stored)
	}
	var read struct {
		Node struct {
			Actions struct{ Nodes []struct{ ID, URL string } }
		}
	}
	e.MustDo(t, aliceToken, `query($id: ID!) { node(id: $id) { ... on Monitor { actions { nodes { ... on MonitorSlackWebhook { id url } } } } } }`, map[string]any{"id": m.CreateCodeMonitor.ID}, &read)
	if got := read.Node.Actions.Nodes[0].URL; got != shownURL {
		t.Fatalf("read back %q", got)
	}

	// Test sends: the redacted form with the action's id posts to the stored URL; without
	// the id, or as someone who cannot edit the monitor, it is refused.
	testSend := `mutation($ns: ID!, $url: String!, $action: ID) { triggerTestSlackWebhookAction(namespace: $ns, description: "m",
		slackWebhook: {enabled: true, includeResults: false, url: $url}, action: $action) { alwaysNil } }`
	e.MustDo(t, aliceToken, testSend, map[string]any{"ns": userID(alice.ID), "url": shownURL, "action": action.ID}, nil)
	if got := slack.last(); got != "/services/T1/B1/sekret-one" {
		t.Fatalf("test send of the saved action went to %q", got)
	}
	if r := e.Do(t, aliceToken, testSend, map[string]any{"ns": userID(alice.ID), "url": shownURL}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("redacted URL without the action: %+v", r.Errors)
	}
	if r := e.Do(t, bobToken, testSend, map[string]any{"ns": userID(bob.ID), "url": shownURL, "action": action.ID}); r.Code() != "NOT_FOUND" {
		t.Fatalf("bob testing alice's action: %+v", r.Errors)
	}

	update := `mutation($id: ID!, $trigger: ID!, $ns: ID!, $action: ID, $url: String!) { updateCodeMonitor(
		monitor: {id: $id, update: {namespace: $ns, description: "m", enabled: true}},
		trigger: {id: $trigger, update: {query: "type:diff x"}},
		actions: [{slackWebhook: {id: $action, update: {enabled: true, includeResults: true, url: $url}}}]) {
		actions { nodes { ... on MonitorSlackWebhook { id url includeResults } } } } }`
	vars := func(token string, mc created, actionID any, url string) map[string]any {
		ns := userID(alice.ID)
		if token == bobToken {
			ns = userID(bob.ID)
		}
		return map[string]any{"id": mc.CreateCodeMonitor.ID, "trigger": mc.CreateCodeMonitor.Trigger.ID, "ns": ns, "action": actionID, "url": url}
	}
	// The redacted form sent back keeps the stored URL.
	e.MustDo(t, aliceToken, update, vars(aliceToken, m, action.ID, shownURL), nil)
	e.MustDo(t, aliceToken, testSend, map[string]any{"ns": userID(alice.ID), "url": shownURL, "action": action.ID}, nil)
	if got := slack.last(); got != "/services/T1/B1/sekret-one" {
		t.Fatalf("after an update with the redacted URL, the action posts to %q", got)
	}
	for _, tc := range []struct {
		name, token string
		mc          created
		action      any
		url, code   string
	}{
		{"redacted form of another channel", aliceToken, m, action.ID, slack.srv.URL + "/services/T1/B2/REDACTED", "BAD_USER_INPUT"},
		{"redacted form for a new action", aliceToken, m, nil, shownURL, "BAD_USER_INPUT"},
	} {
		if r := e.Do(t, tc.token, update, vars(tc.token, tc.mc, tc.action, tc.url)); r.Code() != tc.code {
			t.Errorf("%s: %+v, want %s", tc.name, r.Errors, tc.code)
		}
	}
	// Bob cannot copy alice's stored URL into his monitor by naming her action.
	var bm created
	e.MustDo(t, bobToken, create, map[string]any{"ns": userID(bob.ID), "url": slack.srv.URL + "/services/T9/B9/bobs"}, &bm)
	if r := e.Do(t, bobToken, update, vars(bobToken, bm, action.ID, shownURL)); r.Code() != "NOT_FOUND" {
		t.Fatalf("bob naming alice's Slack action: %+v", r.Errors)
	}
	// A whole new URL replaces the stored one.
	e.MustDo(t, aliceToken, update, vars(aliceToken, m, action.ID, slack.srv.URL+"/services/T1/B1/sekret-two"), nil)
	e.MustDo(t, aliceToken, testSend, map[string]any{"ns": userID(alice.ID), "url": shownURL, "action": action.ID}, nil)
	if got := slack.last(); got != "/services/T1/B1/sekret-two" {
		t.Fatalf("after a new URL, the action posts to %q", got)
	}

	// Issue monitors share the actions: the same rule holds.
	var im issueMonitorCreated
	e.MustDo(t, aliceToken, `mutation($ns: ID!, $it: IssueTrackingInput!, $url: String!) {
		createIssueMonitor(monitor: {namespace: $ns, description: "im", enabled: true}, issueTracking: $it,
			actions: [{slackWebhook: {enabled: true, includeResults: false, url: $url}}]) { id actions { nodes { ... on MonitorSlackWebhook { id } } } } }`,
		map[string]any{"ns": userID(alice.ID), "it": issueTracking(nil), "url": slack.srv.URL + "/services/T3/B3/sekret-im"}, &im)
	imAction := im.CreateIssueMonitor.Actions.Nodes[0].ID
	var imUpdated struct {
		UpdateIssueMonitor struct {
			Actions struct{ Nodes []struct{ ID, URL string } }
		}
	}
	e.MustDo(t, aliceToken, `mutation($id: ID!, $ns: ID!, $it: IssueTrackingInput!, $action: ID!, $url: String!) {
		updateIssueMonitor(id: $id, monitor: {namespace: $ns, description: "im", enabled: true}, issueTracking: $it,
			actions: [{id: $action, slackWebhook: {enabled: true, includeResults: true, url: $url}}]) { actions { nodes { ... on MonitorSlackWebhook { id url } } } } }`,
		map[string]any{"id": im.CreateIssueMonitor.ID, "ns": userID(alice.ID), "it": issueTracking(nil), "action": imAction, "url": slack.srv.URL + "/services/T3/B3/REDACTED"}, &imUpdated)
	if got := imUpdated.UpdateIssueMonitor.Actions.Nodes; len(got) != 1 || got[0].ID != imAction || got[0].URL != slack.srv.URL+"/services/T3/B3/REDACTED" {
		t.Fatalf("issue monitor Slack action after a redacted update: %+v", got)
	}
	e.MustDo(t, aliceToken, testSend, map[string]any{"ns": userID(alice.ID), "url": slack.srv.URL + "/services/T3/B3/REDACTED", "action": imAction}, nil)
	if got := slack.last(); got != "/services/T3/B3/sekret-im" {
		t.Fatalf("the issue monitor's action posts to %q", got)
	}
}

// TestUpdateExternalServiceTokenRule runs the one token rule through the API for every
// kind: REDACTED keeps the stored token for the same origin and is refused for a new one.
func TestUpdateExternalServiceTokenRule(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	add := `mutation($kind: ExternalServiceKind!, $config: String!) { addExternalService(input: {kind: $kind, displayName: "c", config: $config}) { id } }`
	update := `mutation($id: ID!, $config: String!) { updateExternalService(input: {id: $id, config: $config}) { id } }`
	for _, tc := range []struct {
		kind, stored, same, moved string
	}{
		{"GITHUB", `{"url":"https://ghe.example.com","token":"SECRET","orgs":["a"]}`,
			`{"url":"https://ghe.example.com/","token":"REDACTED","orgs":["a","b"]}`, `{"url":"https://127.0.0.1:9","token":"REDACTED","orgs":["a"]}`},
		{"GITLAB", `{"url":"https://gitlab.example.com","token":"SECRET","orgs":["g"]}`,
			`{"url":"https://gitlab.example.com","token":"REDACTED","repos":["g/p"]}`, `{"token":"REDACTED","orgs":["g"]}`},
		{"GITEA", `{"url":"https://gitea.example.com","token":"SECRET","orgs":["o"]}`,
			`{"url":"https://gitea.example.com","token":"REDACTED","orgs":["p"]}`, `{"url":"http://gitea.example.com","token":"REDACTED","orgs":["o"]}`},
		{"BITBUCKETSERVER", `{"url":"https://bb.example.com","username":"svc","token":"SECRET","orgs":["P"]}`,
			`{"url":"https://bb.example.com","username":"svc","token":"REDACTED","orgs":["Q"]}`, `{"url":"https://bb.example.com:8443","username":"svc","token":"REDACTED","orgs":["P"]}`},
		{"GIT", `{"repos":["https://git.example.com/a.git"],"token":"SECRET"}`,
			`{"repos":["https://git.example.com/a.git","https://git.example.com/b.git"],"token":"REDACTED"}`, `{"repos":["https://git.example.com/a.git","http://127.0.0.1:9/x.git"],"token":"REDACTED"}`},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			var created struct{ AddExternalService struct{ ID string } }
			e.MustDo(t, e.AdminToken, add, map[string]any{"kind": tc.kind, "config": tc.stored}, &created)
			id := created.AddExternalService.ID
			var n int64
			if err := relay.UnmarshalSpec(graphql.ID(id), &n); err != nil {
				t.Fatal(err)
			}
			stored := func() string {
				svc, err := e.Store.ExternalServices().GetByID(context.Background(), n)
				if err != nil {
					t.Fatal(err)
				}
				return svc.Config
			}
			e.MustDo(t, e.AdminToken, update, map[string]any{"id": id, "config": tc.same}, nil)
			kept := stored()
			if !strings.Contains(kept, `"token":"SECRET"`) {
				t.Fatalf("the same origin did not keep the token: %s", kept)
			}
			r := e.Do(t, e.AdminToken, update, map[string]any{"id": id, "config": tc.moved})
			if r.Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, `"token" must be sent again`) {
				t.Fatalf("redacted token to a new origin: %+v", r.Errors)
			}
			if got := stored(); got != kept {
				t.Fatalf("a refused update changed the stored config: %s", got)
			}
		})
	}
}
