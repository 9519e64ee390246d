package vcs

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lookout/lookout/internal/vcs/packfile"
)

// packedMirror clones the usual test history into a fresh cache (a clone is one pack),
// skipping the test where NewBlobReader is git cat-file.
func packedMirror(t *testing.T, name string) (*history, *Cache, *Mirror, context.Context) {
	t.Helper()
	if !packfile.Fast {
		t.Skip("built without cgo: NewBlobReader is git cat-file")
	}
	h := newHistory(t)
	c := newTestCache(t, "")
	ctx := testContext(t)
	m, err := c.EnsureCloned(ctx, h.w.repo(name))
	if err != nil {
		t.Fatal(err)
	}
	return h, c, m, ctx
}

type readResult struct {
	info ObjectInfo
	data []byte
}

func readAll(t *testing.T, r BlobReader, names []string) []readResult {
	t.Helper()
	var out []readResult
	if err := r.ReadBatch(names, func(info ObjectInfo, data []byte) error {
		out = append(out, readResult{info, bytes.Clone(data)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBlobReaderAnswersAsGit reads packed and loose objects, objects in a pack written
// after the reader started, a missing one and non-id names through the in-process
// reader, comparing with git cat-file.
func TestBlobReaderAnswersAsGit(t *testing.T) {
	t.Parallel()
	h, c, m, ctx := packedMirror(t, "example.com/blobs")
	repo := h.w.repo(m.Name())
	loose := gitT(t, m.Dir(), nil, "hash-object", "-w", "--stdin")
	r, err := m.NewBlobReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok := r.(*packBlobReader); !ok {
		t.Fatalf("NewBlobReader = %T, want the in-process reader", r)
	}
	// A commit fetched then packed by git's maintenance after the reader mapped the
	// packs (git's to read), and one fetched after that (loose objects).
	repacked := h.w.commit(baseTime.Add(10*24*time.Hour), "Dan", "repacked", map[string]string{"repacked.txt": "fetched, then packed\n"})
	if _, err := c.Fetch(ctx, repo); err != nil {
		t.Fatal(err)
	}
	gitT(t, m.Dir(), nil, "repack", "-d", "-q")
	if loose, _ := filepath.Glob(filepath.Join(m.Dir(), "objects", "??", "*")); len(loose) != 1 {
		t.Fatalf("loose objects after the repack: %v, want the unreachable blob only", loose)
	}
	later := h.w.commit(baseTime.Add(11*24*time.Hour), "Dan", "later", map[string]string{"later.txt": "fetched later\n"})
	if _, err := c.Fetch(ctx, repo); err != nil {
		t.Fatal(err)
	}
	names := []string{
		gitT(t, h.w.dir, nil, "rev-parse", h.c3+":README.md"),
		loose,
		"0123456789012345678901234567890123456789", // missing
		gitT(t, h.w.dir, nil, "rev-parse", later+":later.txt"),
		gitT(t, h.w.dir, nil, "rev-parse", repacked+":repacked.txt"),
		h.c1, // a commit
		gitT(t, h.w.dir, nil, "rev-parse", h.c2+":src/a.go"),
	}
	git, err := m.NewObjectReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer git.Close()
	want := readAll(t, git, names)
	packBefore, gitBefore := testutil.ToFloat64(packReads), testutil.ToFloat64(gitReads)
	for round := 0; round < 2; round++ {
		got := readAll(t, r, names)
		if len(got) != len(want) {
			t.Fatalf("%d results, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i].info != want[i].info || !bytes.Equal(got[i].data, want[i].data) {
				t.Errorf("%s: got %+v %q, git %+v %q", names[i], got[i].info, got[i].data, want[i].info, want[i].data)
			}
		}
	}
	// In process: the packed and loose objects; from git: the missing one and the one
	// packed after the reader started (in two rounds).
	if p, g := testutil.ToFloat64(packReads)-packBefore, testutil.ToFloat64(gitReads)-gitBefore; p < 10 || g < 4 {
		t.Errorf("blob reads counted %v in process, %v from git; want at least 10 and 4", p, g)
	}
	// Types and sizes alike, from headers in process.
	infos := func(r BlobReader) []ObjectInfo {
		var out []ObjectInfo
		if err := r.InfoBatch(append(names, h.c3+":README.md"), func(info ObjectInfo) error {
			out = append(out, info)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got, want := infos(r), infos(git); !cmp.Equal(got, want) {
		t.Errorf("InfoBatch: %+v, git: %+v", got, want)
	}
	// Names that are not object ids go to git whole.
	got := readAll(t, r, []string{h.c3 + ":README.md", "v1"})
	if string(got[0].data) != "# Project\n\nNow with B.\n" || got[1].info.Type != "tag" {
		t.Errorf("named objects: %+v", got)
	}
}

// TestBlobReadersSharePacks: readers of one mirror at once share one mapping (and base
// cache); it is released with the last one, and a changed pack directory is mapped
// afresh for new readers.
func TestBlobReadersSharePacks(t *testing.T) {
	t.Parallel()
	h, c, m, ctx := packedMirror(t, "example.com/shared")
	r1, _ := m.NewBlobReader(ctx)
	r2, _ := m.NewBlobReader(ctx)
	p1, p2 := r1.(*packBlobReader), r2.(*packBlobReader)
	if p1.st != p2.st || p1.st.refs != 2 {
		t.Fatalf("readers do not share their packs: %p %p refs %d", p1.st, p2.st, p1.st.refs)
	}
	// A fetch, then git's maintenance packing its objects: readers started later see
	// the new pack.
	later := h.w.commit(baseTime.Add(10*24*time.Hour), "Dan", "later", map[string]string{"later.txt": "fetched later\n"})
	if _, err := c.Fetch(ctx, h.w.repo("example.com/shared")); err != nil {
		t.Fatal(err)
	}
	gitT(t, m.Dir(), nil, "repack", "-d", "-q")
	blob, _ := packfile.ParseOID(gitT(t, h.w.dir, nil, "rev-parse", later+":later.txt"))
	r3, _ := m.NewBlobReader(ctx)
	p3 := r3.(*packBlobReader)
	if p3.st == p1.st {
		t.Fatal("a changed pack directory was not mapped again")
	}
	if _, data, err := p3.r.Read(blob); err != nil || string(data) != "fetched later\n" {
		t.Fatalf("the fetched blob is not read from the new pack: %q, %v", data, err)
	}
	if _, _, err := p1.r.Read(blob); err == nil {
		t.Fatal("a reader started before the repack sees its pack")
	}
	for _, r := range []BlobReader{r1, r2, r3} {
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	c.packs.mu.Lock()
	left := len(c.packs.m)
	c.packs.mu.Unlock()
	if left != 0 || p1.st.refs != 0 || p3.st.refs != 0 {
		t.Fatalf("mappings left after the readers closed: %d", left)
	}
}

// TestCollectors: a binary's registry takes the package's metrics and exposes what the
// mirror cache did.
func TestCollectors(t *testing.T) {
	h, _, m, ctx := packedMirror(t, "example.com/metrics")
	r, err := m.NewBlobReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = r.ReadBatch([]string{h.c1}, func(ObjectInfo, []byte) error { return nil })
	_ = r.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	for _, want := range []string{"lookout_vcs_git_command_duration_seconds", "lookout_vcs_blob_reads_total"} {
		if !names[want] {
			t.Errorf("%s not gathered: %v", want, names)
		}
	}
}
