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

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/gittest"
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
