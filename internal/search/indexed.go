package search

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sourcegraph/log"
	"github.com/sourcegraph/zoekt"
	zq "github.com/sourcegraph/zoekt/query"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/vcs"
)

// IndexMode says when a search reads content from the index.
type IndexMode string

const (
	// IndexAuto uses the index for queries it narrows down (a literal of three
	// characters or more on every branch): for others, such as "e" or ".", it would
	// hand over every document, and the mirrors serve them as well.
	IndexAuto IndexMode = ""
	// IndexAlways uses the index for every query it can answer (tests and benchmarks).
	IndexAlways IndexMode = "always"
	// IndexNever never uses it.
	IndexNever IndexMode = "never"
)

// The planner. One Basic query's content search in one repository at one revision is
// read from the index when: the query searches file content or paths (no commits or
// diffs); the revision is the default branch (none named, HEAD, or the default branch's
// name) or a branch the repository's last fetch recorded (repo:x@release, rev:release,
// refs/heads/release), and no Request.Revisions replace the query's; the repository is
// cloned; and the shard the backend holds has that branch at exactly the commit the
// fetch recorded (textindex.ShardVersion, which also pins the layout and the size
// limit). Everything else (other revisions, ref globs, at.time), and every repository the
// backend did not answer for (no shard yet, a branch not indexed, an older shard, a
// failed index search), is searched over its mirror as before, in the same execution, so
// a mixed search merges both. Repositories reach the planner only from the visible list,
// so the index is never asked about repositories the viewer cannot see, and it is asked
// with their ids.
//
// A short branch name is taken as the branch. git would read a tag of the same name
// first; Lookout records branches only, and such a pair is one git itself warns about.

// indexTask is one revision of one job the index may answer.
type indexTask struct {
	job    int // index in jobs
	id     uint32
	rev    string // as the query names it ("" for the default branch)
	commit string
}

// runIndexed searches the index for the content of the jobs it can answer, records
// their results, and marks the revisions it answered (runJob then skips them) and the
// jobs it answered in full.
func (e *execution) runIndexed(ctx context.Context, s *Service, jobs []job) {
	if s.opts.Index == nil || s.opts.IndexMode == IndexNever {
		return
	}
	var missing []*store.Repo
	for bi := range e.plan {
		sp := e.content[bi]
		if sp == nil || e.commits[bi] != nil {
			continue
		}
		revs, ok := plainRevisions(e.plan[bi])
		if !ok {
			continue
		}
		q, selective := sp.candidateQuery(e.plan[bi])
		if !selective && s.opts.IndexMode != IndexAlways {
			continue
		}
		byBranch := map[string][]indexTask{}
		for i, j := range jobs {
			if j.basic != bi || j.revs != nil || j.repo.CloneStatus != store.CloneStatusCloned {
				continue
			}
			id, ok := textindex.RepoID(j.repo.ID)
			if !ok {
				continue
			}
			for _, rev := range revs {
				if branch, commit := indexedBranch(j.repo, rev); commit != "" {
					byBranch[branch] = append(byBranch[branch], indexTask{job: i, id: id, rev: rev, commit: commit})
				}
			}
		}
		for _, branch := range slices.Sorted(maps.Keys(byBranch)) {
			for _, tasks := range e.indexBatches(s, byBranch[branch]) {
				if e.limit.full() {
					// What is left is e.run's, which stops at once and says so.
					break
				}
				notCurrent, ok := e.searchBatch(ctx, s, sp, q, jobs, branch, tasks)
				if !ok {
					return // the unindexed path reports the repositories as timed out
				}
				missing = append(missing, notCurrent...)
			}
		}
		distinct := len(slices.Compact(slices.Sorted(slices.Values(revs))))
		for i := range jobs {
			if jobs[i].basic == bi && len(jobs[i].doneRevs) == distinct {
				jobs[i].indexed = true
			}
		}
	}
	if len(missing) > 0 && s.opts.OnMissingShard != nil {
		s.opts.OnMissingShard(missing)
	}
}

