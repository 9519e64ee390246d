package textindex_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sourcegraph/log/logtest"
	"github.com/sourcegraph/zoekt"
	"github.com/sourcegraph/zoekt/query"

	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/textindex/textindextest"
	"github.com/lookout/lookout/internal/vcs"
)

// mirrorOf clones a work repository into a fresh mirror cache, and returns a function
// that fetches it.
func mirrorOf(t *testing.T, w *gittest.Repo, name string) (*vcs.Mirror, func()) {
	t.Helper()
	c, err := vcs.NewCache(t.TempDir(), vcs.Options{Logger: logtest.Scoped(t), AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	repo := vcs.Repo{Name: name, URL: w.Dir}
	m, err := c.EnsureCloned(testContext(t), repo)
	if err != nil {
		t.Fatal(err)
	}
	return m, func() {
		if _, err := c.Fetch(testContext(t), repo); err != nil {
			t.Fatal(err)
		}
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// waitVersion waits until the backend serves id at version.
func waitVersion(t *testing.T, b textindex.Backend, id uint32, version string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		vs, err := b.Versions(testContext(t), []uint32{id})
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(vs[id], version) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index does not serve repository %d at %s (it has %q)", id, version, vs[id])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// doc is what a test sees of a document.
type doc struct {
	Language  string
	Content   string
	Remainder *textindex.Remainder
}

func allDocs(t *testing.T, b textindex.Backend, id uint32, version string) map[string]doc {
	t.Helper()
	return docsOf(t, b, &query.Const{Value: true}, id, version)
}

// remaindersOf keeps the remainders of docs.
func remaindersOf(docs map[string]doc) map[string]doc {
	out := map[string]doc{}
	for name, d := range docs {
		if d.Remainder != nil {
			out[name] = d
		}
	}
	return out
}

// docsOf is what a search for q answers of repository id at version.
func docsOf(t *testing.T, b textindex.Backend, q query.Q, id uint32, version string) map[string]doc {
	t.Helper()
	res, err := b.Search(testContext(t), q, textindex.DefaultBranch, map[uint32]string{id: version})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Answered[id] {
		t.Fatalf("repository %d not answered", id)
	}
	out := map[string]doc{}
	for _, f := range res.Files {
		if f.Language == textindex.LanguageSkipped {
			t.Fatalf("%s: a remainder among the candidates", f.FileName)
		}
		out[f.FileName] = doc{Content: string(f.Content)}
	}
	for _, r := range res.Remainders[id] {
		rem := r.Remainder
		out[r.Path] = doc{Language: textindex.LanguageSkipped, Remainder: &rem}
	}
	return out
}

func TestIndexHoldsWhatSearchesRead(t *testing.T) {
	w := gittest.NewRepo(t)
	late := strings.Repeat("x", 9000) + "\x00tail"
	w.Commit(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "", "first", map[string]string{
		"main.go":      "package main\n\nfunc main() {}\n",
		"bin.dat":      "\x00\x01\x02 binary",
		"late.txt":     late,
		"tiny.txt":     "ok",
		"big.txt":      strings.Repeat("big\n", 6000),
		"kelvin.txt":   "\u212aelvin\n",
		"dir/empty.md": "\n",
	})
	if err := os.Symlink("main.go", filepath.Join(w.Dir, "link.go")); err != nil {
		t.Fatal(err)
	}
	c2 := w.Commit(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), "", "link", nil)
	m, fetch := mirrorOf(t, w, "example.com/r")
	oid := func(path string) string { return strings.TrimSpace(w.Git("rev-parse", c2+":"+path)) }

	dir := t.TempDir()
	ix, err := textindex.NewIndexer(textindex.Options{Dir: dir, MaxFileSize: 20000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	res, err := ix.Index(ctx, textindex.Repo{ID: 7, Name: "example.com/r"}, m, c2)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Built || res.Files != 7 || res.IndexBytes == 0 {
		t.Fatalf("build result %+v, want a built shard of 7 files", res)
	}
	b, err := textindex.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	version := textindex.ShardVersion(c2, 20000)
	waitVersion(t, b, 7, version)

	got := allDocs(t, b, 7, version)
	want := map[string]doc{
		"main.go":      {Content: "package main\n\nfunc main() {}\n"},
		"bin.dat":      {Language: "skipped", Remainder: &textindex.Remainder{Kind: textindex.RemainderBinary, Size: 10, OID: oid("bin.dat")}},
		"late.txt":     {Language: "skipped", Remainder: &textindex.Remainder{Kind: textindex.RemainderStored, Size: int64(len(late)), OID: oid("late.txt"), Content: []byte(late)}},
		"tiny.txt":     {Language: "skipped", Remainder: &textindex.Remainder{Kind: textindex.RemainderStored, Size: 2, OID: oid("tiny.txt"), Content: []byte("ok")}},
		"big.txt":      {Language: "skipped", Remainder: &textindex.Remainder{Kind: textindex.RemainderLarge, Size: 24000, OID: oid("big.txt")}},
		"kelvin.txt":   {Language: "skipped", Remainder: &textindex.Remainder{Kind: textindex.RemainderStored, Size: 9, OID: oid("kelvin.txt"), Content: []byte("\u212aelvin\n")}},
		"dir/empty.md": {Language: "skipped", Remainder: &textindex.Remainder{Kind: textindex.RemainderStored, Size: 1, OID: oid("dir/empty.md"), Content: []byte("\n")}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	// Every answer holds every remainder, whatever it asked for: the first of these reads
	// them from the shard, the next ones from the backend's cache.
	for range 2 {
		if diff := cmp.Diff(want, docsOf(t, b, &query.Substring{Pattern: "func main", Content: true}, 7, version)); diff != "" {
			t.Errorf("documents of a search for func main (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(remaindersOf(want), docsOf(t, b, &query.Substring{Pattern: "no such text", Content: true}, 7, version)); diff != "" {
			t.Errorf("documents of a search matching nothing (-want +got):\n%s", diff)
		}
	}

	// The shard at c2 is current: nothing to do.
	if res, err := ix.Index(ctx, textindex.Repo{ID: 7, Name: "example.com/r"}, m, c2); err != nil || res.Built {
		t.Fatalf("second build at the same commit: %+v, %v; want nothing done", res, err)
	}

	// A push: a delta build adds the changed files in a shard of their own and hides
	// their older versions. The search then sees what a full build of the new commit
	// holds, and a search for the older version is not answered.
	if err := os.Remove(filepath.Join(w.Dir, "kelvin.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("main.go", filepath.Join(w.Dir, "kelvin.txt")); err != nil {
		t.Fatal(err)
	}
	c3 := w.Commit(time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC), "", "push", map[string]string{
		"main.go": "package main\n\nfunc main() { println(1) }\n", "tiny.txt": "", "big.txt": "small now\n", "new/bin.dat": "\x00new",
	})
	fetch()
	res, err = ix.Index(ctx, textindex.Repo{ID: 7, Name: "example.com/r"}, m, c3)
	if err != nil || !res.Delta || res.Files != 3 {
		t.Fatalf("build after the push: %+v, %v; want a delta build of 3 files", res, err)
	}
	v3 := textindex.ShardVersion(c3, 20000)
	waitVersion(t, b, 7, v3)
	full, err := textindex.NewIndexer(textindex.Options{Dir: t.TempDir(), MaxFileSize: 20000})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := full.Index(ctx, textindex.Repo{ID: 7, Name: "example.com/r"}, m, c3); err != nil || res.Delta {
		t.Fatalf("a first build: %+v, %v; want a full build", res, err)
	}
	fb, err := textindex.NewLocal(full.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	waitVersion(t, fb, 7, v3)
	if diff := cmp.Diff(allDocs(t, fb, 7, v3), allDocs(t, b, 7, v3)); diff != "" {
		t.Errorf("documents after the delta build (-full build +delta):\n%s", diff)
	}
	// The remainders of the new version, not those cached for the older one.
	if diff := cmp.Diff(remaindersOf(allDocs(t, fb, 7, v3)), docsOf(t, b, &query.Substring{Pattern: "no such text", Content: true}, 7, v3)); diff != "" {
		t.Errorf("remainders after the delta build (-full build +delta):\n%s", diff)
	}
	res2, err := b.Search(ctx, &query.Const{Value: true}, textindex.DefaultBranch, map[uint32]string{7: version})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Answered[7] || len(res2.Files) != 0 {
		t.Fatalf("a search for the replaced version was answered: %+v", res2)
	}
}

// branchDocs is what a search on branch finds in repository id at version: each
// document's content (remainders as their reason).
func branchDocs(t *testing.T, b textindex.Backend, id uint32, branch, version string) map[string]string {
	t.Helper()
	res, err := b.Search(testContext(t), &query.Const{Value: true}, branch, map[uint32]string{id: version})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Answered[id] {
		t.Fatalf("repository %d not answered at %s %s", id, branch, version)
	}
	content := map[string]string{}
	for _, f := range res.Files {
		if _, dup := content[f.FileName]; dup {
			t.Errorf("%s: two documents on %s", f.FileName, branch)
		}
		content[f.FileName] = string(f.Content)
	}
	return content
}

// TestIndexBranches: a shard of main and release holds each branch's tree, a blob on
// both as one document; a push to release is a delta build that ends as a full build
// would; a branch dropped from the list is gone after the next build.
func TestIndexBranches(t *testing.T) {
	ctx := testContext(t)
	w := gittest.NewRepo(t)
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	main1 := w.Commit(day, "", "main", map[string]string{"shared.go": "package shared\n", "changed.go": "package main // on main\n", "gone.txt": "only on main\n"})
	w.Git("checkout", "-q", "-b", "release")
	rel1 := w.Commit(day.Add(time.Hour), "", "release", map[string]string{"changed.go": "package main // on release\n", "gone.txt": "", "notes.md": "release notes\n"})
	m, fetch := mirrorOf(t, w, "example.com/br")

	ix, b := textindextest.New(t, textindex.Options{})
	repo := textindex.Repo{ID: 11, Name: "example.com/br"}
	both := textindex.ShardBranches(main1, "main", map[string]string{"refs/heads/main": main1, "refs/heads/release": rel1}, []string{"release", "missing", "main"})
	if want := []textindex.Branch{{Name: "HEAD", Commit: main1}, {Name: "release", Commit: rel1}}; !slices.Equal(both, want) {
		t.Fatalf("ShardBranches: %v, want %v (listed branches that exist, without the default one)", both, want)
	}
	res, err := ix.IndexBranches(ctx, repo, m, both)
	if err != nil || !res.Built || res.Delta || res.Files != 5 {
		t.Fatalf("first build: %+v, %v; want a full build of 5 documents (shared.go once)", res, err)
	}
	if !ix.Holds(repo, both) || ix.Holds(repo, both[:1]) {
		t.Errorf("Holds: the shard must hold exactly both branches")
	}
	textindextest.WaitBranches(t, b, 11, textindex.DefaultMaxFileSize, both)
	v := func(commit string) string { return textindex.ShardVersion(commit, textindex.DefaultMaxFileSize) }
	onMain := branchDocs(t, b, 11, textindex.DefaultBranch, v(main1))
	if diff := cmp.Diff(map[string]string{"shared.go": "package shared\n", "changed.go": "package main // on main\n", "gone.txt": "only on main\n"}, onMain); diff != "" {
		t.Errorf("documents on main (-want +got):\n%s", diff)
	}
	onRelease := branchDocs(t, b, 11, "release", v(rel1))
	if diff := cmp.Diff(map[string]string{"shared.go": "package shared\n", "changed.go": "package main // on release\n", "notes.md": "release notes\n"}, onRelease); diff != "" {
		t.Errorf("documents on release (-want +got):\n%s", diff)
	}
	// A search at a branch the shard holds at another commit is not answered.
	if res, err := b.Search(ctx, &query.Const{Value: true}, "release", map[uint32]string{11: v(main1)}); err != nil || res.Answered[11] || len(res.Files) != 0 {
		t.Errorf("a search at release with the wrong commit: %+v, %v; want it not answered", res, err)
	}

	// A push to release: a delta build, which ends where a full build does.
	rel2 := w.Commit(day.Add(2*time.Hour), "", "hotfix", map[string]string{"shared.go": "package shared // fixed on release\n", "notes.md": ""})
	fetch()
	moved := []textindex.Branch{both[0], {Name: "release", Commit: rel2}}
	if res, err := ix.IndexBranches(ctx, repo, m, moved); err != nil || !res.Delta {
		t.Fatalf("build after a push to release: %+v, %v; want a delta build", res, err)
	}
	textindextest.WaitBranches(t, b, 11, textindex.DefaultMaxFileSize, moved)
	full, fb := textindextest.New(t, textindex.Options{})
	if _, err := full.IndexBranches(ctx, repo, m, moved); err != nil {
		t.Fatal(err)
	}
	textindextest.WaitBranches(t, fb, 11, textindex.DefaultMaxFileSize, moved)
	for _, br := range moved {
		if diff := cmp.Diff(branchDocs(t, fb, 11, br.Name, v(br.Commit)), branchDocs(t, b, 11, br.Name, v(br.Commit))); diff != "" {
			t.Errorf("documents on %s after the delta build (-full +delta):\n%s", br.Name, diff)
		}
	}
	if docs := branchDocs(t, b, 11, textindex.DefaultBranch, v(main1)); docs["shared.go"] != "package shared\n" {
		t.Errorf("shared.go on main after the push to release: %q", docs["shared.go"])
	}

	// release no longer listed: the next build holds main alone.
	if res, err := ix.IndexBranches(ctx, repo, m, moved[:1]); err != nil || !res.Built || res.Delta {
		t.Fatalf("build without release: %+v, %v; want a full build", res, err)
	}
	textindextest.WaitBranches(t, b, 11, textindex.DefaultMaxFileSize, moved[:1])
	if res, err := b.Search(ctx, &query.Const{Value: true}, "release", map[uint32]string{11: v(rel2)}); err != nil || res.Answered[11] {
		t.Errorf("a search at the dropped branch: %+v, %v; want it not answered", res, err)
	}
}

// TestBuildsOverSeveralFilesAreNeverSeenHalfway: a delta build renames its shard and
// the older shards' overrides into place one by one; a branch dropped from a repository
// whose shards are a delta stack takes a full build, which replaces several files. A
// search at the branch meanwhile is answered with the branch's whole tree at the version
// asked for, or not at all (the repository is then searched over its mirror), never with
// nothing, part of it, or older content.
func TestBuildsOverSeveralFilesAreNeverSeenHalfway(t *testing.T) {
	ctx := testContext(t)
	w := gittest.NewRepo(t)
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	main1 := w.Commit(day, "", "main", map[string]string{"shared.go": "package shared\n"})
	w.Git("checkout", "-q", "-b", "release")
	m, fetch := mirrorOf(t, w, "example.com/drop")
	ix, b := textindextest.New(t, textindex.Options{})
	repo := textindex.Repo{ID: 12, Name: "example.com/drop"}
	v := func(commit string) string { return textindex.ShardVersion(commit, textindex.DefaultMaxFileSize) }
	head := textindex.Branch{Name: textindex.DefaultBranch, Commit: main1}
	build := func(branches []textindex.Branch, delta bool) {
		t.Helper()
		if res, err := ix.IndexBranches(ctx, repo, m, branches); err != nil || res.Delta != delta {
			t.Fatalf("building %v: %+v, %v; want delta %v", branches, res, err, delta)
		}
		textindextest.WaitBranches(t, b, 12, textindex.DefaultMaxFileSize, branches)
	}
	// watch searches release at commit until stopped, and fails on an answer other than
	// want; it returns how many searches were answered.
	watch := func(commit string, want map[string]string) (stop func() int) {
		quit, done := make(chan struct{}), make(chan int)
		go func() {
			answered := 0
			defer func() { done <- answered }()
			for {
				select {
				case <-quit:
					return
				default:
				}
				res, err := b.Search(ctx, &query.Const{Value: true}, "release", map[uint32]string{12: v(commit)})
				if err != nil {
					t.Error(err)
					return
				}
				if !res.Answered[12] {
					continue
				}
				answered++
				got := map[string]string{}
				for _, f := range res.Files {
					got[f.FileName] = string(f.Content)
				}
				if !maps.Equal(got, want) {
					t.Errorf("answered at release %.7s with %q; want %q or no answer", commit, got, want)
					return
				}
			}
		}()
		return func() int { close(quit); return <-done }
	}
	for round := range 5 {
		rel1 := w.Commit(day.Add(time.Duration(2*round+1)*time.Hour), "", "release", map[string]string{"release.txt": fmt.Sprintf("release %d\n", round)})
		fetch()
		build([]textindex.Branch{head, {Name: "release", Commit: rel1}}, false)
		rel2 := w.Commit(day.Add(time.Duration(2*round+2)*time.Hour), "", "hotfix", map[string]string{"release.txt": fmt.Sprintf("hotfix %d\n", round)})
		fetch()
		stop := watch(rel2, map[string]string{"shared.go": "package shared\n", "release.txt": fmt.Sprintf("hotfix %d\n", round)})
		build([]textindex.Branch{head, {Name: "release", Commit: rel2}}, true)
		time.Sleep(20 * time.Millisecond)
		build([]textindex.Branch{head}, false)
		if n := stop(); n == 0 {
			t.Fatalf("round %d: no search was answered between the delta build and the next", round)
		}
		if t.Failed() {
			t.Fatalf("round %d", round)
		}
	}
}

// TestHidingLeftByADeadBuildIsUndone: a build that died while it hid a repository's
// shards left the hiding shard behind, and the searchers read the repository from its
// mirror; the next build of the repository shows the shards again, even when they are
// current and it builds nothing.
func TestHidingLeftByADeadBuildIsUndone(t *testing.T) {
	ctx := testContext(t)
	w := gittest.NewRepo(t)
	head := w.Commit(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), "", "main", map[string]string{"a.go": "package a\n"})
	m, _ := mirrorOf(t, w, "example.com/hidden")
	ix, b := textindextest.New(t, textindex.Options{})
	repo := textindex.Repo{ID: 13, Name: "example.com/hidden"}
	if _, err := ix.Index(ctx, repo, m, head); err != nil {
		t.Fatal(err)
	}
	served := []textindex.Branch{{Name: textindex.DefaultBranch, Commit: head}}
	textindextest.WaitBranches(t, b, 13, textindex.DefaultMaxFileSize, served)

	// What a dead build leaves: a file of zoekt's next format for the repository.
	hiding := filepath.Join(ix.Dir(), fmt.Sprintf("lookout-13_v%d.00000.zoekt", zoekt.NextIndexFormatVersion))
	if err := os.WriteFile(hiding, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		vs, err := b.Versions(ctx, []uint32{13})
		if err != nil {
			t.Fatal(err)
		}
		if len(vs[13]) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the repository is still served at %v with a hiding shard beside it", vs[13])
		}
	}

	if res, err := ix.Index(ctx, repo, m, head); err != nil || res.Built {
		t.Fatalf("the next build: %+v, %v; want nothing built", res, err)
	}
	if _, err := os.Stat(hiding); !os.IsNotExist(err) {
		t.Errorf("the hiding shard is still there (%v)", err)
	}
	textindextest.WaitBranches(t, b, 13, textindex.DefaultMaxFileSize, served)
}
