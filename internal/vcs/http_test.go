package vcs

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"
)

const testToken = "tok-3f9a1c7e5d2b-SECRET"

// authServer serves bare repositories under root over smart HTTP with
// git http-backend, requiring basic auth alice:testToken.
type authServer struct {
	*httptest.Server
	mu      sync.Mutex
	authed  int // requests that carried the right credential
	rawURLs []string
}

func newAuthServer(t *testing.T, root string) *authServer {
	t.Helper()
	execPath := gitT(t, "/", nil, "--exec-path")
	backend := &cgi.Handler{
		Path: filepath.Join(execPath, "git-http-backend"),
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
			"REMOTE_USER=alice",
		},
		InheritEnv: []string{"PATH"},
	}
	s := &authServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.rawURLs = append(s.rawURLs, r.URL.String())
		s.mu.Unlock()
		user, pass, ok := r.BasicAuth()
		if !ok || user != "alice" || pass != testToken {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		s.mu.Lock()
		s.authed++
		s.mu.Unlock()
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// recordingGit is a git wrapper that appends its arguments to a file, so the
// test can check what would be visible in ps.
func recordingGit(t *testing.T) (binary, argsFile string) {
	t.Helper()
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args.log")
	binary = filepath.Join(dir, "git")
	script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + argsFile + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(binary, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return binary, argsFile
}

func TestHTTPCredentials(t *testing.T) {
	t.Parallel()
	h := newHistory(t)
	root := t.TempDir()
	bare := filepath.Join(root, "team", "project.git")
	gitT(t, "/", nil, "clone", "-q", "--bare", h.w.dir, bare)
	gitT(t, bare, nil, "config", "http.receivepack", "true")
	srv := newAuthServer(t, root)

	gitBin, argsFile := recordingGit(t)
	logger, exportLogs := logtest.Captured(t)
	cacheDir := t.TempDir()
	c, err := NewCache(cacheDir, Options{Logger: logger, GitBinary: gitBin})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	repo := Repo{
		Name:       "example.com/team/project",
		URL:        srv.URL + "/team/project.git",
		Credential: &Credential{Username: "alice", Password: testToken},
	}

	// Without a credential the server refuses, and git does not prompt.
	anon := repo
	anon.Credential = nil
	if _, err := c.Fetch(ctx, anon); err == nil {
		t.Fatal("anonymous clone succeeded")
	}

	res, err := c.Fetch(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cloned || len(res.Changes) != 3 {
		t.Errorf("clone over http: %+v", res)
	}
	h.w.commit(baseTime.Add(100*24*time.Hour), "Zed", "over http", map[string]string{"http.txt": "h\n"})
	gitT(t, h.w.dir, nil, "push", "-q", bare, "main")
	res, err = c.Fetch(ctx, repo)
	if err != nil || !res.Changed() {
		t.Fatalf("fetch over http = %+v, %v", res, err)
	}

	// A token embedded in the URL is moved out of it.
	inURL := repo
	inURL.Credential = nil
	inURL.URL = strings.Replace(srv.URL, "http://", "http://alice:"+testToken+"@", 1) + "/team/project.git"
	if _, err := c.Fetch(ctx, inURL); err != nil {
		t.Fatalf("fetch with credential in URL: %v", err)
	}
	if branch, err := c.RemoteDefaultBranch(ctx, repo); err != nil || branch != "main" {
		t.Errorf("RemoteDefaultBranch over http = %q, %v", branch, err)
	}

	// Commit and push over http.
	m := res.Mirror
	oid, err := m.CreateCommitFromPatch(ctx, PatchCommit{Base: "main", Patch: []byte(patchA), Message: "via http", Author: Signature{Name: "A", Email: "a@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Push(ctx, repo, oid, "campaign/http", false); err != nil {
		t.Fatalf("push over http: %v", err)
	}
	if got := gitT(t, bare, nil, "rev-parse", "refs/heads/campaign/http"); got != oid {
		t.Errorf("pushed branch = %s, want %s", got, oid)
	}
	if ok, err := c.BranchExists(ctx, repo, "campaign/http"); err != nil || !ok {
		t.Errorf("BranchExists over http = %v, %v", ok, err)
	}

	// A wrong token fails without echoing it, even when it came in the URL.
	wrong := repo
	wrong.Credential = &Credential{Username: "alice", Password: "wrong-" + testToken}
	_, err = c.Fetch(ctx, wrong)
	if err == nil {
		t.Fatal("fetch with a wrong token succeeded")
	}
	wrongURL := inURL
	wrongURL.URL = strings.Replace(inURL.URL, testToken, "wrong-"+testToken, 1)
	_, err2 := c.LsRemote(ctx, wrongURL)
	err3 := c.Push(ctx, wrong, oid, "campaign/http2", false)
	t.Logf("wrong-token errors:\n%v\n%v\n%v", err, err2, err3)
	for _, e := range []error{err, err2, err3} {
		if e == nil {
			t.Fatal("operation with a wrong token succeeded")
		}
		if strings.Contains(e.Error(), testToken) {
			t.Errorf("error leaks the token: %v", e)
		}
		var ce *CommandError
		if errors.As(e, &ce) && ce.ExitCode <= 0 {
			t.Errorf("unexpected failure mode: %v", e)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("wrong token timed out instead of failing: %v", err)
	}

	// The token is nowhere on disk, in argv or in the logs.
	filepath.WalkDir(cacheDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(data), testToken) {
			t.Errorf("token written to %s", path)
		}
		return nil
	})
	args, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(args), "fetch") || strings.Contains(string(args), testToken) {
		t.Errorf("git argv leaks the token or was not recorded:\n%s", args)
	}
	for _, l := range exportLogs() {
		if strings.Contains(l.Message, testToken) || strings.Contains(strings.Join(strings.Fields(fmtFields(l.Fields)), " "), testToken) {
			t.Errorf("log leaks the token: %+v", l)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	t.Logf("%d authenticated requests of %d", srv.authed, len(srv.rawURLs))
	if srv.authed == 0 {
		t.Error("no request carried the credential")
	}
	for _, u := range srv.rawURLs {
		if strings.Contains(u, testToken) {
			t.Errorf("token in request URL %s", u)
		}
	}
}

func fmtFields(fields map[string]any) string {
	var b strings.Builder
	for k, v := range fields {
		b.WriteString(k)
		b.WriteByte('=')
		if s, ok := v.(string); ok {
			b.WriteString(s)
		}
		b.WriteByte(' ')
	}
	return b.String()
}