// searchBatch searches the index for q on branch in the repositories of tasks, scans
// what it returns, and marks the revisions it answered. It returns the repositories
// whose default branch the index holds no current shard of (to build on demand), and
// false when ctx ended.
func (e *execution) searchBatch(ctx context.Context, s *Service, sp *scanSpec, q zq.Q, jobs []job, branch string, tasks []indexTask) (missing []*store.Repo, ok bool) {
	want := map[uint32]string{}
	for _, t := range tasks {
		want[t.id] = textindex.ShardVersion(t.commit, s.opts.MaxFileSize)
	}
	res, err := s.opts.Index.Search(ctx, q, branch, want)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false
		}
		s.logger.Warn("index search failed; searching the mirrors", log.String("branch", branch), log.Error(err))
		res = &textindex.Result{}
	}
	answered := e.scanIndexed(ctx, s, sp, jobs, tasks, res)
	for _, t := range tasks {
		j := &jobs[t.job]
		switch {
		case answered[t.id]:
			if j.doneRevs == nil {
				j.doneRevs = map[string]bool{}
			}
			j.doneRevs[t.rev] = true
		case !res.Answered[t.id] && branch == textindex.DefaultBranch:
			// Only the default branch is built on demand: other branches are indexed
			// when their connection lists them, after a fetch moves them.
			missing = append(missing, j.repo)
		}
	}
	return missing, true
}

// indexBatches splits tasks (in job order) into the index searches that read them.
// With no limit, one search reads them all. With one, the first search reads
// 2×RepoConcurrency repositories and each next one twice as many, and runIndexed stops
// once the limit is reached: a common literal fills the default 500 results from the
// first repositories, and asking for every candidate document of every repository, whole,
// cost it most of its time (zoekt's matching, and copying them out of the shards). The
// batches keep a repository's tasks together and follow the job order, so a limited
// search's results are those of the first repositories, as many as a batch holds.
func (e *execution) indexBatches(s *Service, tasks []indexTask) [][]indexTask {
	if e.limit.limit <= 0 {
		return [][]indexTask{tasks}
	}
	var out [][]indexTask
	size, seen := 2*s.opts.RepoConcurrency, map[uint32]bool{}
	start := 0
	for i, t := range tasks {
		if !seen[t.id] && len(seen) == size {
			out = append(out, tasks[start:i])
			start, size, seen = i, 2*size, map[uint32]bool{}
		}
		seen[t.id] = true
	}
	return append(out, tasks[start:])
}

// plainRevisions returns the revisions a Basic query's repo: filters name ("" for the
// default branch), as revisionsFor reads them; false when they are not plain revisions
// (ref globs, exclusions, at.time), which only the mirrors resolve.
func plainRevisions(b query.Basic) ([]string, bool) {
	include, _ := b.Repos()
	var revs []string
	for _, f := range include {
		for _, sp := range f.Revs {
			if !sp.AtTime.IsZero() || sp.RefGlob != "" || sp.Exclude {
				return nil, false
			}
			revs = append(revs, sp.Rev)
		}
	}
	if len(revs) == 0 {
		return []string{""}, true
	}
	return slices.Compact(revs), true
}

// indexedBranch returns the shard's name for the branch rev names in r and the commit
// its last fetch recorded; "" when rev is not a recorded branch.
func indexedBranch(r *store.Repo, rev string) (branch, commit string) {
	if rev == "" || rev == "HEAD" {
		return textindex.DefaultBranch, RecordedDefaultHead(r)
	}
	if vcs.IsOID(rev) {
		return "", "" // git reads a full commit id as the commit, whatever a branch is called
	}
	name := strings.TrimPrefix(rev, "refs/heads/")
	commit = r.HeadOIDs["refs/heads/"+name]
	switch {
	case commit == "":
		return "", ""
	case name == r.DefaultBranch:
		return textindex.DefaultBranch, commit
	}
	return name, commit
}

// BranchesToIndex returns the branches r's shard is to hold: the default branch at its
// recorded head, and the branches r's connections list for indexing at the heads its
// last fetch recorded (textindex.ShardBranches); none for an empty repository. The
// index job and on-demand builds both build these, so neither undoes the other.
func BranchesToIndex(ctx context.Context, st *store.Store, r *store.Repo) ([]textindex.Branch, error) {
	head := RecordedDefaultHead(r)
	if head == "" {
		return nil, nil
	}
	listed, err := textindex.ListedBranches(ctx, st, r)
	if err != nil {
		return nil, err
	}
	return textindex.ShardBranches(head, r.DefaultBranch, r.HeadOIDs, listed), nil
}

