package vcs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMirrorRelPath(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"github.com/owner/name":      "github.com/owner/name.git",
		"github.com/owner/.github":   "github.com/owner/%2Egithub.git",
		"host/a b":                   "host/a%20b.git",
		"host/x.git":                 "host/x%2Egit.git",
		"host/x.git/y":               "host/x%2Egit/y.git",
		"host/x.lock":                "host/x%2Elock.git",
		".tmp/x":                     "%2Etmp/x.git",
		"host/%2E":                   "host/%252E.git",
		"host/naïve":                 "host/na%C3%AFve.git",
		"gitlab.example.com/g/sub/p": "gitlab.example.com/g/sub/p.git",
	}
	for name, want := range good {
		got, err := mirrorRelPath(name)
		if err != nil || got != want {
			t.Errorf("mirrorRelPath(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, bad := range []string{"", "a//b", "/abs", "a/", strings.Repeat("x", 300)} {
		if got, err := mirrorRelPath(bad); err == nil {
			t.Errorf("mirrorRelPath(%q) = %q, want error", bad, got)
		}
	}
	// No name escapes the root, whatever it contains.
	for _, name := range []string{"..", "../x", "a/../../b", "./.", "..\\x"} {
		got, err := mirrorRelPath(name)
		if err != nil {
			continue
		}
		if strings.HasPrefix(filepath.Clean(got), "..") || strings.Contains(got, "/../") || strings.HasPrefix(got, ".") {
			t.Errorf("mirrorRelPath(%q) = %q escapes or hides", name, got)
		}
	}
}

func TestParseRemote(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		"", "-upload-pack=touch /tmp/x", "ext::sh -c touch% /tmp/pwned", "fd::17", "relative/path",
		"ssh://-oProxyCommand=x/y", "-host:path", "https://host/a\nb", "ftp://host/x",
	} {
		if _, err := parseRemote(Repo{Name: "r", URL: bad}, true); err == nil {
			t.Errorf("parseRemote(%q) succeeded, want error", bad)
		}
	}
	for _, local := range []string{"/srv/git/x", "file:///srv/git/x"} {
		if _, err := parseRemote(Repo{Name: "r", URL: local}, false); err == nil {
			t.Errorf("parseRemote(%q) without AllowLocal succeeded", local)
		}
	}
	r, err := parseRemote(Repo{Name: "r", URL: "https://bob:s3cret@example.com:8443/o/r.git"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.url != "https://example.com:8443/o/r.git" || r.scope != "https://example.com:8443" ||
		r.cred == nil || r.cred.Username != "bob" || r.cred.Password != "s3cret" {
		t.Errorf("parseRemote moved userinfo wrongly: %+v %+v", r, r.cred)
	}
	if got := r.redact("fatal: https://bob:s3cret@example.com/ said s3cret"); strings.Contains(got, "s3cret") {
		t.Errorf("redact left the secret: %q", got)
	}
	for _, ok := range []string{"git@github.com:o/r.git", "ssh://git@host:22/o/r", "git://host/r"} {
		if _, err := parseRemote(Repo{Name: "r", URL: ok}, false); err != nil {
			t.Errorf("parseRemote(%q): %v", ok, err)
		}
	}
}

func TestCloneAndFetch(t *testing.T) {
	t.Parallel()
	h := newHistory(t)
	c := newTestCache(t, "")
	ctx := testContext(t)
	repo := h.w.repo("example.com/team/project")

	if _, err := c.Mirror(repo.Name); !errors.Is(err, ErrNotCloned) {
		t.Fatalf("Mirror before clone: got %v, want ErrNotCloned", err)
	}
	res, err := c.Fetch(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cloned || !res.Fetched {
		t.Errorf("first fetch: Cloned=%v Fetched=%v, want both", res.Cloned, res.Fetched)
	}
	wantRefs := []RefChange{
		{Name: "refs/heads/feature", New: h.c4},
		{Name: "refs/heads/main", New: h.c3},
		{Name: "refs/tags/v1", New: gitT(t, h.w.dir, nil, "rev-parse", "v1")},
	}
	if diff := cmp.Diff(wantRefs, res.Changes); diff != "" {
		t.Errorf("clone changes (-want +got):\n%s", diff)
	}
	// No remote URL (or anything else of the remote) is kept in the mirror.
	cfg, err := os.ReadFile(filepath.Join(res.Mirror.Dir(), "config"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cfg), "origin") || strings.Contains(string(cfg), h.w.dir) {
		t.Errorf("mirror config mentions the remote:\n%s", cfg)
	}
	branch, oid, err := res.Mirror.DefaultBranch(ctx)
	if err != nil || branch != "main" || oid != h.c3 {
		t.Errorf("DefaultBranch = %q %q %v, want main %s", branch, oid, err, h.c3)
	}

	res, err = c.Fetch(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cloned || !res.Fetched || res.Changed() {
		t.Errorf("fetch without new commits: %+v, want fetched and unchanged", res)
	}

	c5 := h.w.commit(baseTime.Add(10*24*time.Hour), "Dave", "more", map[string]string{"new.txt": "new\n"})
	gitT(t, h.w.dir, nil, "branch", "-D", "feature")
	res, err = c.Fetch(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	want := []RefChange{
		{Name: "refs/heads/feature", Old: h.c4},
		{Name: "refs/heads/main", Old: h.c3, New: c5},
	}
	if diff := cmp.Diff(want, res.Changes); diff != "" {
		t.Errorf("fetch changes (-want +got):\n%s", diff)
	}
	if got, err := res.Mirror.ResolveRevision(ctx, "main"); err != nil || got != c5 {
		t.Errorf("main after fetch = %s, %v; want %s", got, err, c5)
	}
	last, err := c.LastFetch(repo.Name)
	if err != nil || !last.Equal(res.FetchedAt) {
		t.Errorf("LastFetch = %v, %v; want %v", last, err, res.FetchedAt)
	}

	// EnsureFresh within the bound does nothing; with a zero bound it fetches.
	res, err = c.EnsureFresh(ctx, repo, time.Hour)
	if err != nil || res.Fetched {
		t.Errorf("EnsureFresh(1h) = %+v, %v; want no fetch", res, err)
	}
	time.Sleep(2 * time.Millisecond)
	res, err = c.EnsureFresh(ctx, repo, time.Millisecond)
	if err != nil || !res.Fetched {
		t.Errorf("EnsureFresh(1ms) = %+v, %v; want a fetch", res, err)
	}
}

func TestDefaultBranchRenamed(t *testing.T) {
	t.Parallel()
	h := newHistory(t)
	c := newTestCache(t, "")
	ctx := testContext(t)
	repo := h.w.repo("example.com/rename")
	if _, err := c.EnsureCloned(ctx, repo); err != nil {
		t.Fatal(err)
	}
	gitT(t, h.w.dir, nil, "branch", "-m", "main", "trunk")
	res, err := c.Fetch(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if branch, _, err := res.Mirror.DefaultBranch(ctx); err != nil || branch != "trunk" {
		t.Errorf("DefaultBranch after rename = %q, %v; want trunk", branch, err)
	}
	if got, err := c.RemoteDefaultBranch(ctx, repo); err != nil || got != "trunk" {
		t.Errorf("RemoteDefaultBranch = %q, %v", got, err)
	}
}

func TestConcurrentFetches(t *testing.T) {
	t.Parallel()
	h := newHistory(t)
	dir := t.TempDir()
	// Two caches on one directory stand for two processes: only the file
	// lock keeps them apart.
	caches := []*Cache{newTestCache(t, dir), newTestCache(t, dir)}
	ctx := testContext(t)
	repo := h.w.repo("example.com/concurrent")

	const n = 12
	var wg sync.WaitGroup
	results := make([]*FetchResult, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = caches[i%2].EnsureFresh(ctx, repo, time.Minute)
		}(i)
	}
	wg.Wait()
	clones := 0
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("EnsureFresh %d: %v", i, errs[i])
		}
		if results[i].Cloned {
			clones++
		}
	}
	if clones != 1 {
		t.Errorf("%d clones for concurrent EnsureFresh, want 1", clones)
	}

	// Now a new commit and many concurrent Fetches from both caches: all
	// succeed, and exactly one of them sees the change.
	c6 := h.w.commit(baseTime.Add(20*24*time.Hour), "Eve", "concurrent", map[string]string{"c.txt": "c\n"})
	changed := 0
	var mu sync.Mutex
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := caches[i%2].Fetch(ctx, repo)
			if err != nil {
				t.Errorf("Fetch %d: %v", i, err)
				return
			}
			mu.Lock()
			if res.Changed() {
				changed++
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if changed != 1 {
		t.Errorf("%d fetches reported a change, want 1", changed)
	}
	m, err := caches[0].Mirror(repo.Name)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := m.ResolveRevision(ctx, "main"); err != nil || got != c6 {
		t.Errorf("main = %s, %v; want %s", got, err, c6)
	}
	gitT(t, m.Dir(), nil, "fsck", "--no-progress")
	if entries, _ := os.ReadDir(filepath.Join(dir, tmpDir)); len(entries) != 0 {
		t.Errorf("temporary directories left behind: %v", entries)
	}
}

func TestBrokenMirrorRecovered(t *testing.T) {
	t.Parallel()
	h := newHistory(t)
	c := newTestCache(t, "")
	ctx := testContext(t)
	repo := h.w.repo("example.com/broken")
	m, err := c.EnsureCloned(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}

	// Lose every object: refs now point at nothing.
	if err := os.RemoveAll(filepath.Join(m.Dir(), "objects")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(m.Dir(), "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := c.Fetch(ctx, repo)
	if err != nil {
		t.Fatalf("Fetch of a broken mirror: %v", err)
	}
	if !res.Cloned {
		t.Errorf("broken mirror was not cloned again: %+v", res)
	}
	if got, err := res.Mirror.ResolveRevision(ctx, "main"); err != nil || got != h.c3 {
		t.Errorf("main = %s, %v", got, err)
	}

	// A directory that is not a finished clone (no stamp) is replaced.
	if err := c.Remove(ctx, repo.Name); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(m.Dir(), "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EnsureCloned(ctx, repo); err != nil {
		t.Fatalf("EnsureCloned over a half clone: %v", err)
	}
	gitT(t, m.Dir(), nil, "fsck", "--no-progress")

	// A failing remote leaves a healthy mirror in place.
	bad := repo
	bad.URL = filepath.Join(t.TempDir(), "missing")
	if _, err := c.Fetch(ctx, bad); err == nil {
		t.Fatal("Fetch from a missing remote succeeded")
	}
	if _, err := c.Mirror(repo.Name); err != nil {
		t.Errorf("mirror gone after a failed fetch: %v", err)
	}
}

func TestStaleTempDirsSwept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stale := filepath.Join(dir, tmpDir, "abc-1.tmp")
	if err := os.MkdirAll(filepath.Join(stale, "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, tmpDir, "def-1.tmp")
	if err := os.MkdirAll(fresh, 0o755); err != nil {
		t.Fatal(err)
	}
	newTestCache(t, dir)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary directory kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("recent temporary directory removed: %v", err)
	}
}

func TestEmptyRepository(t *testing.T) {
	t.Parallel()
	w := newWorkRepo(t)
	c := newTestCache(t, "")
	ctx := testContext(t)
	repo := w.repo("example.com/empty")
	res, err := c.Fetch(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cloned || res.Changed() {
		t.Errorf("clone of empty repository: %+v", res)
	}
	if branch, oid, err := res.Mirror.DefaultBranch(ctx); err != nil || branch != "main" || oid != "" {
		t.Errorf("DefaultBranch of empty = %q %q %v", branch, oid, err)
	}
	if _, err := res.Mirror.ResolveRevision(ctx, "HEAD"); !errors.Is(err, ErrRevisionNotFound) {
		t.Errorf("ResolveRevision(HEAD) in empty = %v", err)
	}
	first := w.commit(baseTime, "Alice", "first", map[string]string{"a": "a\n"})
	res, err = c.Fetch(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]RefChange{{Name: "refs/heads/main", New: first}}, res.Changes); diff != "" {
		t.Errorf("first commit (-want +got):\n%s", diff)
	}
}

func TestRemoveAndInvalidNames(t *testing.T) {
	t.Parallel()
	h := newHistory(t)
	c := newTestCache(t, "")
	ctx := testContext(t)
	repo := h.w.repo("example.com/remove")
	m, err := c.EnsureCloned(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(ctx, repo.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m.Dir()); !os.IsNotExist(err) {
		t.Errorf("mirror still there after Remove: %v", err)
	}
	if err := c.Remove(ctx, repo.Name); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	for _, name := range []string{"", "a//b", "/abs"} {
		bad := repo
		bad.Name = name
		if _, err := c.EnsureCloned(ctx, bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("EnsureCloned(%q) = %v, want ErrInvalidArgument", name, err)
		}
	}
	// ".." is a legal name component; its mirror stays inside the cache.
	dotdot := repo
	dotdot.Name = "../../escape"
	m, err = c.EnsureCloned(ctx, dotdot)
	if err != nil {
		t.Fatal(err)
	}
	if rel, err := filepath.Rel(c.Dir(), m.Dir()); err != nil || strings.HasPrefix(rel, "..") {
		t.Errorf("mirror of %q at %s, outside the cache", dotdot.Name, m.Dir())
	}
}
