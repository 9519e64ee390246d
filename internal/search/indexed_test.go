package search_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	zq "github.com/sourcegraph/zoekt/query"

	"github.com/lookout/lookout/dev/corpus/corpusgen"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/vcs"
)

// indexCorpus is a database of generated repositories (dev/corpus replays of a small
// source tree with every kind of file the index treats apart), fetched into a mirror
// cache and indexed into a shard directory at their heads.
type indexCorpus struct {
	st       *store.Store
	reposSvc *repos.Service
	indexer  *textindex.Indexer
	repos    []*store.Repo // by name
	dirs     []string      // their bare repositories
	private  *store.Repo   // visible to alice only
	alice    store.Viewer
	bob      store.Viewer
}

// corpusSource writes the source tree of the corpus: Go, C, headers whose language only
// their content tells, Markdown, Python, JSON, and the files the index keeps apart:
// binary, tiny, text with a NUL byte late, larger than the size limit, and text with a
// Kelvin sign and a long s.
func corpusSource(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	write := func(p, content string) {
		full := filepath.Join(src, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for d := 0; d < 4; d++ {
		for f := 0; f < 3; f++ {
			var b strings.Builder
			fmt.Fprintf(&b, "package p%d\n\nimport \"errors\"\n\n", d)
			for p := 0; p < 5; p++ {
				todo := ""
				if p%2 == 0 {
					todo = fmt.Sprintf(" TODO(p%d)", p%3)
				}
				fmt.Fprintf(&b, "// F%d_%d does thing %d.%s\nfunc F%d_%d() error {\n\treturn errors.New(\"marker%d\") // Kind %d\n}\n\n", f, p, p, todo, f, p, p%4, p)
			}
			write(fmt.Sprintf("dir%d/sub%d/file%d.go", d, d%2, f), b.String())
		}
		write(fmt.Sprintf("dir%d/README.md", d), fmt.Sprintf("# Dir %d\n\nTODO: document dir%d.\n\nSee marker%d.\n", d, d, d%4))
		write(fmt.Sprintf("dir%d/lib.h", d), fmt.Sprintf("#ifndef LIB%d_H\n#define LIB%d_H\n\n// TODO: lib %d\nint lib%d_init(void);\n\n#endif\n", d, d, d, d))
		write(fmt.Sprintf("dir%d/obj.h", d), "#import <Foundation/Foundation.h>\n\n@interface Thing : NSObject\n// TODO objc\n@end\n")
		write(fmt.Sprintf("dir%d/impl.c", d), fmt.Sprintf("#include \"lib.h\"\n\nint lib%d_init(void) { return 0; } /* marker1 */\n", d))
		write(fmt.Sprintf("dir%d/tool.py", d), "def main():\n    # TODO: python\n    return 'marker2'\n")
		write(fmt.Sprintf("dir%d/data.json", d), fmt.Sprintf("{\"marker\": %d, \"todo\": \"TODO\"}\n", d))
	}
	write("misc/blob.bin", "marker1\x00binary TODO\n")
	write("misc/ok.txt", "ok")
	write("misc/late.txt", strings.Repeat("filler line without the word\n", 300)+"latetail TODO\x00end\n")
	write("misc/big.txt", strings.Repeat("TODO big file line marker3\n", 800))
	write("misc/fold.txt", "\u212aind of \u017fecret: TODO\n\nmarker1 kind secret\n")
	write("misc/empty.txt", "\n")
	return src
}

// maxFileSize keeps misc/big.txt above the limit.
const testMaxFileSize = 16384

func newIndexCorpus(t *testing.T, n int) *indexCorpus {
	t.Helper()
	ctx := context.Background()
	gen, err := corpusgen.Generate(ctx, corpusgen.Options{Src: corpusSource(t), Out: t.TempDir(), Repos: n, Commits: 8, Seed: 5,
		Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Span: 90 * 24 * time.Hour, Subset: 0.7, Initial: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(dbtest.NewDB(t))
	c := &indexCorpus{st: st}
	svc, err := st.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var sourced []store.SourcedRepo
	for i, g := range gen {
		sourced = append(sourced, store.SourcedRepo{Name: g.Name, CloneURL: g.Dir, DefaultBranch: "main", Private: i == 1})
	}
	if _, err := st.Repos().SyncFromService(ctx, svc.ID, sourced, false); err != nil {
		t.Fatal(err)
	}
	cache, err := vcs.NewCache(t.TempDir(), vcs.Options{AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	c.reposSvc = &repos.Service{Store: st, VCS: cache}
	if c.indexer, err = textindex.NewIndexer(textindex.Options{Dir: t.TempDir(), MaxFileSize: testMaxFileSize}); err != nil {
		t.Fatal(err)
	}
	for _, g := range gen {
		r, err := st.Repos().GetByName(ctx, store.InternalViewer, g.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.reposSvc.Fetch(ctx, r.ID, nil); err != nil {
			t.Fatalf("fetch %s: %v", g.Name, err)
		}
		if r, err = st.Repos().GetByID(ctx, store.InternalViewer, r.ID); err != nil {
			t.Fatal(err)
		}
		c.index(t, r)
		c.repos = append(c.repos, r)
		c.dirs = append(c.dirs, g.Dir)
	}
	c.private = c.repos[1]
	c.alice, c.bob = aliceAndBob(t, st, c.private)
	return c
}

// push commits files to the main branch of the i-th repository and fetches it, as a
// push and its webhook would.
func (c *indexCorpus) push(t *testing.T, i int, files map[string]string) {
	t.Helper()
	c.pushBranch(t, i, "main", "main", files)
}

// pushBranch commits files on top of base in the i-th repository, pushes the commit to
// branch and fetches the repository; it returns the commit.
func (c *indexCorpus) pushBranch(t *testing.T, i int, base, branch string, files map[string]string) string {
	t.Helper()
	w := newGitRepoAt(t, c.dirs[i], base)
	commit := w.commit("2024-06-01T10:00:00Z", "Pusher <pusher@example.com>", "push", files)
	w.git(nil, "push", "-q", c.dirs[i], "HEAD:refs/heads/"+branch)
	ctx := context.Background()
	if _, err := c.reposSvc.Fetch(ctx, c.repos[i].ID, nil); err != nil {
		t.Fatal(err)
	}
	r, err := c.st.Repos().GetByID(ctx, store.InternalViewer, c.repos[i].ID)
	if err != nil {
		t.Fatal(err)
	}
	c.repos[i] = r
	return commit
}

// newGitRepoAt is a work repository at a branch of a bare repository.
func newGitRepoAt(t *testing.T, bare, branch string) *gitRepo {
	t.Helper()
	w := newGitRepo(t)
	w.git(nil, "fetch", "-q", bare, branch)
	w.git(nil, "reset", "-q", "--hard", "FETCH_HEAD")
	return w
}

// index builds r's shard at its recorded head.
func (c *indexCorpus) index(t *testing.T, r *store.Repo) {
	t.Helper()
	m, err := c.reposSvc.Mirror(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.indexer.Index(context.Background(), textindex.Repo{ID: r.ID, Name: r.Name}, m, search.RecordedDefaultHead(r)); err != nil {
		t.Fatal(err)
	}
}

// service is a search service over the corpus reading the index in mode.
func (c *indexCorpus) service(b textindex.Backend, mode search.IndexMode) *search.Service {
	return search.NewService(c.st, c.reposSvc, search.NewBlobCache(0, nil), nil,
		search.Options{MaxFileSize: testMaxFileSize, Index: b, IndexMode: mode})
}

// waitServed waits until b serves every repository of the corpus at its head.
func (c *indexCorpus) waitServed(t *testing.T, b textindex.Backend) {
	t.Helper()
	want := map[uint32]string{}
	for _, r := range c.repos {
		want[uint32(r.ID)] = textindex.ShardVersion(search.RecordedDefaultHead(r), testMaxFileSize)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := b.Versions(context.Background(), slices.Collect(maps.Keys(want)))
		if err != nil {
			t.Fatal(err)
		}
		served := 0
		for id, v := range want {
			if slices.Contains(got[id], v) {
				served++
			}
		}
		if served == len(want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the index serves %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// equivalenceQueries are searched through both paths. Their results stay under the
// default limit, or are limited in one repository (where the limit cuts the same files
// whichever way the tree is read).
var equivalenceQueries = []string{
	// literals and regexps, with and without case
	`TODO`, `errors.New("marker1")`, `"does thing 3"`, `marker3`,
	`/F[0-9]_[0-4]\(\)/`, `/^\s+return errors/`, `/marker[12]"/`, `/TODO\(p(\d)\)/`,
	`case:yes TODO`, `case:yes todo`, `case:yes /Kind [0-3]/`,
	// path filters
	`file:\.go$ marker2`, `file:^dir1/ TODO`, `-file:\.go$ TODO`, `file:dir[0-2]/sub -file:file1 thing 4`,
	// languages, some decided by content (.h is C or Objective-C)
	`lang:go marker1`, `lang:markdown TODO`, `-lang:go TODO`, `lang:c TODO`, `lang:objective-c TODO`, `lang:python marker2`,
	// repositories
	`repo:repo-00[02] TODO`, `-repo:repo-000 marker3`, `repo:^corpus/repo-003$ thing`,
	// counts and limits
	`count:2000 marker`, `repo:^corpus/repo-000$ count:5 TODO`, `repo:^corpus/repo-002$ count:1 thing`,
	// projections and result types
	`select:repo lib0_init`, `select:file TODO objc`, `type:path sub1`, `type:path .md`, `type:file Dir`,
	`content:"func F1_2"`, `content:TODO -content:lib`, `TODO NOT marker2`, `(lang:go marker1) OR (file:\.md$ TODO)`,
	`file:README.md`, `repo:^corpus/repo-000$ lang:c`,
	// the files the index keeps apart: binary, tiny, a late NUL, too large, Kelvin and long s
	`blob`, `/^ok$/`, `latetail`, `big`, `kind`, `secret`, `case:yes Kind`, `/^\s*$/ repo:^corpus/repo-000$ count:all`,
	// patterns the planner would leave to the mirrors
	`repo:^corpus/repo-000$ count:all e`, `repo:^corpus/repo-004$ count:all /./`, `repo:^corpus/repo-003$ /[A-Z][a-z]+ [0-9]/`,
}

// ignoreTiming leaves out what differs by design between the two paths. A document the
// index answered carries its content instead of its id (identified compares them).
var ignoreTiming = cmpopts.IgnoreFields(search.Results{}, "Plan", "Elapsed", "IndexedRepos", "UnindexedRepos")

// identified replaces the content of each file match of res that carries it with the
// git id of that content, as the mirrors report it: a result the index answered is
// then the same as the mirrors' only if its content is the blob's, byte for byte.
func identified(res *search.Results) *search.Results {
	for _, m := range res.Matches {
		if fm, ok := m.(*search.FileMatch); ok && fm.Content != nil {
			h := sha1.New()
			fmt.Fprintf(h, "blob %d\x00", len(fm.Content))
			h.Write(fm.Content)
			fm.BlobOID, fm.Content = hex.EncodeToString(h.Sum(nil)), nil
		}
	}
	return res
}

func TestIndexedSearchFindsWhatMirrorsFind(t *testing.T) {
	c := newIndexCorpus(t, 6)
	compareWithMirrors(t, c, c.localIndex(t))
}

// compareWithMirrors runs the equivalence queries through the mirrors and through the
// index b, and checks that they find the same.
func compareWithMirrors(t *testing.T, c *indexCorpus, b textindex.Backend) {
	t.Helper()
	compareQueries(t, c, b, equivalenceQueries, nil)
}

// compareQueries runs queries through the mirrors and through the index b, and checks
// that they find the same, each query reading mirrors[q] repositories over their mirrors
// (none unless given) and the others from the index.
func compareQueries(t *testing.T, c *indexCorpus, b textindex.Backend, queries []string, mirrors map[string]int) {
	t.Helper()
	ctx := context.Background()
	unindexed := c.service(nil, search.IndexNever)
	indexed := c.service(b, search.IndexAlways)
	for _, q := range queries {
		req := search.Request{Query: q, Viewer: c.alice, Languages: true}
		want, err := unindexed.Search(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		got, err := indexed.Search(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if testing.Verbose() {
			t.Logf("%-50s %4d matches in %d repositories", q, want.MatchCount, len(want.RepoCounts))
		}
		if want.MatchCount == 0 {
			t.Errorf("%s: no results; the query tests nothing", q)
		}
		opts := []cmp.Option{ignoreTiming}
		if want.LimitHit {
			// Skipped counts the binary and large files the search read before the limit
			// stopped it: how far it got, which depends on the files it lists (all of
			// them, or the candidates), not on the answer.
			opts = append(opts, cmpopts.IgnoreFields(search.Results{}, "Skipped"))
		}
		if diff := cmp.Diff(want, identified(got), opts...); diff != "" {
			t.Errorf("%s: indexed results differ (-mirrors +index):\n%s", q, diff)
		}
		if got.UnindexedRepos != mirrors[q] || got.IndexedRepos == 0 {
			t.Errorf("%s: %d repositories searched in the index, %d over mirrors; want %d over mirrors, the others in the index", q, got.IndexedRepos, got.UnindexedRepos, mirrors[q])
		}
	}
}

// localIndex loads the corpus's shards and waits until they serve every repository.
func (c *indexCorpus) localIndex(t *testing.T) *recordingBackend {
	t.Helper()
	local, err := textindex.NewLocal(c.indexer.Dir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(local.Close)
	c.waitServed(t, local)
	return &recordingBackend{Backend: local, asked: map[uint32]bool{}}
}

// recordingBackend remembers the repositories a search asked the index about.
type recordingBackend struct {
	textindex.Backend
	mu    sync.Mutex
	asked map[uint32]bool
}

func (r *recordingBackend) Search(ctx context.Context, q zq.Q, branch string, want map[uint32]string) (*textindex.Result, error) {
	r.mu.Lock()
	for id := range want {
		r.asked[id] = true
	}
	r.mu.Unlock()
	return r.Backend.Search(ctx, q, branch, want)
}

func TestIndexedSearchPlanning(t *testing.T) {
	ctx := context.Background()
	c := newIndexCorpus(t, 4)
	b := c.localIndex(t)
	var missing []string
	var mu sync.Mutex
	svc := search.NewService(c.st, c.reposSvc, search.NewBlobCache(0, nil), nil, search.Options{MaxFileSize: testMaxFileSize, Index: b,
		OnMissingShard: func(rs []*store.Repo) {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range rs {
				missing = append(missing, r.Name)
			}
		}})
	run := func(v store.Viewer, q string) *search.Results {
		t.Helper()
		res, err := svc.Search(ctx, search.Request{Query: q, Viewer: v})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return res
	}

	// Bob may not see the private repository: the index is never asked about it.
	res := run(c.bob, "TODO lib")
	if b.asked[uint32(c.private.ID)] || len(b.asked) != len(c.repos)-1 {
		t.Errorf("the index was asked about %v; want the %d repositories bob sees", b.asked, len(c.repos)-1)
	}
	if res.IndexedRepos != len(c.repos)-1 || res.UnindexedRepos != 0 {
		t.Errorf("bob's search: %d repositories indexed, %d not; want %d and 0", res.IndexedRepos, res.UnindexedRepos, len(c.repos)-1)
	}
	for _, m := range res.Matches {
		if m.Repository().ID == c.private.ID {
			t.Fatalf("bob's search found %s in the private repository", m.Key())
		}
	}

	// What the index cannot answer goes to the mirrors: other revisions, commits,
	// and patterns it would not narrow down (the default mode).
	for _, q := range []string{`repo:^corpus/repo-000$@HEAD~1 TODO`, `type:commit TODO`, `type:diff marker`, `e`, `/\w+/`} {
		clear(b.asked)
		res := run(c.alice, q)
		if len(b.asked) != 0 || res.IndexedRepos != 0 {
			t.Errorf("%s: asked the index about %v (%d repositories indexed); want the mirrors only", q, b.asked, res.IndexedRepos)
		}
	}

	// A stale shard's results are never shown: after a push and a fetch the shard
	// holds the old head, the search reads the mirror, and the on-demand indexer is
	// told; once the shard is rebuilt the index answers again.
	c.push(t, 0, map[string]string{"dir0/pushed.go": "package p0\n\n// freshly pushed marker\n"})
	res = run(c.alice, "repo:^corpus/repo-000$ \"freshly pushed\"")
	if res.MatchCount != 1 || res.IndexedRepos != 0 || res.UnindexedRepos != 1 {
		t.Errorf("search after the push: %d matches, %d repositories indexed, %d not; want the new file from the mirror", res.MatchCount, res.IndexedRepos, res.UnindexedRepos)
	}
	if !slices.Equal(missing, []string{c.repos[0].Name}) {
		t.Errorf("repositories reported without a current shard: %v", missing)
	}
	c.index(t, c.repos[0])
	c.waitServed(t, b)
	res = run(c.alice, "repo:^corpus/repo-000$ \"freshly pushed\"")
	if res.MatchCount != 1 || res.IndexedRepos != 1 {
		t.Errorf("search after the rebuild: %d matches, %d repositories indexed; want the new file from the index", res.MatchCount, res.IndexedRepos)
	}
}

// TestLimitedIndexedSearchStopsAtTheLimit: a search with a limit reads the index in
// batches of repositories and stops asking once the limit is reached; one without reads
// every repository at once.
func TestLimitedIndexedSearchStopsAtTheLimit(t *testing.T) {
	ctx := context.Background()
	c := newIndexCorpus(t, 6)
	b := c.localIndex(t)
	// RepoConcurrency 1: batches of 2, 4, 8... repositories.
	svc := search.NewService(c.st, c.reposSvc, search.NewBlobCache(0, nil), nil,
		search.Options{MaxFileSize: testMaxFileSize, Index: b, RepoConcurrency: 1})
	for _, tc := range []struct {
		query       string
		asked       int
		matches     int
		limitHit    bool
		fromIndexed int
	}{
		{"count:1 TODO", 2, 1, true, 2},
		{"count:all TODO", len(c.repos), 0, false, len(c.repos)},
	} {
		clear(b.asked)
		res, err := svc.Search(ctx, search.Request{Query: tc.query, Viewer: c.alice})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.asked) != tc.asked || res.LimitHit != tc.limitHit || res.IndexedRepos != tc.fromIndexed || res.UnindexedRepos != 0 ||
			tc.matches > 0 && res.MatchCount != tc.matches || res.MatchCount == 0 {
			t.Errorf("%s: the index was asked about %d repositories, %d answered, %d searched otherwise, %d matches (limit hit: %v); want %d asked and answered, none otherwise",
				tc.query, len(b.asked), res.IndexedRepos, res.UnindexedRepos, res.MatchCount, res.LimitHit, tc.asked)
		}
	}
}

// startWebserver runs a zoekt-webserver, built from this module's zoekt (a tool in
// go.mod), on a loopback port over dir, and returns its address.
func startWebserver(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command("go", "tool", "-n", "zoekt-webserver").Output()
	if err != nil {
		t.Fatalf("building zoekt-webserver: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cmd := exec.Command(strings.TrimSpace(string(out)), "-index", dir, "-listen", addr)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("zoekt-webserver on %s:\n%s", addr, logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("zoekt-webserver on %s did not start: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRemoteIndexFindsWhatMirrorsFind runs the equivalence queries through two real
// zoekt-webservers: each holds part of the repositories, one also an older shard of a
// repository the other holds current, and both a repository built twice. The search
// reads each repository once, from a shard at its head.
func TestRemoteIndexFindsWhatMirrorsFind(t *testing.T) {
	c := newIndexCorpus(t, 6)
	ctx := context.Background()
	dirs := []string{t.TempDir(), t.TempDir()}
	build := func(dir string, r *store.Repo, commit string) {
		t.Helper()
		ix, err := textindex.NewIndexer(textindex.Options{Dir: dir, MaxFileSize: testMaxFileSize})
		if err != nil {
			t.Fatal(err)
		}
		m, err := c.reposSvc.Mirror(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ix.Index(ctx, textindex.Repo{ID: r.ID, Name: r.Name}, m, commit); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range c.repos {
		build(dirs[i/3], r, search.RecordedDefaultHead(r))
	}
	older := strings.TrimSpace(newGitRepoAt(t, c.dirs[0], "main").git(nil, "rev-parse", "main~1"))
	build(dirs[1], c.repos[0], older)
	build(dirs[1], c.repos[2], search.RecordedDefaultHead(c.repos[2]))

	remote, err := textindex.NewRemote([]string{startWebserver(t, dirs[0]), startWebserver(t, dirs[1])})
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	c.waitServed(t, remote)
	vs, err := remote.Versions(ctx, []uint32{uint32(c.repos[0].ID), uint32(c.repos[2].ID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs[uint32(c.repos[0].ID)]) != 2 || len(vs[uint32(c.repos[2].ID)]) != 2 {
		t.Fatalf("versions of the repositories on both endpoints: %v", vs)
	}
	compareWithMirrors(t, c, remote)
}

// TestIndexedCountsMatchMirrors counts queries at each repository's head, as an insight
// recording does: from the index (a counter of a known repository) and from the mirror.
func TestIndexedCountsMatchMirrors(t *testing.T) {
	ctx := context.Background()
	c := newIndexCorpus(t, 3)
	b := c.localIndex(t)
	indexed := c.service(b, search.IndexAuto)
	unindexed := c.service(nil, search.IndexNever)
	for _, q := range []string{`TODO`, `/TODO\(p(\d)\)/`, `lang:go marker1`, `(lang:go marker1) OR (file:\.md$ TODO)`, `-file:\.go$ kind`, `big`} {
		plan, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range c.repos {
			m, err := c.reposSvc.Mirror(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			head := search.RecordedDefaultHead(r)
			count := func(svc *search.Service) *search.Counts {
				t.Helper()
				counter, err := svc.NewRepoCounter(ctx, r, m, plan, search.CountOptions{Languages: true})
				if err != nil {
					t.Fatal(err)
				}
				defer counter.Close()
				cs, err := counter.At(ctx, head)
				if err != nil {
					t.Fatal(err)
				}
				return cs
			}
			clear(b.asked)
			want, got := count(unindexed), count(indexed)
			if !b.asked[uint32(r.ID)] {
				t.Errorf("%s in %s: the counter did not read the index", q, r.Name)
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(search.Counts{}, "BlobsRead")); diff != "" {
				t.Errorf("%s in %s: counts differ (-mirror +index):\n%s", q, r.Name, diff)
			}
		}
	}
}