// scanIndexed scans, repository by repository (RepoConcurrency at a time), the
// documents the index returned for tasks (of one branch), and returns the repositories
// it answered for. A repository named twice at the branch (release and
// refs/heads/release) is scanned once: the results would be the same.
func (e *execution) scanIndexed(ctx context.Context, s *Service, sp *scanSpec, jobs []job, tasks []indexTask, res *textindex.Result) map[uint32]bool {
	files := map[uint32][]zoekt.FileMatch{}
	for _, f := range res.Files {
		files[f.RepositoryID] = append(files[f.RepositoryID], f)
	}
	first := map[uint32]indexTask{}
	for _, t := range tasks {
		if _, ok := first[t.id]; !ok {
			first[t.id] = t
		}
	}
	var mu sync.Mutex
	answered := map[uint32]bool{}
	sem := make(chan struct{}, s.opts.RepoConcurrency)
	var wg sync.WaitGroup
	for id := range res.Answered {
		t, ok := first[id]
		if !ok {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			tree := indexedTree(files[id], res.Remainders[id])
			repo := jobs[t.job].repo
			out, err := s.indexScanner(ctx, tree).scanTree(ctx, sp, tree.entries)
			if out != nil {
				for _, f := range out.files {
					tree.identify(f)
				}
			}
			e.addScan(repo, t.rev, t.commit, out, err, ctx.Err() != nil)
			mu.Lock()
			answered[id] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	e.mu.Lock()
	for id := range answered {
		e.indexedRepos[jobs[first[id].job].repo.ID] = true
	}
	e.mu.Unlock()
	return answered
}

// binaryStandIn is the content a binary remainder is read as: all the scan learns
// from a binary file's content is that it is binary.
var binaryStandIn = []byte{0}

// indexTree is the tree listing and blobs a scan of the documents of one repository
// reads. A document's blob is keyed by its place (docPrefix), as the shard holds no git id
// for it; a remainder's by the git id it carries.
type indexTree struct {
	entries []vcs.TreeEntry
	blobs   map[string][]byte
}

// docPrefix starts the key of a document's blob; a git id never does.
const docPrefix = "doc:"

// indexedTree lists the documents and remainders in path order, as git lists a tree. The
// remainders come sorted (and the same every search of a shard version: most of what a
// selective search lists), so only the documents are sorted, and merged in.
func indexedTree(files []zoekt.FileMatch, remainders []textindex.RemainderFile) *indexTree {
	n := len(files) + len(remainders)
	t := &indexTree{entries: make([]vcs.TreeEntry, 0, n), blobs: make(map[string][]byte, n)}
	docs := make([]vcs.TreeEntry, 0, len(files))
	for i, f := range files {
		key := docPrefix + strconv.Itoa(i)
		t.blobs[key] = f.Content
		docs = append(docs, vcs.TreeEntry{Path: f.FileName, Mode: 0o100644, Type: "blob", OID: key, Size: int64(len(f.Content))})
	}
	slices.SortFunc(docs, func(a, b vcs.TreeEntry) int { return cmp.Compare(a.Path, b.Path) })
	for _, r := range remainders {
		for len(docs) > 0 && docs[0].Path <= r.Path {
			t.entries, docs = append(t.entries, docs[0]), docs[1:]
		}
		switch r.Kind {
		case textindex.RemainderBinary:
			t.blobs[r.OID] = binaryStandIn
		case textindex.RemainderStored:
			t.blobs[r.OID] = r.Content
		}
		t.entries = append(t.entries, vcs.TreeEntry{Path: r.Path, Mode: 0o100644, Type: "blob", OID: r.OID, Size: r.Size})
	}
	t.entries = append(t.entries, docs...)
	// A path is listed once (a document before a remainder of the same path).
	t.entries = slices.CompactFunc(t.entries, func(a, b vcs.TreeEntry) bool { return a.Path == b.Path })
	return t
}

// identify replaces the key of a result the scan read with what the resolvers read its
// content by: the git id of a remainder (its key), or the document's content.
func (t *indexTree) identify(f *FileMatch) {
	key := f.BlobOID
	if !strings.HasPrefix(key, docPrefix) {
		return
	}
	f.BlobOID, f.Content = "", t.blobs[key]
	if f.Content == nil {
		f.Content = []byte{}
	}
}

// indexScanner is a scanner over the blobs the index returned. It has no blob cache:
// its keys are not blob ids.
func (s *Service) indexScanner(ctx context.Context, t *indexTree) *scanner {
	open := func(context.Context) (vcs.BlobReader, error) { return memReader(t.blobs), nil }
	return &scanner{open: open, nreader: s.opts.Readers, ctx: ctx}
}

// memReader is a BlobReader over blobs in memory.
type memReader map[string][]byte

func (r memReader) ReadBatch(names []string, fn func(info vcs.ObjectInfo, data []byte) error) error {
	for _, n := range names {
		data, ok := r[n]
		info := vcs.ObjectInfo{Name: n, OID: n, Type: "blob", Size: int64(len(data)), Missing: !ok}
		if !ok {
			info.OID, data = "", nil
		}
		if err := fn(info, data); err != nil {
			return err
		}
	}
	return nil
}

func (r memReader) InfoBatch(names []string, fn func(info vcs.ObjectInfo) error) error {
	return r.ReadBatch(names, func(info vcs.ObjectInfo, _ []byte) error { return fn(info) })
}

func (memReader) Close() error { return nil }

// atIndexed counts at commit from the index, as a search would read it: when the
// counter's repository is known, commit is its recorded head, and its shard holds it.
// false (and no error) when the index cannot answer: the caller reads the mirror.
func (c *Counter) atIndexed(ctx context.Context, commit string) (*Counts, bool, error) {
	s := c.svc
	if s.opts.Index == nil || s.opts.IndexMode == IndexNever || len(c.specs) == 0 {
		return nil, false, nil
	}
	id, ok := textindex.RepoID(c.repo.ID)
	head := RecordedDefaultHead(c.repo)
	if !ok || head == "" || commit != head {
		return nil, false, nil
	}
	want := map[uint32]string{id: textindex.ShardVersion(head, s.opts.MaxFileSize)}
	outs := make([]*scanOutput, len(c.specs))
	for i, spec := range c.specs {
		q, selective := spec.candidateQuery(c.basics[i])
		if !selective && s.opts.IndexMode != IndexAlways {
			return nil, false, nil
		}
		res, err := s.opts.Index.Search(ctx, q, textindex.DefaultBranch, want)
		if err != nil {
			if ctx.Err() != nil {
				return nil, false, ctx.Err()
			}
			s.logger.Warn("index search failed; counting over the mirror", log.String("repo", c.repo.Name), log.Error(err))
			return nil, false, nil
		}
		if !res.Answered[id] {
			return nil, false, nil
		}
		tree := indexedTree(res.Files, res.Remainders[id])
		// The candidates are not the whole tree: nothing of this scan is remembered
		// for the next commit's, and counts are not persisted (they are cheap here).
		sp := *spec
		sp.memo, sp.persist, sp.trackSkips = nil, false, true
		if outs[i], err = s.indexScanner(ctx, tree).scanTree(ctx, &sp, tree.entries); err != nil {
			return nil, false, err
		}
	}
	c.lastCommit, c.lastTree = "", nil
	textindex.CountSearches(1, 0)
	if len(c.specs) == 1 {
		// Every file with a match or a skip is among the candidates, so the state
		// recorded is the whole commit's, as a full scan's would be.
		return c.record(commit, nil, nil, outs[0]), true, nil
	}
	return mergeCounts(commit, outs), true, nil
}

// IndexStatus returns what the index this service reads holds for repo: nil when it
// has no shard of it, or the service no index.
func (s *Service) IndexStatus(ctx context.Context, repo *store.Repo) (*textindex.Status, error) {
	id, ok := textindex.RepoID(repo.ID)
	if s.opts.Index == nil || !ok {
		return nil, nil
	}
	e, err := s.opts.Index.Entry(ctx, id, textindex.ShardVersion(RecordedDefaultHead(repo), s.opts.MaxFileSize))
	if err != nil || e == nil {
		return nil, err
	}
	return textindex.StatusOf(e), nil
}

// CurrentlyIndexed returns the repositories of repos whose shard (in the index this
// service reads) holds their recorded head: those a search at HEAD reads from the index.
func (s *Service) CurrentlyIndexed(ctx context.Context, repos []*store.Repo) (map[int64]bool, error) {
	out := map[int64]bool{}
	if s.opts.Index == nil {
		return out, nil
	}
	want := map[uint32]*store.Repo{}
	ids := make([]uint32, 0, len(repos))
	for _, r := range repos {
		if id, ok := textindex.RepoID(r.ID); ok && RecordedDefaultHead(r) != "" {
			want[id] = r
			ids = append(ids, id)
		}
	}
	vs, err := s.opts.Index.Versions(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id, r := range want {
		if slices.Contains(vs[id], textindex.ShardVersion(RecordedDefaultHead(r), s.opts.MaxFileSize)) {
			out[r.ID] = true
		}
	}
	return out, nil
}
