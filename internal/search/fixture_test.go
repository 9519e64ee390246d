package search_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// gitRepo is a source repository built commit by commit in a temporary directory.
type gitRepo struct {
	t   testing.TB
	dir string
}

func newGitRepo(t testing.TB) *gitRepo {
	t.Helper()
	dir := t.TempDir()
	r := &gitRepo{t: t, dir: dir}
	r.git(nil, "init", "-q", "-b", "main")
	return r
}

func (r *gitRepo) git(env []string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir, "GIT_COMMITTER_NAME=Committer", "GIT_COMMITTER_EMAIL=committer@example.com")
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// commit writes files ("" deletes one) and commits them as author at date.
func (r *gitRepo) commit(date, author, msg string, files map[string]string) string {
	r.t.Helper()
	for p, content := range files {
		full := filepath.Join(r.dir, p)
		if content == "" {
			if err := os.Remove(full); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.git(nil, "add", "-A")
	name, email, _ := strings.Cut(author, " <")
	email = strings.TrimSuffix(email, ">")
	r.git([]string{"GIT_AUTHOR_NAME=" + name, "GIT_AUTHOR_EMAIL=" + email, "GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}, "commit", "-q", "-m", msg)
	return strings.TrimSpace(r.git(nil, "rev-parse", "HEAD"))
}

// grepCount sums git grep -c (matching lines) with args at rev.
func (r *gitRepo) grepCount(rev string, args ...string) int {
	r.t.Helper()
	cmd := exec.Command("git", append(append([]string{"-C", r.dir, "grep", "-c", "-I"}, args...), rev, "--", ".", ":(exclude)big.txt")...)
	out, err := cmd.Output()
	if err != nil && len(out) > 0 {
		r.t.Fatalf("git grep: %v", err)
	}
	total := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		n, err := strconv.Atoi(line[strings.LastIndexByte(line, ':')+1:])
		if err != nil {
			r.t.Fatalf("git grep output %q", line)
		}
		total += n
	}
	return total
}

type fixture struct {
	st       *store.Store
	svc      *search.Service
	reposSvc *repos.Service
	api      *gitRepo
	secret   *gitRepo
	commits  []string // api's commits, oldest first
	repo     map[string]*store.Repo
	alice    store.Viewer // may see acme/secret
	bob      store.Viewer // may not
}

const apiMain = `package main

import "errors"

// TODO: remove the global
var errBoom = errors.New("boom")

func main() {
	// todo later
	println("hello, world")
}
`

const apiUtil = `package util

// Join joins strings. TODO: use strings.Join.
func Join(a, b string) string { return a + b }

func Split(s string) []string { return nil } // TODO TODO twice
`

const apiHeader = `#ifndef LIB_H
#define LIB_H
// TODO: document
int lib_init(void);
#endif
`

// newFixture builds a database with four repositories:
//
//	acme/api     public, cloned: Go, Markdown, a C header, a binary and a big file
//	acme/secret  private, cloned; only alice may see it
//	acme/fork    a public fork, cloned
//	acme/new     public, not cloned yet
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st := store.New(dbtest.NewDB(t))
	f := &fixture{st: st, repo: map[string]*store.Repo{}}

	f.api = newGitRepo(t)
	f.commits = append(f.commits, f.api.commit("2024-01-10T10:00:00Z", "Alice Doe <alice@example.com>", "initial import", map[string]string{
		"main.go":            apiMain,
		"util/strings.go":    apiUtil,
		"README.md":          "# API\n\nTODO: write docs\n",
		"lib.h":              apiHeader,
		"data.bin":           "TODO\x00binary\x00TODO\n",
		"big.txt":            strings.Repeat("TODO big file line\n", 300),
		"docs/todo_list.txt": "nothing to see\n",
	}))
	f.commits = append(f.commits, f.api.commit("2024-02-15T10:00:00Z", "Bob Roe <bob@example.com>", "util: add Reverse\n\nFixes the TODO in util.", map[string]string{
		"util/strings.go": apiUtil + "\n// Reverse reverses s.\nfunc Reverse(s string) string { return s } // FIXME: reverse\n",
	}))
	f.commits = append(f.commits, f.api.commit("2024-03-20T10:00:00Z", "Alice Doe <alice@example.com>", "main: drop the global error", map[string]string{
		"main.go": strings.Replace(apiMain, "// TODO: remove the global\nvar errBoom = errors.New(\"boom\")\n", "var errBoom = errors.New(\"bang\") // fixed\n", 1),
	}))

	f.secret = newGitRepo(t)
	f.secret.commit("2024-01-05T10:00:00Z", "Carol <carol@example.com>", "secret import", map[string]string{"keys.go": "package keys\n\n// TODO: rotate the secret key\nconst key = \"hunter2\"\n"})
	fork := newGitRepo(t)
	fork.commit("2024-01-05T10:00:00Z", "Dan <dan@example.com>", "fork import", map[string]string{"fork.go": "package fork\n\n// TODO in the fork\n"})

	svc, err := st.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{
		{Name: "acme/api", CloneURL: f.api.dir, DefaultBranch: "main"},
		{Name: "acme/secret", CloneURL: f.secret.dir, DefaultBranch: "main", Private: true},
		{Name: "acme/fork", CloneURL: fork.dir, DefaultBranch: "main", Fork: true},
		{Name: "acme/new", CloneURL: filepath.Join(t.TempDir(), "missing"), DefaultBranch: "main"},
	}, false)
	if err != nil || res.Added != 4 {
		t.Fatalf("sync: %+v %v", res, err)
	}
	cache, err := vcs.NewCache(t.TempDir(), vcs.Options{AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	f.reposSvc = &repos.Service{Store: st, VCS: cache}
	for _, name := range []string{"acme/api", "acme/secret", "acme/fork"} {
		r, err := st.Repos().GetByName(ctx, store.InternalViewer, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.reposSvc.Fetch(ctx, r.ID, nil); err != nil {
			t.Fatalf("fetch %s: %v", name, err)
		}
	}
	for _, name := range []string{"acme/api", "acme/secret", "acme/fork", "acme/new"} {
		r, err := st.Repos().GetByName(ctx, store.InternalViewer, name)
		if err != nil {
			t.Fatal(err)
		}
		f.repo[name] = r
	}
	f.alice, f.bob = aliceAndBob(t, st, f.repo["acme/secret"])
	f.svc = search.NewService(st, f.reposSvc, search.NewBlobCache(0, st), nil, search.Options{MaxFileSize: 4096})
	return f
}

// aliceAndBob creates two users: alice may see the private repository, bob may not.
func aliceAndBob(t *testing.T, st *store.Store, private *store.Repo) (alice, bob store.Viewer) {
	t.Helper()
	ctx := context.Background()
	a, err := st.Users().Create(ctx, store.NewUser{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Users().Create(ctx, store.NewUser{Username: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Repos().SetRepoPermissions(ctx, private.ID, []int64{a.ID}, store.PermissionSourceAPI); err != nil {
		t.Fatal(err)
	}
	return store.Viewer{UserID: a.ID}, store.Viewer{UserID: b.ID}
}

func (f *fixture) search(t *testing.T, v store.Viewer, q string) *search.Results {
	t.Helper()
	res, err := f.svc.Search(context.Background(), search.Request{Query: q, Viewer: v})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return res
}
